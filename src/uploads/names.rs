//! The name an attachment is shown and downloaded under: the uploader's name made
//! harmless (no path, no invisible or direction-changing characters, the extension of
//! what the file really is), and the `Content-Disposition` header that carries it.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::FileKind;
use crate::text::fold_diacritics;

/// Room for a readable name; file systems and browsers take more, people read less.
const MAX_NAME_CHARS: usize = 100;
/// The name of a file whose own name had nothing left.
const FALLBACK_STEM: &str = "bijlage";
/// An extension is a short run of ASCII letters and digits with a letter ("docx",
/// "mp3"); a dotted number such as "2.0" is part of the name.
const MAX_EXTENSION_CHARS: usize = 5;

/// `original` made safe to show and to save under: only its last path component (after
/// `/` or `\`), without control characters, bidirectional overrides and other invisible
/// formatting; letters (accented too), digits and `-_.()` kept, every other run of
/// characters one space; no leading dots; at most 100 characters; and the extension of
/// `kind` in place of whatever the uploader claimed (`virus.exe` as a PDF is `virus.pdf`).
pub fn safe_file_name(original: &str, kind: FileKind) -> String {
    let base = original.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut cleaned = String::with_capacity(base.len());
    let mut pending_space = false;
    for c in base.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')') {
            if pending_space && !cleaned.is_empty() {
                cleaned.push(' ');
            }
            pending_space = false;
            cleaned.push(c);
        } else if !is_invisible(c) && !matches!(c, '\'' | '’' | '‘') {
            pending_space = true;
        }
    }
    // Leading dots hide a file on Unix; a leading dash reads as an option to a tool.
    let name = cleaned.trim_start_matches(['.', '-', ' ']);
    let extension = kind.extension();
    let mut stem = strip_extension(name);
    // `rapport.pdf.exe` is a PDF called `rapport.pdf`, not `rapport.pdf.pdf`.
    let dotted = format!(".{extension}");
    if let Some(at) = stem.len().checked_sub(dotted.len()) {
        if stem
            .get(at..)
            .is_some_and(|end| end.eq_ignore_ascii_case(&dotted))
        {
            stem = &stem[..at];
        }
    }
    let room = MAX_NAME_CHARS - dotted.len();
    let stem: String = stem.chars().take(room).collect();
    // Windows drops trailing dots and spaces, which would change the extension.
    let stem = stem.trim_end_matches(['.', ' ']);
    let stem = if stem.is_empty() { FALLBACK_STEM } else { stem };
    format!("{stem}{dotted}")
}

/// `name` without its last extension, if it has one.
fn strip_extension(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, extension))
            if (1..=MAX_EXTENSION_CHARS).contains(&extension.len())
                && extension.bytes().all(|b| b.is_ascii_alphanumeric())
                && extension.bytes().any(|b| b.is_ascii_alphabetic()) =>
        {
            stem
        }
        _ => name,
    }
}

/// Characters that show nothing but change what is shown: controls, bidirectional
/// marks, overrides and isolates (`a\u{202E}fdp.exe` shows as `aexe.pdf`), zero-width
/// and other format characters.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// The characters RFC 5987 lets stand unencoded in an extended parameter value
/// (`attr-char`); everything else is percent-encoded.
const ATTR_CHAR_ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// The `Content-Disposition` value that downloads a file as `name` (RFC 6266): an ASCII
/// fallback in `filename` for old clients, with diacritics folded and anything else
/// (quotes, backslashes, `%`, controls, other scripts) as `_`, and the exact name in
/// `filename*` as percent-encoded UTF-8.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(fold_diacritics)
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%')) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(name, ATTR_CHAR_ENCODED);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_invisible_characters_are_removed() {
        let pdf = FileKind::Pdf;
        assert_eq!(safe_file_name("../../etc/passwd", pdf), "passwd.pdf");
        assert_eq!(safe_file_name("C:\\x\\y.pdf", pdf), "y.pdf");
        assert_eq!(safe_file_name("a\u{202E}fdp.exe", pdf), "afdp.pdf");
        assert_eq!(
            safe_file_name("in\u{0}vo\u{7}ice\r\n.pdf", pdf),
            "invoice.pdf"
        );
        assert_eq!(
            safe_file_name("zero\u{200B}width.pdf", pdf),
            "zerowidth.pdf"
        );
        assert_eq!(safe_file_name("..", pdf), "bijlage.pdf");
        assert_eq!(safe_file_name("....", pdf), "bijlage.pdf");
        assert_eq!(safe_file_name(".hidden", pdf), "hidden.pdf");
        assert_eq!(safe_file_name("/", pdf), "bijlage.pdf");
        assert_eq!(safe_file_name("", FileKind::Csv), "bijlage.csv");
        assert_eq!(safe_file_name("-rf", pdf), "rf.pdf");
    }

    #[test]
    fn the_extension_is_the_detected_kinds() {
        assert_eq!(safe_file_name("virus.exe", FileKind::Pdf), "virus.pdf");
        assert_eq!(
            safe_file_name("rapport.PDF.exe", FileKind::Pdf),
            "rapport.pdf"
        );
        assert_eq!(safe_file_name("foto.jpeg", FileKind::Jpeg), "foto.jpg");
        assert_eq!(safe_file_name("Plan 2.0", FileKind::Docx), "Plan 2.0.docx");
        assert_eq!(
            safe_file_name("begroting", FileKind::Xlsx),
            "begroting.xlsx"
        );
    }

    #[test]
    fn readable_names_stay_readable_and_short() {
        assert_eq!(
            safe_file_name("Toolkit   (v2) — Café’s <best> plan?.docx", FileKind::Docx),
            "Toolkit (v2) Cafés best plan.docx"
        );
        assert_eq!(
            safe_file_name("’s-Hertogenbosch_energie-aanpak.odt", FileKind::Odt),
            "s-Hertogenbosch_energie-aanpak.odt"
        );
        let long = safe_file_name(&"é".repeat(300), FileKind::Pdf);
        assert_eq!(long.chars().count(), MAX_NAME_CHARS);
        assert!(long.ends_with("é.pdf"));
        let dotted = format!("{}.....x", "a".repeat(MAX_NAME_CHARS - 6));
        assert!(!safe_file_name(&dotted, FileKind::Pdf).contains(".."));
    }

    #[test]
    fn content_disposition_has_a_safe_fallback_and_the_exact_name() {
        assert_eq!(
            content_disposition("Café plan.pdf"),
            "attachment; filename=\"Cafe plan.pdf\"; filename*=UTF-8''Caf%C3%A9%20plan.pdf"
        );
        let hostile = content_disposition("a\"b\\c%d\r\nSet-Cookie: x=1;.pdf");
        let quoted = hostile.split('"').nth(1).expect("a quoted fallback");
        assert_eq!(quoted, "a_b_c_d__Set-Cookie: x=1;.pdf");
        assert!(!hostile.contains('\r') && !hostile.contains('\n'));
        assert_eq!(hostile.matches('"').count(), 2);
        assert!(hostile.ends_with("a%22b%5Cc%25d%0D%0ASet-Cookie%3A%20x%3D1%3B.pdf"));
    }
}
