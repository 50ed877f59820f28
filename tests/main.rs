//! The integration suite: every behaviour is a named specification run against the real
//! binary over HTTP, once on SQLite and once on PostgreSQL when one is reachable
//! (`STADSMAAT_TEST_POSTGRES_URL`); otherwise the PostgreSQL run is reported as skipped.
//!
//! Read-only specifications share one app per backend; those that change data or
//! restart the server get a fresh one.

mod accounts;
mod api;
mod backup;
mod browser;
mod cli;
mod dataset;
mod digest;
mod errors;
mod forum;
mod instances;
mod languages;
mod layering;
mod living;
mod mail;
mod matchmaking;
mod pages;
mod pools;
mod proxies;
mod search;
mod smtp;
mod solutions;
mod support;

use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};
use support::{Backend, TestApp};

/// How a specification gets its app.
pub enum Setup {
    /// No server: checks on shipped files.
    None(fn()),
    /// The shared, read-only app of the backend.
    Shared(fn(&TestApp)),
    /// A fresh app of its own, which it may change or restart.
    Fresh(fn(&mut TestApp)),
    /// The shared SQLite app, seen through a real browser (the pages do not depend on
    /// the backend, so one backend is enough).
    Browser(fn(&TestApp)),
}

pub struct Spec {
    pub name: &'static str,
    pub setup: Setup,
}

/// Lists specifications of a module: `specs![shared: a, b; fresh: c; plain: d]`.
#[macro_export]
macro_rules! specs {
    ($($kind:ident: $($f:ident),* $(,)?);* $(;)?) => {
        pub fn specs() -> Vec<$crate::Spec> {
            vec![$($(
                $crate::Spec {
                    name: concat!(module_path!(), "::", stringify!($f)),
                    setup: specs!(@setup $kind $f),
                },
            )*)*]
        }
    };
    (@setup shared $f:ident) => { $crate::Setup::Shared($f) };
    (@setup fresh $f:ident) => { $crate::Setup::Fresh($f) };
    (@setup plain $f:ident) => { $crate::Setup::None($f) };
    (@setup browser $f:ident) => { $crate::Setup::Browser($f) };
}

fn run_catching<F: FnOnce()>(f: F) -> Result<(), Failed> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "test panicked".into())
            .into()
    })
}

/// The shared app of one backend, started by the first specification that needs it.
type SharedApp = Arc<Mutex<Option<Arc<TestApp>>>>;

fn shared(slot: &SharedApp, backend: Backend) -> Arc<TestApp> {
    let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
    guard
        .get_or_insert_with(|| Arc::new(TestApp::start(backend)))
        .clone()
}

fn main() {
    let args = Arguments::from_args();
    let all: Vec<Spec> = [
        api::specs(),
        accounts::specs(),
        backup::specs(),
        pages::specs(),
        browser::specs(),
        search::specs(),
        cli::specs(),
        dataset::specs(),
        errors::specs(),
        layering::specs(),
        forum::specs(),
        pools::specs(),
        proxies::specs(),
        instances::specs(),
        mail::specs(),
        digest::specs(),
        smtp::specs(),
        matchmaking::specs(),
        solutions::specs(),
        living::specs(),
        languages::specs(),
    ]
    .into_iter()
    .flatten()
    .collect();

    // CI sets STADSMAAT_TEST_REQUIRE_ALL so that a missing PostgreSQL or browser fails
    // the run instead of skipping half of it.
    let require_all = std::env::var_os("STADSMAAT_TEST_REQUIRE_ALL").is_some();
    let postgres = support::postgres_url();
    if let Err(why) = &postgres {
        assert!(!require_all, "PostgreSQL required but unavailable: {why}");
        eprintln!("NOTE: PostgreSQL run skipped ({why}); only SQLite is tested.");
    }
    let browser_tools = support::browser::BrowserTools::locate();
    if let Err(why) = &browser_tools {
        assert!(
            !require_all,
            "browser tests required but unavailable: {why}"
        );
        eprintln!("NOTE: browser tests skipped ({why}).");
    }
    let backends = [
        (Backend::Sqlite, true),
        (Backend::Postgres, postgres.is_ok()),
    ];
    let slots: Vec<SharedApp> = backends.iter().map(|_| SharedApp::default()).collect();

    let mut trials = Vec::new();
    for spec in &all {
        match spec.setup {
            Setup::None(f) => trials.push(Trial::test(spec.name, move || run_catching(f))),
            Setup::Shared(f) => {
                for ((backend, available), slot) in backends.iter().zip(&slots) {
                    let (backend, slot) = (*backend, slot.clone());
                    let name = format!("{}::{}", backend.name(), spec.name);
                    trials.push(
                        Trial::test(name, move || run_catching(|| f(&shared(&slot, backend))))
                            .with_ignored_flag(!available),
                    );
                }
            }
            Setup::Browser(f) => {
                let slot = slots[0].clone();
                let name = format!("{}::{}", Backend::Sqlite.name(), spec.name);
                trials.push(
                    Trial::test(name, move || {
                        run_catching(|| f(&shared(&slot, Backend::Sqlite)))
                    })
                    .with_ignored_flag(browser_tools.is_err()),
                );
            }
            Setup::Fresh(f) => {
                for (backend, available) in backends {
                    let name = format!("{}::{}", backend.name(), spec.name);
                    trials.push(
                        Trial::test(name, move || {
                            run_catching(|| f(&mut TestApp::start(backend)))
                        })
                        .with_ignored_flag(!available),
                    );
                }
            }
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    drop(slots); // stops the shared servers
    conclusion.exit();
}
