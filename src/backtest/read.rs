//! The readers of a back-test: JSON lines, CSV and Parquet. Each reads its
//! file a block at a time, turns every row into one cell per column of the
//! plan, and hands blocks of rows to [`Worker`]s in parallel. Rows are
//! numbered from 1: the line of a JSON lines file, the data row of a CSV
//! file (the header is not a row) or of a Parquet file.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use indicatif::ProgressBar;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::{Cell, Plan, Stop, Tally, Worker};

/// The kinds of file a back-test reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line, keyed by column name.
    JsonLines,
    /// A header row of column names, then one row per case.
    Csv,
    Parquet,
}

impl Format {
    /// The format a file's extension names (`.jsonl`, `.ndjson`, `.json`,
    /// `.csv`, `.parquet`, `.pq`).
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jsonl" | "ndjson" | "json" => Format::JsonLines,
            "csv" => Format::Csv,
            "parquet" | "pq" => Format::Parquet,
            _ => return None,
        })
    }
}

/// Why a back-test could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read `{path}`: {message}")]
    Read { path: String, message: String },
    #[error("column `{column}` is not in `{path}` (looked for {looked}); its columns are: {have}")]
    MissingColumn { path: String, column: String, looked: String, have: String },
    #[error("column `{column}` is in no row of `{path}` (looked for {looked})")]
    AbsentColumn { path: String, column: String, looked: String },
    #[error("row {} of `{path}`: {} (`--strict` stops at the first bad row)", stop.row, stop.reason)]
    Strict { path: String, stop: Stop },
    #[error("Parquet files are read from a path, not from standard input")]
    ParquetStdin,
}

/// Bytes of JSON lines read and evaluated together.
const BLOCK: usize = 8 << 20;
/// Bytes of JSON lines per parallel part of a block.
const PART: usize = 128 << 10;
/// CSV records read and evaluated together, and per parallel part.
const CSV_BLOCK: usize = 65_536;
const CSV_PART: usize = 4_096;
/// Parquet rows per decoded batch.
const BATCH: usize = 8_192;

/// Runs the plan over the file at `path` (`-`: standard input).
pub fn run(plan: &Plan, path: &Path, format: Format, progress: &ProgressBar) -> Result<Tally, Error> {
    let shown = crate::project::display(path);
    let read_error = |e: &dyn std::fmt::Display| Error::Read { path: shown.clone(), message: e.to_string() };
    let stdin = path.as_os_str() == "-";
    if format == Format::Parquet {
        if stdin {
            return Err(Error::ParquetStdin);
        }
        return parquet(plan, path, &shown, progress);
    }
    let input: Box<dyn Read> = if stdin {
        Box::new(std::io::stdin().lock())
    } else {
        let file = File::open(path).map_err(|e| read_error(&e))?;
        if let Ok(meta) = file.metadata() {
            progress.set_length(meta.len());
        }
        Box::new(file)
    };
    let tally = match format {
        Format::JsonLines => json_lines(plan, input, &shown, progress)?,
        _ => csv(plan, input, &shown, progress)?,
    };
    if format == Format::JsonLines {
        // No header to check up front: a column that no row holds is missing
        // when it was named (`--by`, …) or a run needed it.
        if let Some(c) = (0..plan.columns.len()).find(|&c| !tally.seen[c] && (plan.named(c) || tally.needed(plan, c))) {
            let c = &plan.columns[c];
            return Err(Error::AbsentColumn { path: shown, column: c.name.clone(), looked: looked(c) });
        }
    }
    Ok(tally)
}

fn looked(c: &super::Column) -> String {
    c.spellings.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" or ")
}

/// The column each file name stands for.
fn spellings<'a>(plan: &'a Plan) -> FxHashMap<&'a str, usize> {
    plan.columns.iter().enumerate().flat_map(|(i, c)| c.spellings.iter().map(move |s| (s.as_str(), i))).collect()
}

/// Merges the blocks' tallies in row order; the first `--strict` stop wins.
fn merge(total: &mut Tally, parts: Vec<Result<Tally, Stop>>, path: &str) -> Result<(), Error> {
    for part in parts {
        match part {
            Ok(t) => total.merge(t),
            Err(stop) => return Err(Error::Strict { path: path.to_string(), stop }),
        }
    }
    Ok(())
}

