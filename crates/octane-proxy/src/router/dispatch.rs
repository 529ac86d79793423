//! Which endpoint answers a request, in order: the CORS preflight, octaneWebR's `/api/grpc/`
//! dialect, the access token, the mounted services, the fixed endpoints and client dialects,
//! the RPC routes, and the web root for what none of them claims. [`Inner::dispatch`] returns
//! the answer together with what gave it, for the log line and the metrics' `route` label.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use http::{Method, Request, Response, StatusCode};

use super::{Inner, fixed, octane_web_log, rpc, webr_api, webr_grpc};
use crate::body::{Body, BoxError};
use crate::routes::Route;
use crate::{ProxyError, proto_loader, response};

/// What answered a request.
pub(super) enum AnsweredBy {
    /// An RPC route, with the paths of the body's keys that were ignored.
    Rpc {
        /// The route.
        route: &'static Route,
        /// The ignored keys' paths (lenient JSON), empty when none were.
        ignored: Vec<String>,
    },
    /// A fixed endpoint or a mounted service, by path.
    Fixed(&'static str),
    /// Nothing: a 404, or a request refused before routing.
    Unmatched,
}

/// A request's answer and what gave it.
pub(super) struct Answered {
    /// What answered.
    pub(super) by: AnsweredBy,
    /// The response, or the failure to answer with.
    pub(super) outcome: Result<Response<Body>, ProxyError>,
}

impl Answered {
    /// An answer of `by`.
    pub(super) fn new(by: AnsweredBy, outcome: Result<Response<Body>, ProxyError>) -> Self {
        Self { by, outcome }
    }

    /// An answer of the fixed endpoint or mount at `path`.
    fn fixed(path: &'static str, outcome: Result<Response<Body>, ProxyError>) -> Self {
        Self::new(AnsweredBy::Fixed(path), outcome)
    }

    /// A request no endpoint took.
    pub(super) fn unmatched(outcome: Result<Response<Body>, ProxyError>) -> Self {
        Self::new(AnsweredBy::Unmatched, outcome)
    }
}

impl Inner {
    /// Answers one request whose host and origin the browser guard allowed. `method` and
    /// `path` are the request's, for the log line of a handler that panics.
    pub(super) async fn dispatch<B>(
        &self,
        request: Request<B>,
        method: &Method,
        path: &str,
    ) -> Answered
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        if method == Method::OPTIONS {
            return Answered::fixed("preflight", Ok(response::empty(StatusCode::NO_CONTENT)));
        }
        if let Some(rest) = path.strip_prefix(proto_loader::PREFIX) {
            return webr_grpc::call(self, rest, request, method, path).await;
        }
        // The health checks say only whether Octane answers, and octaneWebR cannot send a token.
        if path != "/health" && path != "/api/health" {
            let is_get = method == Method::GET || method == Method::HEAD;
            if let Err(refused) =
                self.access
                    .authenticate(request.headers(), request.uri().query(), is_get)
            {
                return Answered::unmatched(Err(refused));
            }
        }
        if let Some(mount) = self.mounts.iter().find(|m| m.matches(path)) {
            let answer = guarded(mount.call(request).map(Ok), method, path).await;
            return Answered::fixed(mount.path, answer);
        }
        // `/services` and `/openapi.json` hand out bytes made before; the others run guarded.
        match path {
            "/health" => Answered::fixed(
                "/health",
                guarded(fixed::health(self, method, path), method, path).await,
            ),
            webr_api::HEALTH => Answered::fixed(
                webr_api::HEALTH,
                guarded(webr_api::health(self, method, path), method, path).await,
            ),
            webr_api::LOG => Answered::fixed(
                webr_api::LOG,
                guarded(webr_api::log(self, request), method, path).await,
            ),
            webr_api::SYSTEM_INFO => Answered::fixed(
                webr_api::SYSTEM_INFO,
                guarded(webr_api::system_info(self, request), method, path).await,
            ),
            "/services" => Answered::fixed("/services", fixed::services(self, method, path)),
            "/openapi.json" => Answered::fixed("/openapi.json", fixed::openapi(method, path)),
            "/metrics" => Answered::fixed(
                "/metrics",
                guarded(async { fixed::metrics(self, method, path) }, method, path).await,
            ),
            octane_web_log::PATH => Answered::fixed(
                octane_web_log::PATH,
                guarded(octane_web_log::append(self, request), method, path).await,
            ),
            _ => self.rpc_or_file(request, method, path).await,
        }
    }

    /// `POST /{Service}/{method}`, or else a file of the web root, or else the 404 that says
    /// which services and methods exist.
    async fn rpc_or_file<B>(&self, request: Request<B>, method: &Method, path: &str) -> Answered
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let route = rpc::resolve(path);
        // `/api/` is octaneWebR's API: never a file, whatever the web root holds.
        if route.is_err()
            && !path.starts_with("/api/")
            && let Some(web_root) = &self.web_root
            && let Some(file) = web_root.serve(&request).await
        {
            return Answered::fixed("web-root", Ok(file));
        }
        let route = match route {
            Ok(route) => route,
            Err(not_found) => return Answered::unmatched(Err(not_found)),
        };
        let mut ignored = Vec::new();
        let outcome = guarded(
            rpc::call(self, route, request, method, path, &mut ignored),
            method,
            path,
        )
        .await;
        Answered::new(AnsweredBy::Rpc { route, ignored }, outcome)
    }
}

/// Runs a handler; a panic in it (a bug) answers `500 INTERNAL` and is logged, and the server
/// keeps serving.
pub(super) async fn guarded(
    handler: impl Future<Output = Result<Response<Body>, ProxyError>>,
    method: &Method,
    path: &str,
) -> Result<Response<Body>, ProxyError> {
    AssertUnwindSafe(handler)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            tracing::error!(%method, %path, %message, "request handler panicked");
            Err(ProxyError::Internal(message))
        })
}
