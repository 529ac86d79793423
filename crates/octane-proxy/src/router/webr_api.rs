//! octaneWebR's plain endpoints, reached from the dispatch: `GET /api/health`, `POST /api/log`
//! and `GET /api/system/info`; their bodies are written by `crate::webr_endpoints`.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use super::Inner;
use super::allowed_methods::{only_get, only_post};
use super::fixed::HEALTH_PROBE_TIMEOUT;
use crate::body::{Body, BoxError};
use crate::webr_endpoints::{api_log, health, system_info};
use crate::{ProxyError, deadline, response};

/// The health check's path.
pub(super) const HEALTH: &str = "/api/health";
/// The client log's path.
pub(super) const LOG: &str = "/api/log";
/// The system information's path.
pub(super) const SYSTEM_INFO: &str = "/api/system/info";

/// `GET /api/health`: whether Octane answers, in the shape octaneWebR reads.
pub(super) async fn health(
    inner: &Inner,
    method: &Method,
    path: &str,
) -> Result<Response<Body>, ProxyError> {
    only_get(method, path)?;
    let body = health::body(&inner.octane, HEALTH_PROBE_TIMEOUT).await;
    Ok(response::json(StatusCode::OK, body))
}

/// `POST /api/log`: the client's log lines, written to the proxy's log.
pub(super) async fn log<B>(inner: &Inner, request: Request<B>) -> Result<Response<Body>, ProxyError>
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    only_post(request.method(), request.uri().path())?;
    let limit = api_log::BODY_LIMIT.min(inner.body_limit);
    let body = inner.read_body(request, limit).await?;
    api_log::write(&body)?;
    Ok(response::json(
        StatusCode::OK,
        Bytes::from_static(br#"{"success":true}"#),
    ))
}

/// `GET /api/system/info`: what octaneWebR shows about the proxy and Octane.
pub(super) async fn system_info<B>(
    inner: &Inner,
    request: Request<B>,
) -> Result<Response<Body>, ProxyError> {
    only_get(request.method(), request.uri().path())?;
    let timeout = deadline::requested(request.headers())?.unwrap_or(inner.default_timeout);
    let body = system_info::body(&inner.octane, &inner.access, timeout).await?;
    Ok(response::json(StatusCode::OK, body))
}
