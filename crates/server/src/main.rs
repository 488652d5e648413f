//! `docent-server`: serves Docent's core and web UI over HTTP on this machine.

use std::process::ExitCode;

use clap::Parser;
use docent_core::{Docent, Settings, SettingsLayer};
use docent_server::settings::{ServerLayer, ServerSettings};
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
    server: ServerLayer,
    #[command(flatten)]
    settings: SettingsLayer,
}

fn main() -> ExitCode {
    // Started again by itself to read one document in a process of its own: before the
    // runtime, its threads or anything else starts.
    docent_core::documents::run_extractor_if_asked();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts")
        .block_on(serve_from_settings())
}

async fn serve_from_settings() -> ExitCode {
    let cli = Cli::parse();
    let resolved = Settings::resolve_with_file(cli.settings)
        .and_then(|(settings, file)| Ok((settings, cli.server.or(file.face()?).resolve())));
    let (settings, server) = match resolved {
        Ok(resolved) => resolved,
        Err(err) => {
            eprintln!("docent-server: {err}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&server.log).unwrap_or_else(|err| {
        eprintln!(
            "docent-server: DOCENT_LOG {:?} is not a log filter ({err}); using info",
            server.log
        );
        tracing_subscriber::EnvFilter::new("info")
    });
    tracing_subscriber::fmt().with_env_filter(filter).init();
    match run(settings, server).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("docent-server: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mut settings: Settings, server: ServerSettings) -> anyhow::Result<()> {
    let listener = Server::bind(server.addr).await?;
    // Emailed links point here when no public URL is set.
    settings.local_url = format!("http://{}", listener.local_addr()?);
    let docent = Docent::open(settings).await?;
    let server = Server::on(listener, docent, server.ui_dir.as_deref())?;
    tracing::info!("Docent is listening on http://{}", server.local_addr());
    server.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
