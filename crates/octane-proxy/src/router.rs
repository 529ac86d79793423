//! [`Router`]: the HTTP surface as a `tower::Service`, and [`RouterBuilder`].

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use futures_util::{FutureExt, StreamExt};
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use prometheus_client::registry::Registry;
use serde_json::value::RawValue;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use crate::access::AccessPolicy;
use crate::body::{Body, BoxError};
use crate::browser_guard::BrowserGuard;
use crate::cors::CorsAnswer;
use crate::error::clip;
use crate::ignored_fields::{self, IgnoredFieldLog};
use crate::metrics::{MetricRegistration, Metrics};
use crate::proto_loader::{self, DialectError};
use crate::routes::{self, LookupError, Route, RouteKind};
use crate::transcode::{JsonError, JsonMode, MAX_REPORTED_PATHS, MORE_IGNORED};
use crate::web_root::WebRoot;
use crate::webr_endpoints::{api_log, health, system_info};
use crate::{AllowedHosts, AllowedOrigins, ProxyError, client_log, deadline};
use octane_grpc::Octane;

/// Default request body limit.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Default time a client has to send its whole request body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default deadline of one call to Octane.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `/health` waits for Octane to answer its probe.
const HEALTH_PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a server stream's response head waits for Octane's: long enough for a refused
/// connect or call to come back as an HTTP error, short enough that a client of a quiet stream
/// sees its stream open at once.
const STREAM_HEAD_WAIT: Duration = Duration::from_millis(500);

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const OPENMETRICS: HeaderValue =
    HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
const CALL_ID: &str = "x-call-id";
/// The OpenAPI document `cargo xtask regen` wrote for the same protos as the route table.
const OPENAPI_JSON: &[u8] = include_bytes!("../../../docs/openapi.json");

/// The proxy's HTTP surface: `POST /{Service}/{method}`, `GET /health`, `GET /services`.
///
/// A cheap-to-clone `tower::Service` over hyper 1 `http` types, so it mounts in axum, hyper or
/// tonic servers as is. Build it with [`Router::builder`].
#[derive(Clone, Debug)]
pub struct Router {
    inner: Arc<Inner>,
}

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

/// The request body handed to services mounted with [`RouterBuilder::route`] or
/// [`RouterBuilder::nest`].
pub type RequestBody = UnsyncBoxBody<Bytes, BoxError>;

/// A service mounted next to the RPC routes.
type MountedService = BoxCloneSyncService<Request<RequestBody>, Response<Body>, Infallible>;

#[derive(Clone)]
struct Mount {
    path: &'static str,
    prefix: bool,
    service: MountedService,
}

impl Mount {
    fn matches(&self, path: &str) -> bool {
        if self.prefix {
            path.strip_prefix(self.path)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        } else {
            path == self.path
        }
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

/// What answered a request, for the log and the metrics' bounded `route` label.
enum Handled {
    /// An RPC route.
    Rpc(&'static Route),
    /// A fixed endpoint or a mounted service, by path.
    Fixed(&'static str),
    /// Nothing: a 404, or a request refused before routing.
    Unmatched,
}

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

impl Router {
    /// Starts a builder for a router that forwards to `octane`.
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

    /// The connection to Octane this router uses.
    pub fn octane(&self) -> &Octane {
        &self.inner.octane
    }
}

impl RouterBuilder {
    /// Which web page origins may send requests and read the answers (default: loopback
    /// origins on any port and the proxy's own). A request from any other origin is refused
    /// with 403 before anything else is done with it, on every route, mounted ones included.
    pub fn allowed_origins(mut self, origins: AllowedOrigins) -> Self {
        self.guard.origins = origins;
        self
    }

    /// Which host names requests may be addressed to (default: IP addresses and `localhost`).
    /// A request for any other name, as DNS rebinding sends, is refused with 403 before
    /// anything else is done with it.
    pub fn allowed_hosts(mut self, hosts: AllowedHosts) -> Self {
        self.guard.hosts = hosts;
        self
    }

    /// Who may call what (default: everyone, everything).
    pub fn access(mut self, access: AccessPolicy) -> Self {
        self.access = access;
        self
    }

    /// How long a client may take to send its whole body (default 30 s); then 408.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The largest request body accepted (default 64 MiB); larger ones answer 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The deadline of a call when the request sets none (default 30 s).
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
    pub fn web_root(mut self, web_root: WebRoot) -> Self {
        self.web_root = Some(web_root);
        self
    }

    /// Lets another component (the callback streamer) add its metrics to `GET /metrics`.
    pub fn register_metrics(
        mut self,
        register: impl FnOnce(&mut Registry) + Send + 'static,
    ) -> Self {
        self.metric_registrations.push(Box::new(register));
        self
    }

    /// Builds the router.
    pub fn build(self) -> Router {
        Router {
            inner: Arc::new(Inner {
                octane: self.octane,
                guard: self.guard,
                access: self.access,
                body_limit: self.body_limit,
                body_timeout: self.body_timeout,
                default_timeout: self.default_timeout,
                services_json: services_json(),
                mounts: self.mounts,
                metrics: Metrics::new(self.metric_registrations),
                json_mode: self.json_mode,
                ignored_log: IgnoredFieldLog::default(),
                web_root: self.web_root,
            }),
        }
    }
}

impl<B> tower::Service<Request<B>> for Router
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move { Ok(inner.handle(request).await) })
    }
}

impl Inner {
    async fn handle<B>(self: Arc<Self>, request: Request<B>) -> Response<Body>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let call_id = request.headers().get(CALL_ID).cloned();

