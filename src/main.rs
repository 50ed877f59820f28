//! The `stadsmaat` command: `serve` (the default), `import`, `reindex`, `user create`,
//! `backup`, `restore` and `judgments`.
//! Thin: it parses the command line and calls into the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stadsmaat::accounts::cli::NewUser;
use stadsmaat::auth::SiteRole;
use stadsmaat::config::Config;
use stadsmaat::inventory::Inventory;

#[derive(Parser)]
#[command(
    name = "stadsmaat",
    version,
    about = "Knowledge-sharing platform of the G40 cities"
)]
struct Cli {
    /// Directory holding the SQLite file, search index, outbox and uploads.
    #[arg(long, global = true, env = "STADSMAAT_DATA_DIR", default_value = ".")]
    data_dir: PathBuf,

    /// Address `serve` listens on.
    #[arg(
        long,
        global = true,
        env = "STADSMAAT_BIND",
        default_value = "127.0.0.1:8080"
    )]
    bind: String,

    /// Database URL; postgres://… selects PostgreSQL. Default: SQLite in the data dir.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,

    /// SMTP server for outgoing mail: smtps://[user:password@]host[:port] (implicit TLS)
    /// or smtp://[user:password@]host[:port][?tls=required|none] (STARTTLS; see
    /// README.md); without it, mail is written to the data dir's outbox/.
    #[arg(long, global = true, env = "SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,

    /// PEM file of root certificates to trust for the SMTP server, besides the built-in
    /// ones (an internal certificate authority).
    #[arg(long, global = true, env = "STADSMAAT_SMTP_CA", value_name = "FILE")]
    smtp_ca: Option<PathBuf>,

    /// Sender address of outgoing mail.
    #[arg(long, global = true, env = "STADSMAAT_MAIL_FROM", default_value = stadsmaat::config::DEFAULT_MAIL_FROM)]
    mail_from: String,

    /// The address users reach the site at, for links in mail (default: http://BIND).
    #[arg(long, global = true, env = "STADSMAAT_PUBLIC_URL")]
    public_url: Option<String>,

    /// The largest attachment accepted, in bytes.
    #[arg(long, global = true, env = "STADSMAAT_UPLOAD_LIMIT", default_value_t = 20 * 1024 * 1024)]
    upload_limit: usize,

    /// Poppler's pdftotext, which extracts the text of PDF attachments for search.
    #[arg(
        long,
        global = true,
        env = "STADSMAAT_PDFTOTEXT",
        default_value = "pdftotext"
    )]
    pdftotext: String,

    /// When the weekly digest goes out, on the Amsterdam clock ("monday 07:00").
    #[arg(
        long,
        global = true,
        env = "STADSMAAT_DIGEST_AT",
        default_value = "monday 07:00"
    )]
    digest_at: String,

    /// How SQLite commits reach the disk: `full` syncs every commit (survives a power
    /// cut); `normal` is faster but may lose the last commits in a power cut.
    #[arg(
        long,
        global = true,
        env = "STADSMAAT_SQLITE_SYNC",
        default_value = "full",
        value_name = "full|normal"
    )]
    sqlite_sync: stadsmaat::db::Synchronous,

    /// A reverse proxy (address or CIDR block) whose X-Forwarded-For/-Proto/-Host or
    /// Forwarded headers are believed; repeat it or separate blocks by commas. Without
    /// it those headers are ignored.
    #[arg(
        long = "trusted-proxy",
        global = true,
        env = "STADSMAAT_TRUSTED_PROXY",
        value_delimiter = ',',
        value_name = "CIDR"
    )]
    trusted_proxy: Vec<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site and the API (the default).
    Serve,
    /// Load an inventory JSON file (same shape as data/g40-2020.json), updating
    /// projects by source_ref.
    Import {
        /// The inventory file.
        file: PathBuf,
    },
    /// Rebuild the search index from the database (with the server stopped).
    Reindex,
    /// Compose the digests due at a moment (default now), queue them and deliver them
    /// (over SMTP, or to outbox/) before exiting; a second run for the same week sends
    /// nothing.
    Digest {
        /// Print per recipient what would be sent, and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// The moment to compose for, RFC 3339 (such as 2026-12-07T07:00:00+01:00).
        #[arg(long, value_name = "RFC3339-TIME")]
        at: Option<String>,
    },
    /// Write a backup archive (a consistent database snapshot, the uploads, a manifest)
    /// while the server runs; gzip-compressed unless FILE ends in .tar.
    Backup {
        /// The archive to write, such as /var/backups/stadsmaat.tar.gz.
        file: PathBuf,
    },
    /// Restore a backup archive into an empty or new data directory (--data-dir).
    Restore {
        /// The archive `stadsmaat backup` wrote.
        file: PathBuf,
    },
    /// Write the members' answers on suggested comparable pilots as judged pairs (TSV:
    /// a, b, verdict, answers; projects by report number, or id:N), for the evaluation
    /// (the matchmaking bench reads it from STADSMAAT_BENCH_JUDGMENTS).
    Judgments {
        /// The file to write; standard output without it.
        file: Option<PathBuf>,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a verified user, reading the password from standard input; the way to
    /// make the first administrator of a fresh install.
    Create {
        #[arg(long)]
        email: String,
        /// Display name (default: the part of the address before the @).
        #[arg(long)]
        name: Option<String>,
        /// Make the user an administrator.
        #[arg(long, conflicts_with = "moderator")]
        admin: bool,
        /// Make the user a forum moderator.
        #[arg(long)]
        moderator: bool,
        /// Make the user a member of this city (its slug, such as `apeldoorn`).
        #[arg(long, value_name = "SLUG")]
        city: Option<String>,
        /// Make the user the editor of their `--city`.
        #[arg(long, requires = "city")]
        editor: bool,
        /// Read the password from standard input (required: passwords never go on the
        /// command line, where other users of the machine can see them).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    let result = Config::new(cli.bind, cli.data_dir, cli.database_url)
        .and_then(|config| {
            // An empty STADSMAAT_TRUSTED_PROXY means none, as an unset one does.
            let trusted_proxies = stadsmaat::auth::forwarded::Cidr::parse_all(&cli.trusted_proxy)
                .map_err(|e| format!("--trusted-proxy: {e}"))?;
            Ok(Config {
                trusted_proxies,
                ..config
            })
        })
        .map(|config| Config {
            smtp_url: cli.smtp_url,
            smtp_ca: cli.smtp_ca,
            mail_from: cli.mail_from,
            public_url: cli.public_url,
            upload_limit: cli.upload_limit,
            pdftotext: cli.pdftotext,
            digest_at: cli.digest_at,
            sqlite_sync: cli.sqlite_sync,
            ..config
        })
        .and_then(|config| match command {
            Command::Serve => serve(config),
            Command::Import { file } => import(config, &file),
            Command::Reindex => reindex(config),
            Command::Digest { dry_run, at } => digest(config, dry_run, at.as_deref()),
            Command::Backup { file } => {
                stadsmaat::backup::backup(&config, &file).map(|report| println!("{report}"))
            }
            Command::Restore { file } => {
                stadsmaat::backup::restore(&config, &file).map(|report| println!("{report}"))
            }
            Command::Judgments { file } => judgments(config, file.as_deref()),
            Command::User {
                command:
                    UserCommand::Create {
                        email,
                        name,
                        admin,
                        moderator,
                        city,
                        editor,
                        password_stdin: _,
                    },
            } => {
                let site_role = match (admin, moderator) {
                    (true, _) => SiteRole::Admin,
                    (false, true) => SiteRole::Moderator,
                    (false, false) => SiteRole::None,
                };
                create_user(
                    config,
                    &NewUser {
                        email,
                        name,
                        site_role,
                        city,
                        editor,
                    },
                )
            }
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("stadsmaat: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    let app = stadsmaat::app::prepare(config)?;
    let state = app.state.clone();
    if !stadsmaat::accounts::cli::has_admin(&state.db)? {
        let data_dir = state.config.data_dir.display();
        // On standard error, beside the log, where whoever starts the server looks.
        eprintln!(
            "No administrator yet. Create one with:\n  \
             stadsmaat user create --email you@example.nl --admin --password-stdin \
             --data-dir {data_dir}\n(type the password, then Enter)"
        );
    }
    let served = actix_web::rt::System::new()
        .block_on(stadsmaat::web::serve(state.clone(), app.configure()))
        .map_err(|e| format!("server failed: {e}"));
    // Background jobs finish their current pass; nothing half-done is left behind.
    state.jobs.shutdown();
    served
}

fn import(config: Config, file: &std::path::Path) -> Result<(), String> {
    let inventory = Inventory::read(file).map_err(|e| e.to_string())?;
    let db = stadsmaat::app::open_database(&config)?;
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    let report = inventory.import(&mut conn).map_err(|e| e.to_string())?;
    println!(
        "imported {}: {} cities, {} projects created, {} updated, {} unchanged, \
         {} kept as edited by their city",
        file.display(),
        report.cities,
        report.projects_created,
        report.projects_updated,
        report.projects_unchanged,
        report.projects_kept
    );
    Ok(())
}

fn create_user(config: Config, new: &NewUser) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let (db, _) = stadsmaat::app::open_with_inventory(&config)?;
    let line = stadsmaat::accounts::cli::create_user(&db, new, &password)?;
    println!("{line}");
    Ok(())
}

fn digest(config: Config, dry_run: bool, at: Option<&str>) -> Result<(), String> {
    let at = match at {
        Some(raw) => chrono::DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| {
                format!("--at must be an RFC 3339 time such as 2026-12-07T07:00:00+01:00: {e}")
            })?,
        None => chrono::Utc::now(),
    };
    let report = stadsmaat::digest::cli::run(&config, at, dry_run)?;
    println!("{report}");
    Ok(())
}

fn judgments(config: Config, file: Option<&std::path::Path>) -> Result<(), String> {
    let db = stadsmaat::app::open_database(&config)?;
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    let pairs =
        stadsmaat::matchmaking::feedback::judged_pairs(&mut conn).map_err(|e| e.to_string())?;
    let write = |out: &mut dyn std::io::Write| -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(out);
        stadsmaat::matchmaking::feedback::write_tsv(&pairs, &mut out)?;
        std::io::Write::flush(&mut out)
    };
    match file {
        Some(path) => {
            let mut out = std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            write(&mut out).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("{} judged pairs written to {}", pairs.len(), path.display());
        }
        None => {
            write(&mut std::io::stdout().lock())
                .map_err(|e| format!("cannot write the judged pairs: {e}"))?;
            // Standard output is the file itself; the count goes beside it.
            eprintln!("{} judged pairs", pairs.len());
        }
    }
    Ok(())
}

fn reindex(config: Config) -> Result<(), String> {
    let db = stadsmaat::app::open_database(&config)?;
    let count = stadsmaat::search::reindex(&config.index_dir(), &db)?;
    println!("search index rebuilt: {count} documents");
    Ok(())
}
