//! The HTTP endpoints of the render stream, as a `tower::Service` to mount in
//! `octane_proxy::Router` (`nest("/render", ...)` and `route("/", ...)`).
//!
//! The endpoints and event shapes are those the web viewers of the old Python proxy read.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use octane_proxy::{Body, ProxyError, RequestBody, response};
use serde::Serialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::view_params::{ViewParams, query_value};
use crate::endpoints::live_view;
use crate::endpoints::page;
use crate::endpoints::webr_callbacks;
use crate::error::RenderError;
use crate::fan_out::hub::{Event, Subscription};
use crate::frames::Frame;
use crate::frames::event_json::{now, sse_event};
use crate::upstream::Status;
use crate::upstream::streamer::{CallbackStreamer, Shared};

/// Largest `ping-client` body read.
const SMALL_BODY: usize = 64 * 1024;

/// The render endpoints: `/render/*` and the built-in page at `/` and `/render/` (where it stays
/// when a web root owns `/`).
#[derive(Clone, Debug)]
pub struct RenderRoutes {
    streamer: CallbackStreamer,
}

impl CallbackStreamer {
    /// The HTTP endpoints of this streamer.
    #[must_use]
    pub fn routes(&self) -> RenderRoutes {
        RenderRoutes {
            streamer: self.clone(),
        }
    }
}

impl tower::Service<Request<RequestBody>> for RenderRoutes {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let streamer = self.streamer.clone();
        Box::pin(async move { Ok(handle(streamer, request).await) })
    }
}

async fn handle(streamer: CallbackStreamer, request: Request<RequestBody>) -> Response<Body> {
    let method = request.method().clone();
    let get = method == Method::GET || method == Method::HEAD;
    let answer = match (request.uri().path(), get, method == Method::POST) {
        ("/" | "/render/", true, _) => Ok(page::response()),
        ("/render/register-callback", _, true) => register(&streamer).await,
        ("/render/stream", true, _) => stream(&streamer, request.uri().query()),
        ("/render/callback-status", true, _) => Ok(response::json_of(
            StatusCode::OK,
            &StatusReply {
                success: true,
                status: streamer.status(),
            },
        )),
        ("/render/ping-client", _, true) => ping_client(&streamer, request).await,
        ("/render/latest.png", true, _) => latest_png(&streamer).await,
        ("/render/latest.jpg", true, _) => latest_jpg(&streamer, request.uri().query()).await,
        ("/render/stream.mjpeg", true, _) => ViewParams::from_query(request.uri().query())
            .map(|params| live_view::mjpeg(&streamer, params)),
        ("/render/ws", ..) => ViewParams::from_query(request.uri().query())
            .and_then(|params| live_view::websocket(&streamer, request, params)),
        ("/api/callbacks", ..) => webr_callbacks::callbacks(&streamer, request),
        (
            "/"
            | "/render/"
            | "/render/stream"
            | "/render/callback-status"
            | "/render/latest.png"
            | "/render/latest.jpg"
            | "/render/stream.mjpeg",
            ..,
        ) => Err(RenderError::MethodNotAllowed {
            method,
            use_instead: "GET",
            allow: "GET, HEAD, OPTIONS",
        }),
        ("/render/register-callback" | "/render/ping-client", ..) => {
            Err(RenderError::MethodNotAllowed {
                method,
                use_instead: "POST",
                allow: "POST, OPTIONS",
            })
        }
        (path, ..) => Err(RenderError::NotFound(octane_proxy::error::clip(path))),
    };
    answer.unwrap_or_else(|err| failure(&err))
}

#[derive(Serialize)]
struct StatusReply {
    success: bool,
    status: Status,
}

async fn register(streamer: &CallbackStreamer) -> Result<Response<Body>, RenderError> {
    #[derive(Serialize)]
    struct Registered {
        success: bool,
        message: String,
        callback_id: u32,
        status: Status,
    }
    streamer.authorize()?;
    let before = streamer.status();
    let status = streamer.start().await;
    let message = if !status.registered {
        format!(
            "{}; registration with Octane did not succeed (last error: {}); it is retried until \
             it does",
            if before.streaming {
                "callback streaming already running"
            } else {
                "streaming started"
            },
            status.last_error.as_deref().unwrap_or("no answer yet")
        )
    } else if !before.streaming {
        "callback registered; streaming started".to_owned()
    } else if before.registered {
        "callback streaming already running".to_owned()
    } else {
        "callback registered; streaming was already running".to_owned()
    };
    Ok(response::json_of(
        StatusCode::OK,
        &Registered {
            success: true,
            message,
            callback_id: status.callback_id,
            status,
        },
    ))
}