        let _in_flight = self.metrics.start();
        let mut route = Handled::Unmatched;
        let mut ignored = Vec::new();
        // Before anything else, on every route: a foreign Host or Origin is refused unread.
        let (cors, outcome) = match self.guard.check(request.headers(), request.uri()) {
            Err(refused) => (CorsAnswer::default(), Ok(Err(refused))),
            Ok(cors) => {
                let dispatched = AssertUnwindSafe(self.dispatch(request, &mut route, &mut ignored));
                (cors, dispatched.catch_unwind().await)
            }
        };
        let mut response = match outcome {
            Ok(Ok(response)) => response,
            Ok(Err(err)) => error_response(&err),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_owned());
                tracing::error!(%method, %path, %message, "request handler panicked");
                error_response(&ProxyError::Internal(message))
            }
        };

        let headers = response.headers_mut();
        cors.apply(headers);
        if let Some(call_id) = call_id {
            headers.insert(CALL_ID, call_id);
        }
        let status = response.status().as_u16();
        let elapsed = started.elapsed();
        let elapsed_us = elapsed.as_micros() as u64;
        let label = match route {
            Handled::Rpc(route) => {
                tracing::info!(
                    service = route.service,
                    method = route.method,
                    status,
                    elapsed_us,
                    "call"
                );
                let label = format!("{}/{}", route.short_service, route.method);
                if !ignored.is_empty() {
                    response.headers_mut().insert(
                        ignored_fields::HEADER,
                        ignored_fields::header_value(&ignored),
                    );
                    self.ignored_log.warn_once(route, &ignored);
                    let listed = ignored.iter().filter(|p| *p != MORE_IGNORED).count();
                    self.metrics.record_ignored(label.clone(), listed);
                }
                label
            }
            Handled::Fixed(fixed) => {
                tracing::debug!(http_method = %method, %path, status, elapsed_us, "request");
                fixed.to_owned()
            }
            Handled::Unmatched => {
                tracing::info!(http_method = %method, %path, status, elapsed_us, "request");
                "unmatched".to_owned()
            }
        };
        self.metrics.record(label, status, elapsed);
        response
    }

    /// Answers one request; `handled` says what answered it, for the log and metrics, and
    /// `ignored` the paths of the body's keys that were ignored.
    async fn dispatch<B>(
        &self,
        request: Request<B>,
        handled: &mut Handled,
        ignored: &mut Vec<String>,
    ) -> Result<Response<Body>, ProxyError>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let method = request.method();
        if method == Method::OPTIONS {
            *handled = Handled::Fixed("preflight");
            return Ok(status_only(StatusCode::NO_CONTENT));
        }
        let path = request.uri().path();
        if let Some(rest) = path.strip_prefix(proto_loader::PREFIX) {
            let rest = rest.to_owned();
            let outcome = self.proto_loader_call(&rest, request, handled).await;
            return Ok(outcome.unwrap_or_else(|error| proto_loader::error_response(&rest, &error)));
        }
        // The health checks say only whether Octane answers, and octaneWebR cannot send a token.
        if path != "/health" && path != "/api/health" {
            let is_get = method == Method::GET || method == Method::HEAD;
            self.access
                .authenticate(request.headers(), request.uri().query(), is_get)?;
        }
        if let Some(mount) = self.mounts.iter().find(|m| m.matches(path)) {
            *handled = Handled::Fixed(mount.path);
            let request = request.map(|body| {
                body.map_frame(|frame| {
                    frame.map_data(|mut data| data.copy_to_bytes(data.remaining()))
                })
                .map_err(Into::into)
                .boxed_unsync()
            });
            return Ok(call_mounted(mount.service.clone(), request).await);
        }
        match path {
            "/health" => {
                *handled = Handled::Fixed("/health");
                only_get(method, path)?;
                Ok(self.health().await)
            }
            "/api/health" => {
                *handled = Handled::Fixed("/api/health");
                only_get(method, path)?;
                let body = health::body(&self.octane, HEALTH_PROBE_TIMEOUT).await;
                Ok(json_response(StatusCode::OK, body))
            }
            "/api/log" => {
                *handled = Handled::Fixed("/api/log");
                only_post(method, path)?;
                let limit = api_log::BODY_LIMIT.min(self.body_limit);
                let body = self.read_body(request, limit).await?;
                api_log::write(&body)?;
                Ok(json_response(
                    StatusCode::OK,
                    Bytes::from_static(br#"{"success":true}"#),
                ))
            }
            "/api/system/info" => {
                *handled = Handled::Fixed("/api/system/info");
                only_get(method, path)?;
                let timeout =
                    deadline::requested(request.headers())?.unwrap_or(self.default_timeout);
                let body = system_info::body(&self.octane, &self.access, timeout).await?;
                Ok(json_response(StatusCode::OK, body))
            }
            "/services" => {
                *handled = Handled::Fixed("/services");
                only_get(method, path)?;
                Ok(json_response(StatusCode::OK, self.services_json.clone()))
            }
            "/openapi.json" => {
                *handled = Handled::Fixed("/openapi.json");
                only_get(method, path)?;
                Ok(json_response(
                    StatusCode::OK,
                    Bytes::from_static(OPENAPI_JSON),
                ))
            }
            "/metrics" => {
                *handled = Handled::Fixed("/metrics");
                only_get(method, path)?;
                self.metrics.set_connected(self.octane.reachable());
                let mut response = Response::new(Body::full(self.metrics.encode()));
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, OPENMETRICS);
                Ok(response)
            }
            client_log::PATH => {
                *handled = Handled::Fixed(client_log::PATH);
                only_post(method, path)?;
                let body = self.read_body(request, client_log::BODY_LIMIT).await?;
                client_log::append(&body)?;
                Ok(status_only(StatusCode::NO_CONTENT))
            }
            _ => {
                let route = resolve(path);
                // `/api/` is octaneWebR's API: never a file, whatever the web root holds.
                if route.is_err()
                    && !path.starts_with("/api/")
                    && let Some(web_root) = &self.web_root
                    && let Some(file) = web_root.serve(&request).await
                {
                    *handled = Handled::Fixed("web-root");
                    return Ok(file);
                }
                let route = route?;
                *handled = Handled::Rpc(route);
                only_post(method, path)?;
                self.access.authorize(route)?;
                self.call(route, request, ignored).await
            }
        }
    }

    /// `POST /api/grpc/{service}/{method}` (`rest` is the part after `/api/grpc/`): octaneWebR's
    /// dialect, with the access rules, deadline and body limit of every route.
    async fn proto_loader_call<B>(
        &self,
        rest: &str,
        request: Request<B>,
        handled: &mut Handled,
    ) -> Result<Response<Body>, DialectError>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let is_get = request.method() == Method::GET || request.method() == Method::HEAD;
        self.access
            .authenticate(request.headers(), request.uri().query(), is_get)?;
        let (route, schema) = proto_loader::resolve(rest)?;
        *handled = Handled::Rpc(route);
        only_post(request.method(), &clip(request.uri().path()))?;
        self.access.authorize(route)?;
        let timeout = deadline::requested(request.headers())?.unwrap_or(self.default_timeout);
        let body = self.read_body(request, self.body_limit).await?;
        let message = proto_loader::encode_request(schema, &body)?;
        let reply = self
            .octane
            .unary(route.path, message, timeout)
            .await
            .map_err(|status| {
                ProxyError::from_call(route, status, timeout, self.octane.address())
            })?;
        proto_loader::reply(route, schema, &reply)
    }

    async fn health(&self) -> Response<Body> {
        #[derive(serde::Serialize)]
        struct Health<'a> {
            status: &'a str,
            connected: bool,
            octane: &'a str,
        }
        let health = Health {
            status: "ok",
            connected: self.octane.probe(HEALTH_PROBE_TIMEOUT).await,
            octane: self.octane.address(),
        };
        let body = serde_json::to_vec(&health).expect("a struct of plain fields serializes");
        json_response(StatusCode::OK, Bytes::from(body))
    }

    async fn call<B>(
        &self,
        route: &'static Route,
        request: Request<B>,
        ignored: &mut Vec<String>,
    ) -> Result<Response<Body>, ProxyError>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let requested_timeout = deadline::requested(request.headers())?;
        let timeout = requested_timeout.unwrap_or(self.default_timeout);
        let service = service_segment(request.uri().path()).to_owned();
        let body = self.read_body(request, self.body_limit).await?;
        let octane = &self.octane;
        let mode = self.json_mode;
        let call_failed = |status| ProxyError::from_call(route, status, timeout, octane.address());

        match route.kind {
            RouteKind::Unary => {
                let message = decode(route, &service, &body, mode, ignored)?;
                let reply = octane
                    .unary(route.path, message, timeout)
                    .await
                    .map_err(call_failed)?;
                envelope(route, reply)
            }
            RouteKind::ClientStreaming => {
                let items: Vec<&RawValue> = serde_json::from_slice(&body).map_err(|err| {
                    let error = JsonError::from_json(err, &body);
                    let empty = body.iter().all(u8::is_ascii_whitespace);
                    if empty || !error.syntax {
                        ProxyError::ExpectedArray {
                            service: service.clone(),
                            method: route.method.to_owned(),
                            request_type: route.request_type,
                        }
                    } else {
                        ProxyError::MalformedJson {
                            service: service.clone(),
                            method: route.method.to_owned(),
                            error,
                        }
                    }
                })?;
                let messages = items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        let element = item.get().as_bytes();
                        // Each element is decoded on its own; its errors point into the body.
                        let offset = element.as_ptr() as usize - body.as_ptr() as usize;
                        let decoded = route
                            .decode_element_in(&body, offset..offset + element.len(), index, mode)
                            .map_err(|error| request_error(route, &service, error))?;
                        report_element(ignored, index, decoded.ignored);
                        Ok(decoded.message)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let reply = octane
                    .client_streaming(route.path, messages, timeout)
                    .await
                    .map_err(call_failed)?;
                envelope(route, reply)
            }
            RouteKind::ServerStreaming => {
                let message = decode(route, &service, &body, mode, ignored)?;
                // A stream lives as long as the client listens, unless it asked for a deadline,
                // which Octane is told too.
                let deadline = requested_timeout.map(|limit| tokio::time::Instant::now() + limit);
                // The call may outlive this request's handler (its response is the stream).
                let streaming = octane.clone();
                let mut open = Box::pin(async move {
                    streaming
                        .server_streaming(route.path, message, requested_timeout)
                        .await
                });
                // Octane (gRPC C++) sends a stream's headers with its first message, which may
                // be long in coming: they are waited for only briefly. A failure in that time
                // (Octane unreachable, the call refused) is an HTTP error; after it the stream
                // counts as open, and a failure arrives as an `error` event.
                let head_wait =
                    requested_timeout.map_or(STREAM_HEAD_WAIT, |limit| limit.min(STREAM_HEAD_WAIT));
                let past_deadline = || deadline.is_some_and(|at| tokio::time::Instant::now() >= at);
                let stream = match tokio::time::timeout(head_wait, &mut open).await {
                    // Octane, told the deadline, may end the call at the same moment; this
                    // side's verdict wins, as for unary calls.
                    Ok(Err(_)) | Err(_) if past_deadline() => {
                        return Err(call_failed(octane_grpc::status::timeout_status()));
                    }
                    Ok(opened) => opened.map_err(call_failed)?.into_stream().boxed(),
                    Err(_) => futures_util::stream::once(open)
                        .flat_map(|opened| match opened {
                            Ok(messages) => messages.into_stream().left_stream(),
                            Err(status) => futures_util::stream::iter([Err(status)]).right_stream(),
                        })
                        .boxed(),
                };
                let stream = match deadline {
                    Some(at) => until(stream, at).boxed(),
                    None => stream,
                };
                let address = octane.address().to_owned();
                let stream_failed =
                    move |status| ProxyError::from_call(route, status, timeout, &address);
                Ok(sse_response(route, stream, stream_failed))
            }
            RouteKind::BidiStreaming => Err(ProxyError::Unsupported {
                service: route.service,
                method: route.method,
            }),
        }
    }

    async fn read_body<B>(&self, request: Request<B>, limit: usize) -> Result<Bytes, ProxyError>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(ProxyError::PayloadTooLarge { limit });
        }
        let collect = Limited::new(request.into_body(), limit).collect();
        match tokio::time::timeout(self.body_timeout, collect).await {
            Err(_elapsed) => Err(ProxyError::BodyTimeout(self.body_timeout)),
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(err)) if err.is::<LengthLimitError>() => {
                Err(ProxyError::PayloadTooLarge { limit })
            }
            Ok(Err(err)) => Err(ProxyError::BodyRead(err)),
        }
    }
}

