//! `check`: runs the pipeline over a loaded project and returns every
//! finding, with levels and suppressions applied, in stable order.

use crate::ast;
use crate::config::{self, Config};
use crate::diagnostics::{self, suppress, Code, Diagnostic, Level};
use crate::model::Program;
use crate::project::Loaded;
use crate::source::{FileId, SourceMap, Span};

pub struct CheckResult {
    pub sources: SourceMap,
    /// Findings that remain, sorted; none at level `allow`.
    pub diagnostics: Vec<Diagnostic>,
    /// Number of `.sop` files checked.
    pub files: usize,
    /// Findings silenced by suppression comments.
    pub suppressed: usize,
    /// Those findings, with the reason written in the comment (sorted; none at level `allow`).
    pub suppressed_findings: Vec<suppress::Suppressed>,
    /// The resolved program, when every file parsed (or with recovery).
    pub program: Option<Program>,
    /// The syntax tree of each file that parsed (with recovery: what parsed).
    pub asts: Vec<(FileId, ast::File)>,
    /// Flows and tables where a question was left undecided within the
    /// analysis budget (`flow NAME`, `table NAME`; each has its
    /// `analysis-incomplete` finding).
    pub incomplete: Vec<String>,
    /// How long each stage took.
    pub timings: Timings,
    pub config: Config,
}

impl CheckResult {
    pub fn count(&self, level: Level) -> usize {
        self.diagnostics.iter().filter(|d| d.level == level).count()
    }
}

/// Spans of every declaration, step and branch: what a suppression covers.
pub fn item_spans(file: &ast::File) -> Vec<Span> {
    let mut out = Vec::new();
    for item in &file.items {
        out.push(item.span());
        match item {
            ast::Item::Table(t) => out.extend(t.branches.iter().map(|b| b.span)),
            ast::Item::Flow(f) => {
                for s in &f.steps {
                    out.push(s.span);
                    out.extend(s.branches.iter().map(|b| b.span));
                }
            }
            _ => {}
        }
    }
    out
}

/// Wall-clock time of each stage of a check.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub parse: std::time::Duration,
    /// Lowering the trees to the program (and the items' spans that the
    /// suppressions need, in the files that have any).
    pub resolve: std::time::Duration,
    /// The step graph of every flow.
    pub graph: std::time::Duration,
    /// Reaching sets and lints.
    pub analysis: std::time::Duration,
    /// Levels, suppressions and sorting.
    pub finish: std::time::Duration,
    /// Resident memory in bytes after parse, resolve and analysis, where the
    /// system tells (Linux); for `check --timings`.
    pub resident: [Option<u64>; 3],
}

/// The process's resident memory in bytes (Linux `/proc/self/statm`, in
/// pages of 4 KiB on the targets this runs on).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Whether a check was cancelled (the language server: the text changed).
pub type Cancel = std::sync::Arc<dyn Fn() -> bool + Send + Sync>;

/// How to check.
#[derive(Clone, Default)]
pub struct Options {
    /// Recover from syntax errors at declaration boundaries and analyse the
    /// rest (the language server); the command line reports syntax errors only.
    pub recover: bool,
    /// Keep the syntax trees in the result (the language server's index
    /// reads them). Without it `resolve` consumes them, freeing each flow's
    /// tree as soon as it is lowered (peak memory, docs/PERFORMANCE.md).
    pub keep_trees: bool,
    /// Leave out the flow and table analyses (the language server answers
    /// requests from such a check while the full one runs on a worker).
    pub skip_lints: bool,
    /// Polled by the analyses: when it says so, they stop early (the result
    /// is then incomplete and only fit to be dropped).
    pub cancel: Option<Cancel>,
}

fn syntax_diagnostic(e: crate::syntax::SyntaxError) -> Diagnostic {
    let mut d = Diagnostic::new(Code::SyntaxError, e.span, e.message);
    d.help = e.help;
    d
}