async fn ping_client(
    streamer: &CallbackStreamer,
    request: Request<RequestBody>,
) -> Result<Response<Body>, RenderError> {
    let timeout = streamer.shared.config.body_timeout;
    let body = match tokio::time::timeout(timeout, read_small(request.into_body())).await {
        Ok(Ok(body)) => body,
        Ok(Err(err)) => return Err(err.into()),
        Err(_elapsed) => return Err(ProxyError::BodyTimeout(timeout).into()),
    };
    #[derive(serde::Deserialize)]
    struct Ping {
        client_id: Option<String>,
    }
    let client_id = match serde_json::from_slice::<Ping>(&body) {
        Ok(Ping {
            client_id: Some(client_id),
        }) => client_id,
        Err(err) if err.is_syntax() || err.is_eof() => return Err(RenderError::MalformedJson(err)),
        answer => return Err(RenderError::MissingClientId(answer.err())),
    };
    #[derive(Serialize)]
    struct Pong {
        success: bool,
        client_id: String,
        connected: bool,
        timestamp: f64,
    }
    let connected = streamer.shared.counters.has_subscriber(&client_id);
    Ok(response::json_of(
        StatusCode::OK,
        &Pong {
            success: true,
            client_id,
            connected,
            timestamp: now(),
        },
    ))
}

/// Reads a small request body; a plain function with a spelled-out future type, because the
/// boxed body's error type trips the compiler's inference inside an `async fn`.
fn read_small(
    body: RequestBody,
) -> Pin<Box<dyn Future<Output = Result<Bytes, ProxyError>> + Send>> {
    use futures_util::FutureExt;
    Box::pin(
        http_body_util::Limited::new(body, SMALL_BODY)
            .collect()
            .map(|collected| {
                collected.map(|c| c.to_bytes()).map_err(|err| {
                    if err.is::<http_body_util::LengthLimitError>() {
                        ProxyError::PayloadTooLarge { limit: SMALL_BODY }
                    } else {
                        ProxyError::BodyRead(err)
                    }
                })
            }),
    )
}

/// The hub's newest frame, or why there is none to show.
fn latest_frame(streamer: &CallbackStreamer) -> Result<Arc<Frame>, RenderError> {
    let status = streamer.status();
    // Before `register-callback` nothing was asked of Octane yet: the 404 below says what to do.
    if status.streaming && !status.connected {
        return Err(RenderError::NotConnected {
            last_error: status.last_error,
        });
    }
    streamer
        .hub()
        .latest()
        .ok_or(RenderError::NoFrame(if status.streaming {
            "Octane has sent none since the render stream (re)connected"
        } else {
            "POST /render/register-callback, then wait for Octane to render"
        }))
}

async fn latest_jpg(
    streamer: &CallbackStreamer,
    query: Option<&str>,
) -> Result<Response<Body>, RenderError> {
    let params = ViewParams::from_query(query)?;
    let frame = latest_frame(streamer)?;
    live_view::latest_jpg(streamer, frame, params).await
}

/// `GET /render/stream`: the raw SSE stream, or with `format=jpeg` the JPEG one.
fn stream(streamer: &CallbackStreamer, query: Option<&str>) -> Result<Response<Body>, RenderError> {
    match query_value(query, "format") {
        None | Some("raw") => Ok(sse(streamer)),
        Some("jpeg") => {
            ViewParams::from_query(query).map(|params| live_view::sse(streamer, params))
        }
        Some(other) => Err(RenderError::InvalidParameter {
            name: "format",
            value: octane_proxy::error::clip(other),
            expected: "raw (the pixels as Octane sent them, the default) or jpeg",
        }),
    }
}

async fn latest_png(streamer: &CallbackStreamer) -> Result<Response<Body>, RenderError> {
    let frame = latest_frame(streamer)?;
    let png = png_of(frame).await?;
    let mut response = Response::new(Body::full(png));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn png_of(frame: Arc<Frame>) -> Result<Bytes, RenderError> {
    match tokio::task::spawn_blocking(move || frame.png()).await {
        Ok(Ok(png)) => Ok(png),
        Ok(Err(err)) => Err(RenderError::Png(err)),
        Err(err) => Err(RenderError::PngStopped(err)),
    }
}

/// `GET /render/stream`: `connected`, the latest frame (none since Octane disconnected, until it
/// sends a new one), then every frame, event and ping.
fn sse(streamer: &CallbackStreamer) -> Response<Body> {
    let shared = streamer.shared.clone();
    let client_id = uuid::Uuid::new_v4().to_string();
    let mut subscription = shared.hub.subscribe();
    // Read through the subscription, so that a frame published meanwhile is not sent twice.
    let latest = subscription.frames.borrow_and_update().clone();
    // Frames published before it subscribed are not skipped ones, also when the slot is empty.
    let seen = latest.as_ref().map_or_else(
        || shared.counters.published_sequence.load(Ordering::Relaxed),
        |frame| frame.sequence,
    );
    shared.counters.add_subscriber(&client_id, seen);

    #[derive(Serialize)]
    struct Connected<'a> {
        r#type: &'static str,
        client_id: &'a str,
        timestamp: f64,
        status: Status,
    }
    let mut queued = VecDeque::new();
    queued.push_back(sse_event(&Connected {
        r#type: "connected",
        client_id: &client_id,
        timestamp: now(),
        status: shared.counters.snapshot(),
    }));
    if let Some(frame) = latest {
        queued.extend(parts(&frame));
    }
    let mut ping = tokio::time::interval(shared.config.ping_interval);
    ping.reset();
    let client = Client {
        queued,
        rest: Bytes::new(),
        event: None,
        subscription,
        ping,
        guard: Subscriber { shared, client_id },
    };
    let events = futures_util::stream::unfold(client, |mut client| async move {
        let piece = client.next_piece().await?;
        Some((Ok::<_, Infallible>(piece), client))
    });
    Body::from_stream(events).into_event_stream()
}