/// Calls a mounted service; a plain function so the future's type is spelled out once.
fn call_mounted(
    service: MountedService,
    request: Request<RequestBody>,
) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
    Box::pin(
        service
            .oneshot(request)
            .map(|result| result.unwrap_or_else(|never| match never {})),
    )
}

/// Resolves `/{Service}/{method}`; anything else is a 404 that says what exists.
fn resolve(path: &str) -> Result<&'static Route, ProxyError> {
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

fn only_get(method: &Method, path: &str) -> Result<(), ProxyError> {
    if method == Method::GET || method == Method::HEAD {
        Ok(())
    } else {
        Err(ProxyError::MethodNotAllowed {
            method: method.clone(),
            path: path.to_owned(),
            allow: "GET, OPTIONS",
        })
    }
}

/// Decodes a request body in `mode`, adding the paths of ignored keys to `ignored`.
fn decode(
    route: &'static Route,
    service: &str,
    json: &[u8],
    mode: JsonMode,
    ignored: &mut Vec<String>,
) -> Result<Vec<u8>, ProxyError> {
    let decoded = route
        .decode_request_in(json, mode)
        .map_err(|error| request_error(route, service, error))?;
    if !decoded.ignored.is_empty() {
        *ignored = decoded.ignored;
    }
    Ok(decoded.message)
}

