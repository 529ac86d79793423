//! Shared by the render stream tests: a proxy with the streamer mounted, in front of a test
//! peer, over real loopback; an HTTP client; an SSE reader; frames to grab.

#![allow(dead_code)] // each test binary uses its own part of this module

pub(crate) mod chromium;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use octane_api::octaneapi::api_render_engine::GrabRenderResultResponse;
use octane_api::octaneapi::stream_callback_request::Payload;
use octane_api::octaneapi::{
    ApiArrayApiRenderImage, ApiRenderImage, Buffer, CLevelT, OnNewImageData, StreamCallbackRequest,
    Uint322,
};
use octane_callbacks::{CallbackStreamer, StreamerConfig};
use octane_proxy::{Octane, Router, RouterBuilder};
use octane_test_peer::TestPeer;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

pub(crate) const HANG: Duration = Duration::from_secs(20);
pub(crate) const STREAM: &str = "/octaneapi.StreamCallbackService/callbackChannel";
pub(crate) const REGISTER: &str = "/octaneapi.ApiRenderEngineService/setOnNewImageCallback";
pub(crate) const GRAB: &str = "/octaneapi.ApiRenderEngineService/grabRenderResult";
pub(crate) const RELEASE: &str = "/octaneapi.ApiRenderEngineService/releaseRenderResult";
pub(crate) const STATISTICS: &str = "/octaneapi.ApiRenderEngineService/getRenderStatistics";

pub(crate) struct Rig {
    pub peer: TestPeer,
    pub addr: SocketAddr,
    pub streamer: CallbackStreamer,
    pub _stop: tokio::sync::oneshot::Sender<()>,
}

pub(crate) async fn rig() -> Rig {
    let peer = TestPeer::start().expect("peer");
    rig_for(peer).await
}

pub(crate) async fn rig_for(peer: TestPeer) -> Rig {
    let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("address");
    rig_with(peer, octane).await
}

/// A rig whose proxy and streamer talk to `peer` through `octane`, as configured by the caller.
pub(crate) async fn rig_with(peer: TestPeer, octane: Octane) -> Rig {
    let config = StreamerConfig {
        backoff_max: Duration::from_millis(500),
        ..StreamerConfig::default()
    };
    rig_configured(peer, octane, config).await
}

/// A rig in front of a fresh test peer whose streamer has `config`.
pub(crate) async fn rig_of(config: StreamerConfig) -> Rig {
    let peer = TestPeer::start().expect("peer");
    let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("address");
    rig_configured(peer, octane, config).await
}

/// A rig whose streamer has `config`.
pub(crate) async fn rig_configured(peer: TestPeer, octane: Octane, config: StreamerConfig) -> Rig {
    rig_routed(peer, octane, config, |router, streamer| {
        router
            .nest("/render", streamer.routes())
            .route("/api/callbacks", streamer.routes())
            .route("/", streamer.routes())
    })
    .await
}

/// A rig whose streamer has `config`, served by what `route` makes of a router builder with
/// the streamer's metrics.
pub(crate) async fn rig_routed(
    peer: TestPeer,
    octane: Octane,
    config: StreamerConfig,
    route: impl FnOnce(RouterBuilder, &CallbackStreamer) -> RouterBuilder,
) -> Rig {
    let streamer = CallbackStreamer::new(&octane, config);
    let metrics = streamer.clone();
    let router = Router::builder(octane)
        .register_metrics(move |registry| metrics.register_metrics(registry));
    let router = route(router, &streamer).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(octane_proxy::serve(listener, router, async {
        let _ = stopped.await;
    }));
    Rig {
        peer,
        addr,
        streamer,
        _stop: stop,
    }
}

/// Reads `stream` until what arrived satisfies `done`; fails if it closes first or stops
/// sending for [`HANG`].
pub(crate) async fn read_until(
    stream: &mut tokio::net::TcpStream,
    done: impl Fn(&[u8]) -> bool,
) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let mut buffer = vec![0; 1 << 20];
    while !done(&received) {
        let n = tokio::time::timeout(HANG, stream.read(&mut buffer))
            .await
            .expect("data in time")
            .expect("read");
        assert!(n > 0, "closed after {} bytes", received.len());
        received.extend_from_slice(&buffer[..n]);
    }
    received
}

/// Where `needle` first occurs in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

