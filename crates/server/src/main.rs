//! `docent-server`: serves Docent's core and web UI over HTTP on this machine.

use std::process::ExitCode;

use clap::Parser;
use docent_core::{Docent, Settings, SettingsLayer};
use docent_server::{shutdown_signal, Server};

/// Docent's local server: accounts, sessions and the web UI over HTTP.
///
/// Every setting is read from its flag, else its DOCENT_* environment variable, else
/// docent.toml in the data dir (the same names in snake_case, e.g. session_ttl = "7d"),
/// else its default.
#[derive(Debug, Parser)]
#[command(name = "docent-server", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    settings: SettingsLayer,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::resolve(cli.settings) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("docent-server: {err}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log).unwrap_or_else(|err| {
        eprintln!(
            "docent-server: DOCENT_LOG {:?} is not a log filter ({err}); using info",
            settings.log
        );
        tracing_subscriber::EnvFilter::new("info")
    });
    tracing_subscriber::fmt().with_env_filter(filter).init();
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("docent-server: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    let docent = Docent::open(settings).await?;
    let server = Server::bind(docent).await?;
    tracing::info!("Docent is listening on http://{}", server.local_addr());
    server.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
