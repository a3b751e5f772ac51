/**
 * Tree-sitter grammar for SOPflow (*.sop), for editors that highlight with
 * tree-sitter (Helix). It follows grammar/sopflow.pest closely enough to
 * highlight; `sopflow check` remains the authority on what is valid.
 */
const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)));

module.exports = grammar({
  name: 'sopflow',
  extras: ($) => [/\s/, $.doc_comment, $.comment],
  word: ($) => $.identifier,
  rules: {
    source_file: ($) => repeat($._item),
    _item: ($) => choice(
      $.enum_declaration, $.input_declaration, $.team_declaration, $.action_declaration,
      $.outcome_declaration, $.resolution_declaration, $.require_declaration, $.table_declaration, $.flow_declaration,
      $.test_declaration,
    ),

    doc_comment: (_) => token(prec(2, seq('///', /[^\n\r]*/))),
    comment: (_) => token(prec(1, seq('//', /[^\n\r]*/))),
    identifier: (_) => /[A-Za-z_][A-Za-z0-9_]*/,
    dotted_name: ($) => seq($.identifier, repeat(seq(token.immediate('.'), alias(token.immediate(/[A-Za-z_][A-Za-z0-9_]*/), $.identifier)))),
    integer: (_) => /-?[0-9][0-9_]*/,
    duration: (_) => /[0-9][0-9_]*[smhdw]/,
    string: ($) => seq('"', repeat(choice($.escape_sequence, token.immediate(prec(1, /[^"\\\n\r]+/)))), token.immediate('"')),
    escape_sequence: (_) => token.immediate(/\\["\\nt]/),
    boolean: (_) => choice('true', 'false'),
    severity: (_) => choice('none', 'low', 'medium', 'high', 'critical'),
    primitive_type: (_) => choice('bool', 'int', 'duration', 'string'),
    operator: (_) => choice('==', '!=', '<=', '>=', '<', '>'),

    enum_declaration: ($) => seq('enum', field('name', $.identifier), '{', commaSep1($.identifier), optional(','), '}'),
    input_declaration: ($) => seq('input', field('name', $.dotted_name), ':', $._type),
    _type: ($) => choice($.int_range, $.primitive_type, $.inline_enum, $.identifier),
    int_range: ($) => prec(1, seq('int', 'in', $.integer, 'to', $.integer)),
    inline_enum: ($) => seq('{', commaSep1($.identifier), optional(','), '}'),
    team_declaration: ($) => prec.right(seq('team', field('name', $.identifier), optional(seq('{', optional(seq('sla', $.duration)), '}')))),
    action_declaration: ($) => prec.right(seq('action', field('name', $.identifier), optional($.string))),
    outcome_declaration: ($) => prec.right(seq('outcome', field('name', $.identifier), optional(seq(
      '{', optional(seq('severity', $.severity)), optional(seq('requires', 'escalation', optional(seq('to', $.identifier)))), '}',
    )))),
    require_declaration: ($) => seq('require', 'escalation', 'to', $.identifier, 'when', $._condition),

    resolution_declaration: ($) => seq('require', 'resolution', 'within', $.duration, 'in', $.identifier, optional(seq('when', $._condition))),
    table_declaration: ($) => seq('table', field('name', $.identifier), optional('first'), '{', repeat($.when_branch), optional($.otherwise_branch), optional($.timeout_branch), '}'),
    flow_declaration: ($) => seq('flow', field('name', $.identifier), '{', 'start', $.identifier, repeat($.step), '}'),
    step: ($) => seq(
      'step', field('name', $.identifier), optional(field('title', $.string)), optional('first'), optional(seq('within', $.duration)),
      '{', repeat(seq('instructions', $.string)), repeat($.when_branch), optional($.otherwise_branch), optional($.timeout_branch), '}',
    ),
    when_branch: ($) => seq('when', $._condition, '->', $.target),
    otherwise_branch: ($) => seq('otherwise', '->', $.target),
    timeout_branch: ($) => seq('timeout', '->', $.target),
    target: ($) => seq(
      repeat(seq(choice(seq('escalate', $.identifier), seq('do', $.identifier)), '->')),
      choice(seq('outcome', $.identifier), seq('escalate', $.identifier), seq('table', $.identifier), $.identifier),
    ),

    _condition: ($) => choice($.or_condition, $.and_condition, $.not_condition, $.parenthesized, $.boolean, $.comparison, $.membership, $.dotted_name),
    or_condition: ($) => prec.left(1, seq($._condition, 'or', $._condition)),
    and_condition: ($) => prec.left(2, seq($._condition, 'and', $._condition)),
    not_condition: ($) => prec(3, seq('not', $._condition)),
    parenthesized: ($) => seq('(', $._condition, ')'),
    comparison: ($) => prec(4, seq($.dotted_name, $.operator, $._value)),
    membership: ($) => prec(4, seq($.dotted_name, optional('not'), 'in', '{', commaSep1($._value), optional(','), '}')),
    _value: ($) => choice($.duration, $.integer, $.string, $.boolean, $.identifier),

    test_declaration: ($) => seq(
      'test', $.string, '{', 'run', choice('flow', 'table'), $.identifier,
      optional(seq('given', '{', optional(seq(commaSep1($.given_pair), optional(','))), '}')),
      optional($.timeouts),
      repeat($.expectation), '}',
    ),
    given_pair: ($) => seq($.dotted_name, ':', $._value),
    timeouts: ($) => seq('timeout', commaSep1($.identifier)),
    expectation: ($) => seq('expect', choice(seq('outcome', $.identifier), seq('escalate', $.identifier), seq('path', commaSep1($.identifier)), seq('within', $.duration))),
  },
});
