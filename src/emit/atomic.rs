//! Every output file is written atomically: a temporary file in the same
//! folder, renamed over the target only when complete. A target that is a
//! symbolic link is written where it points (the link stays); a target that
//! is not a regular file (`/dev/null`, `/dev/stdout`, a named pipe) is
//! written into, never replaced: renaming over it would put a plain file in
//! its place (as root, a plain file at `/dev/null`). A run's outputs are
//! staged together ([`Staged`]) and renamed only once all are written; a
//! rename that fails puts back every file the set had replaced, so a run
//! changes all its outputs or none.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

use crate::usage::UsageError;

/// Writes `contents` to `path` through a temporary file and a rename, so a
/// reader never sees half a file and a failure leaves the old file intact.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let mut staged = Staged::default();
    staged.add(path, contents, "the output")?;
    staged.commit()
}

/// Files put in place together. Each is written whole to a temporary file
/// beside its target as it is added; [`Staged::commit`] then renames them
/// all. Until then no target has changed: a run that fails while writing
/// (a missing folder, a full disk, two outputs naming one file, an output
/// that names a folder) drops its temporary files and leaves every earlier
/// output as it was. A rename can still fail (a file made immutable, a
/// folder created meanwhile): the files renamed before it are then put
/// back as they were.
#[derive(Default)]
pub struct Staged {
    files: Vec<Pending>,
}

/// A file waiting for [`Staged::commit`].
struct Pending {
    /// The file replaced, as the user named it, and the flag that named it.
    shown: PathBuf,
    what: String,
    /// Where it lands: a link's file, a new file's folder made absolute.
    identity: PathBuf,
    how: How,
}

enum How {
    /// Renamed over the target.
    Rename { tmp: NamedTempFile, target: PathBuf },
    /// A device, a pipe, a socket: written into at commit, never replaced
    /// (renaming over it would put a plain file in its place, as root a
    /// plain file at `/dev/null`), and no half file to fear.
    Into(Vec<u8>),
}

impl Staged {
    /// Writes `contents` to a temporary file beside `path`; `what` names
    /// the output in errors (`--report`). Two outputs of one set that land
    /// on the same file are an error: one would silently replace the other.
    pub fn add(&mut self, path: &Path, contents: &[u8], what: &str) -> Result<()> {
        let identity = identity(path);
        if let Some(other) = self.files.iter().find(|f| f.identity == identity) {
            return Err(UsageError(format!(
                "{} and {} both name {}: give each output its own file (nothing was written)",
                other.what,
                what,
                path.display()
            ))
            .into());
        }
        if path.is_dir() {
            return Err(UsageError(format!(
                "{what} names {}, a folder: give a file path (nothing was written)",
                path.display()
            ))
            .into());
        }
        let how = if special(path) {
            How::Into(contents.to_vec())
        } else {
            // A link to a file: the file it names is the output (the link
            // stays).
            let target = if path.is_symlink() {
                std::fs::canonicalize(path)
                    .with_context(|| format!("cannot follow the link {}", path.display()))?
            } else {
                path.to_path_buf()
            };
            How::Rename {
                tmp: temporary(&target, contents)?,
                target,
            }
        };
        self.files.push(Pending {
            shown: path.to_path_buf(),
            what: what.to_string(),
            identity,
            how,
        });
        Ok(())
    }

    /// Where each staged file lands, with the output that names it.
    pub fn targets(&self) -> impl Iterator<Item = (&Path, &Path, &str)> {
        self.files
            .iter()
            .map(|f| (f.identity.as_path(), f.shown.as_path(), f.what.as_str()))
    }

