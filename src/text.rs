//! Small text helpers shared across areas: ASCII folding, slugs, HTML escaping, the
//! records of shipped tab-separated data, hex digests.

/// Folds the Latin letters with diacritics that Dutch uses (é, ë, ï, ó, …) to ASCII;
/// other characters pass through unchanged.
pub fn fold_diacritics(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'O',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        'ç' => 'c',
        'Ç' => 'C',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

/// The slug rule of DESIGN.md: lower-case ASCII, apostrophes dropped, every other run
/// of non-alphanumerics a single `-` ("'s-Hertogenbosch" → "s-hertogenbosch").
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    let mut pending_dash = false;
    for c in name.chars().map(fold_diacritics) {
        if matches!(c, '\'' | '’' | '‘') {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    slug
}

/// The records of a shipped tab-separated data file (`data/*.tsv`), each split at its
/// tabs: every line but blank ones, `#` comments and the header (the first other line).
pub fn tsv_records(tsv: &str) -> impl Iterator<Item = std::str::Split<'_, char>> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .skip(1) // header
        .map(|line| line.split('\t'))
}

/// Escapes the characters that are significant in HTML text and quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// Bytes as lower-case hexadecimal (tokens, SHA-256 digests).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_follow_the_design_rule() {
        assert_eq!(slugify("Alphen aan den Rijn"), "alphen-aan-den-rijn");
        assert_eq!(slugify("'s-Hertogenbosch"), "s-hertogenbosch");
        assert_eq!(slugify("Sittard-Geleen"), "sittard-geleen");
        assert_eq!(slugify("Café Ém  (pilot)"), "cafe-em-pilot");
    }
}
