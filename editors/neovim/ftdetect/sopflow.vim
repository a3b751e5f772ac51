" SOPflow policy files.
autocmd BufRead,BufNewFile *.sop setfiletype sopflow
