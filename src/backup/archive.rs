//! The archive file: a tar stream, gzip-compressed unless the name ends in `.tar`,
//! written to `FILE.partial` and renamed only when complete and on disk, so a failed
//! backup never leaves a file that looks like one; read back with every entry's size
//! and SHA-256 checked against the manifest.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use super::manifest::{self, FileEntry, Manifest};
use crate::text::hex;

/// A manifest line is about 150 bytes, so this allows over a million uploads, while a
/// damaged header cannot make a restore read gigabytes into memory.
const MANIFEST_LIMIT: u64 = 256 * 1024 * 1024;

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// The bytes read and their SHA-256.
    fn finish(self) -> (u64, String) {
        (self.count, hex(&self.hasher.finalize()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// The manifest entry of a file on disk: its size and SHA-256 as it is now.
pub fn describe(archive_path: String, source: &Path) -> Result<FileEntry, String> {
    let mut reader = Hashing::new(
        File::open(source).map_err(|e| format!("cannot read {}: {e}", source.display()))?,
    );
    io::copy(&mut reader, &mut io::sink())
        .map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    let (size, sha256) = reader.finish();
    Ok(FileEntry {
        path: archive_path,
        size,
        sha256,
    })
}

/// `path` with `suffix` added to its name (`x.tar.gz` → `x.tar.gz.partial`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Makes a rename or a new file in `dir` durable: on Linux that takes a sync of the
/// directory itself.
pub fn sync_dir(dir: &Path) -> Result<(), String> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", dir.display()))
}

enum Sink {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

impl Sink {
    /// Ends the compressed stream and hands back the file, everything written to it.
    fn finish(self) -> io::Result<File> {
        let buffered = match self {
            Sink::Plain(w) => w,
            Sink::Gzip(w) => w.finish()?,
        };
        buffered.into_inner().map_err(|e| e.into_error())
    }
}

/// An archive being written to `FILE.partial`; removed if dropped before [`commit`].
///
/// [`commit`]: Writer::commit
pub struct Writer {
    target: PathBuf,
    partial: PathBuf,
    tar: Option<tar::Builder<Sink>>,
    /// The entries' modification time: when the backup was made.
    mtime: u64,
    /// Renamed to its final name: nothing to clean up.
    committed: bool,
}

impl Writer {
    pub fn create(target: &Path) -> Result<Self, String> {
        let partial = with_suffix(target, ".partial");
        let file = File::create(&partial)
            .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        let plain = target.extension().is_some_and(|e| e == "tar");
        let sink = if plain {
            Sink::Plain(BufWriter::new(file))
        } else {
            Sink::Gzip(GzEncoder::new(
                BufWriter::new(file),
                flate2::Compression::default(),
            ))
        };
        Ok(Writer {
            target: target.to_owned(),
            tar: Some(tar::Builder::new(sink)),
            partial,
            mtime: chrono::Utc::now().timestamp().max(0).unsigned_abs(),
            committed: false,
        })
    }

    fn append(&mut self, path: &str, size: u64, data: &mut dyn Read) -> Result<(), String> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        let tar = self
            .tar
            .as_mut()
            .ok_or_else(|| "the archive is already closed".to_owned())?;
        tar.append_data(&mut header, path, data)
            .map_err(|e| format!("cannot write {}: {e}", self.partial.display()))
    }

    /// Adds the manifest, as the first entry.
    pub fn add_manifest(&mut self, manifest: &Manifest) -> Result<(), String> {
        let json = manifest.to_json()?;
        self.append(manifest::NAME, json.len() as u64, &mut json.as_slice())
    }

    /// Adds the file at `source` as `entry` describes it. The content is hashed again on
    /// the way in: a file that changed since it was described fails the backup rather
    /// than giving an archive that contradicts its manifest.
    pub fn add_file(&mut self, source: &Path, entry: &FileEntry) -> Result<(), String> {
        let file =
            File::open(source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        // At most the described size: a tar entry must be exactly as long as its header says.
        let mut reader = Hashing::new(file.take(entry.size));
        self.append(&entry.path, entry.size, &mut reader)?;
        if reader.finish() != (entry.size, entry.sha256.clone()) {
            return Err(format!(
                "{} changed while it was being backed up; run the backup again",
                source.display()
            ));
        }
        Ok(())
    }

    /// Ends the archive, puts it on disk and gives it its name; returns its size.
    pub fn commit(mut self) -> Result<u64, String> {
        let failed = |e: io::Error| format!("cannot write {}: {e}", self.partial.display());
        let tar = self
            .tar
            .take()
            .ok_or_else(|| "the archive is already closed".to_owned())?;
        let file = tar.into_inner().and_then(Sink::finish).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        let size = file.metadata().map_err(failed)?.len();
        fs::rename(&self.partial, &self.target).map_err(|e| {
            format!(
                "cannot rename {} to {}: {e}",
                self.partial.display(),
                self.target.display()
            )
        })?;
        self.committed = true;
        sync_dir(self.target.parent().unwrap_or(Path::new(".")))?;
        Ok(size)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Not committed (an error on the way): no half-written archive stays behind.
        if !self.committed {
            let _ = fs::remove_file(&self.partial);
        }
    }
}

fn damaged(file: &Path, e: impl std::fmt::Display) -> String {
    format!(
        "{} is damaged or not a stadsmaat backup: {e}",
        file.display()
    )
}

/// Opens an archive, compressed or not (told by gzip's magic bytes, not the name).
fn open(file: &Path) -> Result<tar::Archive<Box<dyn Read>>, String> {
    let mut reader = BufReader::new(
        File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?,
    );
    let gzip = reader
        .fill_buf()
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?
        .starts_with(&[0x1f, 0x8b]);
    let stream: Box<dyn Read> = if gzip {
        Box::new(GzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    Ok(tar::Archive::new(stream))
}

/// Opens the archive and reads its manifest, the first entry; `rest` gets it and the
/// entries after it.
fn read<T>(
    file: &Path,
    rest: impl FnOnce(Manifest, tar::Entries<'_, Box<dyn Read>>) -> Result<T, String>,
) -> Result<T, String> {
    let mut archive = open(file)?;
    let mut entries = archive.entries().map_err(|e| damaged(file, e))?;
    let first = entries
        .next()
        .ok_or_else(|| damaged(file, "it is empty"))?
        .map_err(|e| damaged(file, e))?;
    let manifest = manifest_of(file, first)?;
    rest(manifest, entries)
}

/// Reads the manifest without reading further.
pub fn read_manifest(file: &Path) -> Result<Manifest, String> {
    read(file, |manifest, _| Ok(manifest))
}

fn manifest_of(file: &Path, entry: tar::Entry<'_, Box<dyn Read>>) -> Result<Manifest, String> {
    let name = entry.path().map_err(|e| damaged(file, e))?;
    if name != Path::new(manifest::NAME) {
        return Err(damaged(
            file,
            format!(
                "it starts with {} instead of {}",
                name.display(),
                manifest::NAME
            ),
        ));
    }
    let mut json = Vec::new();
    entry
        .take(MANIFEST_LIMIT)
        .read_to_end(&mut json)
        .map_err(|e| damaged(file, e))?;
    Manifest::parse(&json).map_err(|why| damaged(file, why))
}

/// Extracts every file the manifest lists into the directory `into` (which must be
/// empty), each checked against its size and SHA-256 as it is written and synced to
/// disk. Anything the manifest does not list, or lists but the archive lacks, fails it.
pub fn extract(file: &Path, manifest: &Manifest, into: &Path) -> Result<(), String> {
    read(file, |found, entries| {
        // Read a second time: it must be the manifest the caller decided on.
        if found != *manifest {
            return Err(damaged(file, "its manifest changed while it was read"));
        }
        extract_entries(file, manifest, entries, into)
    })
}

fn extract_entries(
    file: &Path,
    manifest: &Manifest,
    entries: tar::Entries<'_, Box<dyn Read>>,
    into: &Path,
) -> Result<(), String> {
    let mut expected: BTreeMap<&str, &FileEntry> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    for entry in entries {
        let entry = entry.map_err(|e| damaged(file, e))?;
        let path = entry.path().map_err(|e| damaged(file, e))?;
        let path = path
            .to_str()
            .ok_or_else(|| damaged(file, format!("the entry name {path:?} is not UTF-8")))?
            .to_owned();
        manifest::check_path(&path).map_err(|why| damaged(file, why))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(damaged(
                file,
                format!(
                    "{path} is a {:?} entry, not a file",
                    entry.header().entry_type()
                ),
            ));
        }
        let described = expected.remove(path.as_str()).ok_or_else(|| {
            damaged(
                file,
                format!("{path} is in the archive but not (or twice) in its manifest"),
            )
        })?;
        let destination = into.join(&path);
        if let Some(parent) = destination.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let written = |e: io::Error| format!("cannot write {}: {e}", destination.display());
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&destination)
            .map_err(written)?;
        let mut reader = Hashing::new(entry);
        io::copy(&mut reader, &mut out).map_err(|e| damaged(file, e))?;
        out.sync_all().map_err(written)?;
        let (size, sha256) = reader.finish();
        if size != described.size || sha256 != described.sha256 {
            return Err(damaged(
                file,
                format!(
                    "{path} does not match its manifest ({size} bytes, SHA-256 {sha256}; \
                     expected {} bytes, {})",
                    described.size, described.sha256
                ),
            ));
        }
    }
    match expected.into_keys().next() {
        Some(missing) => Err(damaged(
            file,
            format!("{missing} is in its manifest but not in the archive"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::manifest::ArchivedBackend;

    fn write_archive(dir: &Path, name: &str, content: &[u8]) -> (PathBuf, Manifest) {
        let source = dir.join("source");
        fs::write(&source, content).expect("source");
        let entry = describe("uploads/ab/abc".to_owned(), &source).expect("describe");
        let manifest = Manifest::new(ArchivedBackend::Postgres, vec![entry.clone()], [].into());
        let target = dir.join(name);
        let mut writer = Writer::create(&target).expect("create");
        writer.add_manifest(&manifest).expect("manifest");
        writer.add_file(&source, &entry).expect("file");
        writer.commit().expect("commit");
        (target, manifest)
    }

    #[test]
    fn round_trip_compressed_and_plain() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["a.tar.gz", "a.tar"] {
            let (target, manifest) = write_archive(dir.path(), name, b"inhoud");
            assert!(!with_suffix(&target, ".partial").exists());
            assert_eq!(read_manifest(&target).expect("manifest"), manifest);
            let into = dir.path().join(format!("{name}.out"));
            fs::create_dir(&into).expect("out");
            extract(&target, &manifest, &into).expect("extract");
            assert_eq!(
                fs::read(into.join("uploads/ab/abc")).expect("read"),
                b"inhoud"
            );
        }
    }

    #[test]
    fn a_changed_byte_is_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (target, manifest) = write_archive(dir.path(), "a.tar", b"inhoud van het bestand");
        let mut bytes = fs::read(&target).expect("read");
        let at = bytes
            .windows(6)
            .position(|w| w == b"inhoud")
            .expect("content");
        bytes[at] ^= 0xff;
        fs::write(&target, bytes).expect("write");
        let into = dir.path().join("out");
        fs::create_dir(&into).expect("out");
        let why = extract(&target, &manifest, &into).expect_err("damaged");
        assert!(why.contains("does not match its manifest"), "{why}");
    }

    /// Entry names a backup never writes — absolute, climbing out, not in the manifest —
    /// are refused before anything is written for them.
    #[test]
    fn path_tricks_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let content = b"boos";
        let listed = FileEntry {
            path: "uploads/x".to_owned(),
            size: content.len() as u64,
            sha256: hex(&Sha256::digest(content)),
        };
        let manifest = Manifest::new(ArchivedBackend::Postgres, vec![listed], [].into());
        for name in [
            "/tmp/stadsmaat-evil",
            "../evil",
            "uploads/../../evil",
            "instance-id",
        ] {
            let target = dir.path().join("trick.tar");
            let mut writer = Writer::create(&target).expect("create");
            writer.add_manifest(&manifest).expect("manifest");
            // Written raw: the tar crate itself refuses such names on the way in.
            let mut header = tar::Header::new_old();
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_size(content.len() as u64);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            let tar = writer.tar.as_mut().expect("open");
            tar.append(&header, &content[..]).expect("append");
            writer.commit().expect("commit");
            let into = dir.path().join("out");
            fs::create_dir(&into).expect("out");
            let why = extract(&target, &manifest, &into).expect_err(name);
            assert!(why.contains("not a path a stadsmaat backup holds"), "{why}");
            assert!(!dir.path().join("evil").exists() && !Path::new(name).exists());
            fs::remove_dir_all(&into).expect("clean");
        }
    }

    #[test]
    fn a_file_that_changes_fails_the_backup_and_leaves_no_archive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = dir.path().join("source");
        fs::write(&source, b"eerst").expect("source");
        let entry = describe("uploads/x".to_owned(), &source).expect("describe");
        fs::write(&source, b"later").expect("change");
        let target = dir.path().join("b.tar.gz");
        let mut writer = Writer::create(&target).expect("create");
        let why = writer.add_file(&source, &entry).expect_err("changed");
        assert!(
            why.contains("changed while it was being backed up"),
            "{why}"
        );
        drop(writer);
        assert!(!target.exists());
        assert!(!with_suffix(&target, ".partial").exists());

        // A target that cannot take the name (a directory): the partial file goes too.
        fs::create_dir(&target).expect("dir");
        let writer = Writer::create(&target).expect("create");
        assert!(writer.commit().is_err());
        assert!(!with_suffix(&target, ".partial").exists());
    }
}
