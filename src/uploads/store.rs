//! Attachments on disk, named by the SHA-256 of their content (`uploads/ab/abcd…`): the
//! same file uploaded twice is stored once, and a name can never be a path trick. A file
//! is staged in `tmp/` first and moved into place only after the database row naming it
//! is committed, so a refused or failed upload never leaves a stored file behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::text::hex;

const TMP: &str = "tmp";
const STAGED_SUFFIX: &str = ".part";

/// The attachment files under one directory, normally `<data-dir>/uploads/`.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

/// Bytes written to `tmp/` and synced, waiting for the database: hand it to
/// [`Store::commit`] once the row naming [`Staged::hash`] is committed, or to
/// [`Store::discard`]. Dropped without either, its file is removed.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    hash: String,
    size: u64,
    /// Whether dropping removes the file: no longer once it was handed to a commit.
    owned: bool,
}

/// What [`Store::cleanup`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Staged files of uploads that never got a database row, removed.
    pub staged_removed: usize,
    /// Staged files whose row was committed but that were not moved (a crash in between),
    /// moved into place now.
    pub staged_recovered: usize,
    /// Stored files no row names any more, removed.
    pub unreferenced_removed: usize,
    /// Stored files still named by a row (recovered ones included).
    pub kept: usize,
}

impl Store {
    /// The store at `root`, created if need be.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Store> {
        let root = root.into();
        fs::create_dir_all(root.join(TMP))?;
        Ok(Store { root })
    }

    /// The store of a data directory: `<data_dir>/uploads/`.
    pub fn in_data_dir(data_dir: &Path) -> io::Result<Store> {
        Store::open(data_dir.join("uploads"))
    }

    /// Writes `bytes` to a new file in `tmp/`, synced to disk, with its hash and size.
    pub fn stage(&self, bytes: &[u8]) -> io::Result<Staged> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(io::Error::other)?;
        let staged = Staged {
            path: self
                .root
                .join(TMP)
                .join(format!("{}{STAGED_SUFFIX}", hex(&random))),
            hash: hex(&Sha256::digest(bytes)),
            size: bytes.len() as u64,
            owned: true,
        };
        // Should writing fail, dropping `staged` removes what was written.
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged.path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        Ok(staged)
    }

    /// Moves a staged file to its place by hash; call it after the database commit. When
    /// the content is already stored, the staged copy is simply removed. Should the move
    /// fail, the staged file stays for [`Store::cleanup`] to finish the move at start.
    pub fn commit(&self, mut staged: Staged) -> io::Result<()> {
        staged.owned = false;
        self.place(&staged.path, &staged.hash)
    }

    /// Removes a staged file whose upload did not make it into the database.
    pub fn discard(&self, staged: Staged) {
        drop(staged);
    }

    /// Where the stored file of `hash` is, when `hash` is a SHA-256 in lower-case hex
    /// and such a file is stored; anything else is `None`, so no value reaches the file
    /// system unchecked.
    pub fn path(&self, hash: &str) -> Option<PathBuf> {
        let path = self.stored_path(hash)?;
        path.is_file().then_some(path)
    }

    /// Tidies the store at start, before uploads are taken: every staged file is removed,
    /// except one whose hash `is_referenced` by the database and is not stored yet (its
    /// commit was cut short), which is moved into place; every stored file that is not
    /// referenced is removed. Files of other names are left alone.
    pub fn cleanup(&self, is_referenced: impl Fn(&str) -> bool) -> io::Result<CleanupReport> {
        let mut report = CleanupReport::default();
        for entry in fs::read_dir(self.root.join(TMP))? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let path = entry.path();
            let hash = hash_file(&path)?;
            if is_referenced(&hash) && self.path(&hash).is_none() {
                self.place(&path, &hash)?;
                report.staged_recovered += 1;
            } else {
                fs::remove_file(&path)?;
                report.staged_removed += 1;
            }
        }
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let prefix = entry.file_name();
            let Some(prefix) = prefix.to_str().filter(|p| is_hex(p, 2)) else {
                continue;
            };
            if !entry.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(entry.path())? {
                let file = file?;
                let name = file.file_name();
                let Some(hash) = name
                    .to_str()
                    .filter(|h| is_hex(h, 64) && h.starts_with(prefix))
                else {
                    continue;
                };
                if is_referenced(hash) {
                    report.kept += 1;
                } else {
                    fs::remove_file(file.path())?;
                    report.unreferenced_removed += 1;
                }
            }
            // Fails, as it should, while the directory still holds something.
            let _ = fs::remove_dir(entry.path());
        }
        Ok(report)
    }

    fn stored_path(&self, hash: &str) -> Option<PathBuf> {
        is_hex(hash, 64).then(|| self.root.join(&hash[..2]).join(hash))
    }

    /// Moves the staged file at `from`, whose content hashes to `hash`, into place, and
    /// syncs the directory so the move survives a crash.
    fn place(&self, from: &Path, hash: &str) -> io::Result<()> {
        let target = self
            .stored_path(hash)
            .ok_or_else(|| io::Error::other(format!("not a content hash: {hash:?}")))?;
        let dir = target.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir)?;
        if target.exists() {
            // Same hash, same content: the stored copy serves both.
            return fs::remove_file(from);
        }
        fs::rename(from, &target)?;
        File::open(dir)?.sync_all()
    }
}