/// Adds the ignored paths of a client stream's element `index` to the request's, as paths from
/// the body's start (`[2].stray`), keeping the report bounded as one body's is.
fn report_element(ignored: &mut Vec<String>, index: usize, element: Vec<String>) {
    for path in element {
        if ignored.last().is_some_and(|last| last == MORE_IGNORED) {
            return;
        }
        if ignored.len() == MAX_REPORTED_PATHS {
            ignored.push(MORE_IGNORED.to_owned());
            return;
        }
        ignored.push(if path == MORE_IGNORED {
            path
        } else if path.starts_with('[') {
            format!("[{index}]{path}")
        } else {
            format!("[{index}].{path}")
        });
    }
}

fn only_post(method: &Method, path: &str) -> Result<(), ProxyError> {
    if method == Method::POST {
        Ok(())
    } else {
        Err(ProxyError::MethodNotAllowed {
            method: method.clone(),
            path: path.to_owned(),
            allow: "POST, OPTIONS",
        })
    }
}

/// A request body that is not JSON, or not JSON of the request's shape.
fn request_error(route: &'static Route, service: &str, error: JsonError) -> ProxyError {
    if error.syntax {
        ProxyError::MalformedJson {
            service: service.to_owned(),
            method: route.method.to_owned(),
            error,
        }
    } else {
        ProxyError::InvalidRequest {
            service: service.to_owned(),
            method: route.method.to_owned(),
            request_type: route.request_type,
            error,
        }
    }
}

