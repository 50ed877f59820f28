//! PDF text through poppler's `pdftotext`, run as a child process so that a hostile PDF
//! can at most crash or stall that process: it gets a wall-clock timeout, an address-space
//! limit and an output cap, and is killed (with anything it started) when it oversteps.

use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::{cap, Extracted, Limits};

/// How often a child that closed its output is checked for having exited.
const POLL: Duration = Duration::from_millis(10);

/// Whether the configured `pdftotext` can be started at all.
pub fn pdftotext_available(limits: &Limits) -> bool {
    let mut command = Command::new(&limits.pdftotext);
    command.arg("-v");
    run(command, limits).is_ok()
}

pub(super) fn text(path: &Path, limits: &Limits) -> Extracted {
    // A relative path starting with `-` would read as an option.
    let path: PathBuf = if path.is_relative() {
        Path::new(".").join(path)
    } else {
        path.to_owned()
    };
    let mut command = Command::new(&limits.pdftotext);
    command
        .args(["-enc", "UTF-8", "-nopgbrk"])
        .arg(path)
        .arg("-");
    match run(command, limits) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
            ) =>
        {
            Extracted::Unavailable(format!("cannot start {}: {e}", limits.pdftotext.display()))
        }
        Err(e) => Extracted::Failed(format!("pdftotext: {e}")),
        Ok(Run::TimedOut) => Extracted::Failed(format!(
            "pdftotext took longer than {} s and was stopped",
            limits.timeout.as_secs_f32()
        )),
        // Cut at the cap: the text so far is what the index takes anyway.
        Ok(Run::Finished {
            output, cut: true, ..
        }) => Extracted::Text(cap(
            &String::from_utf8_lossy(&output),
            limits.max_text_bytes,
        )),
        Ok(Run::Finished { output, status, .. }) => match status {
            Some(status) if status.success() => Extracted::Text(cap(
                &String::from_utf8_lossy(&output),
                limits.max_text_bytes,
            )),
            Some(status) => Extracted::Failed(format!("pdftotext failed: {status}")),
            None => Extracted::Failed("pdftotext did not exit after closing its output".into()),
        },
    }
}

enum Run {
    /// The output closed: the process ended, or it wrote `max_output_bytes` and was
    /// killed (`cut`). `status` is `None` when it had to be killed after closing.
    Finished {
        output: Vec<u8>,
        cut: bool,
        status: Option<ExitStatus>,
    },
    TimedOut,
}

/// Runs `command` within `limits`: its own process group (so that killing it kills what it
/// started), no input, standard output read up to the cap, errors discarded.
fn run(mut command: Command, limits: &Limits) -> io::Result<Run> {
    let memory = limits.memory_bytes as libc::rlim_t;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    // SAFETY: the closure runs in the forked child before `exec`, where only
    // async-signal-safe functions may be called. It calls setrlimit(2) alone, on a value
    // on its stack, and allocates nothing (an OS error is a plain code).
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: memory,
                rlim_max: memory,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let deadline = Instant::now() + limits.timeout;
    let mut child = command.spawn()?;
    let Some(stdout) = child.stdout.take() else {
        kill(&mut child);
        return Err(io::Error::other("no output pipe"));
    };
    // Reading in a thread lets the wait below keep the clock; the thread ends when the
    // output closes or the cap is reached.
    let max = limits.max_output_bytes;
    let (sender, receiver) = mpsc::channel();
    let reading = thread::Builder::new()
        .name("pdftotext-output".into())
        .spawn(move || {
            let mut output = Vec::new();
            let read = stdout.take(max).read_to_end(&mut output);
            let _ = sender.send(read.map(|_| output));
        });
    if let Err(e) = reading {
        kill(&mut child);
        return Err(e);
    }
    match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(output)) => {
            let cut = output.len() as u64 >= max;
            if cut {
                kill(&mut child);
            }
            let status = wait_until(&mut child, deadline)?;
            Ok(Run::Finished {
                output,
                cut,
                status,
            })
        }
        Ok(Err(e)) => {
            kill(&mut child);
            Err(e)
        }
        // On a timeout the reading thread is left to end when the killed group's pipe
        // closes: joining it could wait on a process that escaped the group.
        Err(_) => {
            kill(&mut child);
            Ok(Run::TimedOut)
        }
    }
}

/// The exit status of `child`, or `None` when it had to be killed at the deadline.
fn wait_until(child: &mut Child, deadline: Instant) -> io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            kill(child);
            return Ok(None);
        }
        thread::sleep(POLL);
    }
}

