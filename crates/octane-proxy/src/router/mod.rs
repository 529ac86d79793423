//! [`Router`]: the HTTP surface as a `tower::Service`, and [`RouterBuilder`].
//!
//! One concern per file, in the order a request meets them:
//! - `builder`: [`RouterBuilder`] and its options;
//! - `service`: the `tower::Service`: the browser guard, CORS, the call id, the log line and the
//!   metrics around every request;
//! - `dispatch`: which endpoint answers a path, and what answered;
//! - `mount`: services mounted with [`RouterBuilder::route`] and [`RouterBuilder::nest`];
//! - `fixed`: `/health`, `/services`, `/openapi.json`, `/metrics`;
//! - `rpc`: `POST /{Service}/{method}`: resolving the route, reading and decoding the body, the
//!   reply's envelope; one file per kind of call: `unary`, `client_streaming`,
//!   `server_streaming` (with `deadline_stream`, which ends a stream at its deadline);
//! - the client dialects: `webr_api` (octaneWebR's `/api/health`, `/api/log`,
//!   `/api/system/info`), `webr_grpc` (octaneWebR's `/api/grpc/...`), `octane_web_log`
//!   (octaneWeb's `/debug/append-log`), `lenient_json` (how ignored request keys are reported);
//! - `request_body`: a request body read within its size and time limits;
//! - `allowed_methods`: the `405` of an endpoint asked with another method.

mod allowed_methods;
mod builder;
mod client_streaming;
mod deadline_stream;
mod dispatch;
mod fixed;
mod lenient_json;
mod mount;
mod octane_web_log;
mod request_body;
mod rpc;
mod server_streaming;
mod service;
mod unary;
mod webr_api;
mod webr_grpc;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;

use crate::access::AccessPolicy;
use crate::body::BoxError;
use crate::browser_guard::BrowserGuard;
use crate::ignored_fields::IgnoredFieldLog;
use crate::metrics::Metrics;
use crate::transcode::JsonMode;
use crate::web_root::WebRoot;
use octane_grpc::Octane;

pub use builder::RouterBuilder;
use mount::Mount;

/// Default request body limit.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Default time a client has to send its whole request body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default deadline of one call to Octane.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The request body handed to services mounted with [`RouterBuilder::route`] or
/// [`RouterBuilder::nest`].
pub type RequestBody = UnsyncBoxBody<Bytes, BoxError>;

/// The proxy's HTTP surface: `POST /{Service}/{method}`, `GET /health`, `GET /services`.
///
/// A cheap-to-clone `tower::Service` over hyper 1 `http` types, so it mounts in axum, hyper or
/// tonic servers as is. Build it with [`Router::builder`].
#[derive(Clone, Debug)]
pub struct Router {
    inner: Arc<Inner>,
}

/// What a router holds, shared by its clones.
struct Inner {
    octane: Octane,
    guard: BrowserGuard,
    access: AccessPolicy,
    body_limit: usize,
    body_timeout: Duration,
    default_timeout: Duration,
    services_json: Bytes,
    mounts: Vec<Mount>,
    metrics: Metrics,
    json_mode: JsonMode,
    ignored_log: IgnoredFieldLog,
    web_root: Option<WebRoot>,
}

impl Router {
    /// The connection to Octane this router uses.
    #[must_use]
    pub fn octane(&self) -> &Octane {
        &self.inner.octane
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("octane", &self.octane.address())
            .field("body_limit", &self.body_limit)
            .field("default_timeout", &self.default_timeout)
            .field(
                "mounts",
                &self.mounts.iter().map(|m| m.path).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