/// Large events reach hyper in slices of this size, with a yield of the thread between two.
const WRITE_SLICE: usize = 256 * 1024;

/// A frame's event as a client sends it: see [`Frame::event_parts`]. No empty pieces.
fn parts(frame: &Frame) -> impl Iterator<Item = Bytes> {
    frame.event_parts().iter().cloned()
}

/// One SSE client. Holds no frames of its own, only the unsent rest of the event it is writing:
/// it reads the hub's latest when it is ready for the next.
struct Client {
    /// Whole pieces to send before the next from the hub: the greeting, the latest frame's
    /// event when the client connects, the tail of the event being written.
    queued: VecDeque<Bytes>,
    /// What is left to send of the current event (a slice of the shared `Bytes`, not a copy).
    rest: Bytes,
    /// An event taken from the hub that waits for a frame published before it.
    event: Option<Event>,
    subscription: Subscription,
    ping: tokio::time::Interval,
    guard: Subscriber,
}

impl Client {
    /// The next piece of the stream: a whole event, or the next slice of a large one.
    async fn next_piece(&mut self) -> Option<Bytes> {
        if self.rest.is_empty() {
            self.rest = self.next().await?;
        } else {
            // Each slice of a frame is a long copy in the kernel. Between two, an RPC thread
            // woken on this core gets to run instead of waiting out this thread's time slice:
            // with it, calls made while frames stream had their p99 fall from 2.5x to 2x idle.
            std::thread::yield_now();
        }
        Some(self.rest.split_to(self.rest.len().min(WRITE_SLICE)))
    }

    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(piece) = self.queued.pop_front() {
                return Some(piece);
            }
            if self.event.is_none() {
                match self.subscription.events.try_recv() {
                    Ok(event) => self.event = Some(event),
                    Err(TryRecvError::Lagged(_)) => continue,
                    Err(TryRecvError::Closed) => return None,
                    Err(TryRecvError::Empty) => {}
                }
            }
            if self.subscription.frames.has_changed().ok()? {
                // With both waiting, the one published first goes first.
                let frame_first = match (&self.event, &*self.subscription.frames.borrow()) {
                    (Some(event), Some(frame)) => event.follows(frame),
                    _ => true,
                };
                if frame_first {
                    let Some(frame) = self.subscription.frames.borrow_and_update().clone() else {
                        continue;
                    };
                    self.guard
                        .shared
                        .counters
                        .set_delivered(&self.guard.client_id, frame.sequence);
                    self.queued.extend(parts(&frame));
                    continue;
                }
            }
            if let Some(event) = self.event.take() {
                return Some(event.bytes);
            }
            tokio::select! {
                changed = self.subscription.frames.changed() => {
                    changed.ok()?;
                    // `changed()` marked the frame seen; it is sent when its turn comes.
                    self.subscription.frames.mark_changed();
                }
                event = self.subscription.events.recv() => match event {
                    Ok(event) => self.event = Some(event),
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                },
                _ = self.ping.tick() => {
                    #[derive(Serialize)]
                    struct Ping { r#type: &'static str, timestamp: f64 }
                    return Some(sse_event(&Ping { r#type: "ping", timestamp: now() }));
                }
            }
        }
    }
}

/// Removes the subscriber the moment its stream is dropped (the client went away).
struct Subscriber {
    shared: Arc<Shared>,
    client_id: String,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.shared.counters.remove_subscriber(&self.client_id);
    }
}

/// The answer to a failure: `{"success":false,"error":...,"code":...}` with its status (as the
/// router writes it, for the failures the routes share), and `Allow` on a 405, as RFC 9110
/// requires.
fn failure(err: &RenderError) -> Response<Body> {
    let body = match err {
        RenderError::Proxy(err) => err.to_json(),
        err => response::ErrorBody::new(&err.to_string(), err.code()).to_json(),
    };
    response::error(err.status(), body, err.allow())
}