/// Kills the child's process group, then reaps the child.
fn kill(child: &mut Child) {
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) takes two integers and touches no memory of ours. The group is
        // the child's own (`process_group(0)`), and the child is not reaped yet, so its
        // id cannot have been given to another process.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::{Mutex, MutexGuard};

    use super::*;
    use crate::uploads::{fixtures, FileKind};

    /// Tests that start programs take turns: a program being written while another test
    /// forks can fail to start ("text file busy").
    static PROGRAMS: Mutex<()> = Mutex::new(());

    fn turn() -> MutexGuard<'static, ()> {
        PROGRAMS.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Extracts a one-word PDF within `limits`; with a `script`, a shell script of that
    /// body stands in for `pdftotext`. Also says how long it took.
    fn extract_pdf(script: Option<&str>, limits: Limits) -> (Extracted, Duration) {
        let _turn = turn();
        let dir = tempfile::tempdir().expect("temp dir");
        let pdftotext = match script {
            Some(script) => {
                let path = dir.path().join("pdftotext");
                std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("script");
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
                path
            }
            None => limits.pdftotext.clone(),
        };
        let pdf = dir.path().join("x.pdf");
        std::fs::write(&pdf, fixtures::pdf("Stadsmaat")).expect("write pdf");
        let started = Instant::now();
        let limits = Limits {
            pdftotext,
            ..limits
        };
        let extracted = super::super::text(FileKind::Pdf, &pdf, &limits);
        (extracted, started.elapsed())
    }

    #[test]
    fn a_stalling_pdftotext_is_killed_at_the_timeout() {
        let limits = Limits {
            timeout: Duration::from_millis(500),
            ..Limits::default()
        };
        // Not `exec`: the sleeping grandchild holds the output open and must die too.
        let (extracted, took) = extract_pdf(Some("sleep 30"), limits);
        assert!(
            matches!(&extracted, Extracted::Failed(reason) if reason.contains("longer than")),
            "{extracted:?}"
        );
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn an_endless_pdftotext_is_cut_at_the_cap() {
        let limits = Limits {
            max_output_bytes: 64 * 1024,
            max_text_bytes: 1_000,
            ..Limits::default()
        };
        let script = "while :; do echo lorem ipsum dolor; done";
        let (extracted, took) = extract_pdf(Some(script), limits);
        match extracted {
            Extracted::Text(text) => {
                assert!(text.starts_with("lorem ipsum dolor\n") && text.len() == 1_000);
            }
            other => panic!("{other:?}"),
        }
        assert!(took < Duration::from_secs(10), "{took:?}");
    }

    #[test]
    fn a_failing_or_missing_pdftotext_is_reported() {
        let (failing, _) = extract_pdf(Some("echo partial; exit 3"), Limits::default());
        assert!(
            matches!(&failing, Extracted::Failed(r) if r.contains("exit status: 3")),
            "{failing:?}"
        );
        let missing = Limits {
            pdftotext: PathBuf::from("/nonexistent/pdftotext"),
            ..Limits::default()
        };
        assert!(!{
            let _turn = turn();
            pdftotext_available(&missing)
        });
        let (extracted, _) = extract_pdf(None, missing);
        assert!(
            matches!(extracted, Extracted::Unavailable(_)),
            "{extracted:?}"
        );
    }

    #[test]
    fn the_memory_limit_applies_to_the_child() {
        let limits = Limits {
            memory_bytes: 256 * 1024 * 1024,
            ..Limits::default()
        };
        // The shell reports its own address-space limit, in KiB.
        let (extracted, _) = extract_pdf(Some("ulimit -v"), limits);
        assert_eq!(extracted, Extracted::Text("262144\n".into()));
    }

    #[test]
    fn a_real_pdftotext_reads_a_real_pdf() {
        let limits = Limits::default();
        if !{
            let _turn = turn();
            pdftotext_available(&limits)
        } {
            // CI installs it and asks for everything; elsewhere it may be missing.
            assert!(
                std::env::var_os("STADSMAAT_TEST_REQUIRE_ALL").is_none(),
                "pdftotext required but not installed (poppler-utils)"
            );
            eprintln!("NOTE: pdftotext is not installed (poppler-utils); skipping this test");
            return;
        }
        match extract_pdf(None, limits).0 {
            Extracted::Text(text) => assert!(text.contains("Stadsmaat"), "{text:?}"),
            other => panic!("{other:?}"),
        }
    }
}