    /// Puts every staged file in place: the renamed ones first, in the
    /// order added, each old file kept aside until all are in place; then
    /// the devices and pipes, which cannot be taken back, are written
    /// into. A rename that fails puts back what the ones before it
    /// replaced (and removes what they created), then reports the failure.
    pub fn commit(self) -> Result<()> {
        let (renamed, into): (Vec<Pending>, Vec<Pending>) = self
            .files
            .into_iter()
            .partition(|f| matches!(f.how, How::Rename { .. }));
        let mut done: Vec<Undo> = Vec::new();
        for f in renamed {
            let How::Rename { tmp, target } = f.how else {
                unreachable!("partitioned")
            };
            let put = keep_aside(&target).and_then(|old| {
                tmp.persist(&target)
                    .map_err(|e| e.error)
                    .with_context(|| {
                        format!(
                            "cannot move the finished file into place at {}",
                            target.display()
                        )
                    })
                    .map(|_| Undo { target, old })
            });
            match put {
                Ok(undo) => done.push(undo),
                Err(e) => return Err(undo_all(done, e)),
            }
        }
        for f in into {
            let How::Into(contents) = f.how else {
                unreachable!("partitioned")
            };
            std::fs::OpenOptions::new()
                .write(true)
                .open(&f.shown)
                .and_then(|mut out| out.write_all(&contents))
                .with_context(|| format!("cannot write {}", f.shown.display()))
                .map_err(|e| undo_all(std::mem::take(&mut done), e))?;
        }
        // Every file is in place: the old ones kept aside go.
        drop(done);
        Ok(())
    }
}

/// A file put in place by [`Staged::commit`], and how to take it back:
/// the old file kept aside, or none when the target was new.
struct Undo {
    target: PathBuf,
    old: Option<tempfile::TempPath>,
}

/// A copy of the file at `target` beside it, to put back if the set fails:
/// a hard link where the file system allows one (no byte copied, the
/// target in place all along), else a copy. `None` when there is no file
/// (or something else, which the rename then fails on).
fn keep_aside(target: &Path) -> Result<Option<tempfile::TempPath>> {
    if !std::fs::symlink_metadata(target).is_ok_and(|m| m.is_file()) {
        return Ok(None);
    }
    let aside = tempfile::Builder::new()
        .prefix(".sgpair-old-")
        .tempfile_in(folder_of(target))
        .with_context(|| {
            format!(
                "cannot keep the old {} aside before replacing it",
                target.display()
            )
        })?
        .into_temp_path();
    // The link replaces the empty file the name was reserved with.
    std::fs::remove_file(&aside)
        .and_then(|()| std::fs::hard_link(target, &aside))
        .or_else(|_| std::fs::copy(target, &aside).map(|_| ()))
        .with_context(|| {
            format!(
                "cannot keep the old {} aside before replacing it",
                target.display()
            )
        })?;
    Ok(Some(aside))
}

/// Takes back the files already put in place, newest first, and returns
/// `error` with what could not be put back.
fn undo_all(done: Vec<Undo>, error: anyhow::Error) -> anyhow::Error {
    let mut failed = Vec::new();
    for u in done.into_iter().rev() {
        let back = match u.old {
            Some(old) => old.persist(&u.target).map_err(|e| e.error),
            None => std::fs::remove_file(&u.target),
        };
        if let Err(e) = back {
            failed.push(format!("{} ({e})", u.target.display()));
        }
    }
    if failed.is_empty() {
        error.context("no output was changed")
    } else {
        error.context(format!(
            "the outputs replaced before it could not all be put back: {}",
            failed.join(", ")
        ))
    }
}

/// The file `path` names, for telling two names of one file apart (see
/// [`resolved`]); the path as given where even that fails.
fn identity(path: &Path) -> PathBuf {
    resolved(path).unwrap_or_else(|| path.to_path_buf())
}

/// `path` made absolute with links followed, for a path that may not exist
/// yet: its nearest existing ancestor's canonical path, then the rest.
pub(crate) fn resolved(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(at) {
            // What does not exist yet is made as named: `..` after such
            // a folder is its parent.
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    std::path::Component::ParentDir => {
                        out.pop();
                    }
                    std::path::Component::CurDir => {}
                    other => out.push(other),
                }
            }
            return Some(out);
        }
        rest.push(at.components().next_back()?);
        at = at.parent()?;
    }
}

