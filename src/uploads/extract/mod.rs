//! The text of a stored attachment, for the search index. Meant to run off the request
//! path (a job or `web::block`), and unable to take the server down: PDFs are read by
//! poppler's `pdftotext` in a child process with a time, memory and output limit;
//! office files through the bounded zip reader and a streaming XML reader with a cap on
//! what is read and returned; a panic in any extractor becomes [`Extracted::Failed`].

mod pdf;
mod xml;

use std::fs::File;
use std::io::{BufReader, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use pdf::pdftotext_available;

use super::zipped::{self, Container};
use super::{FileKind, MIB};

/// The bounds of one extraction.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The `pdftotext` program: a name looked up on `PATH`, or a path.
    pub pdftotext: PathBuf,
    /// Wall-clock time `pdftotext` may take before it is killed.
    pub timeout: Duration,
    /// Address space `pdftotext` may use (`RLIMIT_AS`).
    pub memory_bytes: u64,
    /// Output of `pdftotext` read at most; it is killed when it writes more.
    pub max_output_bytes: u64,
    /// Text returned at most, for every kind.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            pdftotext: PathBuf::from("pdftotext"),
            timeout: Duration::from_secs(20),
            memory_bytes: 512 * MIB,
            max_output_bytes: 2 * MIB,
            max_text_bytes: MIB as usize,
        }
    }
}

/// The outcome of an extraction. Only `Text` goes into the index; the others say why
/// there is none, for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Extracted {
    /// The text, cut at `max_text_bytes`.
    Text(String),
    /// Kinds without text (images).
    Unsupported,
    /// The tool for this kind is missing (`pdftotext` not installed).
    Unavailable(String),
    /// The file could not be read: damaged, too slow, a bomb, a crash.
    Failed(String),
}

/// Extracts the text of the file of `kind` at `path`, within `limits`.
pub fn text(kind: FileKind, path: &Path, limits: &Limits) -> Extracted {
    guarded(kind, || by_kind(kind, path, limits))
}

/// Runs an extractor, turning a panic into a failure. Nothing outlives a panic here but
/// the text being built, which is dropped, hence `AssertUnwindSafe`.
fn guarded(kind: FileKind, extract: impl FnOnce() -> Extracted) -> Extracted {
    catch_unwind(AssertUnwindSafe(extract)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Extracted::Failed(format!("the {kind} extractor panicked: {message}"))
    })
}

fn by_kind(kind: FileKind, path: &Path, limits: &Limits) -> Extracted {
    let result = match kind {
        FileKind::Png | FileKind::Jpeg => return Extracted::Unsupported,
        FileKind::Pdf => return pdf::text(path, limits),
        FileKind::Csv => csv(path, limits.max_text_bytes),
        FileKind::Docx => office(path, limits.max_text_bytes, |zip| {
            Ok(zip.ooxml_main()?.map(|(_, part)| (part, &xml::WORD)))
        }),
        FileKind::Xlsx => office(path, limits.max_text_bytes, |zip| {
            let part = zip.part_of_type(zipped::SHARED_STRINGS)?;
            Ok(part.map(|part| (part, &xml::SHARED_STRINGS)))
        }),
        FileKind::Odt | FileKind::Ods => office(path, limits.max_text_bytes, |_| {
            Ok(Some(("content.xml".to_owned(), &xml::ODF)))
        }),
    };
    match result {
        Ok(text) => Extracted::Text(text),
        Err(reason) => Extracted::Failed(reason),
    }
}

/// The text of a CSV file: the file itself, without its byte order mark.
fn csv(path: &Path, max: usize) -> Result<String, String> {
    let mut bytes = Vec::new();
    // Three bytes more for a byte order mark.
    File::open(path)
        .and_then(|file| {
            file.take((max as u64).saturating_add(3))
                .read_to_end(&mut bytes)
        })
        .map_err(|e| format!("cannot read the file: {e}"))?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    Ok(cap(&String::from_utf8_lossy(bytes), max))
}

