//! octane-proxy: an HTTP/JSON gateway to the gRPC API of the Octane renderer.
//!
//! [`Router`] is a `tower::Service` over hyper 1 `http` types. Each `POST /{Service}/{method}`
//! with a proto3 JSON body becomes one typed gRPC call to Octane's LiveLink server, and the reply
//! comes back as `{"success":true,"data":{...}}`:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use octane_proxy::{Octane, Router};
//!
//! let router = Router::builder(Octane::lazy("127.0.0.1", 51022)?).build();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:51023").await?;
//! octane_proxy::serve(listener, router, std::future::pending()).await?;
//! # Ok(()) }
//! ```
//!
//! The pieces, one module each:
//! - [`routes`]: the generated route table (one statically typed route per RPC) and lookups;
//! - `transcode`: the JSON mapping, proto3 JSON to protobuf and back;
//! - [`Octane`] (from `octane_grpc`): the shared channel to Octane and the health probe;
//! - [`error`]: every failure and its HTTP status, mapped in one place;
//! - [`AllowedOrigins`] and [`AllowedHosts`]: which web pages may call, at which names, checked
//!   before anything else so that a page the user happens to visit cannot drive Octane;
//! - `router`: the HTTP surface that ties them together; [`serve`] runs it on a listener;
//! - [`response`]: the JSON answers and failures both this crate and the render endpoints write;
//! - `webr_endpoints`: `/api/health`, `/api/log`, `/api/system/info` for octaneWebR's client;
//! - `web_root`: a built web client served from a folder ([`RouterBuilder::web_root`]).

#![forbid(unsafe_code)]

mod access;
mod body;
mod browser_guard;
mod client_log;
mod cors;
mod deadline;
pub mod error;
mod host;
mod ignored_fields;
mod metrics;
mod origin;
mod proto_loader;
pub mod response;
mod router;
pub mod routes;
mod server;
mod transcode;
mod web_root;
mod webr_endpoints;

pub use access::{AccessPolicy, InvalidPattern};
pub use body::{Body, BoxError};
pub use error::ProxyError;
pub use host::{AllowedHosts, InvalidHost};
pub use octane_grpc::{DEFAULT_MAX_MESSAGE_SIZE, InvalidAddress, Octane};
pub use origin::{AllowedOrigins, InvalidOrigin};
/// The metrics library of [`RouterBuilder::register_metrics`], re-exported so registrations
/// use the same version.
pub use prometheus_client;
pub use router::{
    DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DEFAULT_TIMEOUT, RequestBody, Router, RouterBuilder,
};
pub use routes::{Route, RouteKind};
pub use server::{Server, serve};
pub use transcode::{
    DecodedRequest, JsonError, JsonMode, MAX_REPORTED_PATHS, MORE_IGNORED, ResponseError,
};
pub use web_root::{WebRoot, WebRootError};