pub(crate) async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < HANG, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub(crate) async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> http::Response<Incoming> {
    request_with(addr, method, path, &[], body).await
}

/// [`request`] with extra request headers.
pub(crate) async fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> http::Response<Incoming> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let mut request = http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(http_body_util::Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    tokio::time::timeout(HANG, sender.send_request(request))
        .await
        .expect("in time")
        .expect("response")
}

pub(crate) async fn json(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, Value) {
    let response = request(addr, method, path, body).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

/// The whole body of `response`, parsed as JSON.
pub(crate) async fn body_json(response: http::Response<Incoming>) -> Value {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    serde_json::from_slice(&bytes).expect("JSON")
}

/// The text of `/metrics`.
async fn metrics_text(addr: SocketAddr) -> String {
    let response = request(addr, "GET", "/metrics", "").await;
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// The value of the metric `name` (a sample without labels) at `/metrics`.
pub(crate) async fn metric(addr: SocketAddr, name: &str) -> u64 {
    let text = metrics_text(addr).await;
    let prefix = format!("{name} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .parse()
        .expect("an integer")
}

/// The lines of `/metrics` of the metric `name`, labels and value.
pub(crate) async fn metric_lines(addr: SocketAddr, name: &str) -> Vec<String> {
    let text = metrics_text(addr).await;
    let prefix = format!("{name}{{");
    text.lines()
        .filter(|line| line.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

/// The value of the metric `name` of the live-view variant `variant` at `/metrics`.
pub(crate) async fn metric_with(addr: SocketAddr, name: &str, variant: &str) -> u64 {
    let prefix = format!("{name}{{variant=\"{variant}\"}} ");
    let lines = metric_lines(addr, name).await;
    lines
        .iter()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {lines:?}"))
        .parse()
        .expect("an integer")
}

/// Reads `data:` events from an SSE body.
pub(crate) struct Events {
    body: Incoming,
    buffer: Vec<u8>,
}

impl Events {
    pub(crate) async fn open(addr: SocketAddr) -> Self {
        let response = request(addr, "GET", "/render/stream", "").await;
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(response.headers()["cache-control"], "no-cache");
        Self {
            body: response.into_body(),
            buffer: Vec::new(),
        }
    }

    /// Reads the events of an SSE `response` already checked by the caller.
    pub(crate) fn from_response(response: http::Response<Incoming>) -> Self {
        Self {
            body: response.into_body(),
            buffer: Vec::new(),
        }
    }

    pub(crate) async fn next(&mut self) -> Value {
        serde_json::from_str(&self.next_data().await).expect("JSON event")
    }

    /// The `data:` of the next event, as sent.
    pub(crate) async fn next_data(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let raw: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let text = String::from_utf8(raw).expect("UTF-8");
                return text
                    .strip_prefix("data: ")
                    .expect("a data event")
                    .trim_end()
                    .to_owned();
            }
            let frame = tokio::time::timeout(HANG, self.body.frame())
                .await
                .expect("event in time")
                .expect("open stream");
            if let Ok(data) = frame.expect("frame").into_data() {
                self.buffer.extend_from_slice(&data);
            }
        }
    }

    /// The next event of type `kind`, skipping others.
    pub(crate) async fn next_of(&mut self, kind: &str) -> Value {
        serde_json::from_str(&self.next_data_of(kind).await).expect("JSON event")
    }

    /// The `data:` of the next event of type `kind` as sent, skipping others.
    pub(crate) async fn next_data_of(&mut self, kind: &str) -> String {
        loop {
            let data = self.next_data().await;
            let event: Value = serde_json::from_str(&data).expect("JSON event");
            if event["type"] == kind {
                return data;
            }
        }
    }
}

/// A WebSocket client of the proxy.
pub(crate) type WebSocket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Opens a WebSocket to `path` of the proxy at `addr`.
pub(crate) async fn websocket(addr: SocketAddr, path: &str) -> WebSocket {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (socket, response) = tokio_tungstenite::client_async(format!("ws://{addr}{path}"), stream)
        .await
        .expect("WebSocket handshake");
    assert_eq!(response.status(), 101);
    socket
}

/// The next text message of `socket`, as JSON; fails on anything else or after [`HANG`].
pub(crate) async fn next_text(socket: &mut WebSocket) -> Value {
    use futures_util::StreamExt;
    loop {
        let message = tokio::time::timeout(HANG, socket.next())
            .await
            .expect("a message in time")
            .expect("an open socket")
            .expect("a message");
        match message {
            tokio_tungstenite::tungstenite::Message::Text(text) => {
                return serde_json::from_str(&text).expect("JSON");
            }
            tokio_tungstenite::tungstenite::Message::Binary(_) => panic!("a binary message"),
            _ => {}
        }
    }
}

/// The next text message of `socket` of type `kind`, skipping others.
pub(crate) async fn next_of_type(socket: &mut WebSocket, kind: &str) -> Value {
    loop {
        let message = next_text(socket).await;
        if message["type"] == kind {
            return message;
        }
    }
}

/// Sends `text` on `socket`.
pub(crate) async fn send_text(socket: &mut WebSocket, text: &str) {
    use futures_util::SinkExt;
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(text))
        .await
        .expect("sent");
}

pub(crate) fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

pub(crate) fn ldr_image(width: u32, height: u32, pitch: u32, seed: u8) -> ApiRenderImage {
    let pixels: Vec<u8> = (0..(pitch * height * 4) as usize)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    ApiRenderImage {
        r#type: 0,
        size: Some(Uint322 {
            x: width,
            y: height,
        }),
        pitch,
        buffer: Some(Buffer {
            data: Bytes::from(pixels),
            size: pitch * height * 4,
        }),
        render_pass_id: 0,
        tonemapped_samples_per_pixel: 16.0,
        calculated_samples_per_pixel: 16.0,
        samples_per_second: 1234.5,
        render_time: 2.5,
        change_level: Some(CLevelT { value: 77 }),
        has_alpha: true,
        ..Default::default()
    }
}

/// A `width` x `height` RGBA8 image of one `color`, rows without padding.
pub(crate) fn solid_image(width: u32, height: u32, color: [u8; 4]) -> ApiRenderImage {
    let pixels: Vec<u8> = color
        .iter()
        .copied()
        .cycle()
        .take((width * height * 4) as usize)
        .collect();
    ApiRenderImage {
        size: Some(Uint322 {
            x: width,
            y: height,
        }),
        pitch: width,
        buffer: Some(Buffer {
            data: Bytes::from(pixels),
            size: width * height * 4,
        }),
        ..Default::default()
    }
}

pub(crate) fn grab_reply(images: Vec<ApiRenderImage>) -> GrabRenderResultResponse {
    GrabRenderResultResponse {
        result: true,
        render_images: Some(ApiArrayApiRenderImage { data: images }),
    }
}

pub(crate) fn new_image(user_data: u64) -> StreamCallbackRequest {
    StreamCallbackRequest {
        payload: Some(Payload::NewImage(OnNewImageData { user_data })),
    }
}

pub(crate) async fn register_and_wait(rig: &Rig) -> Value {
    let (status, reply) = json(rig.addr, "POST", "/render/register-callback", "").await;
    assert_eq!(status, 200);
    eventually("the callback stream to open", || {
        rig.peer.open_streams(STREAM) == 1
    })
    .await;
    reply
}

/// A client that asks for the stream and then never reads a byte; subscribed when this returns.
async fn stalled_client(rig: &Rig) -> tokio::net::TcpStream {
    let before = rig.streamer.status().subscribers;
    let mut stalled = tokio::net::TcpStream::connect(rig.addr)
        .await
        .expect("connect");
    stalled
        .write_all(b"GET /render/stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    eventually("the stalled subscriber", || {
        rig.streamer.status().subscribers == before + 1
    })
    .await;
    stalled
}

/// A registered rig whose grabs answer 2 MiB frames (a few fill a socket nobody reads), and a
/// client of its stream that never reads.
pub(crate) async fn stalled_rig() -> (Rig, tokio::net::TcpStream) {
    let rig = rig().await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(1024, 512, 1024, 5)]));
    register_and_wait(&rig).await;
    let stalled = stalled_client(&rig).await;
    (rig, stalled)
}

/// Waits until the streamer has counted `n` releases. It counts one when Octane answers it: after
/// the peer has recorded the call, and after the frame's event, which is published while the
/// release is answered.
pub(crate) async fn releases_counted(rig: &Rig, n: u64) {
    eventually("the release counted", || {
        rig.streamer.status().releases == n
    })
    .await;
}
