//! Throttling of guessable or costly forms (login, registration, password reset) per key
//! (an account and the kind of client, a client IP): at most `limit` counted events in a
//! fixed window. Kept in memory: a restart forgives, which costs an attacker a restart
//! we control, not a way around the limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Beyond this many tracked keys, expired windows are swept before a new one is added,
/// so a flood of distinct keys cannot grow memory without bound.
const SWEEP_ABOVE: usize = 10_000;

pub struct Throttle {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Throttle {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Checks and counts in one step, before the costly work it guards: a burst of
    /// parallel requests cannot all pass the check before any of them is counted.
    pub fn attempt(&self, key: &str) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        self.sweep(&mut windows, now);
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return Err((self.window - now.duration_since(entry.0)).as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Takes back one counted attempt that turned out fine (a correct password from a
    /// shared office address should not use up that address's allowance).
    pub fn forgive(&self, key: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = windows.get_mut(key) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    fn sweep(&self, windows: &mut HashMap<String, (Instant, u32)>, now: Instant) {
        if windows.len() > SWEEP_ABOVE {
            let window = self.window;
            windows.retain(|_, (started, _)| now.duration_since(*started) < window);
        }
    }

    /// Forgets `key` (a successful login clears its account's failures).
    pub fn clear(&self, key: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The throttles of the account forms, shared by all workers. Failed logins follow
/// OWASP's device cookies ([`super::devices`]): a stranger's failures lock out only the
/// account's unknown browsers, never a browser that signed in to it before.
pub struct Throttles {
    /// Failed password checks per account from browsers it does not trust: five lock
    /// every such browser out of the account for 15 minutes (the owner on a new one
    /// resets the password by mail, which makes that browser trusted).
    pub untrusted: Throttle,
    /// Failed password checks of one trusted client of one account — a browser with the
    /// account's device cookie, a signed-in session, a mailed link — each its own five.
    pub trusted: Throttle,
    /// Failed logins per client address and account: a ceiling on what one address gets
    /// out of many trusted browsers, that never touches the other accounts behind it.
    pub login_ip: Throttle,
    /// Forms that send mail (registration, reset, resend) per client IP.
    pub mail_ip: Throttle,
}

/// One login attempt, as the throttles count it.
pub struct Login<'a> {
    /// The account's key (its e-mail address, known or not).
    pub account: &'a str,
    pub ip: &'a str,
    /// The browser's device token when the account trusts it.
    pub trusted_device: Option<&'a str>,
}

impl Login<'_> {
    /// The allowance this attempt draws on: its browser's own, or the strangers' one.
    fn allowance<'t>(&self, throttles: &'t Throttles) -> (&'t Throttle, String) {
        match self.trusted_device {
            Some(device) => (
                &throttles.trusted,
                format!("device {device} {}", self.account),
            ),
            None => (&throttles.untrusted, self.account.to_owned()),
        }
    }

    fn address_key(&self) -> String {
        format!("{} {}", self.ip, self.account)
    }
}

impl Throttles {
    /// Counts a login before its password is checked, so parallel guesses are counted
    /// too; all or nothing: refused, it uses up no allowance.
    pub fn count_login(&self, login: &Login) -> Result<(), u64> {
        let (throttle, key) = login.allowance(self);
        throttle.attempt(&key)?;
        self.login_ip
            .attempt(&login.address_key())
            .inspect_err(|_| {
                throttle.forgive(&key);
            })
    }

    /// The password was right: the attempt is taken back, and a trusted browser's own
    /// failures are forgotten. The strangers' count stays: the owner signing in from a
    /// new browser gives a guesser no fresh allowance.
    pub fn login_succeeded(&self, login: &Login) {
        let (throttle, key) = login.allowance(self);
        match login.trusted_device {
            Some(_) => throttle.clear(&key),
            None => throttle.forgive(&key),
        }
        self.login_ip.forgive(&login.address_key());
    }
}

impl Default for Throttles {
    fn default() -> Self {
        const QUARTER: Duration = Duration::from_secs(15 * 60);
        Throttles {
            untrusted: Throttle::new(5, QUARTER),
            trusted: Throttle::new(5, QUARTER),
            login_ip: Throttle::new(50, QUARTER),
            mail_ip: Throttle::new(30, Duration::from_secs(60 * 60)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_count_before_the_work_and_forgiven_ones_do_not() {
        let throttle = Throttle::new(2, Duration::from_secs(60));
        assert!(throttle.attempt("a").is_ok());
        throttle.forgive("a");
        assert!(throttle.attempt("a").is_ok());
        assert!(throttle.attempt("a").is_ok());
        assert!(throttle.attempt("a").is_err());
    }

    #[test]
    fn a_key_is_refused_after_its_limit_and_others_are_not() {
        let throttle = Throttle::new(2, Duration::from_secs(60));
        assert!(throttle.attempt("a").is_ok());
        assert!(throttle.attempt("a").is_ok());
        assert!(throttle.attempt("a").is_err());
        assert!(throttle.attempt("b").is_ok());
        throttle.clear("a");
        assert!(throttle.attempt("a").is_ok());
    }
}
