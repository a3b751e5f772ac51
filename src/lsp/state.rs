//! The workspace: files on disk, open buffers, and the latest analysis.
//!
//! Two checks of each version of the buffers: the front (syntax, names,
//! types, the index, the tests), made at once on the request thread, which
//! every request reads; and the full one with the flow and table analyses,
//! made on a worker thread and published when it is done. A change cancels
//! the full check of the version before it, so a slow analysis never keeps
//! a request waiting.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use lsp_server::Notification;
use lsp_types as lsp;

use super::convert;
use super::index::Index;
use crate::check::{CheckResult, Options};
use crate::source::{FileId, SourceFile};
use crate::testing::TestResult;

pub struct Snapshot {
    pub result: CheckResult,
    /// The absolute path of each file of the source map.
    pub paths: Vec<PathBuf>,
    pub index: Index,
    pub tests: Vec<TestResult>,
}

pub struct Workspace {
    pub root: Option<PathBuf>,
    cache: crate::check::ParseCache,
    /// Open buffers by absolute path.
    pub open: BTreeMap<PathBuf, String>,
    /// The front check of the current version: what requests read.
    pub snapshot: Snapshot,
    /// The full check of the current version, once the worker is done.
    analysed: Option<Analysed>,
    published: HashSet<String>,
    /// Notifications to send after the current response.
    pub outbox: Vec<Notification>,
    worker: Worker,
}

/// A full check, with the absolute path of each of its files.
pub struct Analysed {
    pub generation: u64,
    pub result: CheckResult,
    pub paths: Vec<PathBuf>,
}

/// The thread that runs full checks, newest version first.
struct Worker {
    jobs: crossbeam_channel::Sender<(u64, crate::project::Loaded, Vec<PathBuf>)>,
    /// The newest version: a check of an older one stops early.
    current: Arc<AtomicU64>,
}

impl Worker {
    fn start(done: crossbeam_channel::Sender<Analysed>) -> Worker {
        let (jobs, queue) = crossbeam_channel::unbounded::<(u64, crate::project::Loaded, Vec<PathBuf>)>();
        let current = Arc::new(AtomicU64::new(0));
        let newest = current.clone();
        std::thread::Builder::new()
            .name("sopflow-analysis".into())
            .stack_size(256 << 20)
            .spawn(move || {
                while let Ok(mut job) = queue.recv() {
                    // Only the newest version queued is worth checking.
                    while let Ok(next) = queue.try_recv() {
                        job = next;
                    }
                    let (generation, loaded, paths) = job;
                    let newest = newest.clone();
                    let cancel: crate::check::Cancel = Arc::new(move || newest.load(Ordering::Relaxed) != generation);
                    let stale = cancel.clone();
                    let options = Options { recover: true, keep_trees: false, skip_lints: false, cancel: Some(cancel) };
                    let result = crate::check::check_with(loaded, options);
                    if !stale() && done.send(Analysed { generation, result, paths }).is_err() {
                        break;
                    }
                }
            })
            .expect("the analysis thread starts");
        Worker { jobs, current }
    }
}

impl Workspace {
    /// The workspace, and the channel on which full checks arrive (hand
    /// each to [`Workspace::analysed`]).
    pub fn new(root: Option<PathBuf>) -> (Workspace, crossbeam_channel::Receiver<Analysed>) {
        let root = root.map(|r| std::fs::canonicalize(&r).unwrap_or(r));
        let (done, arrivals) = crossbeam_channel::unbounded();
        let mut ws = Workspace {
            root,
            cache: crate::check::ParseCache::default(),
            open: BTreeMap::new(),
            snapshot: Snapshot {
                result: crate::check::check(crate::project::Loaded { sources: Default::default(), files: vec![], config: None, walk_notes: vec![] }),
                paths: vec![],
                index: Index::default(),
                tests: vec![],
            },
            analysed: None,
            published: HashSet::new(),
            outbox: Vec::new(),
            worker: Worker::start(done),
        };
        ws.refresh();
        (ws, arrivals)
    }

    /// Takes a full check from the worker; returns whether it is of the
    /// current version (its diagnostics are then to be published).
    pub fn analysed(&mut self, a: Analysed) -> bool {
        if a.generation != self.worker.current.load(Ordering::Relaxed) {
            return false;
        }
        self.analysed = Some(a);
        true
    }

    /// The findings of the current version: the full check's once it has
    /// arrived, the front check's until then.
    pub fn findings(&self) -> &[crate::diagnostics::Diagnostic] {
        match &self.analysed {
            Some(a) if a.generation == self.worker.current.load(Ordering::Relaxed) => &a.result.diagnostics,
            _ => &self.snapshot.result.diagnostics,
        }
    }

    /// Opens or changes a buffer; returns whether the analysis changed.
    pub fn open(&mut self, uri: &lsp::Uri, text: String) -> bool {
        let Some(path) = convert::uri_to_path(uri) else { return false };
        if path.extension().is_none_or(|e| e != "sop" && e != "toml") {
            return false;
        }
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        self.open.insert(path, text);
        self.refresh()
    }

    pub fn close(&mut self, uri: &lsp::Uri) -> bool {
        let Some(path) = convert::uri_to_path(uri) else { return false };
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        self.open.remove(&path).is_some() && self.refresh()
    }

