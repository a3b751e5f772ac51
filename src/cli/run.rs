//! `sopflow eval` and `sopflow test`.

use std::io::{Read, Write as _};

use super::{
    use_color, BacktestArgs, BacktestFormat, CasesArgs, CasesFormat, CoverageFormat, DiffArgs, DiffFormat, DocArgs, DocFormat, EvalArgs, ExportArgs,
    ExportFormat, FailOn, FmtArgs, RunFormat, TestArgs, TestFormat,
};
use crate::check::CheckResult;
use crate::diagnostics::Level;
use crate::model::{Program, RunTarget};
use crate::render;

/// Loads and checks the project; `Err` is the exit code after a message.
fn load(paths: &[std::path::PathBuf]) -> Result<CheckResult, i32> {
    let loaded = crate::project::load(paths).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    let result = crate::check::check(loaded);
    if result.program.is_none() {
        eprint!("{}", render::human::render(&result, false));
        eprintln!("error: the project has syntax errors; fix them first (`sopflow check`)");
        return Err(2);
    }
    Ok(result)
}

fn target(program: &Program, args: &EvalArgs) -> Result<RunTarget, String> {
    named_target(program, args.flow.as_deref(), args.table.as_deref())
}

fn named_target(program: &Program, flow: Option<&str>, table: Option<&str>) -> Result<RunTarget, String> {
    let (kind, name, found, ok) = if let Some(name) = flow {
        let f = program.flows.iter().position(|f| f.name == name);
        ("flow", name, f.map(RunTarget::Flow), f.is_some_and(|f| program.flows[f].ok))
    } else {
        let name = table.expect("clap requires --flow or --table");
        let t = program.tables.iter().position(|t| t.name == name);
        ("table", name, t.map(RunTarget::Table), t.is_some_and(|t| program.tables[t].ok))
    };
    let Some(found) = found else {
        let names: Vec<&str> =
            if kind == "flow" { program.flows.iter().map(|f| f.name.as_str()).collect() } else { program.tables.iter().map(|t| t.name.as_str()).collect() };
        let hint = crate::resolve::nearest(name, names.iter().copied()).map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default();
        return Err(format!("no {kind} named `{name}`{hint}"));
    };
    if !ok {
        return Err(format!("{kind} `{name}` has errors; run `sopflow check` and fix them first"));
    }
    Ok(found)
}

fn read_input(path: &std::path::Path) -> Result<String, String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", crate::project::display(path)))
}

