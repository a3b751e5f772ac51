//! `cargo run --release -p sopflow-tools --bin gen-cases -- PROJECT --rows N --out FILE…`:
//! writes N generated cases for the program of PROJECT (see
//! `sopflow_tools::cases`) to each FILE, as JSON lines, CSV or Parquet by
//! its extension: the same rows in every file.

use std::io::Write;
use std::sync::Arc;

use clap::Parser;
use sopflow::model::RunTarget;
use sopflow_tools::cases::{self, Cases, V};
use sopflow_tools::gen::Rng;

#[derive(Parser)]
#[command(about = "Write generated cases for a project's inputs as JSON lines, CSV or Parquet")]
struct Args {
    /// The project (files or folders)
    project: Vec<std::path::PathBuf>,
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// Files to write (`.jsonl`, `.csv`, `.parquet`), the same rows in each
    #[arg(long, required = true)]
    out: Vec<std::path::PathBuf>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Per mille of values left out (null)
    #[arg(long, default_value_t = 20)]
    nulls: u64,
    /// Per mille of rows with one value outside its input's domain
    #[arg(long, default_value_t = 2)]
    invalid: u64,
    /// Add an `id` column (`c1`, `c2`, …)
    #[arg(long)]
    id: bool,
    /// Add a `decision` column: what this flow decides (outcome or team), but
    /// another outcome in --disagree per cent of rows
    #[arg(long, value_name = "FLOW")]
    decision: Option<String>,
    #[arg(long, default_value_t = 10)]
    disagree: u64,
    /// Write only the inputs this flow reads (the columns a warehouse export for it would hold)
    #[arg(long, value_name = "FLOW")]
    only: Option<String>,
    /// Parquet rows per row group
    #[arg(long, default_value_t = 131_072)]
    row_group: usize,
}

enum Sink {
    Json(std::io::BufWriter<std::fs::File>),
    Csv(csv::Writer<std::fs::File>),
    Parquet(parquet::arrow::ArrowWriter<std::fs::File>),
}

fn main() {
    let args = Args::parse();
    let loaded = sopflow::project::load(&args.project).unwrap_or_else(|e| panic!("{e}"));
    let result = sopflow::check::check(loaded);
    let program = result.program.as_ref().expect("the project parses");
    let mut gen = Cases::new(program);
    if let Some(name) = &args.only {
        let f = program.flows.iter().position(|f| &f.name == name).unwrap_or_else(|| panic!("no flow `{name}`"));
        gen.keep(&program.target_inputs(RunTarget::Flow(f)));
    }
    gen.nulls = args.nulls;
    gen.invalid = args.invalid;
    let flow = args.decision.as_ref().map(|name| program.flows.iter().position(|f| &f.name == name).unwrap_or_else(|| panic!("no flow `{name}`")));
    let mut extra_names: Vec<&str> = Vec::new();
    if args.id {
        extra_names.push("id");
    }
    if flow.is_some() {
        extra_names.push("decision");
    }
    let schema = Arc::new(gen.schema(&extra_names));
    let mut sinks: Vec<Sink> = args
        .out
        .iter()
        .map(|path| {
            let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
            match path.extension().and_then(|e| e.to_str()) {
                Some("csv") => {
                    let mut w = csv::Writer::from_writer(file);
                    let mut header = gen.columns();
                    header.extend(extra_names.iter().map(|s| s.to_string()));
                    w.write_record(&header).unwrap();
                    Sink::Csv(w)
                }
                Some("parquet") => {
                    let props = parquet::file::properties::WriterProperties::builder()
                        .set_compression(parquet::basic::Compression::SNAPPY)
                        .set_max_row_group_row_count(Some(args.row_group))
                        .build();
                    Sink::Parquet(parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap())
                }
                _ => Sink::Json(std::io::BufWriter::with_capacity(1 << 20, file)),
            }
        })
        .collect();
    let outcomes: Vec<&str> = program.outcomes.iter().map(|o| o.name.as_str()).collect();
    let mut rng = Rng::new(args.seed);
    let mut written = 0;
    while written < args.rows {
        let n = (args.rows - written).min(args.row_group);
        let rows: Vec<Vec<V>> = (0..n).map(|_| gen.row(&mut rng)).collect();
        let mut extra: Vec<Vec<Option<String>>> = Vec::new();
        if args.id {
            extra.push((0..n).map(|k| Some(format!("c{}", written + k + 1))).collect());
        }
        if let Some(f) = flow {
            extra.push(
                rows.iter()
                    .map(|row| {
                        let decided = decide(program, f, row);
                        if decided.is_some() && rng.below(100) >= args.disagree {
                            decided
                        } else {
                            Some(outcomes[rng.below(outcomes.len() as u64) as usize].to_string())
                        }
                    })
                    .collect(),
            );
        }
        for sink in &mut sinks {
            match sink {
                Sink::Json(w) => {
                    for (k, row) in rows.iter().enumerate() {
                        let extras: Vec<(&str, Option<&str>)> = extra_names.iter().zip(&extra).map(|(name, col)| (*name, col[k].as_deref())).collect();
                        writeln!(w, "{}", cases::json(&gen, row, &extras)).unwrap();
                    }
                }
                Sink::Csv(w) => {
                    for (k, row) in rows.iter().enumerate() {
                        let mut record = gen.fields(row);
                        record.extend(extra.iter().map(|col| col[k].clone().unwrap_or_default()));
                        w.write_record(&record).unwrap();
                    }
                }
                Sink::Parquet(w) => w.write(&cases::batch(&gen, &schema, &rows, &extra)).unwrap(),
            }
        }
        written += n;
    }
    for sink in sinks {
        match sink {
            Sink::Json(mut w) => w.flush().unwrap(),
            Sink::Csv(mut w) => w.flush().unwrap(),
            Sink::Parquet(w) => {
                w.close().unwrap();
            }
        }
    }
}

/// What `flow` decides for a row: its outcome or team, none for a failure.
fn decide(program: &sopflow::model::Program, flow: usize, row: &[V]) -> Option<String> {
    let case = cases::eval_case(program, row);
    match sopflow::eval::run(program, RunTarget::Flow(flow), &case, &[]).end {
        sopflow::eval::End::Outcome { outcome, .. } => Some(program.outcomes[outcome].name.clone()),
        sopflow::eval::End::Escalated { team, .. } => Some(program.teams[team].name.clone()),
        _ => None,
    }
}