/// A device, a pipe, a socket: written into, never replaced (renaming over
/// it would put a plain file in its place), and no half file to fear.
fn special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// `contents` written whole and synced to a temporary file in `path`'s
/// folder, with the mode a plain write of `path` would give.
fn temporary(path: &Path, contents: &[u8]) -> Result<NamedTempFile> {
    let mut tmp = beside(path)?;
    tmp.write_all(contents)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(tmp)
}

/// An empty temporary file in `path`'s folder, with the mode a plain write
/// of `path` would give.
fn beside(path: &Path) -> Result<NamedTempFile> {
    let dir = folder_of(path);
    let tmp = tempfile::Builder::new()
        .prefix(".sgpair-")
        .tempfile_in(dir)
        .with_context(|| {
            format!(
                "cannot create a temporary file in {} to write {}",
                dir.display(),
                path.display()
            )
        })?;
    // The temporary file is created 0600; give it the mode a plain write
    // would: an existing file's own mode, else 0666 less the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = output_mode(path);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(|| {
                format!(
                    "cannot set mode {mode:o} on the temporary file for {}",
                    path.display()
                )
            })?;
    }
    Ok(tmp)
}

/// A file too large to hold, written as it is made: into a temporary file
/// beside its target, put in place by [`Streamed::finish`] (dropped
/// unfinished, it leaves nothing). A device or a pipe (`/dev/stdout`) is
/// written into, as [`write_atomic`] does.
pub struct Streamed {
    path: PathBuf,
    tmp: Option<NamedTempFile>,
}

impl Streamed {
    /// The output at `path`, and the file to write it to.
    pub fn create(path: &Path) -> Result<(Streamed, std::fs::File)> {
        let (tmp, file) = if special(path) {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            (None, file)
        } else {
            let tmp = beside(path)?;
            let file = tmp
                .reopen()
                .with_context(|| format!("cannot write {}", path.display()))?;
            (Some(tmp), file)
        };
        Ok((
            Streamed {
                path: path.to_path_buf(),
                tmp,
            },
            file,
        ))
    }

    /// Puts the written file in place (the caller flushed its writer).
    pub fn finish(self) -> Result<()> {
        let Some(tmp) = self.tmp else {
            return Ok(());
        };
        tmp.as_file()
            .sync_all()
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        tmp.persist(&self.path)
            .map_err(|e| e.error)
            .with_context(|| {
                format!(
                    "cannot move the finished file into place at {}",
                    self.path.display()
                )
            })?;
        Ok(())
    }
}

/// The permission bits an output at `path` gets: those of the file it
/// replaces, or for a new file `0666 & !umask` (what `open(O_CREAT)` gives).
#[cfg(unix)]
fn output_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.permissions().mode() & 0o7777,
        _ => 0o666 & !umask(),
    }
}

/// The process's umask, read without changing it: Linux reports it in
/// `/proc/self/status` (since 4.7). Elsewhere, or when that cannot be read,
/// the usual 022.
#[cfg(unix)]
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| parse_umask(&s))
        .unwrap_or(0o022)
}

