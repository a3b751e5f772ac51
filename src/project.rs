//! Loading a project: the `*.sop` files under the given paths and the
//! `sopflow.toml` that governs them. This is the only module of the pipeline
//! that reads files.

use std::path::{Path, PathBuf};

use crate::source::{FileId, SourceFile, SourceMap};

/// The largest file read (a larger one is an `unreadable-file`).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// The most files a project may have (`SOPFLOW_MAX_FILES` overrides it).
pub const MAX_FILES: usize = 100_000;

fn max_files() -> usize {
    std::env::var("SOPFLOW_MAX_FILES").ok().and_then(|s| s.parse().ok()).unwrap_or(MAX_FILES)
}

/// A path argument that does not exist, or a project too large to check.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("path `{0}` does not exist")]
    Missing(String),
    /// A folder without a `*.sop` file: checking it would report clean on nothing.
    #[error("no `*.sop` file under `{0}`; nothing to check there (is it the policy folder?)")]
    NoFiles(String),
    #[error("the project has more than {0} `*.sop` files; check a smaller folder (or raise SOPFLOW_MAX_FILES)")]
    TooManyFiles(usize),
}

/// One project file: readable text, or why it could not be read.
#[derive(Clone)]
pub struct Loaded {
    pub sources: SourceMap,
    /// The `.sop` files, in sorted path order, with a read error if any.
    pub files: Vec<(FileId, Option<String>)>,
    /// `sopflow.toml`, when found.
    pub config: Option<FileId>,
    /// Directory-walk problems (symlink loops, permission errors), as notes.
    pub walk_notes: Vec<String>,
}

/// Shows a path with `/` separators, as the user gave it.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// What a walk of the given paths found.
#[derive(Debug, Default)]
pub struct Collected {
    /// The `*.sop` files under the folders, and every path given that is
    /// not a folder (whatever kind of file: a FIFO, `<(cat f.sop)`), sorted
    /// by path; a file reached twice (a linked folder, `p.sop ./p.sop`) once.
    pub files: Vec<PathBuf>,
    /// Folders that could not be read, with why: the project is not whole.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Symbolic link loops, skipped (what they lead to is walked once).
    pub notes: Vec<String>,
}

/// Collects the `*.sop` files under `paths` (default: `.`).
pub fn collect(paths: &[PathBuf]) -> Result<Collected, LoadError> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &default[..] } else { paths };
    let mut out = Collected::default();
    for path in paths {
        if std::fs::metadata(path).is_err() && std::fs::symlink_metadata(path).is_err() {
            return Err(LoadError::Missing(display(path)));
        }
        if !path.is_dir() {
            out.files.push(path.clone());
            continue;
        }
        let before = out.files.len() + out.unreadable.len();
        let walk = walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name();
        for entry in walk {
            match entry {
                Ok(e) if !e.file_type().is_dir() && e.path().extension().is_some_and(|x| x == "sop") => out.files.push(e.into_path()),
                Ok(_) => {}
                Err(err) => match (err.loop_ancestor(), err.path()) {
                    (Some(_), Some(p)) => out.notes.push(format!("skipped `{}`: symbolic link loop", display(p))),
                    // A dangling link is only a policy not read when it is named as one.
                    (_, Some(p)) if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) && p.extension().is_none_or(|x| x != "sop") => {
                        out.notes.push(format!("skipped `{}`: {err}", display(p)));
                    }
                    (_, Some(p)) => {
                        let why = err.io_error().map_or_else(|| err.to_string(), |e| e.to_string());
                        out.unreadable.push((p.to_path_buf(), why));
                    }
                    _ => out.unreadable.push((path.clone(), err.to_string())),
                },
            }
        }
        if out.files.len() + out.unreadable.len() == before {
            return Err(LoadError::NoFiles(display(path)));
        }
    }
    out.files.sort_by_key(|p| display(p));
    out.files.dedup();
    // The same file by two names: the first name in path order stays.
    let mut seen = std::collections::HashSet::new();
    out.files.retain(|p| identity(p).is_none_or(|id| seen.insert(id)));
    if out.files.len() > max_files() {
        return Err(LoadError::TooManyFiles(max_files()));
    }
    Ok(out)
}

