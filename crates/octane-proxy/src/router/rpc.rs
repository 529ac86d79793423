//! `POST /{Service}/{method}`: the route a path names, the checks every call passes (method,
//! access, deadline, body limit), and what the kinds of call share: decoding the request body
//! and writing the reply's envelope. Each kind's call is in its own module.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};

use super::allowed_methods::only_post;
use super::{Inner, client_streaming, server_streaming, unary};
use crate::body::{Body, BoxError};
use crate::error::clip;
use crate::routes::{self, LookupError, Route, RouteKind};
use crate::transcode::{JsonError, ResponseError};
use crate::{ProxyError, deadline, response};

/// One call of an RPC route, its body read.
pub(super) struct Call<'a> {
    /// The router.
    pub(super) inner: &'a Inner,
    /// The route called.
    pub(super) route: &'static Route,
    /// The service as the path names it, for error messages.
    pub(super) service: String,
    /// The request body.
    pub(super) body: Bytes,
    /// The deadline the request asked for, if any.
    pub(super) requested_timeout: Option<Duration>,
    /// The call's deadline: the requested one, or the router's default.
    pub(super) timeout: Duration,
}

impl Call<'_> {
    /// The failure of the call to Octane.
    pub(super) fn failed(&self, status: tonic::Status) -> ProxyError {
        ProxyError::from_call(
            self.route,
            status,
            self.timeout,
            self.inner.octane.address(),
        )
    }

    /// Decodes the request body in the router's JSON mode, adding the paths of ignored keys
    /// to `ignored`.
    pub(super) fn decode(&self, ignored: &mut Vec<String>) -> Result<Vec<u8>, ProxyError> {
        let decoded = self
            .route
            .decode_request_in(&self.body, self.inner.json_mode)
            .map_err(|error| self.request_error(error))?;
        if !decoded.ignored.is_empty() {
            *ignored = decoded.ignored;
        }
        Ok(decoded.message)
    }

    /// A request body that is not JSON, or not JSON of the request's shape.
    pub(super) fn request_error(&self, error: JsonError) -> ProxyError {
        if error.syntax {
            ProxyError::MalformedJson {
                service: self.service.clone(),
                method: self.route.method.to_owned(),
                error,
            }
        } else {
            ProxyError::InvalidRequest {
                service: self.service.clone(),
                method: self.route.method.to_owned(),
                request_type: self.route.request_type,
                error,
            }
        }
    }
}

/// Calls `route` with `request`; `ignored` gets the paths of the body's ignored keys.
pub(super) async fn call<B>(
    inner: &Inner,
    route: &'static Route,
    request: Request<B>,
    method: &Method,
    path: &str,
    ignored: &mut Vec<String>,
) -> Result<Response<Body>, ProxyError>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    only_post(method, path)?;
    inner.access.authorize(route)?;
    let requested_timeout = deadline::requested(request.headers())?;
    let call = Call {
        inner,
        route,
        service: service_segment(path).to_owned(),
        requested_timeout,
        timeout: requested_timeout.unwrap_or(inner.default_timeout),
        body: inner.read_body(request, inner.body_limit).await?,
    };
    match route.kind {
        RouteKind::Unary => unary::call(&call, ignored).await,
        RouteKind::ClientStreaming => client_streaming::call(&call, ignored).await,
        RouteKind::ServerStreaming => server_streaming::call(&call, ignored).await,
        RouteKind::BidiStreaming => Err(ProxyError::Unsupported {
            service: route.service,
            method: route.method,
        }),
    }
}

/// Resolves `/{Service}/{method}`; anything else is a 404 that says what exists.
pub(super) fn resolve(path: &str) -> Result<&'static Route, ProxyError> {
    let not_found = || ProxyError::NotFound { path: clip(path) };
    let (service, method) = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .ok_or_else(not_found)?;
    if service.is_empty() || method.is_empty() || method.contains('/') {
        return Err(not_found());
    }
    routes::lookup(service, method).map_err(|err| match err {
        LookupError::UnknownService { suggestions } => ProxyError::UnknownService {
            service: clip(service),
            suggestions,
        },
        LookupError::UnknownMethod {
            service,
            suggestions,
        } => ProxyError::UnknownMethod {
            service,
            method: clip(method),
            suggestions,
        },
    })
}

fn service_segment(path: &str) -> &str {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
}

/// `{"success":true,"data":<response as proto3 JSON>}`, written in one buffer.
pub(super) fn envelope(route: &'static Route, reply: Bytes) -> Result<Response<Body>, ProxyError> {
    response::success(reply.len() * 2, |out| {
        route
            .encode_response(reply, out)
            .map_err(|err| bad_response(route, err))
    })
}

/// A reply of Octane's that does not decode as the route's response message.
pub(super) fn bad_response(route: &'static Route, err: ResponseError) -> ProxyError {
    ProxyError::BadResponse {
        service: route.service,
        method: route.method,
        response_type: route.response_type,
        error: Box::new(err),
    }
}