/// Parses every readable file, in parallel; `Err` holds the syntax-error
/// diagnostics, one per broken declaration (the parse recovers at the next
/// declaration, as the language server's does). The result is in file order.
pub fn parse_all(sources: &SourceMap, files: &[(FileId, Option<String>)]) -> Vec<(FileId, Result<ast::File, Vec<Diagnostic>>)> {
    use rayon::prelude::*;
    // One file per task: rayon otherwise hands each thread a run of files
    // by count, and a run with the big tables kept one core busy for twice
    // as long as the other (docs/PERFORMANCE.md).
    files
        .par_iter()
        .with_max_len(1)
        .filter(|(_, err)| err.is_none())
        .map(|(id, _)| {
            let text = &sources.get(*id).text;
            let parsed =
                crate::syntax::parse_file(*id, text).map_err(|_| crate::syntax::parse_recovering(*id, text).1.into_iter().map(syntax_diagnostic).collect());
            (*id, parsed)
        })
        .collect()
}

pub fn check(loaded: Loaded) -> CheckResult {
    check_with(loaded, Options::default())
}

/// Syntax trees of earlier checks, by file path and id, reused while the
/// text is unchanged (the language server re-checks on every keystroke).
#[derive(Default)]
pub struct ParseCache {
    entries: std::collections::HashMap<(FileId, String), (String, ast::File, Vec<crate::syntax::SyntaxError>)>,
}

pub fn check_with(loaded: Loaded, options: Options) -> CheckResult {
    check_cached(loaded, options, &mut ParseCache::default())
}

pub fn check_cached(loaded: Loaded, options: Options, cache: &mut ParseCache) -> CheckResult {
    let Loaded { sources, files, config: config_file, .. } = loaded;
    let mut diags = Vec::new();
    for (id, err) in &files {
        if let Some(err) = err {
            diags.push(
                Diagnostic::new(Code::UnreadableFile, Span::new(*id, 0, 0), format!("`{}` is {err}", sources.get(*id).path))
                    .with_help("SOPflow reads UTF-8 text; re-save the file as UTF-8"),
            );
        }
    }
    let (config, config_diags) = match config_file {
        Some(id) => config::parse(id, &sources.get(id).text),
        None => (Config::default(), Vec::new()),
    };
    let mut timings = Timings::default();
    let clock = std::time::Instant::now();
    let mut asts = Vec::new();
    let mut syntax_failed = false;
    if options.recover {
        let mut fresh = std::collections::HashMap::new();
        for (id, _) in files.iter().filter(|(_, err)| err.is_none()) {
            let src = sources.get(*id);
            let key = (*id, src.path.clone());
            let (file, errors) = match cache.entries.remove(&key) {
                Some((text, file, errors)) if text == src.text => (file, errors),
                _ => crate::syntax::parse_recovering(*id, &src.text),
            };
            diags.extend(errors.iter().cloned().map(syntax_diagnostic));
            asts.push((*id, file.clone()));
            fresh.insert(key, (src.text.clone(), file, errors));
        }
        cache.entries = fresh;
    } else {
        for (id, result) in parse_all(&sources, &files) {
            match result {
                Ok(file) => asts.push((id, file)),
                Err(errors) => {
                    syntax_failed = true;
                    diags.extend(errors);
                }
            }
        }
    }
    timings.parse = clock.elapsed();
    timings.resident[0] = resident_bytes();
    let mut suppressed_findings = Vec::new();
    let mut program = None;
    let mut finish_clock = std::time::Instant::now();
    let mut incomplete = Vec::new();
    if !syntax_failed {
        diags.extend(config_diags);
        // Resolve borrows the trees when they are kept (the language server), else consumes them.
        let (ids, trees): (Vec<FileId>, Vec<ast::File>) = std::mem::take(&mut asts).into_iter().unzip();
        let clock = std::time::Instant::now();
        // Suppressions need only where each item is, in the files that may
        // hold one.
        let item_spans_by_file: Vec<(FileId, Vec<Span>)> =
            ids.iter().zip(&trees).filter(|(id, _)| suppress::may_hold(sources.get(**id))).map(|(id, tree)| (*id, item_spans(tree))).collect();
        let (prog, resolve_diags) = if options.keep_trees {
            let resolved = crate::resolve::resolve(&trees);
            asts = ids.into_iter().zip(trees).collect();
            resolved
        } else {
            crate::resolve::resolve_owned(trees)
        };
        timings.resolve = clock.elapsed();
        timings.resident[1] = resident_bytes();
        diags.extend(resolve_diags);
        let clock = std::time::Instant::now();
        let graphs = crate::ir::step_graphs(&prog);
        timings.graph = clock.elapsed();
        let clock = std::time::Instant::now();
        let lints = if options.skip_lints {
            crate::lints::LintReport::default()
        } else {
            crate::lints::run_report_with(&prog, &graphs, config.budget.unwrap_or(crate::analysis::sat::DEFAULT_BUDGET), options.cancel.clone())
        };
        drop(graphs);
        timings.analysis = clock.elapsed();
        timings.resident[2] = resident_bytes();
        diags.extend(lints.diagnostics);
        incomplete = lints.undecided.iter().map(|(item, _, _)| item.clone()).collect();
        finish_clock = std::time::Instant::now();
        for d in &mut diags {
            if d.code.configurable() {
                d.level = config.level(d.code);
            }
        }
        let sups: Vec<_> = item_spans_by_file.iter().flat_map(|(id, spans)| suppress::scan(*id, sources.get(*id), spans)).collect();
        suppressed_findings = suppress::apply(&sups, &mut diags);
        suppressed_findings.retain(|s| s.diagnostic.level != Level::Allow);
        suppressed_findings.sort_by_key(|a| (a.diagnostic.span, a.diagnostic.code));
        for d in &mut diags {
            if d.code == Code::InvalidSuppression {
                d.level = config.level(d.code);
            }
        }
        program = Some(prog);
    }
    let asts = if program.is_some() { asts } else { Vec::new() };
    diags.retain(|d| d.level != Level::Allow);
    diagnostics::sort(&mut diags);
    timings.finish = finish_clock.elapsed();
    CheckResult {
        sources,
        diagnostics: diags,
        files: files.len(),
        suppressed: suppressed_findings.len(),
        suppressed_findings,
        program,
        asts,
        config,
        incomplete,
        timings,
    }
}