/// What a path is, whatever it is called: device and inode (its canonical
/// path elsewhere).
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// One file, indexed, and why it cannot be checked.
fn read_one(path: &Path) -> (SourceFile, Option<String>) {
    let shown = display(path);
    let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_FILE_BYTES);
    let read = if too_big { Err(std::io::Error::other(format!("larger than the limit of {} MiB", MAX_FILE_BYTES >> 20))) } else { std::fs::read(path) };
    let (text, error) = match read {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                (lossy, Some(format!("not valid UTF-8 (invalid byte at offset {valid})")))
            }
        },
        Err(e) if too_big => (String::new(), Some(format!("too large to check: {e}"))),
        Err(e) => (String::new(), Some(format!("cannot be read: {e}"))),
    };
    (SourceFile::new(shown, text), error)
}

/// Reads the project. Unreadable files keep an entry with their error.
pub fn load(paths: &[PathBuf]) -> Result<Loaded, LoadError> {
    let Collected { files, unreadable, notes: walk_notes } = collect(paths)?;
    // Read (and checked as UTF-8) in parallel, one file per task; taken in
    // walk order.
    use rayon::prelude::*;
    let read: Vec<(SourceFile, Option<String>)> = files.par_iter().with_max_len(1).map(|path| read_one(path)).collect();
    let mut sources = SourceMap::default();
    let mut out = Vec::new();
    for (file, error) in read {
        let id = sources.add_file(file);
        out.push((id, error));
    }
    // A folder that could not be read is a part of the project not checked.
    for (path, why) in unreadable {
        let id = sources.add(display(&path), String::new());
        out.push((id, Some(format!("a folder that cannot be read: {why}"))));
    }
    let first = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let config = crate::config::find(&first).and_then(|p| {
        let text = std::fs::read_to_string(&p).ok()?;
        Some(sources.add(display(&p), text))
    });
    Ok(Loaded { sources, files: out, config, walk_notes })
}

/// Writes `bytes` to what `path` names, destroying nothing:
/// - a regular file with one link (or a new file): atomically, through a
///   temporary file in the same folder renamed into place, with the file's
///   mode and owner kept (when the owner cannot be kept, in place instead);
/// - a symbolic link: the file it points to, as above (the link stays);
/// - a file with other hard links: in place, so that every name sees it;
/// - a device, a FIFO or a socket: in place (opened for writing).
///
/// Every error is returned, `ENOSPC` included, naming the path.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let shown = display(path);
    let fail = |e: std::io::Error| format!("cannot write `{shown}`: {e}");
    let target = link_target(path).map_err(fail)?;
    match std::fs::metadata(&target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => replace(&target, bytes, None).map_err(fail),
        Err(e) => Err(fail(e)),
        Ok(m) if m.is_dir() => Err(format!("cannot write `{shown}`: it is a folder")),
        Ok(m) if m.is_file() && links(&m) == 1 => match replace(&target, bytes, Some(&m)) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => in_place(&target, bytes, true).map_err(fail),
            other => other.map_err(fail),
        },
        Ok(m) => in_place(&target, bytes, m.is_file()).map_err(fail),
    }
}

/// The file a path names, following symbolic links (also to a target that
/// does not exist yet).
fn link_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&at)?;
                at = match at.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(at),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

#[cfg(unix)]
fn links(m: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(m)
}

#[cfg(not(unix))]
fn links(_: &std::fs::Metadata) -> u64 {
    1
}

/// Writes into the file itself (truncated first when it is a regular file).
fn in_place(path: &Path, bytes: &[u8], truncate: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).truncate(truncate).open(path)?;
    f.write_all(bytes)?;
    f.flush()?;
    if truncate {
        f.sync_all()?;
    }
    Ok(())
}