    /// Checks the current version: the front at once, the full check on
    /// the worker. Returns false: nothing is published until the full
    /// check arrives.
    pub fn refresh(&mut self) -> bool {
        let (loaded, paths) = load(self.root.as_deref(), &self.open);
        let generation = self.worker.current.fetch_add(1, Ordering::Relaxed) + 1;
        let _ = self.worker.jobs.send((generation, loaded.clone(), paths.clone()));
        self.snapshot = front(loaded, paths, &mut self.cache);
        false
    }

    pub fn file(&self, uri: &lsp::Uri) -> Option<(FileId, &SourceFile)> {
        let path = convert::uri_to_path(uri)?;
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        let k = self.snapshot.paths.iter().position(|p| *p == path)?;
        let id = FileId(k as u32);
        Some((id, self.snapshot.result.sources.get(id)))
    }

    pub fn uri(&self, id: FileId) -> lsp::Uri {
        convert::path_to_uri(&self.snapshot.paths[id.0 as usize])
    }

    /// Every file's diagnostics from the newest full check, and empty
    /// lists for files that had some and for open files: an open file is
    /// always told it was checked, clean or not.
    pub fn diagnostics_to_publish(&mut self) -> Vec<(lsp::Uri, Vec<lsp::Diagnostic>)> {
        let Some(analysed) = &self.analysed else { return Vec::new() };
        let r = &analysed.result;
        let paths = &analysed.paths;
        let by_path = |shown: &str| -> lsp::Uri {
            let k = (0..r.sources.len()).find(|k| r.sources.get(FileId(*k as u32)).path == shown).unwrap_or(0);
            convert::path_to_uri(&paths[k])
        };
        let mut out: BTreeMap<String, (lsp::Uri, Vec<lsp::Diagnostic>)> = BTreeMap::new();
        for id in r.sources.ids() {
            let uri = convert::path_to_uri(&paths[id.0 as usize]);
            out.insert(uri.as_str().to_string(), (uri, Vec::new()));
        }
        for d in &r.diagnostics {
            let uri = convert::path_to_uri(&paths[d.span.file.0 as usize]);
            let entry = out.entry(uri.as_str().to_string()).or_insert_with(|| (uri, Vec::new()));
            entry.1.push(convert::to_lsp_diagnostic(&r.sources, d, &by_path));
        }
        for stale in self.published.iter() {
            if !out.contains_key(stale) {
                if let Ok(uri) = stale.parse::<lsp::Uri>() {
                    out.insert(stale.clone(), (uri, Vec::new()));
                }
            }
        }
        // Only what has findings now, had them before, or is open.
        let open: HashSet<String> = self.open.keys().map(|p| convert::path_to_uri(p).as_str().to_string()).collect();
        let result: Vec<_> = out.into_iter().filter(|(k, (_, ds))| !ds.is_empty() || self.published.contains(k) || open.contains(k)).map(|(_, v)| v).collect();
        self.published = result.iter().filter(|(_, ds)| !ds.is_empty()).map(|(u, _)| u.as_str().to_string()).collect();
        result
    }
}

/// The project: every `*.sop` under the root, open buffers over the files
/// on disk, and `sopflow.toml`; with the absolute path of each file.
fn load(root: Option<&Path>, open: &BTreeMap<PathBuf, String>) -> (crate::project::Loaded, Vec<PathBuf>) {
    let mut paths: Vec<PathBuf> = match root {
        Some(r) => crate::project::collect(&[r.to_path_buf()]).map(|c| c.files).unwrap_or_default(),
        None => Vec::new(),
    };
    paths = paths.into_iter().map(|p| std::fs::canonicalize(&p).unwrap_or(p)).collect();
    for p in open.keys() {
        if p.extension().is_some_and(|e| e == "sop") && !paths.contains(p) {
            paths.push(p.clone());
        }
    }
    paths.sort();
    let mut sources = crate::source::SourceMap::default();
    let mut files = Vec::new();
    let shown = |p: &Path| -> String {
        match root.and_then(|r| p.strip_prefix(r).ok()) {
            Some(rel) => crate::project::display(rel),
            None => crate::project::display(p),
        }
    };
    for p in &paths {
        let (text, err) = match open.get(p) {
            Some(t) => (t.clone(), None),
            None => match std::fs::read(p).map(String::from_utf8) {
                Ok(Ok(t)) => (t, None),
                Ok(Err(e)) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some("not valid UTF-8".to_string())),
                Err(e) => (String::new(), Some(format!("cannot be read: {e}"))),
            },
        };
        let id = sources.add(shown(p), text);
        files.push((id, err));
    }
    let config_path = root.and_then(crate::config::find);
    let config = config_path.as_ref().and_then(|p| {
        let abs = std::fs::canonicalize(p).unwrap_or(p.clone());
        let text = open.get(&abs).cloned().or_else(|| std::fs::read_to_string(p).ok())?;
        paths.push(abs.clone());
        Some(sources.add(shown(&abs), text))
    });
    (crate::project::Loaded { sources, files, config, walk_notes: vec![] }, paths)
}

/// The front check: with recovery from syntax errors, without the flow and
/// table analyses; the index and the tests.
fn front(loaded: crate::project::Loaded, paths: Vec<PathBuf>, cache: &mut crate::check::ParseCache) -> Snapshot {
    let options = Options { recover: true, keep_trees: true, skip_lints: true, cancel: None };
    let result = crate::check::check_cached(loaded, options, cache);
    let (index, tests) = match &result.program {
        Some(p) => (Index::build(&result.asts, p), crate::testing::run_tests(p, None)),
        None => (Index::default(), Vec::new()),
    };
    Snapshot { result, paths, index, tests }
}
