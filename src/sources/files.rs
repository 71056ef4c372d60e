//! Local files and folders (`--logs PATH`, repeatable). Folders are read
//! recursively in name order; gzip and Parquet are recognised by their magic
//! bytes, not their names, so `.log.gz` from S3 and renamed files both work,
//! and a document of CloudWatch Logs events (what the AWS CLI prints) by its
//! first bytes, plain or gzip.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::gzip::Members;
use super::utf16::{self, Utf16};
use super::{Kind, Notes, Stream, events};
use anyhow::{Context, Result, bail};

/// What `--logs` lists: the files to read, and what a folder held that is
/// not a file (a FIFO, a socket, a device), with what it is, to be counted
/// as skipped: reading a FIFO nobody writes to waits for ever.
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<PathBuf>,
    pub not_files: Vec<(PathBuf, &'static str)>,
}

/// Every file under the given paths, sorted, without duplicates: one file
/// named two ways (`dir` and `./dir`, a symbolic link, a folder and a file in
/// it) is read once, under the first of its names in sort order. A path
/// given itself is read whatever it is (`--logs <(zcat ...)` is a pipe);
/// inside a folder only regular files are (and links to them; a link to
/// nothing is listed, and [`open`] names it).
pub fn discover(paths: &[PathBuf]) -> Result<Listing> {
    let mut listing = Listing::default();
    for p in paths {
        let meta = std::fs::metadata(p)
            .with_context(|| format!("--logs {}: cannot read it", p.display()))?;
        if meta.is_dir() {
            let before = (listing.files.len(), listing.not_files.len());
            walk(p, &mut listing)?;
            if listing.files.len() == before.0 && listing.not_files.len() == before.1 {
                bail!("--logs {}: the folder holds no files", p.display());
            }
        } else {
            listing.files.push(p.clone());
        }
    }
    let out = &mut listing.files;
    out.sort();
    out.dedup();
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    listing.not_files.sort();
    listing.not_files.dedup();
    Ok(listing)
}

fn walk(dir: &Path, out: &mut Listing) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list the folder {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot list the folder {}", dir.display()))?;
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, out)?,
            Ok(m) if !m.is_file() => out.not_files.push((p, kind(&m))),
            // A file, or gone (a link to nothing): `open` says which.
            _ => out.files.push(p),
        }
    }
    Ok(())
}

/// What a path that is neither a folder nor a regular file is.
fn kind(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = m;
    "not a regular file"
}

/// Opens a file as a stream of text lines, decompressing gzip. `progress`
/// counts the bytes read from disk. A file that shrinks while it is read
/// (rotated by truncation) ends in an error rather than in silently less
/// evidence; one that grows is read to its new end.
pub fn open(path: &Path, progress: Arc<AtomicU64>) -> Result<Stream> {
    let file = File::open(path).with_context(|| match std::fs::read_link(path) {
        // A link whose target does not exist (or cannot be reached).
        Ok(target) if std::fs::metadata(path).is_err() => format!(
            "cannot open {}: it is a symbolic link to {}, which does not exist (a dangling \
             link): restore its target, or remove the link",
            path.display(),
            target.display()
        ),
        _ => format!(
            "cannot open {} (listed a moment ago: was it moved or deleted?)",
            path.display()
        ),
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let raw = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: file,
            bytes: progress,
            read: 0,
            expected: size,
        },
    );
    let name = path.display().to_string();
    let notes = Notes::default();
    let (reader, kind) =
        typed(raw, &name, &notes).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Stream {
        name,
        size,
        reader,
        kind,
        notes,
    })
}

/// A stream's bytes as what they are, told by their first bytes, whatever
/// the name: gzip (inflated, then told again), UTF-16 text (decoded),
/// Parquet, a document of CloudWatch Logs events, or lines. A local file
/// and an S3 object are told apart alike. The error: the first bytes could
/// not be read.
pub(crate) fn typed<R: BufRead + Send + 'static>(
    mut raw: R,
    name: &str,
    notes: &Notes,
) -> std::io::Result<(Box<dyn BufRead + Send>, Kind)> {
    let head = raw.fill_buf()?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        let members = Members::new(raw, name.to_string(), notes.clone());
        decoded(Box::new(members), name, notes)
    } else if utf16_order(head).is_some() {
        decoded(Box::new(raw), name, notes)
    } else if head.starts_with(b"PAR1") {
        (Box::new(raw), Kind::Parquet)
    } else {
        let kind = text_kind(head);
        (Box::new(raw), kind)
    })
}