impl Staged {
    /// The SHA-256 of the content in lower-case hex: what the database row stores.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.owned {
            // Already gone when writing failed before creating it; a leftover for
            // any other reason goes at the next cleanup.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Whether `text` is `len` lower-case hex digits (upper case would name a second file for
/// the same content on a case-sensitive file system).
fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::in_data_dir(dir.path()).expect("open");
        (dir, store)
    }

    fn staged_files(store: &Store) -> usize {
        fs::read_dir(store.root.join(TMP)).expect("tmp").count()
    }

    #[test]
    fn a_committed_file_is_found_by_its_hash() {
        let (_dir, store) = store();
        let staged = store.stage(b"hallo").expect("stage");
        let hash = staged.hash().to_owned();
        assert_eq!(
            hash,
            "d3751d33f9cd5049c4af2b462735457e4d3baf130bcbb87f389e349fbaeb20b9"
        );
        assert_eq!(staged.size(), 5);
        assert_eq!(store.path(&hash), None, "not before the commit");
        store.commit(staged).expect("commit");
        let path = store.path(&hash).expect("stored");
        assert!(path.ends_with(format!("uploads/d3/{hash}")), "{path:?}");
        assert_eq!(fs::read(path).expect("read"), b"hallo");
        assert_eq!(staged_files(&store), 0);

        // The same content again: one file, the staged copy gone.
        let again = store.stage(b"hallo").expect("stage");
        store.commit(again).expect("commit");
        assert_eq!(staged_files(&store), 0);
    }

    #[test]
    fn discarded_and_dropped_uploads_leave_nothing() {
        let (_dir, store) = store();
        let staged = store.stage(b"refused").expect("stage");
        let hash = staged.hash().to_owned();
        assert_eq!(staged_files(&store), 1);
        store.discard(staged);
        assert_eq!(staged_files(&store), 0);
        assert_eq!(store.path(&hash), None);
        drop(store.stage(b"forgotten").expect("stage"));
        assert_eq!(staged_files(&store), 0);
    }

    #[test]
    fn only_well_formed_hashes_name_a_path() {
        let (_dir, store) = store();
        store
            .commit(store.stage(b"x").expect("stage"))
            .expect("commit");
        for bad in [
            "../../etc/passwd",
            "",
            "tmp",
            &"A".repeat(64),
            &format!("../{}", "a".repeat(61)),
            &"a".repeat(65),
        ] {
            assert_eq!(store.path(bad), None, "{bad}");
        }
    }

    #[test]
    fn cleanup_removes_what_the_database_does_not_name() {
        let (_dir, store) = store();
        let kept = store.stage(b"kept").expect("stage");
        let kept_hash = kept.hash().to_owned();
        store.commit(kept).expect("commit");
        let orphan = store.stage(b"orphan").expect("stage");
        let orphan_hash = orphan.hash().to_owned();
        store.commit(orphan).expect("commit");
        // A crash after the database commit, before the move.
        let cut_short = store.stage(b"cut short").expect("stage");
        let cut_short_hash = cut_short.hash().to_owned();
        std::mem::forget(cut_short);
        // A crash while an upload that got no row was staged.
        std::mem::forget(store.stage(b"never committed").expect("stage"));
        fs::write(store.root.join("README"), "not ours").expect("write");

        let named = [kept_hash.clone(), cut_short_hash.clone()];
        let report = store
            .cleanup(|hash| named.iter().any(|n| n == hash))
            .expect("cleanup");
        assert_eq!(
            report,
            CleanupReport {
                staged_removed: 1,
                staged_recovered: 1,
                unreferenced_removed: 1,
                kept: 2,
            }
        );
        assert!(store.path(&kept_hash).is_some());
        assert!(store.path(&cut_short_hash).is_some());
        assert_eq!(store.path(&orphan_hash), None);
        assert_eq!(staged_files(&store), 0);
        assert!(store.root.join("README").exists());
        assert!(!store.root.join(&orphan_hash[..2]).exists());
    }
}
