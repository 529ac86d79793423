//! Mount `octane_proxy::Router` under `/octane` in an axum app, next to the app's own routes,
//! behind the app's own auth middleware.
//!
//! ```text
//! cargo run -p octane-proxy-examples --example embed_axum
//! curl -H 'Authorization: Bearer let-me-in' -X POST localhost:8080/octane/ApiProjectManager/rootNodeGraph
//! ```

#![forbid(unsafe_code)]

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use octane_proxy::{Octane, Router as OctaneRouter};

#[tokio::main]
#[allow(dead_code)] // the example's tests use `app` only
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let octane = OctaneRouter::builder(Octane::lazy("127.0.0.1", 51022)?).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(octane)).await?;
    Ok(())
}

/// The app: its own route, and the proxy under `/octane`, all behind its auth middleware.
pub(crate) fn app(octane: OctaneRouter) -> axum::Router {
    axum::Router::new()
        .route("/", get(|| async { "my studio app" }))
        // Everything below /octane is the proxy: /octane/health, /octane/ApiItem/name, ...
        .nest_service("/octane", octane)
        .layer(middleware::from_fn(require_token))
}

/// The app's own access rule, applied to the proxy like to any other route.
async fn require_token(request: Request, next: Next) -> Result<Response, StatusCode> {
    let is_proxy = request.uri().path().starts_with("/octane");
    let authorized = request
        .headers()
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == b"Bearer let-me-in");
    if is_proxy && !authorized {
        return Err(StatusCode::UNAUTHORIZED);
    }
    Ok(next.run(request).await)
}
