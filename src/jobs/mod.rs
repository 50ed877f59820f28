//! Background work, in one place: every job (the search indexer, the matchmaking
//! follower, the mail sender, the change-log compactor, and later notifications and the
//! digest) runs in the same worker loop — woken right after a commit that concerns it,
//! polling at its own interval for work made by other processes (`stadsmaat import`,
//! another instance on the same PostgreSQL), backing off after errors, and stopping
//! cleanly when the server does.
//!
//! Work that must happen once across instances claims its rows in the database (see
//! `mail`); work on an instance's own derived data follows the change log
//! ([`follow::Follower`]).

pub mod follow;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::AppResult;

/// The longest pause after repeated errors.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What a job is woken by, besides its own poll interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// A transaction that appended to the change log committed.
    Changes,
    /// A transaction that queued mail committed.
    Mail,
}

/// What one pass of a job found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Nothing (more) to do until woken or polled.
    Idle,
    /// It did work and there may be more right away.
    More,
}

/// A unit of background work.
pub trait Job: Send + Sync + 'static {
    fn name(&self) -> &str;
    /// One pass over whatever is due.
    fn run(&self) -> AppResult<Pass>;
    /// How often to look for work nobody woke it for.
    fn interval(&self) -> Duration;
}

/// A wake-up flag with its condition variable.
#[derive(Default)]
struct Bell {
    rung: Mutex<bool>,
    ring: Condvar,
}

impl Bell {
    fn ring(&self) {
        *self.rung.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.ring.notify_all();
    }

    /// Waits until rung or `timeout` passed; clears the flag.
    fn wait(&self, timeout: Duration) {
        let rung = self.rung.lock().unwrap_or_else(|e| e.into_inner());
        let (mut rung, _) = self
            .ring
            .wait_timeout_while(rung, timeout, |r| !*r)
            .unwrap_or_else(|e| e.into_inner());
        *rung = false;
    }
}

struct Worker {
    signals: Vec<Signal>,
    bell: Arc<Bell>,
    handle: Option<JoinHandle<()>>,
}

/// The running jobs of this process; cheap to share.
#[derive(Default)]
pub struct Jobs {
    workers: Mutex<Vec<Worker>>,
    stopping: Arc<AtomicBool>,
}

impl Jobs {
    pub fn new() -> Arc<Jobs> {
        Arc::new(Jobs::default())
    }

    /// Starts `job` in a thread of its own, woken by `signals`.
    pub fn spawn(&self, job: Arc<dyn Job>, signals: &[Signal]) -> Result<(), String> {
        let bell = Arc::new(Bell::default());
        let stopping = self.stopping.clone();
        let name = job.name().to_owned();
        let worker_bell = bell.clone();
        let handle = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || run_loop(&*job, &worker_bell, &stopping))
            .map_err(|e| format!("cannot start job {name}: {e}"))?;
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Worker {
                signals: signals.to_vec(),
                bell,
                handle: Some(handle),
            });
        Ok(())
    }

    /// Wakes the jobs waiting for `signal`; call after the transaction commits.
    pub fn wake(&self, signal: Signal) {
        for worker in self
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|w| w.signals.contains(&signal))
        {
            worker.bell.ring();
        }
    }

    /// Asks every job to stop after its current pass and waits for them.
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::Release);
        let handles: Vec<JoinHandle<()>> = {
            let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
            workers.iter().for_each(|w| w.bell.ring());
            workers.iter_mut().filter_map(|w| w.handle.take()).collect()
        };
        for handle in handles {
            let _ = handle.join();
        }
    }
}

fn run_loop(job: &dyn Job, bell: &Bell, stopping: &AtomicBool) {
    let mut failures: u32 = 0;
    // The first pass runs at once: whatever was left from before the start is due.
    let mut pause = Duration::ZERO;
    while !stopping.load(Ordering::Acquire) {
        if !pause.is_zero() {
            bell.wait(pause);
            if stopping.load(Ordering::Acquire) {
                break;
            }
        }
        // A panic in one pass must not end the job for the life of the process.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run()));
        pause = match outcome {
            Ok(Ok(Pass::More)) => {
                failures = 0;
                Duration::ZERO
            }
            Ok(Ok(Pass::Idle)) => {
                failures = 0;
                job.interval()
            }
            Ok(Err(e)) => {
                failures += 1;
                tracing::error!(job = job.name(), error = %e, failures, "job failed; backing off");
                backoff(job.interval(), failures)
            }
            Err(_) => {
                failures += 1;
                tracing::error!(job = job.name(), failures, "job panicked; backing off");
                backoff(job.interval(), failures)
            }
        };
    }
}

/// Doubles from the job's interval (at least a second) up to [`MAX_BACKOFF`].
fn backoff(interval: Duration, failures: u32) -> Duration {
    let base = interval.max(Duration::from_secs(1));
    base.saturating_mul(1 << failures.min(6)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Instant;

    struct Counter {
        runs: AtomicUsize,
        fail_first: usize,
    }

    impl Job for Counter {
        fn name(&self) -> &str {
            "counter"
        }
        fn run(&self) -> AppResult<Pass> {
            let n = self.runs.fetch_add(1, Ordering::SeqCst);
            if n < self.fail_first {
                return Err(crate::error::AppError::Internal("boom".into()));
            }
            Ok(Pass::Idle)
        }
        fn interval(&self) -> Duration {
            Duration::from_secs(3600)
        }
    }

    fn wait_for(what: &str, check: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !check() {
            assert!(Instant::now() < deadline, "never happened: {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_job_runs_at_start_and_again_when_woken_by_its_signal_only() {
        let jobs = Jobs::new();
        let job = Arc::new(Counter {
            runs: AtomicUsize::new(0),
            fail_first: 0,
        });
        jobs.spawn(job.clone(), &[Signal::Mail]).expect("spawn");
        wait_for("first pass", || job.runs.load(Ordering::SeqCst) == 1);
        jobs.wake(Signal::Changes);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            job.runs.load(Ordering::SeqCst),
            1,
            "woken by another signal"
        );
        jobs.wake(Signal::Mail);
        wait_for("second pass", || job.runs.load(Ordering::SeqCst) == 2);
        jobs.shutdown();
    }

    #[test]
    fn shutdown_stops_a_waiting_job_at_once() {
        let jobs = Jobs::new();
        let job = Arc::new(Counter {
            runs: AtomicUsize::new(0),
            fail_first: 0,
        });
        jobs.spawn(job.clone(), &[]).expect("spawn");
        wait_for("first pass", || job.runs.load(Ordering::SeqCst) == 1);
        let started = Instant::now();
        jobs.shutdown();
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn failures_back_off_doubling_up_to_a_minute() {
        let second = Duration::from_secs(1);
        assert_eq!(backoff(Duration::from_millis(500), 1), 2 * second);
        assert_eq!(backoff(second, 2), 4 * second);
        assert_eq!(backoff(second, 30), MAX_BACKOFF);
    }
}
