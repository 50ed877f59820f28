//! Zip containers (OOXML, ODF) opened with bounds: the central directory is checked for
//! zip bombs before anything is inflated, and every entry is read through a limit of its
//! declared size, so an archive that lies about its sizes is caught while reading.

use std::io::{self, Read, Seek, SeekFrom};

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use zip::result::ZipError;
use zip::ZipArchive;

use super::{FileKind, Refusal, MIB};

/// More entries than any real document has.
pub const MAX_ENTRIES: usize = 2_000;
/// The most all entries together may unpack to.
pub const MAX_TOTAL_UNPACKED: u64 = 200 * MIB;
/// An entry over [`RATIO_CHECKED_ABOVE`] that packs better than this is a bomb: XML
/// compresses some 5 to 20 times, a run of zeros a thousand times.
pub const MAX_RATIO: u64 = 100;
pub const RATIO_CHECKED_ABOVE: u64 = MIB;

/// `[Content_Types].xml` and `mimetype` are small; more is not read.
const MANIFEST_CAP: u64 = MIB;

pub const WORD_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
pub const SHEET_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
pub const SHARED_STRINGS: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml";
const ODF_TEXT: &str = "application/vnd.oasis.opendocument.text";
const ODF_SPREADSHEET: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// The kind of a zip upload: a Word or Excel document, an OpenDocument text or
/// spreadsheet; any other zip is of an unknown type.
pub fn kind_of(bytes: &[u8]) -> Result<FileKind, Refusal> {
    let mut container = Container::open(io::Cursor::new(bytes))?;
    if let Some(kind) = container.odf_kind()? {
        return Ok(kind);
    }
    match container.ooxml_main()? {
        Some((kind, _)) => Ok(kind),
        None => Err(Refusal::UnknownType),
    }
}

/// An archive whose central directory passed the bomb checks.
pub struct Container<R> {
    archive: ZipArchive<R>,
}

impl<R: Read + Seek> Container<R> {
    pub fn open(mut reader: R) -> Result<Self, Refusal> {
        let len = reader
            .seek(SeekFrom::End(0))
            .map_err(|_| Refusal::Damaged)?;
        reader.rewind().map_err(|_| Refusal::Damaged)?;
        let archive = ZipArchive::new(reader).map_err(|_| Refusal::Damaged)?;
        if archive.len() > MAX_ENTRIES {
            return Err(Refusal::ZipBomb);
        }
        // Two entries of one name are read differently by different programs.
        if archive.has_duplicate_names() {
            return Err(Refusal::Damaged);
        }
        let directory = archive.metadata();
        let mut total: u64 = 0;
        for index in 0..directory.len() {
            let entry = directory.entry(index).map_err(|_| Refusal::Damaged)?;
            let (unpacked, packed) = (entry.size(), entry.compressed_size());
            if packed > len {
                return Err(Refusal::Damaged);
            }
            total = total.saturating_add(unpacked);
            let ratio_too_high =
                unpacked > RATIO_CHECKED_ABOVE && unpacked > packed.saturating_mul(MAX_RATIO);
            if total > MAX_TOTAL_UNPACKED || ratio_too_high {
                return Err(Refusal::ZipBomb);
            }
        }
        Ok(Container { archive })
    }

    /// A reader over entry `name` (`None` when there is none) that inflates at most one
    /// byte more than the entry declares and fails with [`Refusal::ZipBomb`] on it.
    pub fn entry(&mut self, name: &str) -> Result<Option<impl Read + '_>, Refusal> {
        let file = match self.archive.by_name(name) {
            Ok(file) => file,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(_) => return Err(Refusal::Damaged),
        };
        let declared = file.size();
        Ok(Some(Declared {
            inner: file.take(declared.saturating_add(1)),
            left: declared,
        }))
    }

    /// Entry `name` read whole, but never more than `cap` bytes of it.
    pub fn read(&mut self, name: &str, cap: u64) -> Result<Option<Vec<u8>>, Refusal> {
        let Some(entry) = self.entry(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        entry
            .take(cap)
            .read_to_end(&mut bytes)
            .map_err(|e| refusal_of(&e))?;
        Ok(Some(bytes))
    }

    /// ODF puts a stored `mimetype` entry first, naming the kind of document.
    fn odf_kind(&mut self) -> Result<Option<FileKind>, Refusal> {
        let first = self.archive.name_for_index(0).and_then(Result::ok);
        if first.as_deref() != Some("mimetype") {
            return Ok(None);
        }
        let bytes = self.read("mimetype", MANIFEST_CAP)?.unwrap_or_default();
        let kind = match std::str::from_utf8(&bytes).map(str::trim) {
            Ok(ODF_TEXT) => FileKind::Odt,
            Ok(ODF_SPREADSHEET) => FileKind::Ods,
            _ => return Ok(None),
        };
        // Both kinds keep their body there; without it there is nothing to open.
        if self.archive.index_for_name("content.xml").is_none() {
            return Err(Refusal::Damaged);
        }
        Ok(Some(kind))
    }

    /// An OOXML package's kind and main part (`word/document.xml`), as named by the
    /// content type of a part in `[Content_Types].xml`.
    pub fn ooxml_main(&mut self) -> Result<Option<(FileKind, String)>, Refusal> {
        for (part, content_type) in self.content_types()? {
            let kind = match content_type.as_str() {
                WORD_MAIN => FileKind::Docx,
                SHEET_MAIN => FileKind::Xlsx,
                _ => continue,
            };
            if self.archive.index_for_name(&part).is_none() {
                return Err(Refusal::Damaged);
            }
            return Ok(Some((kind, part)));
        }
        Ok(None)
    }

    /// The first part of an OOXML package with `content_type`.
    pub fn part_of_type(&mut self, content_type: &str) -> Result<Option<String>, Refusal> {
        Ok(self
            .content_types()?
            .into_iter()
            .find(|(_, t)| t == content_type)
            .map(|(part, _)| part))
    }

    /// The `Override` entries of `[Content_Types].xml`: part name (as a zip entry name,
    /// without the leading `/`) and content type. Empty when there is no such file.
    fn content_types(&mut self) -> Result<Vec<(String, String)>, Refusal> {
        let Some(bytes) = self.read("[Content_Types].xml", MANIFEST_CAP)? else {
            return Ok(Vec::new());
        };
        let mut reader = Reader::from_reader(bytes.as_slice());
        let mut buf = Vec::new();
        let mut parts = Vec::new();
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(Event::Empty(e) | Event::Start(e)) if e.local_name().as_ref() == "Override" => {
                    let value = |name: &str| -> Option<String> {
                        let attribute = e.try_get_attribute(name).ok()??;
                        Some(
                            attribute
                                .normalized_value(XmlVersion::Implicit1_0)
                                .ok()?
                                .into_owned(),
                        )
                    };
                    if let (Some(part), Some(content_type)) =
                        (value("PartName"), value("ContentType"))
                    {
                        parts.push((part.trim_start_matches('/').to_owned(), content_type));
                    }
                }
                Ok(Event::Eof) => return Ok(parts),
                Ok(_) => {}
                Err(_) => return Err(Refusal::Damaged),
            }
            buf.clear();
        }
    }
}