fn json_lines(plan: &Plan, mut input: impl Read, path: &str, progress: &ProgressBar) -> Result<Tally, Error> {
    let names = spellings(plan);
    let mut total = Worker::new(plan).tally;
    let mut buf: Vec<u8> = Vec::new();
    let mut capacity = BLOCK;
    let mut line = 1u64;
    let mut eof = false;
    while !eof {
        let mut filled = buf.len();
        buf.resize(capacity, 0);
        while filled < buf.len() {
            match input.read(&mut buf[filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Read { path: path.to_string(), message: e.to_string() }),
            }
        }
        buf.truncate(filled);
        let end = match memchr::memrchr(b'\n', &buf) {
            _ if eof => buf.len(),
            Some(i) => i + 1,
            None => {
                // One line longer than the block: read on with a larger one.
                capacity *= 2;
                continue;
            }
        };
        let block = &buf[..end];
        let mut parts: Vec<(u64, &[u8])> = Vec::new();
        let mut at = 0;
        let mut first = line;
        while at < block.len() {
            let stop = match memchr::memchr(b'\n', &block[(at + PART).min(block.len())..]) {
                Some(i) => (at + PART).min(block.len()) + i + 1,
                None => block.len(),
            };
            parts.push((first, &block[at..stop]));
            first += memchr::memchr_iter(b'\n', &block[at..stop]).count() as u64;
            at = stop;
        }
        line = first;
        let done: Vec<Result<Tally, Stop>> = parts.into_par_iter().map(|(first, bytes)| json_part(plan, &names, first, bytes)).collect();
        merge(&mut total, done, path)?;
        progress.inc(end as u64);
        buf.drain(..end);
        capacity = capacity.max(BLOCK);
    }
    Ok(total)
}

fn json_part(plan: &Plan, names: &FxHashMap<&str, usize>, first: u64, bytes: &[u8]) -> Result<Tally, Stop> {
    let mut worker = Worker::new(plan);
    let mut cells: Vec<Cell> = vec![Cell::Null; plan.columns.len()];
    let mut keys = Keys { names, last: Vec::new() };
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain((bytes.last() != Some(&b'\n')).then_some(bytes.len()));
    for (k, end) in ends.enumerate() {
        let text = &bytes[start..end];
        start = end + 1;
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let row = first + k as u64;
        cells.iter_mut().for_each(|c| *c = Cell::Null);
        let mut de = serde_json::Deserializer::from_slice(text);
        match (RowSeed { keys: &mut keys, cells: &mut cells }).deserialize(&mut de).and_then(|()| de.end()) {
            Ok(()) => worker.row(row, &cells)?,
            Err(e) if e.is_data() => worker.unreadable(row, "not a JSON object".into())?,
            Err(e) => worker.unreadable(row, format!("not valid JSON: {e}"))?,
        }
    }
    Ok(worker.tally)
}

/// Finds the column of a key. Rows of one file list their keys in the same
/// order, mostly: the column found at each position is tried first.
struct Keys<'a> {
    names: &'a FxHashMap<&'a str, usize>,
    /// Per key position in the last row: the key and its column.
    last: Vec<Option<(&'a str, usize)>>,
}

impl<'a> Keys<'a> {
    fn find(&mut self, at: usize, key: &str) -> Option<usize> {
        if let Some(Some((name, column))) = self.last.get(at) {
            if *name == key {
                return Some(*column);
            }
        }
        let (name, column) = self.names.get_key_value(key).map(|(n, c)| (*n, *c))?;
        if self.last.len() <= at {
            self.last.resize(at + 1, None);
        }
        self.last[at] = Some((name, column));
        Some(column)
    }
}

