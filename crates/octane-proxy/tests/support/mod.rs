//! Shared by the integration tests: a proxy served over real loopback HTTP in front of a test
//! peer, and a small HTTP/1.1 client.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use octane_proxy::{Octane, Router, RouterBuilder};
use octane_test_peer::TestPeer;
use tokio::sync::oneshot;

/// How long any single step may take before a test calls it a hang.
pub(crate) const HANG: Duration = Duration::from_secs(20);

/// A proxy on a loopback port, stopped on drop.
pub(crate) struct Proxy {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts a proxy for Octane at `octane`, configured by `configure`.
pub(crate) async fn proxy_with(
    octane: SocketAddr,
    configure: impl FnOnce(RouterBuilder) -> RouterBuilder,
) -> Proxy {
    let octane = Octane::lazy(&octane.ip().to_string(), octane.port()).expect("loopback address");
    proxy_of(octane, configure).await
}

/// Starts a proxy for `octane`, configured by `configure`.
pub(crate) async fn proxy_of(
    octane: Octane,
    configure: impl FnOnce(RouterBuilder) -> RouterBuilder,
) -> Proxy {
    let router = configure(Router::builder(octane)).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (shutdown, stop) = oneshot::channel::<()>();
    tokio::spawn(octane_proxy::serve(listener, router, async {
        let _ = stop.await;
    }));
    Proxy {
        addr,
        shutdown: Some(shutdown),
    }
}

/// A test peer and a proxy in front of it.
pub(crate) async fn peer_and_proxy() -> (TestPeer, Proxy) {
    let peer = TestPeer::start().expect("start test peer");
    let proxy = proxy_with(peer.addr(), |b| b).await;
    (peer, proxy)
}

/// A complete response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as UTF-8 text.
    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("JSON body ({e}): {}", self.text()))
    }

    /// The `error` of an error envelope.
    pub(crate) fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .expect("error message")
            .to_owned()
    }
}

/// Sends one request on a fresh connection and returns the response head with its streaming body.
pub(crate) async fn send(
    addr: SocketAddr,
    request: Request<Full<Bytes>>,
) -> http::Response<Incoming> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to proxy");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP handshake");
    tokio::spawn(connection);
    tokio::time::timeout(HANG, sender.send_request(request))
        .await
        .expect("response in time")
        .expect("response")
}

/// Sends a request and reads the whole response.
pub(crate) async fn call(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut builder = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("valid request");
    let response = send(addr, request).await;
    let (parts, body) = response.into_parts();
    let body = tokio::time::timeout(HANG, body.collect())
        .await
        .expect("body in time")
        .expect("body")
        .to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `POST path` with a JSON body.
pub(crate) async fn post(addr: SocketAddr, path: &str, body: &str) -> Reply {
    call(
        addr,
        Method::POST,
        path,
        &[("content-type", "application/json")],
        body,
    )
    .await
}

/// `GET path`.
pub(crate) async fn get(addr: SocketAddr, path: &str) -> Reply {
    call(addr, Method::GET, path, &[], "").await
}

/// Reads Server-Sent Events from a streaming body, one `(event, data)` at a time.
pub(crate) struct Events {
    body: Incoming,
    buffer: Vec<u8>,
}

impl Events {
    /// Wraps a response body.
    pub(crate) fn new(body: Incoming) -> Self {
        Self {
            body,
            buffer: Vec::new(),
        }
    }

    /// The next event, or `None` when the stream ended.
    pub(crate) async fn next(&mut self) -> Option<(Option<String>, String)> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let raw: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let text = String::from_utf8(raw).expect("UTF-8 event");
                let mut event = None;
                let mut data = String::new();
                for line in text.lines() {
                    if let Some(name) = line.strip_prefix("event: ") {
                        event = Some(name.to_owned());
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data.push_str(value);
                    }
                }
                return Some((event, data));
            }
            let frame = tokio::time::timeout(HANG, self.body.frame())
                .await
                .expect("event in time")?;
            if let Ok(data) = frame.expect("body frame").into_data() {
                self.buffer.extend_from_slice(&data);
            }
        }
    }
}

/// Waits until `check` holds, polling; panics after [`HANG`].
pub(crate) async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !check() {
        assert!(started.elapsed() < HANG, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the async `check` holds, polling; panics after [`HANG`].
pub(crate) async fn eventually_async<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < HANG, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
