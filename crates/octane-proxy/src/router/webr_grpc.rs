//! octaneWebR's gRPC dialect, reached from the dispatch: `POST /api/grpc/{service}/{method}`
//! with the access rules, deadline and body limit of every route; the request and reply
//! shapes and the dialect's failures are `crate::proto_loader`'s.

use http::{Method, Request, Response};

use super::Inner;
use super::allowed_methods::only_post;
use super::dispatch::{Answered, AnsweredBy, guarded};
use crate::body::{Body, BoxError};
use crate::error::clip;
use crate::proto_loader::{self, DialectError};
use crate::routes::Route;
use crate::{ProxyError, deadline};

/// Answers a call below the dialect's prefix (`rest` is the path after it); every failure in
/// the dialect's shape.
pub(super) async fn call<B>(
    inner: &Inner,
    rest: &str,
    request: Request<B>,
    method: &Method,
    path: &str,
) -> Answered
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let refused = |error: DialectError| Ok(proto_loader::error_response(rest, &error));
    let is_get = method == Method::GET || method == Method::HEAD;
    if let Err(error) = inner
        .access
        .authenticate(request.headers(), request.uri().query(), is_get)
    {
        return Answered::unmatched(refused(error.into()));
    }
    let route = match proto_loader::resolve(rest) {
        Ok(route) => route,
        Err(error) => return Answered::unmatched(refused(error)),
    };
    let answer = async {
        match unary(inner, route, request, method, path).await {
            Ok(response) => Ok(response),
            Err(error) => refused(error),
        }
    };
    let outcome = guarded(answer, method, path).await;
    Answered::new(
        AnsweredBy::Rpc {
            route: route.0,
            ignored: Vec::new(),
        },
        outcome,
    )
}

/// The unary call of a resolved route.
async fn unary<B>(
    inner: &Inner,
    (route, schema): (&'static Route, &'static proto_loader::RouteSchema),
    request: Request<B>,
    method: &Method,
    path: &str,
) -> Result<Response<Body>, DialectError>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    only_post(method, &clip(path))?;
    inner.access.authorize(route)?;
    let timeout = deadline::requested(request.headers())?.unwrap_or(inner.default_timeout);
    let body = inner.read_body(request, inner.body_limit).await?;
    let message = proto_loader::encode_request(schema, &body)?;
    let reply = inner
        .octane
        .unary(route.path, message, timeout)
        .await
        .map_err(|status| ProxyError::from_call(route, status, timeout, inner.octane.address()))?;
    proto_loader::reply(route, schema, &reply)
}