/// Reads one JSON object into the cells of the columns it names; other
/// keys are skipped unread.
struct RowSeed<'a, 'k, 'c, 'de> {
    keys: &'k mut Keys<'a>,
    cells: &'c mut [Cell<'de>],
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_, '_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut at = 0;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let found = self.keys.find(at, key.as_ref());
            at += 1;
            match found {
                Some(i) => self.cells[i] = map.next_value::<Cell<'de>>()?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A key, borrowed from the line when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> serde::Deserialize<'de> for Cell<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cell<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Cell<'de>, E> {
                Ok(Cell::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Cell<'de>, E> {
                Ok(Cell::Int(n))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Cell<'de>, E> {
                Ok(i64::try_from(n).map_or_else(|_| Cell::Other(n.to_string()), Cell::Int))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Cell<'de>, E> {
                Ok(Cell::Float(f))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cell<'de>, E> {
                Ok(Cell::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Cell<'de>, E> {
                Ok(Cell::Str(Cow::Owned(s.to_string())))
            }
            fn visit_unit<E>(self) -> Result<Cell<'de>, E> {
                Ok(Cell::Null)
            }
            fn visit_none<E>(self) -> Result<Cell<'de>, E> {
                Ok(Cell::Null)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Cell<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Cell::Other("a list".into()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Cell::Other("an object".into()))
            }
        }
        d.deserialize_any(V)
    }
}

fn csv(plan: &Plan, input: impl Read, path: &str, progress: &ProgressBar) -> Result<Tally, Error> {
    let read_error = |e: csv::Error| Error::Read { path: path.to_string(), message: e.to_string() };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header: Vec<String> =
        reader.byte_headers().map_err(read_error)?.iter().map(|h| String::from_utf8_lossy(h).trim_start_matches('\u{feff}').trim().to_string()).collect();
    if header.is_empty() {
        // An empty file: no header, no cases.
        return Ok(Worker::new(plan).tally);
    }
    let mut fields = Vec::with_capacity(plan.columns.len());
    for c in &plan.columns {
        match header.iter().position(|h| c.spellings.contains(h)) {
            Some(i) => fields.push(i),
            None => return Err(missing_column(path, c, header.iter().map(String::as_str))),
        }
    }
    let mut total = Worker::new(plan).tally;
    let mut records = vec![csv::ByteRecord::new(); CSV_BLOCK];
    let mut row = 0u64;
    loop {
        let mut n = 0;
        while n < CSV_BLOCK && reader.read_byte_record(&mut records[n]).map_err(read_error)? {
            n += 1;
        }
        if n == 0 {
            break;
        }
        let done: Vec<Result<Tally, Stop>> = records[..n]
            .par_chunks(CSV_PART)
            .enumerate()
            .map(|(k, part)| {
                let mut worker = Worker::new(plan);
                let mut cells: Vec<Cell> = vec![Cell::Null; plan.columns.len()];
                for (j, record) in part.iter().enumerate() {
                    let at = row + (k * CSV_PART + j) as u64 + 1;
                    let mut bad = None;
                    for (cell, &f) in cells.iter_mut().zip(&fields) {
                        *cell = match record.get(f).map(std::str::from_utf8) {
                            None | Some(Ok("")) => Cell::Null,
                            Some(Ok(text)) => Cell::Text(text),
                            Some(Err(_)) => {
                                bad = Some(format!("column `{}` is not valid UTF-8", header[f]));
                                Cell::Null
                            }
                        };
                    }
                    match bad {
                        Some(reason) => worker.unreadable(at, reason)?,
                        None => worker.row(at, &cells)?,
                    }
                }
                Ok(worker.tally)
            })
            .collect();
        merge(&mut total, done, path)?;
        row += n as u64;
        progress.set_position(reader.position().byte());
    }
    Ok(total)
}

fn missing_column<'a>(path: &str, c: &super::Column, have: impl Iterator<Item = &'a str>) -> Error {
    let have: Vec<String> = have.map(|h| format!("`{h}`")).collect();
    Error::MissingColumn {
        path: path.to_string(),
        column: c.name.clone(),
        looked: looked(c),
        have: if have.is_empty() { "none".into() } else { have.join(", ") },
    }
}

/// A Parquet column, in the form its cells are read from.
enum Column {
    Bool(arrow_array::BooleanArray),
    Int(arrow_array::Int64Array),
    Float(arrow_array::Float64Array),
    Str(arrow_array::StringArray),
    Other(ArrayRef),
}

