//! The command line: `serve`, `workspace`, `key`, `form-key`, `import`, `export`, `backup`,
//! `migrate`, `copy`, `privacy`. The output of
//! each command is a contract scripts rely on (see README).

mod backup;
mod copy;
mod copy_opt_in;
mod export;
mod form_key;
mod import;
mod key;
mod migrate;
mod privacy;
mod privacy_export;
mod serve;
mod workspace;

use crate::config::{Config, LogFormat, Overrides};
use crate::store::{self, SharedStore};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "purrlist",
    version,
    about = "A self-hosted server for newsletter contacts (Notocat v1 contacts API)."
)]
struct Cli {
    /// A TOML configuration file (also PURRLIST_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<String>,
    /// Database URL: sqlite://PATH (default sqlite://purrlist.db) or postgres://… (also PURRLIST_DATABASE_URL).
    #[arg(long = "database", global = true, value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080; also PURRLIST_LISTEN).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// The name of the workspace a first start creates (default "My newsletter"); ignored
        /// once one exists (rename with `purrlist workspace rename`).
        #[arg(long, value_name = "NAME", env = "PURRLIST_WORKSPACE_NAME")]
        workspace_name: Option<String>,
    },
    /// Manage workspaces (Notocat's newsletters).
    #[command(subcommand)]
    Workspace(workspace::WorkspaceCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Manage form keys: publishable keys of public sign-up forms (double opt-in).
    #[command(subcommand)]
    FormKey(form_key::FormKeyCommand),
    /// Bring the database schema up to date (serve does it too).
    Migrate,
    /// Copy every workspace, key and contact from one database to another (e.g. SQLite to PostgreSQL).
    Copy(copy::CopyArgs),
    /// Create or update contacts of a workspace from a CSV file (bulk upsert rules).
    Import(import::ImportArgs),
    /// Write the contacts of a workspace as CSV or NDJSON, in list order, ready to import elsewhere.
    Export(export::ExportArgs),
    /// Answer a person's request about their data: `export` prints everything kept about
    /// one address, `erase` forgets it.
    #[command(subcommand)]
    Privacy(privacy::PrivacyCommand),
    /// Write a consistent copy of a SQLite database, safe while the server runs.
    Backup {
        /// The new file to write.
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
}

/// Runs the command line and returns the process exit code. `before_serving` runs once,
/// before any thread is started, when the command is `serve` (the binary tunes its
/// allocator there for a long-running server).
pub fn main(before_serving: impl FnOnce()) -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Serve { .. }) {
        before_serving();
    }
    let overrides = Overrides {
        config_file: cli.config.clone(),
        listen: match &cli.command {
            Command::Serve { listen, .. } => listen.clone(),
            _ => None,
        },
        database_url: cli.database_url.clone(),
    };
    let result = Config::load(&overrides).and_then(|(config, warnings)| {
        config.validate()?;
        init_logging(
            config.log_format,
            matches!(cli.command, Command::Serve { .. }),
        );
        for warning in warnings {
            tracing::warn!("{warning}");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(run(cli.command, config))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { workspace_name, .. } => serve::run(config, workspace_name).await,
        Command::Workspace(cmd) => workspace::run(cmd, &*open_store(&config).await?).await,
        Command::Key(cmd) => key::run(cmd, &*open_store(&config).await?).await,
        Command::FormKey(cmd) => form_key::run(cmd, &*open_store(&config).await?).await,
        Command::Migrate => migrate::run(&config).await,
        Command::Copy(args) => copy::run(args, &config).await,
        Command::Import(args) => {
            let mut options = config.store_options();
            options.sqlite.bulk_load = true;
            let store = store::open(&config.database_url, &options).await?;
            import::run(args, &*store, store.clone()).await
        }
        Command::Export(args) => {
            let store = open_store(&config).await?;
            export::run(args, &*store, &*store).await
        }
        Command::Backup { to } => backup::run(&config.database_url, &to),
        Command::Privacy(cmd) => privacy::run(cmd, &*open_store(&config).await?).await,
    }
}

async fn open_store(config: &Config) -> anyhow::Result<SharedStore> {
    store::open(&config.database_url, &config.store_options()).await
}

/// Logs go to stderr; the server logs at info, other commands only warnings.
fn init_logging(format: LogFormat, serving: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if serving { "info" } else { "warn" };
    let filter =
        EnvFilter::try_from_env("PURRLIST_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
