//! The readable text of an office XML part (a Word body, Excel's shared strings, an
//! OpenDocument body), read as a stream: no tree is built, at most [`MAX_XML_BYTES`] are
//! read, and reading stops once the text reaches its cap. Entities other than XML's own
//! are never expanded, so no entity bomb applies.

use std::io::BufRead;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::uploads::MIB;

/// The most of one part that is read; real bodies are a few MiB.
const MAX_XML_BYTES: u64 = 32 * MIB;

/// Which elements (by local name, whatever their prefix) matter in one vocabulary.
pub struct Dialect {
    /// Text counts only inside these.
    text_in: &'static [&'static str],
    /// These end a line: paragraphs, cells, string items.
    blocks: &'static [&'static str],
    tabs: &'static [&'static str],
    breaks: &'static [&'static str],
    spaces: &'static [&'static str],
    /// Nothing inside these counts (properties, alternative renderings, phonetics).
    skip: &'static [&'static str],
}

/// WordprocessingML: runs' `w:t` in paragraphs `w:p`; field codes (`w:instrText`) and
/// deleted text (`w:delText`) have other names and are left out.
pub const WORD: Dialect = Dialect {
    text_in: &["t"],
    blocks: &["p"],
    tabs: &["tab"],
    breaks: &["br", "cr"],
    spaces: &[],
    // Paragraph properties hold tab stops named `w:tab`; a `mc:Fallback` repeats the text
    // of its `mc:Choice`.
    skip: &["pPr", "Fallback"],
};

/// SpreadsheetML shared strings: one `si` a string, its text in `t` (also in rich-text
/// runs), but not the phonetic reading `rPh`.
pub const SHARED_STRINGS: Dialect = Dialect {
    text_in: &["t"],
    blocks: &["si"],
    tabs: &[],
    breaks: &[],
    spaces: &[],
    skip: &["rPh"],
};

/// OpenDocument text and spreadsheets: paragraphs and headings (`text:p`, `text:h`, also
/// in table cells) with their spans.
pub const ODF: Dialect = Dialect {
    text_in: &["p", "h"],
    blocks: &["p", "h"],
    tabs: &["tab"],
    breaks: &["line-break"],
    spaces: &["s"],
    skip: &[],
};

/// The text of the XML in `input`, at most `max` bytes. A document cut short or broken
/// after some text gives that text; one that cannot be read at all, or whose reading
/// fails (a zip entry larger than it declared), fails.
pub fn text(input: impl BufRead, dialect: &Dialect, max: usize) -> Result<String, String> {
    let mut reader = Reader::from_reader(input.take(MAX_XML_BYTES));
    let mut out = String::new();
    let (mut inside, mut skipping) = (0usize, 0usize);
    let mut buf = Vec::new();
    while out.len() < max {
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(quick_xml::Error::Io(e)) => return Err(format!("cannot read the document: {e}")),
            Err(_) if !out.is_empty() => break,
            Err(e) => return Err(format!("the document is not readable XML: {e}")),
        };
        let counts = inside > 0 && skipping == 0;
        match event {
            Event::Start(e) => {
                let name = e.local_name();
                skipping += usize::from(dialect.skip.contains(&name.as_ref()));
                inside += usize::from(dialect.text_in.contains(&name.as_ref()));
            }
            Event::End(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if dialect.skip.contains(&name) {
                    skipping = skipping.saturating_sub(1);
                }
                if dialect.text_in.contains(&name) {
                    inside = inside.saturating_sub(1);
                }
                if skipping == 0 && dialect.blocks.contains(&name) {
                    out.push('\n');
                }
            }
            Event::Empty(e) if skipping == 0 => {
                let name = e.local_name();
                let name = name.as_ref();
                if dialect.blocks.contains(&name) || dialect.breaks.contains(&name) {
                    out.push('\n');
                } else if dialect.tabs.contains(&name) {
                    out.push('\t');
                } else if dialect.spaces.contains(&name) {
                    out.push(' ');
                }
            }
            Event::Text(e) if counts => out.push_str(&e.xml10_content()),
            Event::CData(e) if counts => out.push_str(&e.xml10_content()),
            Event::GeneralRef(e) if counts => {
                if let Ok(Some(c)) = e.resolve_char_ref() {
                    out.push(c);
                } else if let Some(s) = resolve_predefined_entity(&e) {
                    out.push_str(s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out.truncate(out.floor_char_boundary(max));
    Ok(out)
}
