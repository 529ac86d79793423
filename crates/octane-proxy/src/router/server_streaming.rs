//! A server-streaming call (`StreamCallback/callbackChannel`): the answer is a Server-Sent
//! Events stream, one `data:` event per message, `event: error` with the error body if the
//! stream fails, `event: end` when Octane closes it.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use http::Response;

use super::deadline_stream::until;
use super::rpc::{Call, bad_response};
use crate::ProxyError;
use crate::body::Body;
use crate::routes::Route;

/// How long a server stream's response head waits for Octane's: long enough for a refused
/// connect or call to come back as an HTTP error, short enough that a client of a quiet stream
/// sees its stream open at once.
const STREAM_HEAD_WAIT: Duration = Duration::from_millis(500);

/// Opens the stream with the body's message and answers its events.
pub(super) async fn call(
    call: &Call<'_>,
    ignored: &mut Vec<String>,
) -> Result<Response<Body>, ProxyError> {
    let route = call.route;
    let requested_timeout = call.requested_timeout;
    let message = call.decode(ignored)?;
    // A stream lives as long as the client listens, unless it asked for a deadline, which
    // Octane is told too.
    let deadline = requested_timeout.map(|limit| tokio::time::Instant::now() + limit);
    // The call may outlive this request's handler (its response is the stream).
    let streaming = call.inner.octane.clone();
    let mut open = Box::pin(async move {
        streaming
            .server_streaming(route.path, message, requested_timeout)
            .await
    });
    // Octane (gRPC C++) sends a stream's headers with its first message, which may be long in
    // coming: they are waited for only briefly. A failure in that time (Octane unreachable, the
    // call refused) is an HTTP error; after it the stream counts as open, and a failure arrives
    // as an `error` event.
    let head_wait = requested_timeout.map_or(STREAM_HEAD_WAIT, |limit| limit.min(STREAM_HEAD_WAIT));
    let past_deadline = || deadline.is_some_and(|at| tokio::time::Instant::now() >= at);
    let stream = match tokio::time::timeout(head_wait, &mut open).await {
        // Octane, told the deadline, may end the call at the same moment; this side's verdict
        // wins, as for unary calls.
        Ok(Err(_)) | Err(_) if past_deadline() => {
            return Err(call.failed(octane_grpc::status::timeout_status()));
        }
        Ok(opened) => opened
            .map_err(|status| call.failed(status))?
            .into_stream()
            .boxed(),
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
    let address = call.inner.octane.address().to_owned();
    let timeout = call.timeout;
    let stream_failed = move |status| ProxyError::from_call(route, status, timeout, &address);
    Ok(sse_response(route, stream, stream_failed))
}

/// Server-Sent Events: `data: <message JSON>` per message; `event: error` with the error body if
/// the stream fails; `event: end` when Octane closes it.
fn sse_response(
    route: &'static Route,
    stream: BoxStream<'static, Result<Bytes, tonic::Status>>,
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
