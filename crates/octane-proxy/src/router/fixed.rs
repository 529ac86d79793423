//! The fixed endpoints: `GET /health`, `/services`, `/openapi.json` and `/metrics`.

use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};

use super::Inner;
use super::allowed_methods::only_get;
use crate::body::Body;
use crate::routes::{self, RouteKind};
use crate::{ProxyError, response};

/// How long `/health` waits for Octane to answer its probe.
pub(super) const HEALTH_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

const OPENMETRICS: HeaderValue =
    HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
/// The OpenAPI document `cargo xtask regen` wrote for the same protos as the route table.
const OPENAPI_JSON: &[u8] = include_bytes!("../../../../docs/openapi.json");

/// `GET /health`: whether Octane answers a probe now, and where it is.
pub(super) async fn health(
    inner: &Inner,
    method: &Method,
    path: &str,
) -> Result<Response<Body>, ProxyError> {
    #[derive(serde::Serialize)]
    struct Health<'a> {
        status: &'a str,
        connected: bool,
        octane: &'a str,
    }
    only_get(method, path)?;
    let health = Health {
        status: "ok",
        connected: inner.octane.probe(HEALTH_PROBE_TIMEOUT).await,
        octane: inner.octane.address(),
    };
    Ok(response::json_of(StatusCode::OK, &health))
}

/// `GET /services`: every route, listed once at build time.
pub(super) fn services(
    inner: &Inner,
    method: &Method,
    path: &str,
) -> Result<Response<Body>, ProxyError> {
    only_get(method, path)?;
    Ok(response::json(StatusCode::OK, inner.services_json.clone()))
}

/// `GET /openapi.json`: the generated OpenAPI document.
pub(super) fn openapi(method: &Method, path: &str) -> Result<Response<Body>, ProxyError> {
    only_get(method, path)?;
    Ok(response::json(
        StatusCode::OK,
        Bytes::from_static(OPENAPI_JSON),
    ))
}

/// `GET /metrics`: the Prometheus metrics, the connection to Octane as last seen.
pub(super) fn metrics(
    inner: &Inner,
    method: &Method,
    path: &str,
) -> Result<Response<Body>, ProxyError> {
    only_get(method, path)?;
    inner.metrics.set_connected(inner.octane.reachable());
    let mut response = Response::new(Body::full(inner.metrics.encode()));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, OPENMETRICS);
    Ok(response)
}

/// The `/services` listing.
pub(super) fn services_json() -> Bytes {
    #[derive(serde::Serialize)]
    struct Entry {
        service: &'static str,
        method: &'static str,
        path: String,
        grpc_service: String,
        grpc_path: &'static str,
        request_type: &'static str,
        response_type: &'static str,
        streaming: RouteKind,
        aliases: &'static [&'static str],
    }
    let routes: Vec<Entry> = routes::services()
        .flat_map(|(service, routes)| {
            routes.iter().map(move |r| Entry {
                service: service.short,
                method: r.method,
                path: format!("/{}/{}", service.short, r.method),
                grpc_service: format!("{}.{}", service.package, service.name),
                grpc_path: r.path,
                request_type: r.request_type,
                response_type: r.response_type,
                streaming: r.kind,
                aliases: r.aliases,
            })
        })
        .collect();
    let body = serde_json::json!({
        "success": true,
        "data": { "count": routes.len(), "routes": routes },
    });
    Bytes::from(body.to_string())
}
