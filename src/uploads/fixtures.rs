//! Test fixtures built in code: small real documents of every kind (zips written with
//! the `zip` writer, a hand-written PDF) and executables that pretend to be documents.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::zipped::{SHARED_STRINGS, SHEET_MAIN, WORD_MAIN};

/// A zip of `entries`, each deflated, in this order.
pub fn zip<N: AsRef<str>>(entries: &[(N, Vec<u8>)]) -> Vec<u8> {
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip_with(
        entries
            .iter()
            .map(|(n, b)| (n.as_ref(), b.as_slice(), deflated)),
    )
}

fn zip_with<'a>(entries: impl Iterator<Item = (&'a str, &'a [u8], SimpleFileOptions)>) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes, options) in entries {
        writer.start_file(name, options).expect("start entry");
        writer.write_all(bytes).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

/// `[Content_Types].xml` naming the main part of a Word or Excel package.
pub fn content_types(main: &str) -> Vec<u8> {
    let overrides = if main == WORD_MAIN {
        format!(r#"<Override PartName="/word/document.xml" ContentType="{main}"/>"#)
    } else {
        format!(
            r#"<Override PartName="/xl/workbook.xml" ContentType="{main}"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS}"/>"#
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="xml" ContentType="application/xml"/>
{overrides}
</Types>"#
    )
    .into_bytes()
}

/// A Word document whose body (inside `w:body`) is `body`.
pub fn docx(body: &str) -> Vec<u8> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    zip(&[
        ("[Content_Types].xml", content_types(WORD_MAIN)),
        ("_rels/.rels", b"<Relationships/>".to_vec()),
        ("word/document.xml", document.into_bytes()),
    ])
}

/// An Excel workbook whose shared strings are `strings`.
pub fn xlsx(strings: &[&str]) -> Vec<u8> {
    let items: String = strings
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    let shared = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{items}</sst>"#
    );
    zip(&[
        ("[Content_Types].xml", content_types(SHEET_MAIN)),
        ("xl/workbook.xml", b"<workbook/>".to_vec()),
        ("xl/sharedStrings.xml", shared.into_bytes()),
    ])
}

/// An OpenDocument file of `mimetype` whose `office:body` holds `body`; the mimetype
/// entry first and stored, as ODF requires.
pub fn odf(mimetype: &str, body: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body>{body}</office:body></office:document-content>"#
    );
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip_with(
        [
            ("mimetype", mimetype.as_bytes(), stored),
            ("content.xml", content.as_bytes(), deflated),
            ("META-INF/manifest.xml", b"<manifest/>".as_slice(), deflated),
        ]
        .into_iter(),
    )
}

/// A one-page PDF showing `word` in Helvetica, with a correct cross-reference table.
pub fn pdf(word: &str) -> Vec<u8> {
    let stream = format!("BT /F1 24 Tf 20 40 Td ({word}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        table.push_str(&format!("{offset:010} 00000 n \n"));
    }
    pdf.extend_from_slice(table.as_bytes());
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// The first bytes of a PNG: signature and header chunk of a 1×1 image.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
/// The first bytes of a JFIF JPEG.
pub const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
/// The first bytes of a Linux executable.
pub const ELF: &[u8] = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0";
/// The first bytes of a Windows executable, with its DOS stub message.
pub const MZ: &[u8] =
    b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0This program cannot be run in DOS mode.";

/// `zip` with every entry's declared unpacked size (local header and central directory)
/// set to `size`, as a hostile archive might.
pub fn declare_sizes(zip: &[u8], size: u32) -> Vec<u8> {
    let mut bytes = zip.to_vec();
    // (signature, offset of the uncompressed size within that header)
    for (signature, at) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let starts: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| w == signature)
            .map(|(i, _)| i)
            .collect();
        for start in starts {
            bytes[start + at..start + at + 4].copy_from_slice(&size.to_le_bytes());
        }
    }
    bytes
}
