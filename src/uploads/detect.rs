//! What an upload is, judged only by its bytes: the name and the browser's content type
//! are the uploader's word and prove nothing. Whatever is not recognised as one of the
//! accepted kinds — executables, scripts, HTML, SVG, other zips — is refused.

use super::{zipped, FileKind, Refusal};

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_SIGNATURE: &[u8] = b"\xff\xd8\xff";
const ZIP_SIGNATURE: &[u8] = b"PK\x03\x04";
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// How much of a CSV file is looked at for its delimiter, in bytes and records.
const CSV_SAMPLE_BYTES: usize = 64 * 1024;
const CSV_SAMPLE_RECORDS: usize = 50;

/// The kind of the file whose content is `bytes` (read whole, after [`super::check_size`]).
pub fn detect(bytes: &[u8]) -> Result<FileKind, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    // Signatures at the very start only: a document that merely contains one further on
    // (an HTML page with a PDF inside) is not that document.
    if bytes.starts_with(b"%PDF-") {
        return Ok(FileKind::Pdf);
    }
    if bytes.starts_with(PNG_SIGNATURE) && bytes.get(12..16) == Some(b"IHDR") {
        return Ok(FileKind::Png);
    }
    if bytes.starts_with(JPEG_SIGNATURE) {
        return Ok(FileKind::Jpeg);
    }
    if bytes.starts_with(ZIP_SIGNATURE) {
        return zipped::kind_of(bytes);
    }
    if looks_like_csv(bytes) {
        return Ok(FileKind::Csv);
    }
    Err(Refusal::UnknownType)
}

/// UTF-8 text without control characters (but tab and line breaks), not markup or a
/// script, whose first records split into the same number of fields (two or more) at a
/// comma, semicolon (Dutch Excel) or tab.
fn looks_like_csv(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return false;
    }
    let start = text.trim_start();
    // HTML, SVG, XML and PHP start with `<`, scripts with `#!`.
    if start.is_empty() || start.starts_with('<') || start.starts_with("#!") {
        return false;
    }
    let sample = &text[..text.floor_char_boundary(CSV_SAMPLE_BYTES)];
    let whole = sample.len() == text.len();
    [',', ';', '\t'].into_iter().any(|delimiter| {
        let counts = field_counts(sample, delimiter, whole);
        let Some(&first) = counts.first() else {
            return false;
        };
        // Hand-made files have the odd ragged line; most records must agree.
        let agreeing = counts.iter().filter(|&&n| n == first).count();
        first >= 2 && agreeing * 5 >= counts.len() * 4
    })
}

/// The number of fields in each non-blank record of `text`, honouring double quotes (a
/// quoted field may hold delimiters and line breaks). Without `whole`, the last record
/// may be cut short and is left out.
fn field_counts(text: &str, delimiter: char, whole: bool) -> Vec<usize> {
    let mut counts = Vec::new();
    let (mut fields, mut blank, mut quoted) = (1, true, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => {
                if !blank {
                    counts.push(fields);
                    if counts.len() == CSV_SAMPLE_RECORDS {
                        return counts;
                    }
                }
                (fields, blank) = (1, true);
                continue;
            }
            c if c == delimiter && !quoted => fields += 1,
            _ => {}
        }
        if !c.is_whitespace() {
            blank = false;
        }
    }
    if whole && !blank {
        counts.push(fields);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uploads::fixtures;
    use crate::uploads::zipped::WORD_MAIN;

    #[test]
    fn every_kind_is_known_by_its_content() {
        let cases: Vec<(Vec<u8>, FileKind)> =
            vec![
            (fixtures::pdf("hallo"), FileKind::Pdf),
            (fixtures::PNG.to_vec(), FileKind::Png),
            (fixtures::JPEG.to_vec(), FileKind::Jpeg),
            (fixtures::docx("<w:p><w:r><w:t>x</w:t></w:r></w:p>"), FileKind::Docx),
            (fixtures::xlsx(&["x"]), FileKind::Xlsx),
            (
                fixtures::odf("application/vnd.oasis.opendocument.text", ""),
                FileKind::Odt,
            ),
            (
                fixtures::odf("application/vnd.oasis.opendocument.spreadsheet", ""),
                FileKind::Ods,
            ),
            (b"gemeente;inwoners\nAlmere;218096\n".to_vec(), FileKind::Csv),
            (
                "\u{feff}stad,thema\r\n\"Den Bosch, 's-Hertogenbosch\",mobiliteit\r\nEde,energie"
                    .as_bytes()
                    .to_vec(),
                FileKind::Csv,
            ),
            (b"a\tb\tc\n1\t2\t3\n".to_vec(), FileKind::Csv),
        ];
        for (bytes, kind) in cases {
            assert_eq!(detect(&bytes), Ok(kind), "{kind}");
        }
    }

    #[test]
    fn executables_are_refused_whatever_they_are_called() {
        for bytes in [fixtures::ELF, fixtures::MZ, b"\xcf\xfa\xed\xfe\x07\0\0\x01"] {
            assert_eq!(detect(bytes), Err(Refusal::UnknownType));
        }
        assert_eq!(
            detect(b"#!/bin/sh\nrm -rf ~, now\n"),
            Err(Refusal::UnknownType)
        );
        assert_eq!(detect(b""), Err(Refusal::Empty));
    }

    #[test]
    fn markup_is_refused_even_with_commas() {
        for text in [
            "<!DOCTYPE html><html><body>a, b</body></html>",
            "  <svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1, 2)\"/>",
            "<?xml version=\"1.0\"?><svg/>",
        ] {
            assert_eq!(detect(text.as_bytes()), Err(Refusal::UnknownType), "{text}");
        }
    }

    #[test]
    fn text_that_is_not_delimited_or_not_clean_is_no_csv() {
        for bytes in [
            b"just a sentence without any delimiter\n".as_slice(),
            b"Beste Jan,\nHierbij het verslag.\nMet vriendelijke groet\nPiet\n",
            b"a,b\n1,2\0\n",
            b"a,b\n\x1b[31m1,2\n",
            b"a,b\n\xff\xfe,2\n",
            b"\n\n  \n",
        ] {
            assert_eq!(detect(bytes), Err(Refusal::UnknownType), "{bytes:?}");
        }
    }

    #[test]
    fn zips_of_other_kinds_are_refused() {
        let plain = fixtures::zip(&[("readme.txt", b"hello".to_vec())]);
        assert_eq!(detect(&plain), Err(Refusal::UnknownType));
        let epub = fixtures::odf("application/epub+zip", "");
        assert_eq!(detect(&epub), Err(Refusal::UnknownType));
        let macro_word = String::from_utf8(fixtures::content_types(WORD_MAIN))
            .expect("utf-8")
            .replace(
                WORD_MAIN,
                "application/vnd.ms-word.document.macroEnabled.main+xml",
            );
        let docm = fixtures::zip(&[
            ("[Content_Types].xml", macro_word.into_bytes()),
            ("word/document.xml", b"<w:document/>".to_vec()),
        ]);
        assert_eq!(detect(&docm), Err(Refusal::UnknownType));
    }
}
