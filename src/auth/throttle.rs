//! Throttling of guessable or costly forms (login, registration, password reset) per key
//! (an account's e-mail address, a client IP): at most `limit` counted events in a
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

/// The throttles of the account forms, shared by all workers.
pub struct Throttles {
    /// Failed logins per account (e-mail address, known or not).
    pub login_account: Throttle,
    /// Failed logins per client IP, across accounts (password spraying).
    pub login_ip: Throttle,
    /// Forms that send mail (registration, reset, resend) per client IP.
    pub mail_ip: Throttle,
}

impl Default for Throttles {
    fn default() -> Self {
        const QUARTER: Duration = Duration::from_secs(15 * 60);
        Throttles {
            login_account: Throttle::new(5, QUARTER),
            // A whole town hall may share one address.
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
