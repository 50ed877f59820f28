//! Reading the outbox: the `.eml` files the outbox transport wrote, decoded for the
//! administration page `/beheer/post`.

/// A message in the outbox, as the administration shows it.
pub struct OutboxMessage {
    pub file: String,
    pub to: String,
    pub subject: String,
    pub date: String,
    pub body: String,
}

/// Reads one `.eml` file the outbox transport wrote (quoted-printable, as the sender
/// encodes every body).
pub fn read_outbox_file(path: &std::path::Path) -> Option<OutboxMessage> {
    let raw = std::fs::read_to_string(path).ok()?.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n")?;
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
            .unwrap_or("")
            .to_owned()
    };
    Some(OutboxMessage {
        file: path.file_name()?.to_string_lossy().into_owned(),
        to: header("To"),
        subject: header("Subject"),
        date: header("Date"),
        body: decode_escapes(&body.replace("=\n", ""), b'='),
    })
}

/// The newest `limit` messages of the outbox directory, newest first.
pub fn outbox(dir: &std::path::Path, limit: usize) -> Vec<OutboxMessage> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
        .iter()
        .rev()
        .take(limit)
        .filter_map(|p| read_outbox_file(p))
        .collect()
}

/// Replaces each `<marker>XX` (two hex digits) with its byte: `%XX` in URLs, `=XX` in
/// quoted-printable text.
pub(super) fn decode_escapes(s: &str, marker: u8) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| {
            std::str::from_utf8(h)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        });
        match (bytes[i], hex) {
            (b, Some(decoded)) if b == marker => {
                out.push(decoded);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
