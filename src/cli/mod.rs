//! The command line. The only module that prints or exits.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostics::{Code, Level};

mod run;

#[derive(Parser, Debug)]
#[command(
    name = "sopflow",
    version,
    about = "Compile and lint moderation SOPs written in the SOPflow language",
    long_about = "SOPflow compiles policy files (*.sop) into decision graphs and proves things about them: \
every step can be reached, no case gets two outcomes, no case falls through a decision, every severe \
outcome passes its escalation. Each semantic finding comes with a witness case.\n\n\
Exit codes: 0 no error-level finding, 1 an error-level finding remains, 2 the command could not run."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a project: every *.sop file under PATHS (default: the current directory)
    Check(CheckArgs),
    /// Run one case (or a batch of cases) through a flow or table
    Eval(EvalArgs),
    /// Run every `test` block of the project
    Test(TestArgs),
    /// Run a flow or table over a file of historical cases and tally what it decides
    ///
    /// Reads JSON lines, CSV or Parquet (by the file's extension, or
    /// --input-format). A column matches an input by its name (`seller.strikes`)
    /// or with `_` for `.` (`seller_strikes`); values are typed by the input's
    /// declaration. A bad row (a needed input missing, a value that does not
    /// fit) is counted and reported with its row number, and the run goes on
    /// (--strict stops at the first).
    ///
    /// Exit codes: 0 every row was evaluated, 1 some row was bad or the file
    /// holds no cases, 2 the back-test could not run.
    Backtest(BacktestArgs),
    /// Export compiled flows and tables: JSON IR, Graphviz, Mermaid, BPMN 2.0, SVG or SQL
    Export(ExportArgs),
    /// Generate `test` blocks that cover a flow or table: every branch and timeout route, and MC/DC
    ///
    /// A minimal set (no test covers nothing the others do not), each case
    /// found by the analysis and run by the evaluator, its expectations the
    /// current policy's results. Without --flow or --table, every flow and
    /// table. Prints the tests, or with --write FILE appends those that cover
    /// what the project's tests do not yet cover.
    ///
    /// Obligations no case can meet are listed: a branch (an unreachable step,
    /// a dead branch), or an MC/DC pair (an atom that never decides its
    /// condition for the cases that reach the step: a redundant operand).
    ///
    /// Exit codes: 0 every branch and timeout route is covered, 1 some branch
    /// cannot be, 2 the tests could not be made.
    Cases(CasesArgs),
    /// Write the handbook agents work from: a static HTML site (or Markdown) generated from the policy
    ///
    /// An index of flows, tables, teams, outcomes and inputs; for each flow its
    /// drawing (SOPflow's own SVG), each step with its deadline, instructions
    /// and rules in plain language, and a worked example for each way through
    /// it; each table as a table. --where writes the guide for a slice of
    /// cases (rules no such case takes are left out); --since adds the cases
    /// handled differently since a git revision.
    Doc(DocArgs),
    /// What a change does to cases: every region whose result differs between two versions
    ///
    /// OLD and NEW are each a file or folder, or a git revision of the repository
    /// of the current folder (read from git's objects, never checked out). With
    /// only OLD, NEW is the current folder: `sopflow diff main` compares the
    /// working tree against `main`.
    Diff(DiffArgs),
    /// Print the JSON Schema of the `export --format json` document (`--diff`:
    /// of the `diff --format json` document)
    Schema {
        /// The schema of `sopflow diff --format json` instead
        #[arg(long)]
        diff: bool,
    },
    /// Format *.sop files in the canonical layout (in place, atomically)
    Fmt(FmtArgs),
    /// Run the language server on standard input and output (for editors)
    Lsp,
    /// Print the documentation of a diagnostic code
    Explain {
        /// A code such as `conflicting-outcomes`
        code: String,
    },
    /// List every diagnostic code with its default level
    Rules,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check; directories are walked recursively
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colours in the human report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Exit 1 when any warning remains, not only errors
    #[arg(long)]
    pub deny_warnings: bool,
    /// Exit 1 when the analysis of a flow or table left a question undecided
    /// within its budget (`analysis-incomplete`)
    #[arg(long)]
    pub deny_incomplete: bool,
    /// Human and plain reports: show error-level findings only, and no summary line
    #[arg(long, short)]
    pub quiet: bool,
    /// Write the report to FILE (atomically: a temporary file renamed into place)
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the time of each stage (read, parse, resolve, graph, analysis, finish, render) and the resident memory to standard error
    #[arg(long)]
    pub timings: bool,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["flow", "table"])))]