pub fn eval(args: EvalArgs) -> i32 {
    let result = match load(&args.paths) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let program = result.program.as_ref().expect("loaded");
    let target = match target(program, &args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if let Some(path) = &args.cases {
        // Streamed: memory does not grow with the file.
        let input: Box<dyn std::io::BufRead> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            match std::fs::File::open(path) {
                Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
                Err(e) => {
                    eprintln!("error: cannot read `{}`: {e}", crate::project::display(path));
                    return 2;
                }
            }
        };
        let mut stdout = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        let done = render::run::batch(program, target, input, &mut stdout)
            .and_then(|failed| stdout.flush().map(|_| failed).map_err(crate::eval::batch::BatchError::Output));
        return match done {
            Ok(failed) => i32::from(failed > 0),
            Err(crate::eval::batch::BatchError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
            Err(crate::eval::batch::BatchError::Output(e)) => {
                eprintln!("error: cannot write to standard output: {e}");
                2
            }
            Err(crate::eval::batch::BatchError::Input(e)) => {
                eprintln!("error: cannot read `{}`: {e}", crate::project::display(path));
                2
            }
        };
    }
    let path = args.case.as_ref().expect("clap requires --case or --cases");
    let text = match read_input(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let sources = args.explain.then_some(&result.sources);
    match render::run::eval_text(program, target, &text, sources) {
        Ok(json) => {
            let out = match args.format {
                RunFormat::Json => serde_json::to_string_pretty(&json).expect("serializes") + "\n",
                RunFormat::Human => render::run::eval_human(&json),
            };
            super::printed(&out, i32::from(!render::run::succeeded(&json)))
        }
        Err(e) => {
            eprintln!("error: the case in `{}` is {e}", crate::project::display(path));
            2
        }
    }
}

pub fn test(args: TestArgs) -> i32 {
    let loaded = match crate::project::load(&args.paths) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let result = crate::check::check(loaded);
    let Some(program) = result.program.as_ref() else {
        // The JUnit report is written all the same, each syntax error a
        // failed case, so that a CI step has a report to upload.
        if args.format == TestFormat::Junit {
            let xml = render::junit::render_cases(&syntax_cases(&result));
            if let Err(e) = super::emit(args.output.as_deref(), &xml) {
                eprintln!("error: {e}");
            }
        }
        eprint!("{}", render::human::render(&result, false));
        eprintln!("error: the project has syntax errors; fix them first (`sopflow check`)");
        return 2;
    };
    let color = args.output.is_none() && use_color(args.color);
    let results = crate::testing::run_tests(program, args.filter.as_deref());
    if results.is_empty() {
        // Nothing ran: a CI gate must not pass on it.
        match &args.filter {
            Some(f) => eprintln!("error: no test name contains `{f}` (the project has {} tests)", program.tests.len()),
            None => eprintln!("error: the project has no `test` blocks"),
        }
        return 2;
    }
    let failed = i32::from(results.iter().any(|r| !r.passed()));
    if args.format == TestFormat::Junit {
        let xml = render::junit::render(program, &result.sources, &results);
        if let Err(e) = super::emit(args.output.as_deref(), &xml) {
            eprintln!("error: {e}");
            return 2;
        }
        return failed;
    }
    let mut out = String::new();
    out.push_str(&error_note(&result));
    out.push_str(&render::run::tests_human(program, &result.sources, &results, color));
    // The coverage report: in its own file with `--coverage-output`; a JSON
    // report is JSON alone, so without that file it takes standard output
    // (or `--output`) and the test report goes to standard error.
    let mut json_alone = None;
    if args.coverage {
        let cov = crate::testing::coverage(program, &result.sources, &results);
        let report = match args.coverage_format {
            CoverageFormat::Table => render::run::coverage_human(&cov),
            CoverageFormat::Json => serde_json::to_string_pretty(&cov).expect("serializes") + "\n",
        };
        match (&args.coverage_output, args.coverage_format) {
            (Some(path), _) => {
                if let Err(e) = super::emit(Some(path), &report) {
                    eprintln!("error: {e}");
                    return 2;
                }
            }
            (None, CoverageFormat::Json) => json_alone = Some(report),
            // The table comes before the closing `N passed, N failed` line,
            // which always ends the test report (the contract; CI reads it).
            (None, CoverageFormat::Table) => out.push_str(&report),
        }
    }
    out.push_str(&render::run::tests_summary(&results));
    let written = match json_alone {
        Some(json) => {
            eprint!("{out}");
            super::emit(args.output.as_deref(), &json)
        }
        None => super::emit(args.output.as_deref(), &out),
    };
    if let Err(e) = written {
        eprintln!("error: {e}");
        return 2;
    }
    failed
}

/// What `check`'s errors mean for the tests: errors in names, types and
/// targets keep the flows and tables they are in from running (their tests
/// fail); the analysis findings do not stop a run, which fails only where a
/// test's case meets one.
fn error_note(result: &CheckResult) -> String {
    let errors: Vec<&crate::diagnostics::Diagnostic> = result.diagnostics.iter().filter(|d| d.level == Level::Error).collect();
    let (gating, other): (Vec<&crate::diagnostics::Diagnostic>, Vec<&crate::diagnostics::Diagnostic>) = errors.iter().partition(|d| d.code.gates_analysis());
    let mut out = String::new();
    if !gating.is_empty() {
        out.push_str(&format!(
            "note: `sopflow check` reports {} error(s) in names, types or targets; the tests of the flows and tables they are in fail\n",
            gating.len()
        ));
    }
    if !other.is_empty() {
        let mut codes: Vec<&str> = other.iter().map(|d| d.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        out.push_str(&format!(
            "note: `sopflow check` reports {} other error(s) ({}); tests run the policy as written and fail only where their case meets one\n",
            other.len(),
            codes.join(", ")
        ));
    }
    out
}

/// Each syntax error or unreadable file as a failed JUnit case.
fn syntax_cases(result: &CheckResult) -> Vec<render::junit::Case> {
    result
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| {
            let file = result.sources.get(d.span.file);
            let (line, column) = file.line_col(d.span.start as usize);
            render::junit::Case {
                file: file.path.clone(),
                name: format!("{} at {line}:{column}", d.code.as_str()),
                line,
                seconds: 0.0,
                failures: vec![d.message.clone()],
                kind: d.code.as_str(),
            }
        })
        .collect()
}

/// The flows and tables of a selection that have errors, as an error
/// message: the commands that read them refuse to.
fn broken(program: &Program, selection: &crate::export::Selection) -> Option<String> {
    let names: Vec<String> = selection
        .flows
        .iter()
        .filter(|f| !program.flows[**f].ok)
        .map(|f| format!("flow `{}`", program.flows[*f].name))
        .chain(selection.tables.iter().filter(|t| !program.tables[**t].ok).map(|t| format!("table `{}`", program.tables[*t].name)))
        .collect();
    (!names.is_empty())
        .then(|| format!("{} {} errors; run `sopflow check` and fix them first", names.join(", "), if names.len() == 1 { "has" } else { "have" }))
}

pub fn export(args: ExportArgs) -> i32 {
    let result = match load(&args.paths) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let program = result.program.as_ref().expect("loaded");
    let mut selection = crate::export::Selection::all(program);
    let named = |kind: &str, name: &str, names: Vec<&str>| -> String {
        let hint = crate::resolve::nearest(name, names.iter().copied()).map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default();
        format!("no {kind} named `{name}`{hint}")
    };
    if let Some(name) = &args.flow {
        match program.flows.iter().position(|f| &f.name == name) {
            Some(f) => selection = crate::export::Selection { flows: vec![f], tables: vec![] },
            None => {
                eprintln!("error: {}", named("flow", name, program.flows.iter().map(|f| f.name.as_str()).collect()));
                return 2;
            }
        }
    }
    if let Some(name) = &args.table {
        if args.format == ExportFormat::Bpmn {
            eprintln!("error: BPMN exports flows; a table appears in them as a business-rule task");
            return 2;
        }
        match program.tables.iter().position(|t| &t.name == name) {
            Some(t) => selection = crate::export::Selection { flows: vec![], tables: vec![t] },
            None => {
                eprintln!("error: {}", named("table", name, program.tables.iter().map(|t| t.name.as_str()).collect()));
                return 2;
            }
        }
    }
    if let Some(e) = broken(program, &selection) {
        eprintln!("error: {e}");
        return 2;
    }
    if args.format == ExportFormat::Sql && selection.flows.len() + selection.tables.len() != 1 {
        eprintln!("error: the SQL export is one query for one flow or table; name it with --flow or --table");
        return 2;
    }
    let text = match args.format {
        ExportFormat::Sql => {
            use crate::export::sql;
            let dialect = match args.dialect {
                super::SqlDialect::Duckdb => sql::Dialect::DuckDb,
                super::SqlDialect::Spark => sql::Dialect::Spark,
                super::SqlDialect::Trino => sql::Dialect::Trino,
                super::SqlDialect::Bigquery => sql::Dialect::BigQuery,
                super::SqlDialect::Postgres => sql::Dialect::Postgres,
            };
            let target = match (selection.flows.first(), selection.tables.first()) {
                (Some(f), _) => RunTarget::Flow(*f),
                (None, Some(t)) => RunTarget::Table(*t),
                (None, None) => unreachable!("one flow or table, checked above"),
            };
            match sql::render(program, target, &sql::Options { dialect, from: args.from.clone(), keep: args.keep.clone() }) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("error: {e}");
                    return 2;
                }
            }
        }
        ExportFormat::Json => crate::export::json::render(program, &result.sources, &selection),
        ExportFormat::Dot => crate::export::dot::render(program, &selection),
        ExportFormat::Mermaid => crate::export::mermaid::render(program, &selection),
        ExportFormat::Bpmn => crate::export::bpmn::render(program, &selection),
        ExportFormat::Svg => crate::export::svg::render(program, &selection),
    };
    match super::emit(args.output.as_deref(), &text) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// `sopflow fmt`: exit 0 when done (or nothing would change with
/// `--check`), 1 when `--check` finds files to change or a file has a syntax
/// error, 2 when it cannot run.
pub fn fmt(args: FmtArgs) -> i32 {
    if args.stdin {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("error: cannot read standard input: {e}");
            return 2;
        }
        return match crate::fmt::format(&text) {
            Ok(out) => super::printed(&out, 0),
            Err(e) => {
                let mut sources = crate::source::SourceMap::default();
                let id = sources.add("<stdin>".into(), text);
                let mut d = crate::diagnostics::Diagnostic::new(crate::diagnostics::Code::SyntaxError, crate::source::Span { file: id, ..e.span }, e.message);
                d.help = e.help;
                eprint!("{}", render::human::render_one(&sources, "syntax-error", &d, false));
                1
            }
        };
    }
    let collected = match crate::project::collect(&args.paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let files = collected.files;
    let mut changed = 0;
    let mut broken = 0;
    for (path, why) in &collected.unreadable {
        eprintln!("error: `{}` is a folder that cannot be read: {why}", crate::project::display(path));
        broken += 1;
    }
    for path in &files {
        let shown = crate::project::display(path);
        let text = match std::fs::read(path).map(String::from_utf8) {
            Ok(Ok(t)) => t,
            _ => {
                eprintln!("error: `{shown}` is not readable UTF-8 text; left untouched");
                broken += 1;
                continue;
            }
        };
        match crate::fmt::format(&text) {
            Ok(out) if out == text => {}
            Ok(out) => {
                if args.check {
                    changed += 1;
                    if let Err(e) = super::print(&format!("{shown}\n")) {
                        eprintln!("error: {e}");
                        return 2;
                    }
                } else if let Err(e) = crate::project::write_file(path, out.as_bytes()) {
                    eprintln!("error: {e}");
                    broken += 1;
                } else {
                    changed += 1;
                }
            }
            Err(e) => {
                broken += 1;
                let (line, col) = crate::source::SourceFile::new(shown.clone(), text).line_col(e.span.start as usize);
                eprintln!("error: `{shown}` has a syntax error at {line}:{col} ({}); left untouched", e.message);
            }
        }
    }
    if !args.check && changed > 0 {
        eprintln!("formatted {changed} of {} files", files.len());
    }
    i32::from(broken > 0 || (args.check && changed > 0))
}

/// One version of `sopflow diff`: a path, or a git revision.
fn load_version(what: &str) -> Result<CheckResult, i32> {
    load_version_for(what, &[], "the diff needs both versions to parse")
}

/// A version as a path or a git revision (its files under `under`).
fn load_version_for(what: &str, under: &[std::path::PathBuf], why: &str) -> Result<CheckResult, i32> {
    let path = std::path::Path::new(what);
    let loaded = if path.exists() {
        crate::project::load(&[path.to_path_buf()]).map_err(|e| e.to_string())
    } else {
        crate::project::load_revision(what, under).map_err(|e| e.to_string())
    };
    let loaded = loaded.map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    let result = crate::check::check_with(loaded, crate::check::Options { skip_lints: true, ..Default::default() });
    if result.program.is_none() {
        eprint!("{}", render::human::render(&result, false));
        eprintln!("error: `{what}` has syntax errors; {why}");
        return Err(2);
    }
    Ok(result)
}

/// A condition of `--where`/`--against`, resolved in `result`'s project (as
/// the one branch of a table added to it).
fn slice_condition(result: &CheckResult, text: &str) -> Result<crate::model::Cond, String> {
    let program = result.program.as_ref().expect("loaded");
    let outcome = program.outcomes.first().ok_or("the project declares no outcome")?;
    let mut sources = result.sources.clone();
    let ids: Vec<crate::source::FileId> =
        (0..sources.len()).map(|i| crate::source::FileId(i as u32)).filter(|id| sources.get(*id).path.ends_with(".sop")).collect();
    let table = "__sopflow_slice__";
    let id = sources.add("--where".into(), format!("table {table} {{\n  when {text} -> outcome {}\n}}\n", outcome.name));
    let files = ids.into_iter().chain([id]).map(|i| (i, None)).collect();
    let loaded = crate::project::Loaded { sources, files, config: None, walk_notes: vec![] };
    let checked = crate::check::check_with(loaded, crate::check::Options { skip_lints: true, ..Default::default() });
    let bad: Vec<String> = checked.diagnostics.iter().filter(|d| d.span.file == id && d.level == Level::Error).map(|d| d.message.clone()).collect();
    let p = checked.program.as_ref().ok_or_else(|| format!("`{text}` is not a condition"))?;
    let t = p.tables.iter().find(|t| t.name == table).filter(|t| t.ok && bad.is_empty()).ok_or_else(|| format!("`{text}`: {}", bad.join("; ")))?;
    let cond = t.decision.branches[0].cond().expect("a `when` branch").clone();
    Ok(cond)
}

pub fn diff(args: DiffArgs) -> i32 {
    let new_name = args.new.clone().unwrap_or_else(|| ".".to_string());
    let old = match load_version(&args.old) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let new = if args.where_.is_some() {
        None
    } else {
        match load_version(&new_name) {
            Ok(r) => Some(r),
            Err(code) => return code,
        }
    };
    let new_ref = new.as_ref().unwrap_or(&old);
    let (op, np) = (old.program.as_ref().expect("loaded"), new_ref.program.as_ref().expect("loaded"));
    let only = match (&args.flow, &args.table) {
        (Some(f), _) => Some(crate::diff::Subject::Flow(f.clone())),
        (_, Some(t)) => Some(crate::diff::Subject::Table(t.clone())),
        _ => None,
    };
    if let Some(subject) = &only {
        let known = |p: &Program| match subject {
            crate::diff::Subject::Flow(n) => p.flows.iter().any(|f| &f.name == n),
            crate::diff::Subject::Table(n) => p.tables.iter().any(|t| &t.name == n),
        };
        if !known(op) && !known(np) {
            eprintln!("error: no flow or table named `{}` in either version", subject.name());
            return 2;
        }
    }
    let slice = match (&args.where_, &args.against) {
        (Some(w), Some(a)) => match (slice_condition(&old, w), slice_condition(&old, a)) {
            (Ok(w), Ok(a)) => Some((w, a)),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("error: {e}");
                return 2;
            }
        },
        _ => None,
    };
    let (old_name, new_label) = match (&args.where_, &args.against) {
        (Some(w), Some(a)) => (format!("{} where {w}", args.old), format!("{} where {a}", args.old)),
        _ => (args.old.clone(), new_name.clone()),
    };
    let d = crate::diff::diff(&crate::diff::Request { old: op, new: np, only, slice });
    let report = render::diff::report(
        &d,
        &render::diff::Version { name: &old_name, program: op, sources: &old.sources },
        &render::diff::Version { name: &new_label, program: np, sources: &new_ref.sources },
    );
    let fail_on = if args.fail_on.is_empty() { vec![FailOn::Any] } else { args.fail_on.clone() };
    let s = &report.summary;
    let failed = fail_on.iter().any(|f| match f {
        FailOn::Any => s.regions > 0 || !report.added.is_empty() || !report.removed.is_empty() || s.outcomes_lost > 0,
        FailOn::Milder => s.milder > 0,
        FailOn::EscalationLost => s.escalation_lost > 0,
        FailOn::Unreachable => s.outcomes_lost > 0,
    });
    let text = match args.format {
        DiffFormat::Human => render::diff::human(&report),
        DiffFormat::Markdown => render::diff::markdown(&report),
        DiffFormat::Json => serde_json::to_string_pretty(&report).expect("reports serialize") + "\n",
    };
    super::printed(&text, i32::from(failed))
}

