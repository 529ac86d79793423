//! octaneWeb's debug console, reached from the dispatch: `POST /debug/append-log`, whose
//! entries `crate::client_log` writes to the log.

use http::{Request, Response, StatusCode};

use super::Inner;
use super::allowed_methods::only_post;
use crate::body::{Body, BoxError};
use crate::{ProxyError, client_log, response};

/// The endpoint's path.
pub(super) const PATH: &str = client_log::PATH;

/// Writes the posted console line to the log; `204`.
pub(super) async fn append<B>(
    inner: &Inner,
    request: Request<B>,
) -> Result<Response<Body>, ProxyError>
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    only_post(request.method(), request.uri().path())?;
    let body = inner.read_body(request, client_log::BODY_LIMIT).await?;
    client_log::append(&body)?;
    Ok(response::empty(StatusCode::NO_CONTENT))
}