/// The entry holding a document's text and how to read it; `None` when it has no text
/// (a workbook of only numbers has no shared strings).
type TextPart = Option<(String, &'static xml::Dialect)>;

/// The text of the XML part of a zip container that `part` names.
fn office(
    path: &Path,
    max: usize,
    part: impl FnOnce(&mut Container<BufReader<File>>) -> Result<TextPart, super::Refusal>,
) -> Result<String, String> {
    let file = File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let mut zip = Container::open(BufReader::new(file)).map_err(|e| e.to_string())?;
    let Some((name, dialect)) = part(&mut zip).map_err(|e| e.to_string())? else {
        return Ok(String::new());
    };
    let entry = zip
        .entry(&name)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the document has no {name}"))?;
    xml::text(BufReader::new(entry), dialect, max)
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn cap(text: &str, max: usize) -> String {
    text[..text.floor_char_boundary(max)].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uploads::fixtures;

    fn extract(kind: FileKind, bytes: &[u8]) -> Extracted {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("file");
        std::fs::write(&path, bytes).expect("write");
        text(kind, &path, &Limits::default())
    }

    fn extracted_text(kind: FileKind, bytes: &[u8]) -> String {
        match extract(kind, bytes) {
            Extracted::Text(text) => text,
            other => panic!("no text from the {kind}: {other:?}"),
        }
    }

    #[test]
    fn word_documents_give_their_paragraphs() {
        let docx = fixtures::docx(
            "<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr>\
             <w:r><w:t>Slimme</w:t></w:r><w:r><w:t xml:space=\"preserve\"> lantaarnpalen</w:t></w:r></w:p>\
             <w:p><w:r><w:t>Energie &amp; warmte&#x2122;</w:t><w:tab/><w:t>Almere</w:t></w:r></w:p>\
             <w:p><w:r><w:instrText>HYPERLINK</w:instrText><w:delText>weg</w:delText></w:r></w:p>",
        );
        assert_eq!(
            extracted_text(FileKind::Docx, &docx),
            "Slimme lantaarnpalen\nEnergie & warmte™\tAlmere\n\n"
        );
    }

    #[test]
    fn spreadsheets_give_their_strings() {
        let xlsx = fixtures::xlsx(&["Gemeente", "Zwolle", "Deventer"]);
        assert_eq!(
            extracted_text(FileKind::Xlsx, &xlsx),
            "Gemeente\nZwolle\nDeventer\n"
        );
        let ods = fixtures::odf(
            "application/vnd.oasis.opendocument.spreadsheet",
            "<office:spreadsheet><table:table><table:table-row>\
             <table:table-cell><text:p>Helmond</text:p></table:table-cell>\
             <table:table-cell office:value=\"3\"><text:p>3</text:p></table:table-cell>\
             </table:table-row></table:table></office:spreadsheet>",
        );
        assert_eq!(extracted_text(FileKind::Ods, &ods), "Helmond\n3\n");
    }

    #[test]
    fn opendocument_text_gives_headings_and_paragraphs() {
        let odt = fixtures::odf(
            "application/vnd.oasis.opendocument.text",
            "<office:text><text:h>Aanpak</text:h>\
             <text:p>Deel<text:s/><text:span>kennis</text:span><text:line-break/>breed</text:p>\
             </office:text>",
        );
        assert_eq!(
            extracted_text(FileKind::Odt, &odt),
            "Aanpak\nDeel kennis\nbreed\n"
        );
    }

    #[test]
    fn csv_is_its_own_text_and_images_have_none() {
        assert_eq!(
            extracted_text(FileKind::Csv, "\u{feff}stad;thema\nOss;zorg\n".as_bytes()),
            "stad;thema\nOss;zorg\n"
        );
        assert_eq!(
            extract(FileKind::Png, fixtures::PNG),
            Extracted::Unsupported
        );
    }

    #[test]
    fn text_is_capped() {
        let long = "é".repeat(MIB as usize);
        let csv = extracted_text(FileKind::Csv, long.as_bytes());
        assert!(csv.len() <= MIB as usize && csv.len() > MIB as usize - 2);
        let many: Vec<String> = (0..40_000).map(|i| format!("woord{i:05} ")).collect();
        let body: String = many
            .iter()
            .map(|w| format!("<w:p><w:r><w:t>{w}</w:t></w:r></w:p>"))
            .collect();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("long.docx");
        std::fs::write(&path, fixtures::docx(&body)).expect("write");
        let limits = Limits {
            max_text_bytes: 1_000,
            ..Limits::default()
        };
        match text(FileKind::Docx, &path, &limits) {
            Extracted::Text(docx) => assert!(docx.len() <= 1_000 && docx.len() > 900),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn damaged_files_and_bombs_fail_without_harm() {
        let damaged = extract(FileKind::Docx, b"PK\x03\x04 broken");
        assert!(matches!(damaged, Extracted::Failed(_)), "{damaged:?}");
        let honest = fixtures::docx(&"<w:p><w:r><w:t>vol</w:t></w:r></w:p>".repeat(20_000));
        let lying = fixtures::declare_sizes(&honest, 400);
        let bomb = extract(FileKind::Docx, &lying);
        assert!(matches!(bomb, Extracted::Failed(_)), "{bomb:?}");
    }

    #[test]
    fn a_panic_becomes_a_failure() {
        let outcome = guarded(FileKind::Docx, || panic!("malformed beyond belief"));
        assert_eq!(
            outcome,
            Extracted::Failed("the docx extractor panicked: malformed beyond belief".into())
        );
    }
}
