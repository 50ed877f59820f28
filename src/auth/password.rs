//! Passwords: argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), computed on
//! the blocking pool and at most a few at a time, so logins neither stall the async
//! workers nor let a burst of requests claim unbounded memory. Strength rules follow
//! NIST SP 800-63B: a minimum length and a list of known-common passwords, no
//! composition rules.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

pub const MIN_LENGTH: usize = 12;
/// Long enough for any passphrase, short enough that hashing cannot be abused.
pub const MAX_LENGTH: usize = 256;

/// At most this many hashes in flight (19 MiB each).
static HASHING: Semaphore = Semaphore::const_new(4);

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
});

/// Verified against when the account does not exist, so a wrong e-mail address costs
/// as much time as a wrong password and timing tells nothing.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_blocking("no account has this password").ok());

/// Why a new password is refused; each has its own translated message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    TooLong,
    Common,
    ContainsAccount,
}

impl Weakness {
    pub fn message_key(self) -> &'static str {
        match self {
            Weakness::TooShort => "password.too_short",
            Weakness::TooLong => "password.too_long",
            Weakness::Common => "password.common",
            Weakness::ContainsAccount => "password.contains_account",
        }
    }
}

/// Checks a new password: length, the common list (also with digits and punctuation
/// stripped from its ends, so "Wachtwoord2024!" counts as "wachtwoord"), and the
/// account's own address.
pub fn check_strength(password: &str, email: &str) -> Result<(), Weakness> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(Weakness::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(Weakness::TooLong);
    }
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let distinct: HashSet<char> = lower.chars().collect();
    let guessable = core.is_empty() || distinct.len() < 4;
    if guessable || COMMON.contains(lower.as_str()) || COMMON.contains(core) {
        return Err(Weakness::Common);
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.chars().count() >= 4 && lower.contains(&local) {
        return Err(Weakness::ContainsAccount);
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    // Fixed, valid parameters: Params::new cannot fail for them.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the calling thread: for the CLI and for the blocking pool.
pub fn hash_blocking(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| AppError::Internal(format!("no randomness from the OS: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::Internal(format!("salt encoding: {e}")))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing: {e}")))
}

fn verify_blocking(password: &str, stored: Option<&str>) -> bool {
    let (stored, real) = match stored {
        Some(s) => (s, true),
        None => match DUMMY_HASH.as_deref() {
            Some(dummy) => (dummy, false),
            None => return false,
        },
    };
    let ok = PasswordHash::new(stored)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
}

/// Prepares hashing at start-up: computes the dummy hash, and makes glibc hand large
/// blocks (argon2's 19 MiB) straight back to the system when they are freed. By default
/// glibc raises its mmap threshold after the first such free and from then on keeps the
/// blocks in per-thread arenas: the accounts bench measured a server peak of 282 MB after
/// 40 parallel logins; with this, 110 MB.
pub fn prepare_hashing() {
    // Computed now rather than on the first unknown address, which would otherwise take
    // twice as long as any other failed login.
    LazyLock::force(&DUMMY_HASH);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called once at start-up.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Hashes a new password off the async workers.
pub async fn hash(password: String) -> AppResult<String> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|_| AppError::Internal("hashing closed".into()))?;
    actix_web::web::block(move || hash_blocking(&password))
        .await
        .map_err(|_| AppError::Internal("hashing worker stopped".into()))?
}

/// Checks `password` against `stored`; with `None` (no such account) it spends the
/// same time and answers false.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|_| AppError::Internal("hashing closed".into()))?;
    actix_web::web::block(move || verify_blocking(&password, stored.as_deref()))
        .await
        .map_err(|_| AppError::Internal("hashing worker stopped".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rules_refuse_short_common_and_own_address() {
        let email = "j.jansen@apeldoorn.nl";
        assert_eq!(check_strength("kort", email), Err(Weakness::TooShort));
        assert_eq!(
            check_strength("Wachtwoord2024!", email),
            Err(Weakness::Common)
        );
        assert_eq!(check_strength("123456789012", email), Err(Weakness::Common));
        assert_eq!(
            check_strength("aaaaaaaaaaaaaaaa", email),
            Err(Weakness::Common)
        );
        assert_eq!(
            check_strength("j.jansen-geheim-99", email),
            Err(Weakness::ContainsAccount)
        );
        assert_eq!(
            check_strength(&"x1".repeat(200), email),
            Err(Weakness::TooLong)
        );
        assert_eq!(check_strength("paars olifantje fietst", email), Ok(()));
    }

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let stored = hash_blocking("paars olifantje fietst").expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_blocking("paars olifantje fietst", Some(&stored)));
        assert!(!verify_blocking("paars olifantje fietst!", Some(&stored)));
        assert!(!verify_blocking("paars olifantje fietst", None));
    }
}
