//! Local files and folders (`--logs PATH`, repeatable). Folders are read
//! recursively in name order; gzip is recognised by its magic bytes, not its
//! name, so `.log.gz` from S3 and renamed files both work.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use flate2::read::MultiGzDecoder;

use super::{Kind, Stream};

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
/// counts the bytes read from disk.
pub fn open(path: &Path, progress: Arc<AtomicU64>) -> Result<Stream> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut raw = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: file,
            bytes: progress,
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
    let reader: Box<dyn BufRead + Send> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    Ok(Stream {
        name: path.display().to_string(),
        size,
        reader,
        kind,
    })
}

/// Counts the bytes read from the underlying file, for progress bars.
struct Counting<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
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
