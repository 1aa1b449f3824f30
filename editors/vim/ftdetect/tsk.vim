" .tsk files are tskc source (Go with tasklets).
autocmd BufRead,BufNewFile *.tsk setfiletype tsk