impl Column {
    fn of(array: &ArrayRef) -> Column {
        let cast = |to: &DataType| arrow_cast::cast(array, to).ok();
        match array.data_type() {
            DataType::Boolean => Column::Bool(array.as_boolean().clone()),
            t if t.is_integer() => cast(&DataType::Int64).map_or_else(|| Column::Other(array.clone()), |a| Column::Int(a.as_primitive().clone())),
            t if t.is_floating() => cast(&DataType::Float64).map_or_else(|| Column::Other(array.clone()), |a| Column::Float(a.as_primitive().clone())),
            DataType::Utf8 => Column::Str(array.as_string::<i32>().clone()),
            DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
                cast(&DataType::Utf8).map_or_else(|| Column::Other(array.clone()), |a| Column::Str(a.as_string::<i32>().clone()))
            }
            _ => Column::Other(array.clone()),
        }
    }

    fn cell(&self, i: usize) -> Cell<'_> {
        match self {
            Column::Bool(a) if a.is_valid(i) => Cell::Bool(a.value(i)),
            Column::Int(a) if a.is_valid(i) => Cell::Int(a.value(i)),
            Column::Float(a) if a.is_valid(i) => Cell::Float(a.value(i)),
            Column::Str(a) if a.is_valid(i) => Cell::Str(Cow::Borrowed(a.value(i))),
            Column::Other(a) if a.is_valid(i) => Cell::Other(arrow_cast::display::array_value_to_string(a, i).unwrap_or_else(|e| e.to_string())),
            _ => Cell::Null,
        }
    }
}

fn parquet(plan: &Plan, path: &Path, shown: &str, progress: &ProgressBar) -> Result<Tally, Error> {
    let read_error = |e: &dyn std::fmt::Display| Error::Read { path: shown.to_string(), message: e.to_string() };
    let file = File::open(path).map_err(|e| read_error(&e))?;
    let meta = ArrowReaderMetadata::load(&file, Default::default()).map_err(|e| read_error(&e))?;
    let schema = meta.schema().clone();
    let mut names = Vec::with_capacity(plan.columns.len());
    let mut roots = Vec::new();
    for c in &plan.columns {
        match schema.fields().iter().position(|f| c.spellings.contains(f.name())) {
            Some(i) => {
                names.push(schema.field(i).name().clone());
                roots.push(i);
            }
            None => return Err(missing_column(shown, c, schema.fields().iter().map(|f| f.name().as_str()))),
        }
    }
    let mask = ProjectionMask::roots(meta.parquet_schema(), roots);
    let mut groups = Vec::new();
    let mut first = 0u64;
    for (g, group) in meta.metadata().row_groups().iter().enumerate() {
        groups.push((g, first));
        first += group.num_rows() as u64;
    }
    progress.set_length(first);
    // Under `--strict`, groups past the first bad row found stop early.
    let stop_at = AtomicU64::new(u64::MAX);
    let done: Vec<Result<Tally, Error>> = groups
        .par_iter()
        .map(|&(g, first)| {
            let file = File::open(path).map_err(|e| read_error(&e))?;
            let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
                .with_row_groups(vec![g])
                .with_projection(mask.clone())
                .with_batch_size(BATCH)
                .build()
                .map_err(|e| read_error(&e))?;
            let mut worker = Worker::new(plan);
            let mut row = first;
            for batch in reader {
                let batch = batch.map_err(|e| read_error(&e))?;
                let columns: Vec<Column> = names.iter().map(|n| Column::of(batch.column_by_name(n).expect("projected"))).collect();
                let mut cells: Vec<Cell> = vec![Cell::Null; columns.len()];
                for i in 0..batch.num_rows() {
                    row += 1;
                    if row > stop_at.load(Ordering::Relaxed) {
                        return Ok(worker.tally);
                    }
                    for (cell, column) in cells.iter_mut().zip(&columns) {
                        *cell = column.cell(i);
                    }
                    worker.row(row, &cells).map_err(|stop| {
                        stop_at.fetch_min(stop.row, Ordering::Relaxed);
                        Error::Strict { path: shown.to_string(), stop }
                    })?;
                }
                progress.inc(batch.num_rows() as u64);
            }
            Ok(worker.tally)
        })
        .collect();
    let mut total = Worker::new(plan).tally;
    let mut first_stop: Option<Error> = None;
    for part in done {
        match part {
            Ok(t) => total.merge(t),
            Err(Error::Strict { path, stop }) => {
                if !matches!(&first_stop, Some(Error::Strict { stop: s, .. }) if s.row < stop.row) {
                    first_stop = Some(Error::Strict { path, stop });
                }
            }
            Err(e) => return Err(e),
        }
    }
    match first_stop {
        Some(e) => Err(e),
        None => Ok(total),
    }
}