pub fn backtest(args: BacktestArgs) -> i32 {
    use crate::backtest;
    let result = match load(&args.paths) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let program = result.program.as_ref().expect("loaded");
    let fail = |e: String| {
        eprintln!("error: {e}");
        2
    };
    let target = match named_target(program, args.flow.as_deref(), args.table.as_deref()) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let baseline = match &args.baseline {
        None => None,
        Some(what) => match load_version_for(what, &args.paths, "the baseline must parse") {
            Ok(r) => Some(r),
            Err(code) => return code,
        },
    };
    let base = match &baseline {
        None => None,
        Some(b) => {
            let p = b.program.as_ref().expect("loaded");
            match named_target(p, args.flow.as_deref(), args.table.as_deref()) {
                Ok(t) => Some((p, t)),
                Err(e) => return fail(format!("in the baseline `{}`: {e}", args.baseline.as_deref().unwrap_or_default())),
            }
        }
    };
    let format = match args.input_format {
        Some(CasesFormat::Jsonl) => backtest::Format::JsonLines,
        Some(CasesFormat::Csv) => backtest::Format::Csv,
        Some(CasesFormat::Parquet) => backtest::Format::Parquet,
        None if args.cases.as_os_str() == "-" => backtest::Format::JsonLines,
        None => match backtest::Format::of(&args.cases) {
            Some(f) => f,
            None => {
                return fail(format!(
                    "cannot tell the format of `{}` from its extension; name it with --input-format jsonl|csv|parquet",
                    crate::project::display(&args.cases)
                ))
            }
        },
    };
    let mut plan = backtest::Plan::new((program, target), base, args.by.as_deref(), args.decision_column.as_deref(), args.id_column.as_deref());
    plan.strict = args.strict;
    let progress = super::progress_bar();
    let tally = backtest::run(&plan, &args.cases, format, &progress);
    progress.finish_and_clear();
    let tally = match tally {
        Ok(t) => t,
        Err(e) => return fail(e.to_string()),
    };
    let file = crate::project::display(&args.cases);
    let report = backtest::report::build(&plan, &tally, &file, args.baseline.as_deref(), Some(&result.sources));
    let out = match args.format {
        BacktestFormat::Human => render::backtest::human(&report),
        BacktestFormat::Json => serde_json::to_string_pretty(&report).expect("serializes") + "\n",
        BacktestFormat::Csv => match render::backtest::csv(&report) {
            Ok(text) => text,
            Err(e) => return fail(e.to_string()),
        },
    };
    if report.rows == 0 {
        eprintln!("warning: `{file}` holds no cases");
    }
    super::printed(&out, i32::from(report.rows == 0 || report.bad_rows.rows > 0))
}

