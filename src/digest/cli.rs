//! `stadsmaat digest [--dry-run] [--at TIME]`: composes the digests due at that moment,
//! queues them and makes one delivery pass over the queue (SMTP, or `.eml` files in
//! `outbox/`) before it exits; what a relay puts off waits for the server's mail sender.
//! A second run for the same week sends nothing: the week's markers decide.

use chrono::{DateTime, Utc};

use super::{Digester, Report, Schedule};
use crate::config::Config;
use crate::jobs::{Job, Pass};
use crate::matchmaking::Matchmaking;
use crate::web::render::Renderer;

/// A run's summary for the operator.
pub struct Summary {
    report: Report,
    dry_run: bool,
    /// Mail still in the queue after the run's delivery pass.
    waiting: i64,
    week: String,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.report.due {
            return write!(f, "the digest of {} is not due yet", self.week);
        }
        let verb = if self.dry_run { "would send" } else { "queued" };
        write!(
            f,
            "digest {}: {verb} {}, {} with nothing new, {} had it already",
            self.week, self.report.sent, self.report.empty, self.report.already
        )?;
        if !self.dry_run {
            match self.waiting {
                0 => write!(f, "; all mail delivered")?,
                n => write!(
                    f,
                    "; {n} mail(s) still wait (the server's sender retries them)"
                )?,
            }
        }
        Ok(())
    }
}

pub fn run(config: &Config, at: DateTime<Utc>, dry_run: bool) -> Result<Summary, String> {
    if config.public_url.as_deref().is_none_or(str::is_empty) && !dry_run {
        tracing::warn!(
            url = %config.public_url(),
            "STADSMAAT_PUBLIC_URL is not set; links in the digest lead to this address"
        );
    }
    let (db, _) = crate::app::open_with_inventory(config)?;
    let schedule = Schedule::parse(&config.digest_at)?;
    let thesaurus = crate::search::thesaurus::Thesaurus::shared();
    let matchmaking = Matchmaking::load(&db, thesaurus.clone())?;
    let instance = crate::app::instance_id(&config.data_dir)?;
    let search = crate::search::open_for_command(&config.index_dir(), &db, thesaurus, &instance)?;
    let renderer = Renderer::new()?;
    let digester = Digester {
        db: &db,
        config,
        renderer: &renderer,
        matchmaking: &matchmaking,
        search: &search,
        schedule,
    };
    let mut out = std::io::stdout();
    let report = digester
        .run(at, dry_run, &mut out)
        .map_err(|e| e.to_string())?;
    let mut waiting = 0;
    if !dry_run && report.sent > 0 {
        let transport = crate::mail::transport::Transport::configured(config)?;
        let from = config
            .mail_from
            .parse()
            .map_err(|e| format!("STADSMAAT_MAIL_FROM {:?}: {e}", config.mail_from))?;
        let instance = format!("digest-command-{}", std::process::id());
        let sender = crate::mail::sender::MailSender::new(db.clone(), transport, from, instance);
        // One pass over what is due; retries wait for their time, and the server's
        // sender takes them then, so the command does not wait for them.
        while let Pass::More = sender.run().map_err(|e| e.to_string())? {}
        waiting = crate::mail::waiting_count(&db).map_err(|e| e.to_string())?;
    }
    Ok(Summary {
        week: Schedule::week(at),
        report,
        dry_run,
        waiting,
    })
}
