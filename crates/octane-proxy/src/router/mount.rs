//! Services mounted beside the RPC routes ([`RouterBuilder::route`](super::RouterBuilder::route),
//! [`RouterBuilder::nest`](super::RouterBuilder::nest)): which paths each serves, and calling it
//! with the request's body boxed to [`RequestBody`].

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;

use bytes::Buf;
use futures_util::FutureExt;
use http::{Request, Response};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use super::RequestBody;
use crate::body::{Body, BoxError};

/// A service mounted next to the RPC routes.
pub(super) type MountedService =
    BoxCloneSyncService<Request<RequestBody>, Response<Body>, Infallible>;

/// One mounted service and the paths it serves.
#[derive(Clone)]
pub(super) struct Mount {
    /// The exact path, or the prefix.
    pub(super) path: &'static str,
    /// Whether the paths below `path` are served too.
    pub(super) prefix: bool,
    /// The service.
    pub(super) service: MountedService,
}

impl Mount {
    /// Whether this mount serves `path`.
    pub(super) fn matches(&self, path: &str) -> bool {
        if self.prefix {
            path.strip_prefix(self.path)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        } else {
            path == self.path
        }
    }

    /// Calls the service with `request`, its body boxed.
    pub(super) fn call<B>(
        &self,
        request: Request<B>,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let request = request.map(|body| {
            body.map_frame(|frame| frame.map_data(|mut data| data.copy_to_bytes(data.remaining())))
                .map_err(Into::into)
                .boxed_unsync()
        });
        // Boxed here so the future's type is spelled out once.
        Box::pin(
            self.service
                .clone()
                .oneshot(request)
                .map(|result| result.unwrap_or_else(|never| match never {})),
        )
    }
}

impl std::fmt::Debug for Mount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mount")
            .field("path", &self.path)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}