pub fn cases(args: CasesArgs) -> i32 {
    let result = match load(&args.paths) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let program = result.program.as_ref().expect("loaded");
    let targets: Vec<RunTarget> = if args.flow.is_some() || args.table.is_some() {
        match named_target(program, args.flow.as_deref(), args.table.as_deref()) {
            Ok(t) => vec![t],
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
    } else {
        if let Some(e) = broken(program, &crate::export::Selection::all(program)) {
            eprintln!("error: {e}");
            return 2;
        }
        (0..program.flows.len()).map(RunTarget::Flow).chain((0..program.tables.len()).map(RunTarget::Table)).collect()
    };
    let existing = crate::testing::run_tests(program, None);
    let options = crate::cases::Options { mcdc: !args.branches_only, skip_covered: args.write.is_some() };
    let mut taken: std::collections::HashSet<String> = program.tests.iter().map(|t| t.name.clone()).collect();
    let mut text = String::new();
    let (mut made, mut unmet, mut unmet_branches, mut already, mut total) = (0, 0, 0, 0, 0);
    let analysis = crate::analysis::Analysis::new(program);
    for target in targets {
        let plan = match crate::cases::generate(&analysis, &result.sources, target, &existing, &options) {
            Ok(plan) => plan,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        };
        let name = match target {
            RunTarget::Flow(f) => format!("flow `{}`", program.flows[f].name),
            RunTarget::Table(t) => format!("table `{}`", program.tables[t].name),
        };
        for (o, why) in &plan.unmet {
            eprintln!("note: {name}: cannot cover `{}`: {why}", crate::cases::describe(program, &result.sources, target, o));
        }
        made += plan.cases.len();
        unmet += plan.unmet.len();
        unmet_branches += plan.unmet.iter().filter(|(o, _)| matches!(o, crate::cases::Obligation::Branch { .. })).count();
        already += plan.already.len();
        total += plan.obligations.len();
        text.push_str(&crate::cases::render(program, &plan, &mut taken));
    }
    let summary = format!("{made} tests for {total} obligations ({already} already covered by the project's tests, {unmet} that no case can meet)");
    match &args.write {
        Some(file) => {
            let mut body = match std::fs::read_to_string(file) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => {
                    eprintln!("error: cannot read `{}`: {e}", crate::project::display(file));
                    return 2;
                }
            };
            if made > 0 {
                if !body.is_empty() && !body.ends_with('\n') {
                    body.push('\n');
                }
                body.push_str(text.strip_prefix('\n').filter(|_| body.is_empty()).unwrap_or(&text));
                if let Err(e) = crate::project::write_file(file, body.as_bytes()) {
                    eprintln!("error: {e}");
                    return 2;
                }
            }
            eprintln!("{summary}: written to {}", crate::project::display(file));
        }
        None => {
            print!("{}", text.strip_prefix('\n').unwrap_or(&text));
            eprintln!("{summary}");
        }
    }
    i32::from(unmet_branches > 0)
}

