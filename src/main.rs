//! The `stadsmaat` command: `serve` (the default) and `import`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    let result =
        Config::new(cli.bind, cli.data_dir, cli.database_url).and_then(|config| match command {
            Command::Serve => serve(config),
            Command::Import { file } => import(config, &file),
            Command::Reindex => reindex(config),
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
    let state = stadsmaat::app::prepare(config)?;
    actix_web::rt::System::new()
        .block_on(stadsmaat::web::serve(state))
        .map_err(|e| format!("server failed: {e}"))
}

fn import(config: Config, file: &std::path::Path) -> Result<(), String> {
    let inventory = Inventory::read(file).map_err(|e| e.to_string())?;
    let db = stadsmaat::app::open_database(&config)?;
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    let report = inventory.import(&mut conn).map_err(|e| e.to_string())?;
    println!(
        "imported {}: {} cities, {} projects created, {} updated, {} unchanged",
        file.display(),
        report.cities,
        report.projects_created,
        report.projects_updated,
        report.projects_unchanged
    );
    Ok(())
}

fn reindex(config: Config) -> Result<(), String> {
    let db = stadsmaat::app::open_database(&config)?;
    let count = stadsmaat::search::reindex(&config.index_dir(), &db)?;
    println!("search index rebuilt: {count} documents");
    Ok(())
}
