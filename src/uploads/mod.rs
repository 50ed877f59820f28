//! Toolkit attachments (guides, templates, checklists): what an uploaded file really is,
//! judged by its content; the limits that keep a hostile file harmless; safe names;
//! storage by content hash; text extraction for search. Part of the core: it names no
//! domain area, so any area that takes attachments can use it.
//!
//! The flow of an upload, as the web layer is expected to run it:
//! 1. read the body, stopping after `max + 1` bytes, then [`check_size`];
//! 2. [`detect`] the kind from the bytes (never from the name or the browser's type);
//! 3. [`Store::stage`] the bytes, insert the database row naming [`Staged::hash`], commit
//!    the transaction, then [`Store::commit`] (or [`Store::discard`] when it failed);
//! 4. store [`safe_file_name`] as the name shown, and serve downloads with
//!    [`FileKind::mime`], [`content_disposition`] and `X-Content-Type-Options: nosniff`;
//! 5. later, off the request path, [`extract::text`] for the search index;
//! 6. at start, before serving, [`Store::cleanup`].

mod detect;
pub mod extract;
mod names;
mod store;
mod zipped;

#[cfg(test)]
mod fixtures;

pub use detect::detect;
pub use names::{content_disposition, safe_file_name};
pub use store::{CleanupReport, Staged, Store};

use crate::error::AppError;

/// The largest attachment taken unless configured otherwise: 20 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 20 * MIB;

const MIB: u64 = 1024 * 1024;

crate::slug_enum! {
    /// The kinds of file an attachment may be; anything else is refused.
    pub enum FileKind ("file kind", "invalid_file_kind") {
        Pdf = "pdf",
        Docx = "docx",
        Xlsx = "xlsx",
        Odt = "odt",
        Ods = "ods",
        Csv = "csv",
        Png = "png",
        Jpeg = "jpeg",
    }
}

impl FileKind {
    /// The media type to serve the file with.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Odt => "application/vnd.oasis.opendocument.text",
            FileKind::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            FileKind::Csv => "text/csv; charset=utf-8",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
        }
    }

    /// The usual extension, without the dot; a stored name always ends in it.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpg",
            other => other.slug(),
        }
    }
}

/// Why an upload is not taken. `code()` is stable, for translated messages.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the file is larger than the maximum of {} MiB", mib(*max_bytes))]
    TooLarge { max_bytes: u64 },

    #[error("the file is empty")]
    Empty,

    #[error(
        "this kind of file is not accepted; upload a PDF, Word (.docx), Excel (.xlsx), \
         OpenDocument (.odt, .ods), CSV, PNG or JPEG file"
    )]
    UnknownType,

    /// A container that would unpack to far more than is plausible, or whose entries
    /// turn out larger than they declare.
    #[error("the file unpacks to far more than its size and is refused as a possible zip bomb")]
    ZipBomb,

    #[error("the file is damaged or incomplete")]
    Damaged,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooLarge { .. } => "too_large",
            Refusal::Empty => "empty",
            Refusal::UnknownType => "unknown_type",
            Refusal::ZipBomb => "zip_bomb",
            Refusal::Damaged => "damaged",
        }
    }
}

/// A refused upload is the client's problem: a 400 with the refusal's code.
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        AppError::bad_request(refusal.code(), refusal.to_string())
    }
}

/// Refuses a file of `len` bytes when it is over `max` (see [`DEFAULT_MAX_BYTES`]).
pub fn check_size(len: u64, max: u64) -> Result<(), Refusal> {
    if len > max {
        return Err(Refusal::TooLarge { max_bytes: max });
    }
    Ok(())
}

/// `bytes` in MiB for messages: whole when it is, else with one decimal.
fn mib(bytes: u64) -> String {
    if bytes.is_multiple_of(MIB) {
        (bytes / MIB).to_string()
    } else {
        format!("{:.1}", bytes as f64 / MIB as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_types_and_extensions() {
        assert_eq!(FileKind::Jpeg.extension(), "jpg");
        assert_eq!(FileKind::Docx.extension(), "docx");
        assert_eq!(FileKind::Pdf.mime(), "application/pdf");
        assert_eq!("ods".parse::<FileKind>().ok(), Some(FileKind::Ods));
        for kind in FileKind::ALL {
            assert!(!kind.mime().is_empty() && !kind.extension().is_empty());
        }
    }

    #[test]
    fn sizes_over_the_maximum_are_refused_with_a_stable_code() {
        assert_eq!(check_size(DEFAULT_MAX_BYTES, DEFAULT_MAX_BYTES), Ok(()));
        let refusal = check_size(DEFAULT_MAX_BYTES + 1, DEFAULT_MAX_BYTES).expect_err("over");
        assert_eq!(refusal.code(), "too_large");
        assert!(refusal.to_string().contains("20 MiB"), "{refusal}");
        let half = check_size(MIB, MIB / 2).expect_err("over");
        assert!(half.to_string().contains("0.5 MiB"), "{half}");
        let error = AppError::from(Refusal::ZipBomb);
        assert_eq!(error.code(), "zip_bomb");
    }
}
