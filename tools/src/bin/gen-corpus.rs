//! `cargo run --release --bin gen-corpus -- --lines N --out DIR [--seed S] [--plant K] [--dense]`:
//! writes a generated project (see `sopflow_tools::gen::corpus`).
use clap::Parser;

#[derive(Parser)]
#[command(about = "Write a generated SOPflow project of about N lines, with K planted copies of each defect")]
struct Args {
    /// About how many lines to write
    #[arg(long, default_value_t = 10_000)]
    lines: usize,
    /// The folder to write (created; existing files of the same names are replaced)
    #[arg(long)]
    out: std::path::PathBuf,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many copies of each defect to plant (`// planted: CODE` marks the line)
    #[arg(long, default_value_t = 0)]
    plant: usize,
    /// Write only branches (no blank lines, comments or instructions): the worst case per line
    #[arg(long)]
    dense: bool,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("error: cannot create `{}`: {e}", args.out.display());
        std::process::exit(2);
    }
    let mut lines = 0;
    let style = if args.dense { sopflow_tools::gen::Style::Dense } else { sopflow_tools::gen::Style::Realistic };
    let files = sopflow_tools::gen::corpus_styled(args.lines, args.seed, args.plant, style);
    for (name, text) in &files {
        lines += text.lines().count();
        if let Err(e) = std::fs::write(args.out.join(name), text) {
            eprintln!("error: cannot write `{name}`: {e}");
            std::process::exit(2);
        }
    }
    eprintln!("wrote {lines} lines in {} files to {}", files.len(), args.out.display());
}
