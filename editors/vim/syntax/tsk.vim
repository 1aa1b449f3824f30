" Vim syntax file
" Language:    tsk (tskc: Go with tasklets)
" Filenames:   *.tsk
" Maintainer:  the tskc authors
"
" Builds on Vim's own Go syntax and adds what .tsk adds to Go: the tasklet
" statements and declarations, duration literals and the predeclared names.
" Keep the keyword lists in step with editors/textmate/tsk.tmLanguage.json.

if exists("b:current_syntax")
  finish
endif

runtime! syntax/go.vim
unlet! b:current_syntax

" Declarations.
syn keyword tskDecl        tasklet message nextgroup=tskDeclName skipwhite
syn match   tskDeclName    /\<\h\w*\>/ contained

" Statements that may suspend the tasklet, and their clauses.
syn keyword tskStatement   reply spawn send call receive yield sleep join kill deadline quit await
syn keyword tskClause      timeout after
syn match   tskClause      /\(\<spawn\s\+\)\@<=\(after\|loop\|every\|rate\|receiver\)\>/
syn match   tskClause      /\(\<join\s\+\)\@<=\(all\|children\)\>/
syn match   tskClause      /\(\<receive\s\+\)\@<=batch\>/
syn match   tskClause      /\<with\ze\s*{/
syn match   tskClause      /\<now\ze\s\+\h[[:alnum:]_.]*\s*(/

" Predeclared names.
syn keyword tskType        Tasklet Mailbox Channel JoinError TimeoutError TaskletExit
syn keyword tskConstant    self ErrTimeout ErrKilled

" Duration literals: 250ms, 1.5s, 10us, 2m, 1h.
syn match   tskDuration    /\<\d[0-9_]*\(\.\d[0-9_]*\)\=\(ns\|us\|µs\|ms\|s\|m\|h\)\>/

hi def link tskDecl        Keyword
hi def link tskDeclName    Function
hi def link tskStatement   Statement
hi def link tskClause      Statement
hi def link tskType        Type
hi def link tskConstant    Constant
hi def link tskDuration    Number

let b:current_syntax = "tsk"
