//! Documentation of the front-end codes, which `syntax`, `resolve`,
//! `config`, `project` and `diagnostics::suppress` report.

use crate::diagnostics::Code;

pub fn doc(code: Code) -> &'static str {
    match code {
        Code::SyntaxError => SYNTAX_ERROR,
        Code::UnreadableFile => UNREADABLE_FILE,
        Code::UndefinedName => UNDEFINED_NAME,
        Code::DuplicateDefinition => DUPLICATE_DEFINITION,
        Code::TypeMismatch => TYPE_MISMATCH,
        Code::UnknownVariant => UNKNOWN_VARIANT,
        Code::InvalidTarget => INVALID_TARGET,
        Code::InvalidConfig => INVALID_CONFIG,
        Code::InvalidSuppression => INVALID_SUPPRESSION,
        Code::UnusedDeclaration => UNUSED_DECLARATION,
        _ => "",
    }
}

const SYNTAX_ERROR: &str = "# syntax-error (error)

## What it finds
Text that is not SOPflow: a missing `->`, an unclosed brace, a branch out of
order (`instructions`, then `when`, then `otherwise`, then `timeout`).

## Why it matters
A file that does not parse is not checked at all; while any file has a syntax
error, `sopflow check` reports only syntax errors and unreadable files.

## Example
```sop
input flagged: bool
outcome approve

table t {
  when flagged outcome approve   // expect: syntax-error
  otherwise -> outcome approve
}
```

## Fix
Follow the message: `expected `->` after the condition` means `when flagged -> outcome approve`.
";

const UNREADABLE_FILE: &str = "# unreadable-file (error)

## What it finds
A `*.sop` file that cannot be read or is not valid UTF-8.

## Why it matters
Its policies are silently missing from the project; the other files are still
checked, but names it declares will look undefined.

## Example
A file exported from a spreadsheet in Windows-1252 with an accented market name.

## Fix
Re-save the file as UTF-8, or fix its permissions.
";

const UNDEFINED_NAME: &str = "# undefined-name (error)

## What it finds
A reference to an input, enum, team, action, outcome, table, flow or step that
is not declared (also inside tests).

## Why it matters
Usually a typo (`aprove`) or a declaration removed while a flow still uses it;
the flow cannot be compiled or analysed until it is fixed.

## Example
```sop
input flagged: bool
outcome approve   // expect: unused-declaration
outcome remove

table t {
  when flagged -> outcome remove
  otherwise    -> outcome aprove   // expect: undefined-name
}
```

## Fix
Use the suggested name, or declare the missing one (`outcome approve`).
";

const DUPLICATE_DEFINITION: &str = "# duplicate-definition (error)

## What it finds
A name declared twice in the project (all files share one namespace, across
kinds), a step declared twice in a flow, or a variant listed twice.

## Why it matters
Two policy writers defined the same outcome or input in different files; the
two definitions may disagree on severity or escalation.

## Example
```sop
input flagged: bool
outcome approve
outcome approve   // expect: duplicate-definition

table t {
  when flagged -> outcome approve
  otherwise    -> outcome approve
}
```

## Fix
Keep one declaration and remove or rename the other.
";

const TYPE_MISMATCH: &str = "# type-mismatch (error)

## What it finds
A comparison whose value does not fit the input's type (`seller.strikes ==
counterfeit`, `brand.authorized > 3`, a duration input against a bare number),
an empty `int in LO to HI` range, or a number that does not fit in 64 bits.

## Why it matters
The condition means nothing, so the branch can never be trusted.

## Example
```sop
input brand.authorized: bool
outcome approve
outcome remove

table t {
  when brand.authorized > 3 -> outcome remove   // expect: type-mismatch
  otherwise                 -> outcome approve
}
```

## Fix
Compare with a value of the input's type: `brand.authorized == false`,
`review.age > 24h`.
";

const UNKNOWN_VARIANT: &str = "# unknown-variant (error)

## What it finds
A value compared with an enum input that is not one of the enum's variants.

## Why it matters
Usually a typo: the branch would silently never match.

## Example
```sop
input report.kind: { counterfeit, fraud }
outcome approve
outcome remove

table t {
  when report.kind == counterfiet -> outcome remove   // expect: unknown-variant
  otherwise                       -> outcome approve
}
```

## Fix
Use the suggested variant (`counterfeit`), or add the variant to the enum.
";

const INVALID_TARGET: &str = "# invalid-target (error)

## What it finds
A target that is not allowed where it stands: a step or `table NAME` named in
a table, or a `timeout` route in a step without `within` or in a table.

## Why it matters
Tables decide at once and have no steps; a timeout without a time limit can
never fire. The policy does not mean what it says.

## Example
```sop
input flagged: bool
outcome approve

table t {
  when flagged -> review   // expect: invalid-target
  otherwise    -> outcome approve
}
```

## Fix
Target an outcome, escalation or action chain from a table; add `within D` to a
step that has a timeout.
";

const INVALID_CONFIG: &str = "# invalid-config (error)

## What it finds
A mistake in `sopflow.toml`: invalid TOML, a table other than `[lints]`, an
unknown code, or a level other than `allow`, `warn`, `error`.

## Why it matters
A misspelt lint name would otherwise be ignored, and the team would believe a
rule is silenced or enforced when it is not.

## Example
```toml
[lints]
unused-declaration = \"loud\"   # expect: invalid-config
```

## Fix
Use a code from `sopflow rules` and one of `allow`, `warn`, `error`.
";

const INVALID_SUPPRESSION: &str = "# invalid-suppression (warning)

## What it finds
A `// sopflow: allow(…)` comment that names an unknown code, gives no reason
after `--`, has no item after it, or suppresses nothing on the item after it.
A suppression without a reason still applies.

## Why it matters
Suppressions are audit records: each one should say why a finding is accepted,
and a stale one hides nothing but still misleads readers.

## Example
```sop
input flagged: bool
// sopflow: allow(unused-declaration)   // expect: invalid-suppression
input legacy.score: int
outcome approve
outcome remove

table t {
  when flagged -> outcome remove
  otherwise    -> outcome approve
}
```

## Fix
Add the reason: `// sopflow: allow(unused-declaration) -- kept for the 2025 audit export`,
or remove the comment.
";

const UNUSED_DECLARATION: &str = "# unused-declaration (warning)

## What it finds
An input, outcome, team, action or enum that no flow, table, rule or
declaration uses (a use inside a `test` does not count). Flows and tables are
entry points and never unused.

## Why it matters
Left-overs of old policy versions confuse writers and reviewers, and an unused
outcome often means a route to it was deleted by mistake.

## Example
```sop
input flagged: bool
team legal   // expect: unused-declaration
outcome approve
outcome remove

table t {
  when flagged -> outcome remove
  otherwise    -> outcome approve
}
```

## Fix
Use it, or remove it.
";
