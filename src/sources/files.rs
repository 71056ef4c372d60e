//! Local files and folders (`--logs PATH`, repeatable). Folders are read
//! recursively in name order; gzip is recognised by its magic bytes, not its
//! name, so `.log.gz` from S3 and renamed files both work.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::gzip::Members;
use super::{Kind, Notes, Stream};
use anyhow::{Context, Result, bail};

/// Every file under the given paths, sorted, without duplicates: one file
/// named two ways (`dir` and `./dir`, a symbolic link, a folder and a file in
/// it) is read once, under the first of its names in sort order.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .with_context(|| format!("--logs {}: cannot read it", p.display()))?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, &mut out)?;
            if out.len() == before {
                bail!("--logs {}: the folder holds no files", p.display());
            }
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
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
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Opens a file as a stream of text lines, decompressing gzip. `progress`
/// counts the bytes read from disk. A file that shrinks while it is read
/// (rotated by truncation) ends in an error rather than in silently less
/// evidence; one that grows is read to its new end.
pub fn open(path: &Path, progress: Arc<AtomicU64>) -> Result<Stream> {
    let file = File::open(path).with_context(|| {
        format!(
            "cannot open {} (listed a moment ago: was it moved or deleted?)",
            path.display()
        )
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut raw = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: file,
            bytes: progress,
            read: 0,
            expected: size,
        },
    );
    let head = raw
        .fill_buf()
        .with_context(|| format!("cannot read {}", path.display()))?;
    let kind = if head.starts_with(b"PAR1") {
        Kind::Parquet
    } else {
        Kind::Text
    };
    let name = path.display().to_string();
    let notes = Notes::default();
    let reader: Box<dyn BufRead + Send> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            Members::new(raw, name.clone(), notes.clone()),
        ))
    } else {
        Box::new(raw)
    };
    Ok(Stream {
        name,
        size,
        reader,
        kind,
        notes,
    })
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
        let files = discover(&[d.path().to_path_buf()]).unwrap();
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
        .unwrap();
        assert_eq!(files, vec![logs.join("b.log"), logs.join("sub/a.log")]);
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