/// The changes since `since`, in the handbook's words.
fn changes_since(since: &str, paths: &[std::path::PathBuf], new: &CheckResult) -> Result<crate::doc::Changes, i32> {
    let old = load_version_for(since, paths, "the changes need the old version to parse")?;
    let (op, np) = (old.program.as_ref().expect("loaded"), new.program.as_ref().expect("loaded"));
    let d = crate::diff::diff(&crate::diff::Request { old: op, new: np, only: None, slice: None });
    let end = |e: &crate::diff::EndKey| match e {
        crate::diff::EndKey::Outcome(o) => format!("outcome {o}"),
        crate::diff::EndKey::Escalated(t) => format!("handed to {t}"),
        crate::diff::EndKey::Conflict(at) => format!("stopped by a conflict at {at}"),
        crate::diff::EndKey::FallThrough(at) => format!("stopped with no rule at {at}"),
        crate::diff::EndKey::Cycle(at) => format!("stopped by a loop at {at}"),
    };
    let subject = |s: &crate::diff::Subject| match s {
        crate::diff::Subject::Flow(n) => format!("flow {n}"),
        crate::diff::Subject::Table(n) => format!("table {n}"),
    };
    let mut changes = Vec::new();
    for c in &d.compared {
        for r in &c.regions {
            let (before, after) = (crate::diff::severity(op, &r.old.end), crate::diff::severity(np, &r.new.end));
            let direction = match after.cmp(&before) {
                std::cmp::Ordering::Greater => "stricter",
                std::cmp::Ordering::Less => "milder",
                std::cmp::Ordering::Equal => "changed",
            };
            let example = r
                .witness
                .iter()
                .map(|(name, v)| {
                    let label = np.input_by_name(name).map(|i| crate::doc::plain::label(np, i)).unwrap_or_else(|| name.clone());
                    (label, name.clone(), v.literal())
                })
                .collect();
            let mut before_text = end(&r.old.end);
            let mut after_text = end(&r.new.end);
            if r.old.end == r.new.end {
                before_text = format!("{before_text} by way of {}", r.old.path.join(", "));
                after_text = format!("{after_text} by way of {}", r.new.path.join(", "));
            }
            changes.push(crate::doc::Change {
                subject: subject(&c.subject),
                direction,
                cases: r.text.clone(),
                example,
                before: before_text,
                after: after_text,
            });
        }
    }
    Ok(crate::doc::Changes {
        since: since.to_string(),
        changes,
        added: d.added.iter().map(subject).collect(),
        removed: d.removed.iter().map(subject).collect(),
        notes: d.notes.clone(),
    })
}