/// Whether text starting with `head` is UTF-16 by its byte-order mark,
/// and in which order (`true`: big-endian).
fn utf16_order(head: &[u8]) -> Option<bool> {
    [utf16::LE, utf16::BE]
        .iter()
        .position(|m| head.starts_with(m))
        .map(|i| i == 1)
}

/// A decoded stream (gzip inflated) and what its text is: the decoded first
/// bytes decide, as a plain file's do. UTF-16 (by its byte-order mark,
/// plain or inside gzip) is decoded to UTF-8 first, with a note.
fn decoded(
    inner: Box<dyn Read + Send>,
    name: &str,
    notes: &Notes,
) -> (Box<dyn BufRead + Send>, Kind) {
    let mut decoded = BufReader::with_capacity(256 * 1024, inner);
    match decoded.fill_buf() {
        Ok(head) => {
            if let Some(big_endian) = utf16_order(head) {
                notes.push(format!(
                    "{name}: UTF-16 text (as Windows PowerShell 5.1's > writes it), read as UTF-8"
                ));
                decoded.consume(2);
                return self::decoded(Box::new(Utf16::new(decoded, big_endian)), name, notes);
            }
            let kind = text_kind(head);
            (Box::new(decoded), kind)
        }
        // Broken from its first bytes: the reader of the text meets the
        // error at its first read and reports it at its place.
        Err(e) => (
            Box::new(Replay {
                error: Some(e),
                inner: decoded,
            }),
            Kind::Text,
        ),
    }
}

/// What text (plain, or decoded) starting with `head` is: a document
/// of CloudWatch Logs events, or lines.
fn text_kind(head: &[u8]) -> Kind {
    if events::starts_document(head) {
        Kind::Events
    } else {
        Kind::Text
    }
}

/// A reader whose first read fails with the error that looking at its first
/// bytes met, then reads on: the reader downstream meets the error where it
/// would have met it without the look.
struct Replay<R> {
    error: Option<std::io::Error>,
    inner: R,
}

impl<R: Read> Read for Replay<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.error.take() {
            Some(e) => Err(e),
            None => self.inner.read(buf),
        }
    }
}

impl<R: BufRead> BufRead for Replay<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        match self.error.take() {
            Some(e) => Err(e),
            None => self.inner.fill_buf(),
        }
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
    }
}

