//! `octane-proxy`: serves [`octane_proxy::Router`] over HTTP, forwarding to Octane's LiveLink,
//! with the live render stream of `octane_callbacks` mounted at `/render` and `/` (or a web
//! client's folder at `/`, `--web-root`).

#![forbid(unsafe_code)]

mod octane_host;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;

use std::time::Duration;

use clap::Parser;
use octane_callbacks::{CallbackStreamer, StreamerConfig};
use octane_proxy::{AccessPolicy, AllowedHosts, AllowedOrigins, Octane, Router, WebRoot};
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// HTTP/JSON gateway to the gRPC API of the Octane renderer: `POST /{Service}/{method}` with a
/// JSON body, the live render at `/` and `/render/stream`, `/health`, `/metrics`.
// `about` is this doc comment's first paragraph; `#[command(about)]` alone would print the crate's
// description, which describes the crate to its developers.
#[derive(Parser, Debug)]
#[command(name = "octane-proxy", version)]
struct Args {
    /// Address to serve HTTP on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to serve HTTP on.
    #[arg(long, default_value_t = 51023)]
    port: u16,
    /// Octane's LiveLink host, a name or an IP address without a port [default: detected, see
    /// the start-up log].
    #[arg(long, env = "OCTANE_HOST")]
    octane_host: Option<String>,
    /// Octane's LiveLink port.
    #[arg(long, env = "OCTANE_PORT", default_value_t = 51022)]
    octane_port: u16,
    /// Require `Authorization: Bearer <TOKEN>` (or `?token=` on GET) on every route but
    /// OPTIONS and /health.
    #[arg(long, env = "OCTANE_PROXY_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Only allow calls matching this `Service/method` wildcard (repeatable), e.g. 'ApiItem/*'.
    #[arg(long, value_name = "PATTERN")]
    allow: Vec<String>,
    /// Refuse calls matching this `Service/method` wildcard with 403 (repeatable),
    /// e.g. 'ApiProjectManager/save*'.
    #[arg(long, value_name = "PATTERN")]
    deny: Vec<String>,
    /// Also serve web pages of this origin, scheme://host[:port] or `null` (repeatable);
    /// pages of http://localhost, http://127.0.0.1 and http://[::1] (any port) and the proxy's
    /// own always are, any other origin is refused.
    #[arg(long, value_name = "ORIGIN")]
    cors_origin: Vec<String>,
    /// Also answer requests addressed to this host name (repeatable), to serve the LAN by name;
    /// IP addresses and localhost always are, any other name is refused (DNS rebinding).
    #[arg(long, value_name = "NAME")]
    allowed_host: Vec<String>,
    /// Largest request body in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = octane_proxy::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Default deadline of a call to Octane, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = octane_proxy::DEFAULT_TIMEOUT.as_millis() as u64)]
    timeout_ms: u64,
    /// Serve the built web client in DIR at `/` (e.g. octaneWebR's `dist/client`); the built-in
    /// page then moves to `/render/`.
    #[arg(long, value_name = "DIR")]
    web_root: Option<std::path::PathBuf>,
    /// Largest gRPC message to or from Octane, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = octane_proxy::DEFAULT_MAX_MESSAGE_SIZE)]
    max_message_size: usize,
    /// Refuse (400) request keys the message does not have and numbers for bool fields, instead
    /// of ignoring and reporting the keys and reading the numbers as the old proxy did.
    #[arg(long)]
    strict_json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    octane_callbacks::heap::keep_freed_frame_memory();
    // `Targets` reads `RUST_LOG`'s `level,target=level` directives without the regex engine a
    // full `EnvFilter` compiles in, which was a seventh of the binary's release build.
    let info = || Targets::new().with_default(Level::INFO);
    let (filter, bad_filter) = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => match directives.parse::<Targets>() {
            Ok(filter) => (filter, None),
            Err(err) => (info(), Some((directives, err))),
        },
        _ => (info(), None),
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();
    if let Some((directives, err)) = bad_filter {
        tracing::warn!("ignoring RUST_LOG={directives:?} ({err}); logging at info");
    }
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
    let octane =
        Octane::lazy(&choice.host, args.octane_port)?.max_message_size(args.max_message_size);
    tracing::info!(octane = octane.address(), reason = %choice.reason, "Octane LiveLink address chosen");

    let mut access = AccessPolicy::default()
        .allow(&args.allow)?
        .deny(&args.deny)?;
    for pattern in access.patterns_matching_nothing() {
        tracing::warn!(
            "the pattern {pattern:?} matches no RPC of this build; check its spelling \
             (GET /services lists the names)"
        );
    }
    if let Some(token) = args.token {
        // An empty value is a mistake (an unset variable, an empty secret file), not a wish to
        // serve without a token: that is what leaving the flag out is for.
        if token.is_empty() {
            return Err(
                "--token (or OCTANE_PROXY_TOKEN) is empty; leave it out to serve without \
                        a token"
                    .into(),
            );
        }
        access = access.token(token);
    }
    let origins = AllowedOrigins::default().allow(&args.cors_origin)?;
    let hosts = AllowedHosts::default().allow(&args.allowed_host)?;

    let web_root = args.web_root.as_deref().map(WebRoot::new).transpose()?;
    if let Some(web_root) = &web_root {
        tracing::info!(
            folder = %web_root.folder().display(),
            "serving the web root at /, the built-in page at /render/"
        );
    }

    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|err| format!("cannot listen on {}:{}: {err}", args.host, args.port))?;
    let local: SocketAddr = listener.local_addr()?;
    if !local.ip().is_loopback() && !access.requires_token() {
        tracing::warn!(
            "serving on {local}, which is not loopback, without --token: anyone who can reach this \
             address can drive Octane, including saving, loading and deleting projects; web \
             pages are served from {} only, at the host names {} only",
            origins.describe(),
            hosts.describe(),
        );
    }
    tracing::info!(
        access = %access.describe(),
        origins = %origins.describe(),
        hosts = %hosts.describe(),
        "serving on http://{local}"
    );

    // The render routes make calls of their own: the same rules apply to them.
    let streamer = CallbackStreamer::new(
        &octane,
        StreamerConfig {
            access: access.clone(),
            ..StreamerConfig::default()
        },
    );
    let metrics = streamer.clone();
    let mut router = Router::builder(octane)
        .register_metrics(move |registry| metrics.register_metrics(registry))
        .nest("/render", streamer.routes())
        .route("/api/callbacks", streamer.routes());
    router = match web_root {
        Some(web_root) => router.web_root(web_root),
        None => router.route("/", streamer.routes()),
    };
    let router = router
        .access(access)
        .allowed_origins(origins)
        .allowed_hosts(hosts)
        .body_limit(args.body_limit)
        .strict_json(args.strict_json)
        .default_timeout(Duration::from_millis(args.timeout_ms))
        .build();
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
