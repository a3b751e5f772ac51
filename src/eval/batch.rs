//! Batch evaluation: one case per line in, one result per line out, in
//! input order; evaluated in parallel a chunk of lines at a time, so memory
//! does not grow with the input.

use rayon::prelude::*;

/// Why a batch stopped.
#[derive(Debug)]
pub enum BatchError {
    /// Reading the cases failed.
    Input(std::io::Error),
    /// Writing the results failed.
    Output(std::io::Error),
}

/// Lines evaluated together (in parallel) before their results are written.
const BATCH_LINES: usize = 4096;

/// Reads `input` line by line (numbered from 1, line ends removed, invalid
/// UTF-8 replaced), gives each line to `line`, which returns its result and
/// whether it failed, and writes the results to `out` a line each. Returns
/// how many failed.
pub fn run(mut input: impl std::io::BufRead, out: &mut impl std::io::Write, line: impl Fn(usize, &str) -> (String, bool) + Sync) -> Result<usize, BatchError> {
    let mut failed = 0;
    let mut number = 0;
    let mut chunk: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BATCH_LINES);
    loop {
        chunk.clear();
        while chunk.len() < BATCH_LINES {
            let mut text = Vec::new();
            if input.read_until(b'\n', &mut text).map_err(BatchError::Input)? == 0 {
                break;
            }
            number += 1;
            chunk.push((number, text));
        }
        if chunk.is_empty() {
            return Ok(failed);
        }
        let results: Vec<(String, bool)> = chunk
            .par_iter()
            .map(|(n, text)| {
                let text = String::from_utf8_lossy(text);
                line(*n, text.trim_end_matches(['\n', '\r']))
            })
            .collect();
        for (text, bad) in results {
            failed += usize::from(bad);
            out.write_all(text.as_bytes()).and_then(|_| out.write_all(b"\n")).map_err(BatchError::Output)?;
        }
    }
}
