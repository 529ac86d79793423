//! The `tower::Service` of [`Router`]: around every request, the browser guard first, then
//! the dispatch, then the CORS headers and call id on the answer, its log line and metrics.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::header::HeaderName;
use http::{Request, Response};

use super::dispatch::{Answered, AnsweredBy};
use super::{Inner, Router, lenient_json};
use crate::body::{Body, BoxError};
use crate::cors::CorsAnswer;
use crate::response;

/// The header a client may set to find its call in the proxy's log; echoed on the answer.
const CALL_ID: HeaderName = HeaderName::from_static("x-call-id");

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
    /// Answers one request and records it.
    async fn handle<B>(self: Arc<Self>, request: Request<B>) -> Response<Body>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let call_id = request.headers().get(&CALL_ID).cloned();

        let _in_flight = self.metrics.start();
        // Before anything else, on every route: a foreign Host or Origin is refused unread.
        let (cors, answered) = match self.guard.check(request.headers(), request.uri()) {
            Err(refused) => (CorsAnswer::default(), Answered::unmatched(Err(refused))),
            Ok(cors) => (cors, self.dispatch(request, &method, &path).await),
        };
        let mut response = answered
            .outcome
            .unwrap_or_else(|err| response::proxy_error(&err));

        let headers = response.headers_mut();
        cors.apply(headers);
        if let Some(call_id) = call_id {
            headers.insert(CALL_ID, call_id);
        }
        let status = response.status().as_u16();
        let elapsed = started.elapsed();
        let elapsed_us = elapsed.as_micros() as u64;
        let label = match answered.by {
            AnsweredBy::Rpc { route, ignored } => {
                tracing::info!(
                    service = route.service,
                    method = route.method,
                    status,
                    elapsed_us,
                    "call"
                );
                let label = format!("{}/{}", route.short_service, route.method);
                if !ignored.is_empty() {
                    lenient_json::report(&self, route, &label, &ignored, &mut response);
                }
                label
            }
            AnsweredBy::Fixed(fixed) => {
                tracing::debug!(http_method = %method, %path, status, elapsed_us, "request");
                fixed.to_owned()
            }
            AnsweredBy::Unmatched => {
                tracing::info!(http_method = %method, %path, status, elapsed_us, "request");
                "unmatched".to_owned()
            }
        };
        self.metrics.record(label, status, elapsed);
        response
    }
}
