//! The live-view endpoints for viewers beyond the workstation: JPEG frames at a viewer's
//! `quality`, `max_width`, `max_height` and `fps` ([`ViewParams`]), each variant encoded once per
//! frame for all of its viewers ([`crate::fan_out`]).
//!
//! - `GET /render/latest.jpg`: the newest frame.
//! - `GET /render/stream.mjpeg`: `multipart/x-mixed-replace` of `image/jpeg` parts, for `<img>`.
//! - `GET /render/ws`: a WebSocket, one binary message per frame (header, then the JPEG: see
//!   [`crate::fan_out::jpeg_variant`]).
//! - `GET /render/stream?format=jpeg`: SSE, `newImage` with the base64 JPEG in `buffer.data`.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{self, HeaderValue};
use http::{Request, Response};
use octane_proxy::{Body, RequestBody};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use super::view_params::ViewParams;
use super::websocket::{Incoming, WebSocket, upgrade};
use crate::error::RenderError;
use crate::fan_out::jpeg_variant::{EncodeFailure, JpegFrame, JpegVariant};
use crate::fan_out::{Encoded, Viewer};
use crate::frames::Frame;
use crate::frames::event_json::{now, sse_event};
use crate::upstream::CallbackStreamer;
use crate::upstream::Status;

/// The boundary between the parts of the MJPEG stream.
pub(crate) const MJPEG_BOUNDARY: &str = "octane-frame";

type JpegViewer = Viewer<JpegVariant>;
type JpegEncoded = Arc<Encoded<Result<JpegFrame, EncodeFailure>>>;

/// A viewer of the JPEG variant `params` ask for.
fn viewer(streamer: &CallbackStreamer, params: ViewParams) -> JpegViewer {
    streamer
        .shared
        .jpeg
        .view(JpegVariant(params.jpeg), params.interval)
}

/// The next frame of `viewer` that could be encoded; a frame that could not is logged and
/// skipped. `None` when the streamer is gone.
async fn next_jpeg(viewer: &mut JpegViewer) -> Option<JpegEncoded> {
    loop {
        let encoded = viewer.next().await?;
        match &encoded.output {
            Ok(_) => return Some(encoded),
            Err(failure) => {
                tracing::debug!(err = %RenderError::from(failure), "frame not shown as JPEG");
            }
        }
    }
}