#[command(group(clap::ArgGroup::new("input").required(true).args(["case", "cases"])))]
pub struct EvalArgs {
    /// Files or directories of the project (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// The flow to run
    #[arg(long)]
    pub flow: Option<String>,
    /// The table to run
    #[arg(long)]
    pub table: Option<String>,
    /// A JSON object of input values, keyed by dotted input name; `-` reads standard input
    #[arg(long, value_name = "FILE.json")]
    pub case: Option<PathBuf>,
    /// One JSON case per line, evaluated in parallel; one JSON result per line, in input order
    #[arg(long, value_name = "FILE.jsonl")]
    pub cases: Option<PathBuf>,
    /// Also list every condition evaluated, with its value
    #[arg(long)]
    pub explain: bool,
    /// Output format (batch mode always prints JSON lines)
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["flow", "table"])))]
pub struct BacktestArgs {
    /// Files or directories of the project (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// The flow to run
    #[arg(long)]
    pub flow: Option<String>,
    /// The table to run
    #[arg(long)]
    pub table: Option<String>,
    /// The cases: a JSON lines, CSV or Parquet file; `-` reads JSON lines or CSV from standard input
    #[arg(long, value_name = "FILE")]
    pub cases: PathBuf,
    /// The format of --cases (default: by its extension; `-` is JSON lines)
    #[arg(long, value_enum)]
    pub input_format: Option<CasesFormat>,
    /// Break the results down by this column (an input such as `listing.market`, or any column)
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,
    /// Also run this version (a path or a git revision) and show which results change
    #[arg(long, value_name = "REV|PATH")]
    pub baseline: Option<String>,
    /// The column holding the decision moderators recorded (an outcome or team name): adherence to the SOP
    #[arg(long, value_name = "COLUMN")]
    pub decision_column: Option<String>,
    /// The column that identifies a case, for the sample cases of a change (default: the row number)
    #[arg(long, value_name = "COLUMN")]
    pub id_column: Option<String>,
    /// Stop at the first bad row (exit 2)
    #[arg(long)]
    pub strict: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = BacktestFormat::Human)]
    pub format: BacktestFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CasesFormat {
    Jsonl,
    Csv,
    Parquet,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BacktestFormat {
    Human,
    Json,
    Csv,
}

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Files or directories of the project (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Run only the tests whose name contains TEXT
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Report which steps and branches the tests take
    #[arg(long)]
    pub coverage: bool,
    /// Coverage report format
    #[arg(long, value_enum, default_value_t = CoverageFormat::Table)]
    pub coverage_format: CoverageFormat,
    /// Write the coverage report to FILE (atomically); without it a JSON
    /// coverage report is the whole of standard output (or `--output`) and
    /// the test results go to standard error
    #[arg(long, value_name = "FILE", requires = "coverage")]
    pub coverage_output: Option<PathBuf>,
    /// When to use colours
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Output format of the test results
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Write the results to FILE (atomically) instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Files or directories to format (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Change nothing: list the files that would change and exit 1 if any
    #[arg(long)]
    pub check: bool,
    /// Format standard input to standard output
    #[arg(long, conflicts_with = "paths")]
    pub stdin: bool,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("only").args(["flow", "table"])))]
pub struct ExportArgs {
    /// Files or directories of the project (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Export only this flow
    #[arg(long)]
    pub flow: Option<String>,
    /// Export only this table (not with `bpmn`, which exports flows)
    #[arg(long)]
    pub table: Option<String>,
    /// SQL: the dialect of the query
    #[arg(long, value_enum, default_value_t = SqlDialect::Duckdb)]
    pub dialect: SqlDialect,
    /// SQL: the table (or view) of cases the query reads
    #[arg(long, value_name = "TABLE", default_value = "cases")]
    pub from: String,
    /// SQL: a column to pass through to the result (a case id), after the inputs' columns; repeatable
    #[arg(long, value_name = "COLUMN")]
    pub keep: Vec<String>,
    /// Write to FILE (atomically) instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct DocArgs {
    /// Files or directories of the project (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// The folder to write the pages to (created if missing; only the handbook's files are replaced)
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,
    /// HTML pages, or Markdown for a wiki
    #[arg(long, value_enum, default_value_t = DocFormat::Html)]
    pub format: DocFormat,
    /// Only the cases where CONDITION holds (`market == VN`)
    #[arg(long = "where", value_name = "CONDITION")]
    pub where_: Option<String>,
    /// Add "what changed": the cases handled differently since this git revision (or folder)
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// The handbook's title
    #[arg(long, default_value = "Policy handbook")]
    pub title: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    Html,
    Markdown,
}

