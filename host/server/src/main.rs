//! `entrepot`: the server (`serve`), its offline tools (`verify`, `export`), and a client
//! for people (`account`, `order`, `book`, `balance`, `candles`, `ticker`, `metrics`, `alerts`,
//! `admin`).

// Modules from the top layer down; a module uses only modules of lower layers (see
// ARCHITECTURE.md, "The server").
// 1. entry points
mod cli;
mod demo;
mod server;
// 2. connections
mod handlers;
mod session;
mod subscriptions;
mod transport;
// 3. shared state and the engine thread
mod notify;
mod plugins;
mod publish;
mod sequencer;
mod state;
// 4. conversions and services
mod auth;
mod betting;
mod convert;
mod fanout;
mod inbox;
mod mail;
mod marketdata;
mod queries;
mod search;
// 5. foundations
mod clock;
mod config;
mod errors;
mod request_ids;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "entrepot", version, about = "Entrepot game-economy server and client")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// How the client subcommands reach the server.
#[derive(clap::Args, Clone)]
pub struct Target {
    /// Server address.
    #[arg(long, env = "ENTREPOT_SERVER", default_value = "127.0.0.1:4433", global = true)]
    pub server: SocketAddr,
    /// SHA-256 fingerprint of the server certificate (default: read <data-dir>/tls/fingerprint).
    #[arg(long, env = "ENTREPOT_FINGERPRINT", global = true)]
    pub fingerprint: Option<String>,
    /// Data directory of a local server, to find its fingerprint.
    #[arg(long, env = "ENTREPOT_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Where `account login` keeps the session token.
    #[arg(long, env = "ENTREPOT_SESSION_FILE", default_value = ".entrepot-session", global = true)]
    pub session_file: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server.
    Serve {
        /// TOML config file (see README); `ENTREPOT_*` variables and flags override it.
        #[arg(long, env = "ENTREPOT_CONFIG")]
        config: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// SMTP relay URL, e.g. smtp://127.0.0.1:25 or smtps://user:pass@mail.example.com
        /// (default: write mail to <data-dir>/mail).
        #[arg(long)]
        smtp_relay: Option<String>,
        /// Sender address of every e-mail, e.g. "Entrepot <noreply@example.com>".
        #[arg(long)]
        mail_from: Option<String>,
    },
    /// Check a data directory: journal continuity, replay against snapshots, conservation.
    Verify { data_dir: PathBuf },
    /// Dump accounts, resting orders and trades of a data directory as JSON lines.
    Export { data_dir: PathBuf },
    /// List the mails that could not be delivered (refused for good, or out of attempts)
    /// of a stopped server's data directory, as JSON lines.
    DeadLetters { data_dir: PathBuf },
    #[command(flatten)]
    Client(cli::ClientCmd),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,quinn=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Cmd::Serve { config, data_dir, listen, smtp_relay, mail_from } => {
            let mut config = config::Config::load(config.as_deref())?;
            if let Some(d) = data_dir {
                config.data_dir = d;
            }
            if let Some(l) = listen {
                config.listen = l;
            }
            if let Some(relay) = smtp_relay {
                config.smtp_relay = Some(relay).filter(|r| !r.is_empty());
            }
            if let Some(from) = mail_from {
                config.mail_from = from;
            }
            runtime.block_on(server::serve(config))
        }
        Cmd::Verify { data_dir } => cli::verify(&data_dir),
        Cmd::Export { data_dir } => cli::export(&data_dir),
        Cmd::DeadLetters { data_dir } => cli::dead_letters(&data_dir),
        Cmd::Client(cmd) => runtime.block_on(cli::run(cmd)),
    }
}