/// `{"success":true,"data":<response as proto3 JSON>}`, written in one buffer.
fn envelope(route: &'static Route, reply: Bytes) -> Result<Response<Body>, ProxyError> {
    const HEAD: &[u8] = br#"{"success":true,"data":"#;
    let mut out = Vec::with_capacity(HEAD.len() + reply.len() * 2 + 1);
    out.extend_from_slice(HEAD);
    route
        .encode_response(reply, &mut out)
        .map_err(|err| bad_response(route, err))?;
    out.push(b'}');
    Ok(json_response(StatusCode::OK, Bytes::from(out)))
}

fn bad_response(route: &'static Route, err: crate::transcode::ResponseError) -> ProxyError {
    ProxyError::BadResponse {
        service: route.service,
        method: route.method,
        response_type: route.response_type,
        error: Box::new(err),
    }
}

/// Server-Sent Events: `data: <message JSON>` per message; `event: error` with the error body if
/// the stream fails; `event: end` when Octane closes it.
fn sse_response(
    route: &'static Route,
    stream: futures_util::stream::BoxStream<'static, Result<Bytes, tonic::Status>>,
    stream_failed: impl Fn(tonic::Status) -> ProxyError + Send + 'static,
) -> Response<Body> {
    let stream_error =
        move |status: tonic::Status| sse_event(Some("error"), &stream_failed(status).to_json());
    let events = stream
        .map(move |item| {
            let event = match item {
                Ok(message) => {
                    let mut json = Vec::with_capacity(message.len() * 2);
                    match route.encode_response(message, &mut json) {
                        Ok(()) => sse_event(None, &json),
                        Err(err) => sse_event(Some("error"), &bad_response(route, err).to_json()),
                    }
                }
                Err(status) => stream_error(status),
            };
            Ok::<_, Infallible>(event)
        })
        .chain(futures_util::stream::once(async {
            Ok(sse_event(Some("end"), b"{}"))
        }));
    Body::from_stream(events).into_event_stream()
}