/// A temporary file beside `path`, with `existing`'s mode and owner, renamed over it.
fn replace(path: &Path, bytes: &[u8], existing: Option<&std::fs::Metadata>) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    // A new file gets the usual mode (0666 less the umask), not the private
    // mode of temporary files; a rewritten one keeps its own below.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir)?;
    if let Some(m) = existing {
        tmp.as_file().set_permissions(m.permissions())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let mine = tmp.as_file().metadata()?;
            if (mine.uid(), mine.gid()) != (m.uid(), m.gid()) {
                // Only the owner's own process (or root) may give it back.
                std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid()), Some(m.gid()))
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e))?;
            }
        }
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The rest of the project a check of `paths` leaves out: the folder of
/// `sopflow.toml` (or, without one, the folder of the files given), and its
/// `*.sop` files that are not among `paths`. `None` when nothing is left out.
pub fn outside(paths: &[PathBuf]) -> Option<(String, Vec<PathBuf>)> {
    let first = paths.first()?;
    let folder = match crate::config::find(first) {
        Some(config) => config.parent()?.to_path_buf(),
        None if paths.iter().all(|p| p.is_file()) => first.parent()?.to_path_buf(),
        None => return None,
    };
    let folder = if folder.as_os_str().is_empty() { PathBuf::from(".") } else { folder };
    let given: Vec<PathBuf> = collect(paths).ok()?.files.iter().filter_map(|p| std::fs::canonicalize(p).ok()).collect();
    let all = collect(std::slice::from_ref(&folder)).ok()?.files;
    let rest: Vec<PathBuf> = all.into_iter().filter(|p| std::fs::canonicalize(p).is_ok_and(|c| !given.contains(&c))).collect();
    (!rest.is_empty()).then(|| (display(&folder), rest))
}

/// Why a git revision could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    #[error("`{0}` is neither a file or folder nor a git revision of this repository")]
    Unknown(String),
    #[error("cannot run git: {0}")]
    Git(String),
    #[error("no `*.sop` file in revision `{0}` under the current folder")]
    NoFiles(String),
}

/// Reads the `*.sop` files of git revision `rev` under the current folder,
/// from git's objects (nothing is checked out). Each file is named
/// `REV:PATH`, its path relative to the current folder. With `under`, only
/// the files under those paths (relative to the current folder) are read.
pub fn load_revision(rev: &str, under: &[PathBuf]) -> Result<Loaded, RevisionError> {
    use std::io::{BufRead as _, Read as _, Write as _};
    use std::process::{Command, Stdio};
    let git = |args: &[&str]| Command::new("git").args(args).stderr(Stdio::null()).output().map_err(|e| RevisionError::Git(e.to_string()));
    let commit = git(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])?;
    if !commit.status.success() {
        return Err(RevisionError::Unknown(rev.to_string()));
    }
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_string();
    let listed = git(&["ls-tree", "-r", "-z", "--name-only", &commit])?;
    if !listed.status.success() {
        return Err(RevisionError::Git(format!("`git ls-tree {rev}` failed")));
    }
    let mut names: Vec<String> = listed.stdout.split(|b| *b == 0).filter(|n| n.ends_with(b".sop")).map(|n| String::from_utf8_lossy(n).into_owned()).collect();
    let prefixes: Vec<String> =
        under.iter().map(|p| p.to_string_lossy().trim_start_matches("./").trim_end_matches('/').to_string()).filter(|p| !p.is_empty() && p != ".").collect();
    if !prefixes.is_empty() {
        names.retain(|n| prefixes.iter().any(|p| n == p || n.strip_prefix(p.as_str()).is_some_and(|rest| rest.starts_with('/'))));
    }
    names.sort();
    if names.is_empty() {
        return Err(RevisionError::NoFiles(rev.to_string()));
    }
    // Every blob through one `git cat-file --batch`.
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| RevisionError::Git(e.to_string()))?;
    let mut stdin = child.stdin.take().expect("piped");
    let request: String = names.iter().map(|n| format!("{commit}:./{n}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped"));
    let mut sources = SourceMap::default();
    let mut files = Vec::new();
    for name in &names {
        let mut header = String::new();
        out.read_line(&mut header).map_err(|e| RevisionError::Git(e.to_string()))?;
        let size: usize =
            header.split_whitespace().nth(2).and_then(|s| s.parse().ok()).ok_or_else(|| RevisionError::Git(format!("cannot read `{rev}:{name}`")))?;
        let mut blob = vec![0; size + 1];
        out.read_exact(&mut blob).map_err(|e| RevisionError::Git(e.to_string()))?;
        blob.pop();
        let shown = format!("{rev}:{name}");
        let (text, error) = match String::from_utf8(blob) {
            Ok(t) => (t, None),
            Err(_) => (String::new(), Some("not UTF-8 text".to_string())),
        };
        let id = sources.add(shown, text);
        files.push((id, error));
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(Loaded { sources, files, config: None, walk_notes: Vec::new() })
}