/// Counts the bytes read from the underlying file, for progress bars, and
/// checks that the file gave at least the size it had when it was opened.
struct Counting<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
    read: u64,
    expected: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.read < self.expected {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "the file shrank while being read (it ended after {} of its {} bytes): was it rotated or truncated? Read it again once it is complete",
                    self.read, self.expected
                ),
            ));
        }
        self.read += n as u64;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn folders_are_walked_recursively_and_sorted() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("b/c")).unwrap();
        std::fs::write(d.path().join("b/c/z.log"), "x").unwrap();
        std::fs::write(d.path().join("a.log"), "x").unwrap();
        std::fs::write(d.path().join(".hidden"), "x").unwrap();
        let files = discover(&[d.path().to_path_buf()]).unwrap().files;
        let names: Vec<_> = files
            .iter()
            .map(|p| p.strip_prefix(d.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            vec![PathBuf::from("a.log"), PathBuf::from("b/c/z.log")]
        );
    }

    #[test]
    fn one_file_named_two_ways_is_listed_once() {
        let d = tempfile::tempdir().unwrap();
        let logs = d.path().join("logs");
        std::fs::create_dir_all(logs.join("sub")).unwrap();
        std::fs::write(logs.join("sub/a.log"), "x").unwrap();
        std::fs::write(logs.join("b.log"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&logs, d.path().join("zz-link")).unwrap();
        let files = discover(&[
            logs.clone(),
            logs.join("sub/a.log"),
            d.path().join("zz-link"),
        ])
        .unwrap()
        .files;
        assert_eq!(files, vec![logs.join("b.log"), logs.join("sub/a.log")]);
    }

    /// A FIFO or a socket in a folder is listed apart, with what it is
    /// (opening a FIFO nobody writes to waits for ever); a link to nothing
    /// is listed, and opening it names it as a dangling link.
    #[cfg(unix)]
    #[test]
    fn what_is_not_a_file_in_a_folder_is_listed_apart() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.log"), "x").unwrap();
        let fifo = d.path().join("b.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let _socket = std::os::unix::net::UnixListener::bind(d.path().join("c.sock")).unwrap();
        std::os::unix::fs::symlink(d.path().join("gone.log"), d.path().join("d.log")).unwrap();
        let listing = discover(&[d.path().to_path_buf()]).unwrap();
        assert_eq!(
            listing.files,
            vec![d.path().join("a.log"), d.path().join("d.log")]
        );
        assert_eq!(
            listing.not_files,
            vec![
                (fifo, "a FIFO (named pipe)"),
                (d.path().join("c.sock"), "a socket")
            ]
        );
        let e = open(&d.path().join("d.log"), Default::default())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            format!(
                "cannot open {}: it is a symbolic link to {}, which does not exist (a dangling \
                 link): restore its target, or remove the link",
                d.path().join("d.log").display(),
                d.path().join("gone.log").display()
            )
        );
    }

    #[test]
    fn empty_folder_and_missing_path_are_errors_naming_the_path() {
        let d = tempfile::tempdir().unwrap();
        let e = discover(&[d.path().to_path_buf()]).unwrap_err().to_string();
        assert!(e.contains("holds no files"), "{e}");
        let e = discover(&[d.path().join("nope")]).unwrap_err().to_string();
        assert!(e.contains("nope"), "{e}");
    }

    fn lines(n: usize) -> String {
        (0..n)
            .map(|i| format!("2 123456789012 eni-0a1b2c3d 10.0.1.10 10.0.2.20 {} 5432 6 10 840 1764000000 1764000060 ACCEPT OK\n", 30000 + i % 30000))
            .collect()
    }

    #[test]
    fn a_file_truncated_after_it_was_opened_is_an_error_not_less_evidence() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("rotated.log");
        let text = lines(20_000);
        std::fs::write(&p, &text).unwrap();
        let mut s = open(&p, Arc::default()).unwrap();
        // Rotated by truncation while sgpair holds it open.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(text.len() as u64 / 2)
            .unwrap();
        let mut out = Vec::new();
        let err = s.reader.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("shrank while being read"), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("of its {} bytes", text.len())),
            "{err}"
        );
    }

    #[test]
    fn a_file_deleted_while_open_is_still_read_whole() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("gone.log");
        let text = lines(20_000);
        std::fs::write(&p, &text).unwrap();
        let mut s = open(&p, Arc::default()).unwrap();
        std::fs::remove_file(&p).unwrap();
        let mut out = String::new();
        s.reader.read_to_string(&mut out).unwrap();
        assert_eq!(out, text, "the open file outlives its name");
    }

    #[test]
    fn a_file_that_grows_while_open_is_read_to_its_new_end() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("live.log");
        std::fs::write(&p, lines(10)).unwrap();
        let mut s = open(&p, Arc::default()).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(lines(20_000).as_bytes())
            .unwrap();
        let mut out = String::new();
        s.reader.read_to_string(&mut out).unwrap();
        assert_eq!(out.lines().count(), 10 + 20_000);
    }

    /// A document of CloudWatch Logs events is told by its first bytes,
    /// plain or gzip, whatever its name; JSON lines stay text.
    #[test]
    fn a_document_of_events_is_detected_by_content_plain_or_gzip() {
        let d = tempfile::tempdir().unwrap();
        let doc = b"\n{\n    \"events\": [{\"message\": \"2 x\"}]\n}\n";
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(doc).unwrap();
        let lines = b"{\"message\": \"2 x\"}\n";
        let cases: [(&str, Vec<u8>, Kind, &[u8]); 3] = [
            ("events.log", doc.to_vec(), Kind::Events, doc),
            ("events.txt", enc.finish().unwrap(), Kind::Events, doc),
            ("export.json", lines.to_vec(), Kind::Text, lines),
        ];
        for (name, bytes, kind, text) in cases {
            let p = d.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let mut s = open(&p, Arc::default()).unwrap();
            assert_eq!(s.kind, kind, "{name}");
            let mut read = Vec::new();
            s.reader.read_to_end(&mut read).unwrap();
            assert_eq!(read, text, "{name}: read whole after the look");
        }
    }

    /// A gzip file that breaks off before any byte is decoded: looking at
    /// its first bytes meets the error, and its reader's first read gives it.
    #[test]
    fn a_gzip_broken_from_its_start_fails_at_its_first_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("cut.log.gz");
        std::fs::write(&p, [0x1f, 0x8b, 0x08]).unwrap();
        let mut s = open(&p, Arc::default()).unwrap();
        assert_eq!(s.kind, Kind::Text);
        let mut text = Vec::new();
        let err = s.reader.read_to_end(&mut text).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{err}");
        assert!(text.is_empty());
    }

    #[test]
    fn gzip_is_detected_by_content() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("plain-name.txt");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"hello\nworld\n").unwrap();
        std::fs::write(&p, enc.finish().unwrap()).unwrap();
        let mut s = open(&p, Arc::default()).unwrap();
        let mut text = String::new();
        s.reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello\nworld\n");
    }
}
