" Settings for .tsk files: Go's conventions, and tskc as the checker.
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal noexpandtab tabstop=8 shiftwidth=8 softtabstop=0
setlocal commentstring=//\ %s comments=s1:/*,mb:*,ex:*/,://
setlocal formatprg=tskc\ fmt

" :make reports tskc's errors in the quickfix list (file.tsk:line:col: message).
setlocal makeprg=tskc\ check
setlocal errorformat=%f:%l:%c:\ %m,%f:\ %m

let b:undo_ftplugin = "setl et< ts< sw< sts< cms< com< fp< mp< efm<"