/// For every `undefined-name` finding whose name is declared in a file of
/// `outside` (the rest of the project's folder, which this check did not
/// include), says so in the help instead of suggesting a declaration that
/// would be a duplicate. `folder` is the folder to check instead.
pub fn note_declared_elsewhere(result: &mut CheckResult, outside: &Loaded, folder: &str) {
    let mut declared: std::collections::HashMap<String, String> = Default::default();
    for (id, parsed) in parse_all(&outside.sources, &outside.files) {
        let Ok(file) = parsed else { continue };
        let path = &outside.sources.get(id).path;
        for item in &file.items {
            let name = match item {
                ast::Item::Enum(d) => &d.name,
                ast::Item::Input(d) => &d.name,
                ast::Item::Team(d) => &d.name,
                ast::Item::Action(d) => &d.name,
                ast::Item::Outcome(d) => &d.name,
                ast::Item::Table(d) => &d.name,
                ast::Item::Flow(d) => &d.name,
                ast::Item::Require(_) | ast::Item::Resolution(_) | ast::Item::Test(_) => continue,
            };
            declared.entry(name.text.to_string()).or_insert_with(|| path.clone());
        }
    }
    for d in result.diagnostics.iter_mut().filter(|d| d.code == crate::diagnostics::Code::UndefinedName && d.labels.is_empty()) {
        let name = result.sources.text(d.span).to_string();
        if let Some(path) = declared.get(&name) {
            d.help = Some(format!("`{name}` is declared in {path}, which this check does not include; check the whole folder: `sopflow check {folder}`"));
        }
    }
}