/// `GET /render/latest.jpg`: the JPEG of `frame`, the hub's newest.
pub(crate) async fn latest_jpg(
    streamer: &CallbackStreamer,
    frame: Arc<Frame>,
    params: ViewParams,
) -> Result<Response<Body>, RenderError> {
    let mut viewer = viewer(streamer, params);
    let wait = streamer.shared.config.call_timeout;
    let encoded = tokio::time::timeout(wait, async {
        loop {
            let encoded = viewer.next().await?;
            if encoded.sequence >= frame.sequence {
                return Some(encoded);
            }
        }
    })
    .await;
    let Ok(Some(encoded)) = encoded else {
        return Err(RenderError::NoFrame(
            "the newest frame was replaced by none before it was encoded",
        ));
    };
    let jpeg = encoded.output.as_ref().map_err(RenderError::from)?;
    viewer.sent(jpeg.jpeg.bytes.len());
    let mut response = Response::new(Body::full(jpeg.jpeg.bytes.clone()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /render/stream.mjpeg`: each frame as a JPEG part, the newest when the viewer is ready.
pub(crate) fn mjpeg(streamer: &CallbackStreamer, params: ViewParams) -> Response<Body> {
    let viewer = viewer(streamer, params);
    let parts = futures_util::stream::unfold(viewer, |mut viewer| async move {
        let encoded = next_jpeg(&mut viewer).await?;
        let Ok(frame) = &encoded.output else {
            return None;
        };
        let jpeg = frame.jpeg.bytes.clone();
        let head = format!(
            "--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
            jpeg.len()
        );
        viewer.sent(head.len() + jpeg.len() + 2);
        // The JPEG itself is the variant's, shared: not copied into a part of its own.
        let part = [Bytes::from(head), jpeg, Bytes::from_static(b"\r\n")];
        Some((futures_util::stream::iter(part), viewer))
    })
    .flatten()
    .map(Ok::<_, Infallible>);
    let mut response = Response::new(Body::from_stream(parts));
    let content_type = format!("multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}");
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).expect("ASCII header"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /render/ws`: the upgrade; then one binary message per frame.
pub(crate) fn websocket(
    streamer: &CallbackStreamer,
    request: Request<RequestBody>,
    params: ViewParams,
) -> Result<Response<Body>, RenderError> {
    // Made before the handshake completes, so that the first frame is being encoded meanwhile.
    let viewer = viewer(streamer, params);
    upgrade(request, move |socket| serve_websocket(socket, viewer))
}

async fn serve_websocket(mut socket: WebSocket, mut viewer: JpegViewer) {
    loop {
        let encoded = tokio::select! {
            incoming = socket.next() => match incoming {
                Some(Incoming::Ping(payload)) => {
                    if socket.pong(&payload).await.is_err() {
                        break;
                    }
                    continue;
                }
                Some(Incoming::Close(payload)) => {
                    socket.close(&payload).await;
                    break;
                }
                Some(Incoming::Failed(err)) => {
                    tracing::debug!(%err, "/render/ws socket failed");
                    break;
                }
                None => break,
                // Viewers have nothing to say.
                Some(Incoming::Text(_) | Incoming::Binary) => continue,
            },
            encoded = next_jpeg(&mut viewer) => match encoded {
                Some(encoded) => encoded,
                None => break,
            },
        };
        let Ok(frame) = &encoded.output else {
            break;
        };
        // The variant's one message, shared by every viewer: written, not copied.
        let message = frame.ws_message();
        if let Err(err) = socket.binary(&message).await {
            tracing::debug!(%err, "/render/ws socket closed while written");
            break;
        }
        viewer.sent(message.len());
    }
}

/// `GET /render/stream?format=jpeg`: `connected`, then each frame's JPEG `newImage`, the
/// stream's other events (statistics, failures, state) as the raw stream sends them, and pings.
pub(crate) fn sse(streamer: &CallbackStreamer, params: ViewParams) -> Response<Body> {
    #[derive(Serialize)]
    struct Connected {
        r#type: &'static str,
        timestamp: f64,
        status: Status,
    }
    let connected = sse_event(&Connected {
        r#type: "connected",
        timestamp: now(),
        status: streamer.status(),
    });
    let viewer = viewer(streamer, params);
    let events = streamer.hub().subscribe_events();
    let mut ping = tokio::time::interval(streamer.shared.config.ping_interval);
    ping.reset();
    let state = (Some(connected), viewer, events, ping);
    let stream = futures_util::stream::unfold(
        state,
        |(greeting, mut viewer, mut events, mut ping)| async move {
            if let Some(greeting) = greeting {
                return Some((greeting, (None, viewer, events, ping)));
            }
            let event = loop {
                tokio::select! {
                    encoded = next_jpeg(&mut viewer) => match encoded.as_deref() {
                        Some(Encoded { output: Ok(frame), .. }) => {
                            let event = frame.sse_event();
                            viewer.sent(event.len());
                            break event;
                        }
                        _ => return None,
                    },
                    event = events.recv() => match event {
                        Ok(event) => break event.bytes,
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    },
                    _ = ping.tick() => {
                        #[derive(Serialize)]
                        struct Ping { r#type: &'static str, timestamp: f64 }
                        break sse_event(&Ping { r#type: "ping", timestamp: now() });
                    }
                }
            };
            Some((event, (None, viewer, events, ping)))
        },
    )
    .map(Ok::<_, Infallible>);
    Body::from_stream(stream).into_event_stream()
}