/// Reads an entry and fails as soon as it yields more than it declared.
struct Declared<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Declared<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self
            .left
            .checked_sub(n as u64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, Refusal::ZipBomb))?;
        Ok(n)
    }
}

/// The refusal behind a read error: a bomb found while reading, else damage.
pub fn refusal_of(error: &io::Error) -> Refusal {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Refusal>())
        .cloned()
        .unwrap_or(Refusal::Damaged)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::uploads::fixtures;

    /// [`kind_of`], which must answer from the directory, without inflating anything big.
    fn kind_of_quickly(bytes: &[u8]) -> Result<FileKind, Refusal> {
        let started = Instant::now();
        let kind = kind_of(bytes);
        assert!(
            started.elapsed().as_millis() < 500,
            "{:?}",
            started.elapsed()
        );
        kind
    }

    #[test]
    fn a_docx_that_inflates_fifty_mib_of_zeros_is_refused_from_its_directory() {
        let bomb = fixtures::zip(&[
            ("[Content_Types].xml", fixtures::content_types(WORD_MAIN)),
            ("word/document.xml", vec![0; 50 * MIB as usize]),
        ]);
        assert!(bomb.len() < 200_000, "packed to {} bytes", bomb.len());
        assert_eq!(kind_of_quickly(&bomb), Err(Refusal::ZipBomb));
    }

    #[test]
    fn a_bomb_nested_inside_a_document_is_never_opened() {
        let inner = fixtures::zip(&[("zeros", vec![0; 50 * MIB as usize])]);
        let docx = fixtures::zip(&[
            ("[Content_Types].xml", fixtures::content_types(WORD_MAIN)),
            ("word/document.xml", b"<w:document/>".to_vec()),
            ("word/embeddings/package.zip", inner),
        ]);
        assert_eq!(kind_of_quickly(&docx), Ok(FileKind::Docx));
    }

    #[test]
    fn many_entries_or_many_small_ones_adding_up_are_refused() {
        let many: Vec<(String, Vec<u8>)> = (0..=MAX_ENTRIES)
            .map(|i| (format!("word/media/{i}.xml"), b"<a/>".to_vec()))
            .collect();
        assert_eq!(kind_of(&fixtures::zip(&many)), Err(Refusal::ZipBomb));

        // Each entry stays at the ratio limit; together they pass the total.
        let chunk = vec![b'a'; RATIO_CHECKED_ABOVE as usize];
        let entries = (MAX_TOTAL_UNPACKED / RATIO_CHECKED_ABOVE) as usize + 1;
        let flat: Vec<(String, Vec<u8>)> = (0..entries)
            .map(|i| (format!("word/part{i}.xml"), chunk.clone()))
            .collect();
        assert_eq!(kind_of(&fixtures::zip(&flat)), Err(Refusal::ZipBomb));
    }

    #[test]
    fn an_entry_larger_than_it_declares_is_stopped_while_reading() {
        let honest = fixtures::zip(&[("big.xml", vec![b'x'; 300_000])]);
        let lying = fixtures::declare_sizes(&honest, 1_000);
        let mut container = Container::open(io::Cursor::new(lying)).expect("open");
        let result = container.read("big.xml", u64::MAX);
        // zip 9 checks declared sizes too and stops first, with an error that reads as
        // damage; `Declared` holds should a version not.
        assert!(
            matches!(result, Err(Refusal::ZipBomb | Refusal::Damaged)),
            "{result:?}"
        );
        let mut declared = Declared {
            inner: io::Cursor::new(vec![0; 10]).take(6),
            left: 5,
        };
        let error = declared.read_to_end(&mut Vec::new()).expect_err("too long");
        assert_eq!(refusal_of(&error), Refusal::ZipBomb);
    }

    #[test]
    fn a_part_named_in_content_types_must_be_there() {
        let hollow = fixtures::zip(&[("[Content_Types].xml", fixtures::content_types(WORD_MAIN))]);
        assert_eq!(kind_of(&hollow), Err(Refusal::Damaged));
        assert_eq!(kind_of(b"PK\x03\x04 not really"), Err(Refusal::Damaged));
    }
}
