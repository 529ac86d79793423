//! [`RouterBuilder`]: the options of a [`Router`] and the services mounted beside its routes.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use prometheus_client::registry::Registry;
use tower::util::BoxCloneSyncService;

use super::mount::Mount;
use super::{
    DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DEFAULT_TIMEOUT, Inner, RequestBody, Router,
};
use crate::access::AccessPolicy;
use crate::body::Body;
use crate::browser_guard::BrowserGuard;
use crate::ignored_fields::IgnoredFieldLog;
use crate::metrics::{MetricRegistration, Metrics};
use crate::transcode::JsonMode;
use crate::web_root::WebRoot;
use crate::{AllowedHosts, AllowedOrigins};
use octane_grpc::Octane;

/// Configures a [`Router`].
pub struct RouterBuilder {
    octane: Octane,
    guard: BrowserGuard,
    access: AccessPolicy,
    body_limit: usize,
    body_timeout: Duration,
    default_timeout: Duration,
    mounts: Vec<Mount>,
    metric_registrations: Vec<MetricRegistration>,
    json_mode: JsonMode,
    web_root: Option<WebRoot>,
}

impl std::fmt::Debug for RouterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterBuilder")
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

impl Router {
    /// Starts a builder for a router that forwards to `octane`.
    #[must_use]
    pub fn builder(octane: Octane) -> RouterBuilder {
        RouterBuilder {
            octane,
            guard: BrowserGuard::default(),
            access: AccessPolicy::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            default_timeout: DEFAULT_TIMEOUT,
            mounts: Vec::new(),
            metric_registrations: Vec::new(),
            json_mode: JsonMode::Lenient,
            web_root: None,
        }
    }
}

impl RouterBuilder {
    /// Which web page origins may send requests and read the answers (default: loopback
    /// origins on any port and the proxy's own). A request from any other origin is refused
    /// with 403 before anything else is done with it, on every route, mounted ones included.
    #[must_use]
    pub fn allowed_origins(mut self, origins: AllowedOrigins) -> Self {
        self.guard.origins = origins;
        self
    }

    /// Which host names requests may be addressed to (default: IP addresses and `localhost`).
    /// A request for any other name, as DNS rebinding sends, is refused with 403 before
    /// anything else is done with it.
    #[must_use]
    pub fn allowed_hosts(mut self, hosts: AllowedHosts) -> Self {
        self.guard.hosts = hosts;
        self
    }

    /// Who may call what (default: everyone, everything).
    #[must_use]
    pub fn access(mut self, access: AccessPolicy) -> Self {
        self.access = access;
        self
    }

    /// How long a client may take to send its whole body (default 30 s); then 408.
    #[must_use]
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The largest request body accepted (default 64 MiB); larger ones answer 413.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The deadline of a call when the request sets none (default 30 s).
    #[must_use]
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = timeout;
        self
    }

    /// Reads request bodies strictly (default: off). Off, a key the request message does not
    /// have is ignored at any depth, never sent to Octane, and reported (the
    /// `x-octane-ignored-fields` response header, a warning once per route and field path, a
    /// counter in `/metrics`), and a JSON number for a bool field is `false` if 0, else `true`,
    /// as the old proxy read bodies. On, both answer 400 naming the field (and, for a key, the
    /// valid field names). Everything else the two modes read alike.
    #[must_use]
    pub fn strict_json(mut self, strict: bool) -> Self {
        self.json_mode = if strict {
            JsonMode::Strict
        } else {
            JsonMode::Lenient
        };
        self
    }

    /// Serves `path` exactly with `service` (before the RPC routes), with the router's origin
    /// and host checks, CORS, call-id, logging and panic handling around it.
    #[must_use]
    pub fn route<S>(self, path: &'static str, service: S) -> Self
    where
        S: tower::Service<Request<RequestBody>, Response = Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.mount(path, false, service)
    }

    /// Serves `prefix` and every path below it (`/render`, `/render/stream`) with `service`.
    #[must_use]
    pub fn nest<S>(self, prefix: &'static str, service: S) -> Self
    where
        S: tower::Service<Request<RequestBody>, Response = Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.mount(prefix.trim_end_matches('/'), true, service)
    }

    fn mount<S>(mut self, path: &'static str, prefix: bool, service: S) -> Self
    where
        S: tower::Service<Request<RequestBody>, Response = Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.mounts.push(Mount {
            path,
            prefix,
            service: BoxCloneSyncService::new(service),
        });
        self
    }

    /// Serves the files of `web_root` for GET and HEAD at the paths no route, mount or fixed
    /// endpoint claims (`/` is its `index.html` unless a mount takes `/`); a path with no file
    /// answers as without a web root.
    #[must_use]
    pub fn web_root(mut self, web_root: WebRoot) -> Self {
        self.web_root = Some(web_root);
        self
    }

    /// Lets another component (the callback streamer) add its metrics to `GET /metrics`.
    #[must_use]
    pub fn register_metrics(
        mut self,
        register: impl FnOnce(&mut Registry) + Send + 'static,
    ) -> Self {
        self.metric_registrations.push(Box::new(register));
        self
    }

    /// Builds the router.
    #[must_use]
    pub fn build(self) -> Router {
        Router {
            inner: Arc::new(Inner {
                octane: self.octane,
                guard: self.guard,
                access: self.access,
                body_limit: self.body_limit,
                body_timeout: self.body_timeout,
                default_timeout: self.default_timeout,
                services_json: super::fixed::services_json(),
                mounts: self.mounts,
                metrics: Metrics::new(self.metric_registrations),
                json_mode: self.json_mode,
                ignored_log: IgnoredFieldLog::default(),
                web_root: self.web_root,
            }),
        }
    }
}
