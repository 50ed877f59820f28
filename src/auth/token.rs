//! Unguessable tokens (session ids, e-mail links) and their stored form: only the
//! SHA-256 of a token is kept, so a copy of the database opens no account.

use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::text::hex;

/// 32 random bytes from the operating system, hex-encoded (64 characters).
pub fn random_token() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(format!("no randomness from the OS: {e}")))?;
    Ok(hex(&bytes))
}

/// Whether `value` could be a token of [`random_token`]; anything else is not looked up.
pub fn well_formed(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What the database stores for a token.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`, hex-encoded: a value only a holder
/// of `key` can compute.
pub fn hmac(key: &[u8], message: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut padded = [0u8; BLOCK];
    if key.len() > BLOCK {
        padded[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        padded[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(padded.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(padded.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize();
    hex(&outer)
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The paths of links that carry a token in mail.
const LINK_PATHS: [&str; 3] = [
    "/account/bevestigen/",
    "/account/email-bevestigen/",
    "/wachtwoord-herstellen/",
];

/// `text` with the token of every e-mailed link replaced by `…`, for the log and for
/// administrators reading the outbox: a token in either would open someone's account.
pub fn redact_links(text: &str) -> String {
    let mut out = text.to_owned();
    for prefix in LINK_PATHS {
        let mut from = 0;
        while let Some(found) = out[from..].find(prefix) {
            let start = from + found + prefix.len();
            let end = out[start..]
                .find(|c: char| !c.is_ascii_hexdigit())
                .map_or(out.len(), |n| start + n);
            out.replace_range(start..end, "…");
            from = start;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_stored_hashed() {
        let a = random_token().expect("token");
        let b = random_token().expect("token");
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(hash_token(&a), a);
        assert_eq!(hash_token(&a), hash_token(&a));
    }

    #[test]
    fn links_lose_their_tokens() {
        let token = random_token().expect("token");
        let text = format!(
            "see https://x/wachtwoord-herstellen/{token}\nand /account/bevestigen/{token} ok"
        );
        let redacted = redact_links(&text);
        assert!(!redacted.contains(&token), "{redacted}");
        assert!(redacted.contains("/wachtwoord-herstellen/…\nand /account/bevestigen/… ok"));
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        assert_eq!(
            hmac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn same_secret_needs_equal_length_and_bytes() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
