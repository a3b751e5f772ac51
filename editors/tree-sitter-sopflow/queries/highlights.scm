; Highlighting for SOPflow (scope names as Helix uses them).
(doc_comment) @comment.block.documentation
(comment) @comment.line
(string) @string
(escape_sequence) @constant.character.escape
(integer) @constant.numeric.integer
(duration) @constant.numeric
(boolean) @constant.builtin.boolean
(severity) @constant.builtin
(primitive_type) @type.builtin
(operator) @operator
"->" @operator
["enum" "input" "team" "action" "outcome" "table" "flow" "step" "test" "require"] @keyword.storage.type
["when" "otherwise" "timeout" "start" "within" "escalate" "do" "first" "run" "given" "expect" "path" "requires" "escalation" "resolution" "to" "instructions" "severity" "sla"] @keyword
["and" "or" "not" "in"] @keyword.operator
(enum_declaration name: (identifier) @type)
(input_declaration name: (dotted_name) @variable)
(team_declaration name: (identifier) @constant)
(action_declaration name: (identifier) @function.method)
(outcome_declaration name: (identifier) @constant)
(table_declaration name: (identifier) @function)
(flow_declaration name: (identifier) @function)
(step name: (identifier) @function)
(step title: (string) @string.special)
["{" "}" "(" ")"] @punctuation.bracket
["," ":"] @punctuation.delimiter
(int_range "int" @type.builtin)
