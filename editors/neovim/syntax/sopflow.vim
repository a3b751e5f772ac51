" Vim syntax file for SOPflow (*.sop).
if exists("b:current_syntax") | finish | endif

syn keyword sopflowDeclaration enum input team action outcome table flow step test
syn keyword sopflowKeyword start when otherwise timeout within escalate do first run given expect path require requires escalation resolution to
syn keyword sopflowOther instructions severity sla
syn keyword sopflowOperator and or not in
syn keyword sopflowType bool int duration string
syn keyword sopflowSeverity none low medium high critical
syn keyword sopflowBoolean true false
syn match sopflowDuration "\<\d[0-9_]*[smhdw]\>"
syn match sopflowNumber "-\?\<\d[0-9_]*\>"
syn match sopflowArrow "->"
syn match sopflowComparison "==\|!=\|<=\|>=\|<\|>"
syn match sopflowEscape contained "\\[\"\\nt]"
syn region sopflowString start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ contains=sopflowEscape
syn match sopflowComment "//.*$" contains=@Spell
syn match sopflowDocComment "///.*$" contains=@Spell

hi def link sopflowDeclaration Structure
hi def link sopflowKeyword Keyword
hi def link sopflowOther Keyword
hi def link sopflowOperator Operator
hi def link sopflowType Type
hi def link sopflowSeverity Constant
hi def link sopflowBoolean Boolean
hi def link sopflowDuration Number
hi def link sopflowNumber Number
hi def link sopflowArrow Operator
hi def link sopflowComparison Operator
hi def link sopflowEscape SpecialChar
hi def link sopflowString String
hi def link sopflowComment Comment
hi def link sopflowDocComment SpecialComment

let b:current_syntax = "sopflow"