pub fn doc(args: DocArgs) -> i32 {
    let result = match load(&args.paths) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let program = result.program.as_ref().expect("loaded");
    if let Some(e) = broken(program, &crate::export::Selection::all(program)) {
        eprintln!("error: {e}");
        return 2;
    }
    let scope = match &args.where_ {
        Some(w) => match slice_condition(&result, w) {
            Ok(c) => Some((w.clone(), c)),
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        },
        None => None,
    };
    let changes = match &args.since {
        Some(rev) => match changes_since(rev, &args.paths, &result) {
            Ok(c) => Some(c),
            Err(code) => return code,
        },
        None => None,
    };
    let options = crate::doc::Options { title: args.title.clone(), scope: scope.as_ref().map(|(t, c)| (t.clone(), c)), max_examples: 40, changes };
    let handbook = crate::doc::build(program, &result.sources, &options);
    let files = match args.format {
        DocFormat::Html => crate::doc::html::render(&handbook),
        DocFormat::Markdown => crate::doc::markdown::render(&handbook),
    };
    if let Err(e) = std::fs::create_dir_all(&args.output) {
        eprintln!("error: cannot create `{}`: {e}", crate::project::display(&args.output));
        return 2;
    }
    for (name, content) in &files {
        if let Err(e) = crate::project::write_file(&args.output.join(name), content.as_bytes()) {
            eprintln!("error: {e}");
            return 2;
        }
    }
    let examples: usize = handbook.flows.iter().map(|f| f.examples.len()).sum();
    eprintln!(
        "{} pages ({} flows, {} tables, {examples} worked examples) written to {}",
        files.iter().filter(|(n, _)| n.ends_with(".html") || n.ends_with(".md")).count(),
        handbook.flows.len(),
        handbook.tables.len(),
        crate::project::display(&args.output)
    );
    0
}