#[derive(clap::Args, Debug)]
pub struct CasesArgs {
    /// Files or directories of the project (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Only this flow
    #[arg(long, conflicts_with = "table")]
    pub flow: Option<String>,
    /// Only this table
    #[arg(long)]
    pub table: Option<String>,
    /// Append the tests to FILE (a `.sop` file, created if missing), skipping
    /// what the project's tests already cover
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Branches and timeout routes only, no MC/DC pairs for compound conditions
    #[arg(long)]
    pub branches_only: bool,
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The old version: a path or a git revision
    pub old: String,
    /// The new version: a path or a git revision (default: the current folder)
    pub new: Option<String>,
    /// Compare only this flow
    #[arg(long, conflicts_with = "table")]
    pub flow: Option<String>,
    /// Compare only this table
    #[arg(long)]
    pub table: Option<String>,
    /// A slice: compare the cases of --flow that satisfy this condition
    /// (`market == VN`) with those that satisfy --against, in one version
    #[arg(long = "where", value_name = "CONDITION", requires_all = ["against", "flow"])]
    pub where_: Option<String>,
    /// The other side of a slice (`market == TH`)
    #[arg(long, value_name = "CONDITION", requires = "where_")]
    pub against: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Which differences exit 1 (repeatable; default: any)
    #[arg(long, value_enum)]
    pub fail_on: Vec<FailOn>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A summary for the terminal, then each change with a witness
    Human,
    /// Markdown for a pull-request comment
    Markdown,
    /// The JSON document described by `sopflow schema --diff`
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any case whose result changes, any flow or table added or removed
    Any,
    /// A case that now ends in a less severe outcome
    Milder,
    /// A case that now misses an escalation the policy requires
    EscalationLost,
    /// An outcome that no case reaches any more
    Unreachable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The compiled IR (`"format": "sopflow-ir"`), described by `sopflow schema`
    Json,
    /// Graphviz DOT
    Dot,
    /// A Mermaid flowchart
    Mermaid,
    /// BPMN 2.0 XML with a diagram, one pool per flow
    Bpmn,
    /// SVG drawn by SOPflow's own layout, one drawing per flow or table (no Graphviz needed)
    Svg,
    /// One SQL query of one flow or table over a table of cases (--dialect; docs/sql.md)
    Sql,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SqlDialect {
    Duckdb,
    Spark,
    Trino,
    Bigquery,
    Postgres,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// One line per test, failures as reports, then `N passed, N failed`
    Human,
    /// JUnit XML, for CI systems
    Junit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    /// A table in the terminal, then the branches no test takes
    Table,
    /// A JSON document alone (see `--coverage-output`)
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// miette's graphical report, for people at a terminal
    Human,
    /// miette's narratable report, for screen readers and plain logs
    Plain,
    /// The JSON report of the language contract, section 9
    Json,
    /// SARIF 2.1.0, for code-scanning services
    Sarif,
    /// GitHub Actions workflow commands (annotations on the changed lines)
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    // Deeply nested input is bounded by the parser; the large stack is a
    // second line of defence for the recursive passes.
    let worker = std::thread::Builder::new().stack_size(256 << 20).spawn(|| run(Cli::parse()));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: sopflow stopped unexpectedly; please report this with the input that caused it");
            2
        }
    }
}

fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Eval(args) => run::eval(args),
        Command::Test(args) => run::test(args),
        Command::Export(args) => run::export(args),
        Command::Cases(args) => run::cases(args),
        Command::Doc(args) => run::doc(args),
        Command::Backtest(args) => run::backtest(args),
        Command::Fmt(args) => run::fmt(args),
        Command::Lsp => match crate::lsp::run_stdio() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: the language server stopped: {e}");
                1
            }
        },
        Command::Diff(args) => run::diff(args),
        Command::Schema { diff: false } => printed(&crate::export::json::schema(), 0),
        Command::Schema { diff: true } => printed(&crate::render::diff::schema(), 0),
        Command::Explain { code } => match Code::parse(&code) {
            Some(c) => printed(crate::lints::doc(c), 0),
            None => {
                let near = crate::resolve::nearest(&code, Code::ALL.iter().map(|c| c.as_str()));
                eprintln!("error: unknown diagnostic code `{code}`");
                if let Some(n) = near {
                    eprintln!("help: did you mean `{n}`?");
                }
                eprintln!("help: `sopflow rules` lists every code");
                2
            }
        },
        Command::Rules => {
            let mut out = String::new();
            for c in Code::ALL {
                out.push_str(&format!("{:<22} {}\n", c.as_str(), c.default_level().as_str()));
            }
            printed(&out, 0)
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn check(args: CheckArgs) -> i32 {
    let clock = std::time::Instant::now();
    let loaded = match crate::project::load(&args.paths) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    for note in &loaded.walk_notes {
        eprintln!("warning: {note}");
    }
    let read = clock.elapsed();
    let mut result = crate::check::check(loaded);
    if result.diagnostics.iter().any(|d| d.code == Code::UndefinedName) {
        // A name missing here may be declared in a file the paths leave out.
        if let Some((folder, files)) = crate::project::outside(&args.paths) {
            if let Ok(outside) = crate::project::load(&files) {
                crate::check::note_declared_elsewhere(&mut result, &outside, &folder);
            }
        }
    }
    let (errors, warnings) = (result.count(Level::Error), result.count(Level::Warning));
    let incomplete = !result.incomplete.is_empty();
    let failing = errors > 0 || (args.deny_warnings && warnings > 0) || (args.deny_incomplete && incomplete);
    let color = args.output.is_none() && use_color(args.color) || args.color == ColorChoice::Always;
    let quiet = args.quiet && matches!(args.format, Format::Human | Format::Plain);
    if quiet {
        result.diagnostics.retain(|d| d.level == Level::Error);
    }
    let render_clock = std::time::Instant::now();
    let mut text = match args.format {
        Format::Human => crate::render::human::render(&result, color),
        Format::Plain => crate::render::human::render_plain(&result),
        Format::Json => crate::render::json::render(&result),
        Format::Sarif => crate::render::sarif::render(&result),
        Format::Github => crate::render::github::render(&result),
    };
    if quiet {
        // The summary is the last line of the human and plain reports.
        let body = text.trim_end_matches('\n');
        text = body.rfind('\n').map_or(String::new(), |i| body[..=i].to_string());
    }
    if let Err(e) = emit(args.output.as_deref(), &text) {
        eprintln!("error: {e}");
        return 2;
    }
    if quiet && errors == 0 && args.deny_warnings && warnings > 0 {
        // Every non-zero exit says why, and `--quiet` hid the warnings.
        eprintln!("error: {warnings} warning{} and `--deny-warnings` (`--quiet` hides warnings)", if warnings == 1 { "" } else { "s" });
    }
    if quiet && errors == 0 && args.deny_incomplete && incomplete {
        eprintln!("error: the analysis of {} left questions undecided, and `--deny-incomplete`", result.incomplete.join(", "));
    }
    if args.timings {
        let t = &result.timings;
        let lines: usize = result.sources.ids().map(|id| result.sources.get(id).line_count()).sum();
        // Milliseconds throughout, so that the stages add up against the
        // wall time (`{:?}` of a `Duration` rounds a second to a tenth).
        let ms = |d: std::time::Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        eprintln!(
            "timings: read {}, parse {}, resolve {}, graph {}, analysis {}, finish {}, render {}; {lines} lines in {} files",
            ms(read),
            ms(t.parse),
            ms(t.resolve),
            ms(t.graph),
            ms(t.analysis),
            ms(t.finish),
            ms(render_clock.elapsed()),
            result.files
        );
        let mib = |b: Option<u64>| b.map_or("?".to_string(), |b| format!("{} MiB", b >> 20));
        let [parse, resolve, analysis] = t.resident;
        eprintln!("memory: after parse {}, resolve {}, analysis {}", mib(parse), mib(resolve), mib(analysis));
    }
    // The process ends right after this; freeing the sources and the program
    // object by object took 60 ms of a 2.6 s check of a million lines, on one
    // thread (the operating system takes the memory back at once).
    std::mem::forget(result);
    i32::from(failing)
}

/// Prints `text`, or writes it to `path` (`project::write_file`: atomically
/// over a regular file, in place over a device or FIFO, through a symbolic
/// link to its target).
pub fn emit(path: Option<&std::path::Path>, text: &str) -> Result<(), String> {
    match path {
        None => print(text),
        Some(path) => crate::project::write_file(path, text.as_bytes()),
    }
}

/// Writes `text` to standard output. A closed pipe (`| head`) is quiet and
/// not an error: the reader has what it wanted. Any other failure (`ENOSPC`,
/// an I/O error) is an error to report, exit 2.
pub fn print(text: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write to standard output: {e}")),
        _ => Ok(()),
    }
}

/// [`print`] as an exit code: `code`, or 2 after the message.
/// A progress bar on standard error when it is a terminal (never in CI
/// logs); hidden otherwise.
pub(crate) fn progress_bar() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} [{wide_bar}] {percent}% (eta {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

pub(crate) fn printed(text: &str, code: i32) -> i32 {
    match print(text) {
        Ok(()) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