/// The `Umask:` line of a `/proc/<pid>/status` text, e.g. `Umask:\t0022`.
#[cfg(unix)]
fn parse_umask(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .map(|m| m & 0o777)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.txt");
        std::fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_target() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("no/such/dir/out.txt");
        let e = format!("{:#}", write_atomic(&p, b"x").unwrap_err());
        assert!(e.contains("out.txt"), "{e}");
    }

    /// Staged files change nothing until committed; dropped, they leave
    /// no temporary file.
    #[test]
    fn staged_files_land_together_or_not_at_all() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a.txt"), d.path().join("b.txt"));
        std::fs::write(&a, "old a").unwrap();
        let mut staged = Staged::default();
        staged.add(&a, b"new a", "--a").unwrap();
        staged.add(&b, b"new b", "--b").unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert!(!b.exists());
        drop(staged);
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        let mut staged = Staged::default();
        staged.add(&a, b"new a", "--a").unwrap();
        staged.add(&b, b"new b", "--b").unwrap();
        staged.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 2);
    }

    /// A rename that fails (here: a folder made at the target after the
    /// set was staged) takes back the files renamed before it: the old
    /// file's content and a new file's absence; nothing is left aside.
    #[test]
    fn a_rename_that_fails_puts_back_the_files_before_it() {
        let d = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            d.path().join("a.txt"),
            d.path().join("b.txt"),
            d.path().join("c.txt"),
        );
        std::fs::write(&a, "old a").unwrap();
        let mut staged = Staged::default();
        staged.add(&a, b"new a", "--a").unwrap();
        staged.add(&b, b"new b", "--b").unwrap();
        staged.add(&c, b"new c", "--c").unwrap();
        std::fs::create_dir(&c).unwrap();
        std::fs::write(c.join("inside"), "x").unwrap();
        let e = format!("{:#}", staged.commit().unwrap_err());
        assert!(
            e.starts_with("no output was changed: cannot move the finished file into place at "),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert!(!b.exists());
        let mut left: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["a.txt", "c.txt"]);
    }

    /// An output that names a folder is refused when staged, before
    /// anything is written.
    #[test]
    fn an_output_naming_a_folder_is_refused_when_staged() {
        let d = tempfile::tempdir().unwrap();
        let mut staged = Staged::default();
        let e = staged
            .add(d.path(), b"x", "--sarif")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--sarif names "), "{e}");
        assert!(
            e.ends_with(", a folder: give a file path (nothing was written)"),
            "{e}"
        );
    }

    /// A streamed file is in place only once finished: dropped before, it
    /// leaves the old file and no temporary one; a device is written into.
    #[test]
    fn a_streamed_file_lands_when_finished_and_not_before() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big.log");
        std::fs::write(&p, "old").unwrap();
        let (out, mut file) = Streamed::create(&p).unwrap();
        file.write_all(b"half").unwrap();
        drop((out, file));
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        let (out, mut file) = Streamed::create(&p).unwrap();
        file.write_all(b"whole").unwrap();
        out.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "whole");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            let (out, mut file) = Streamed::create(Path::new("/dev/null")).unwrap();
            file.write_all(b"discarded").unwrap();
            out.finish().unwrap();
            let m = std::fs::symlink_metadata("/dev/null").unwrap();
            assert!(m.file_type().is_char_device(), "{m:?}");
        }
    }

    /// Two names of one file (here through `.` and a link) are one output.
    #[cfg(unix)]
    #[test]
    fn two_outputs_naming_one_file_are_refused_with_both_flags() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("report.md");
        std::fs::write(&real, "old").unwrap();
        let link = d.path().join("link.md");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut staged = Staged::default();
        staged.add(&real, b"one", "--report").unwrap();
        let e = staged.add(&link, b"two", "--html").unwrap_err().to_string();
        assert!(e.starts_with("--report and --html both name "), "{e}");
        let dotted = d.path().join(".").join("report.md");
        let e = staged
            .add(&dotted, b"three", "--sarif")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--report and --sarif both name "), "{e}");
        drop(staged);
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "old");
    }

    #[cfg(unix)]
    #[test]
    fn the_umask_line_is_read_from_proc_status() {
        let status = "Name:\tsgpair\nUmask:\t0027\nState:\tR (running)\n";
        assert_eq!(parse_umask(status), Some(0o027));
        assert_eq!(parse_umask("Name:\tx\n"), None);
        assert_eq!(parse_umask("Umask:\tbanana\n"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_into_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        write_atomic(Path::new("/dev/null"), b"discarded").unwrap();
        let m = std::fs::symlink_metadata("/dev/null").unwrap();
        assert!(m.file_type().is_char_device(), "{m:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_followed_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.tfvars");
        std::fs::write(&real, "old").unwrap();
        let link = d.path().join("rules.auto.tfvars");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(link.is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.txt");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"new").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640, "{mode:o}");
    }
}