fn sse_event(event: Option<&str>, data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() + 24);
    if let Some(event) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(event.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// Ends `stream` with a deadline error at `deadline`.
fn until(
    stream: futures_util::stream::BoxStream<'static, Result<Bytes, tonic::Status>>,
    deadline: tokio::time::Instant,
) -> impl futures_util::Stream<Item = Result<Bytes, tonic::Status>> + Send {
    let deadline = tokio::time::sleep_until(deadline);
    futures_util::stream::unfold(
        (stream, Box::pin(deadline), false),
        |(mut stream, mut deadline, done)| async move {
            if done {
                return None;
            }
            tokio::select! {
                biased;
                () = &mut deadline => Some((
                    Err(octane_grpc::status::timeout_status()),
                    (stream, deadline, true),
                )),
                item = stream.next() => match item {
                    // Octane ending the stream for the same deadline: this side's verdict.
                    Some(Err(_)) if deadline.is_elapsed() => Some((
                        Err(octane_grpc::status::timeout_status()),
                        (stream, deadline, true),
                    )),
                    item => item.map(|item| (item, (stream, deadline, false))),
                },
            }
        },
    )
}

fn error_response(err: &ProxyError) -> Response<Body> {
    let mut response = json_response(err.status(), Bytes::from(err.to_json()));
    if let ProxyError::MethodNotAllowed { allow, .. } = err {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

fn json_response(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Body::full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    response
}

fn status_only(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// The `/services` listing, built once.
fn services_json() -> Bytes {
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
