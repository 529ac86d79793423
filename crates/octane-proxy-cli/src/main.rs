//! `octane-proxy`: serves [`octane_proxy::Router`] over HTTP, forwarding to Octane's LiveLink.

mod octane_host;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use octane_proxy::{Octane, Router};
use tracing_subscriber::EnvFilter;

/// HTTP/JSON gateway to the gRPC API of the Octane renderer.
#[derive(Parser, Debug)]
#[command(name = "octane-proxy", version, about)]
struct Args {
    /// Address to serve HTTP on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to serve HTTP on.
    #[arg(long, default_value_t = 51023)]
    port: u16,
    /// Octane's LiveLink host [default: detected, see the start-up log].
    #[arg(long, env = "OCTANE_HOST")]
    octane_host: Option<String>,
    /// Octane's LiveLink port.
    #[arg(long, env = "OCTANE_PORT", default_value_t = 51022)]
    octane_port: u16,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let choice = octane_host::choose(args.octane_host.as_deref()).await;
    let octane = Octane::lazy(&choice.host, args.octane_port)?;
    tracing::info!(octane = octane.address(), reason = %choice.reason, "Octane LiveLink address chosen");

    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|err| format!("cannot listen on {}:{}: {err}", args.host, args.port))?;
    let local: SocketAddr = listener.local_addr()?;
    tracing::info!("serving on http://{local}");

    let router = Router::builder(octane).build();
    octane_proxy::serve(listener, router, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
