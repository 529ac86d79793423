//! The `octane-proxy` binary under SSE load: 500 clients get frames, the proxy's memory stays
//! bounded and comes back when they leave. Measured on the proxy's own process.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use octane_api::octaneapi::api_render_engine::GrabRenderResultResponse;
use octane_api::octaneapi::stream_callback_request::Payload;
use octane_api::octaneapi::{
    ApiArrayApiRenderImage, ApiRenderImage, Buffer, OnNewImageData, StreamCallbackRequest, Uint322,
};
use octane_test_peer::TestPeer;

use support::HANG;

const CLIENTS: usize = 500;
const STREAM: &str = "/octaneapi.StreamCallbackService/callbackChannel";
const NEW_IMAGE: &[u8] = br#""type":"newImage""#;

/// The proxy binary, stopped (SIGKILL by handle) on drop.
struct Proxy {
    child: tokio::process::Child,
    addr: SocketAddr,
}

async fn start_proxy(octane: SocketAddr) -> Proxy {
    let mut command = support::octane_proxy_for(octane);
    command.env("RUST_LOG", "warn,octane_proxy=info");
    let support::Serving {
        child,
        addr,
        mut log,
        ..
    } = support::serve(command).await;
    // Keep draining the log so the proxy never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = log.next_line().await {} });
    Proxy { child, addr }
}

impl Proxy {
    fn rss_kib(&self) -> u64 {
        let pid = self.child.id().expect("running");
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

async fn send(addr: SocketAddr, method: &str, path: &str) -> http::Response<hyper::body::Incoming> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let request = http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .body(http_body_util::Empty::<Bytes>::new())
        .expect("request");
    tokio::time::timeout(HANG, sender.send_request(request))
        .await
        .expect("in time")
        .expect("response")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_sse_clients_get_frames_in_bounded_memory_that_comes_back() {
    let peer = TestPeer::start().expect("peer");
    let (w, h) = (256u32, 128u32); // 128 KiB frames, ~175 KB as events
    let pixels: Vec<u8> = (0..w * h * 4).map(|i| (i % 251) as u8).collect();
    peer.reply(
        "/octaneapi.ApiRenderEngineService/grabRenderResult",
        &GrabRenderResultResponse {
            result: true,
            render_images: Some(ApiArrayApiRenderImage {
                data: vec![ApiRenderImage {
                    size: Some(Uint322 { x: w, y: h }),
                    pitch: w,
                    buffer: Some(Buffer {
                        data: Bytes::from(pixels),
                        size: w * h * 4,
                    }),
                    ..Default::default()
                }],
            }),
        },
    );
    let proxy = start_proxy(peer.addr()).await;
    assert_eq!(
        send(proxy.addr, "POST", "/render/register-callback")
            .await
            .status(),
        200
    );
    let rss_idle = proxy.rss_kib();

    // Each client reads its stream until it has seen `newImage` three times, then hangs up.
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let body = send(proxy.addr, "GET", "/render/stream").await.into_body();
        clients.push(tokio::spawn(async move {
            let mut body = body;
            let mut seen = 0;
            let mut tail = Vec::new();
            while seen < 3 {
                let frame = tokio::time::timeout(HANG, body.frame()).await.ok()??.ok()?;
                if let Ok(data) = frame.into_data() {
                    tail.extend_from_slice(&data);
                    seen += tail
                        .windows(NEW_IMAGE.len())
                        .filter(|w| *w == NEW_IMAGE)
                        .count();
                    // Keep only what a marker split across chunks needs.
                    let keep = tail.len().saturating_sub(NEW_IMAGE.len() - 1);
                    tail.drain(..keep);
                }
            }
            Some(seen)
        }));
    }
    let started = Instant::now();
    while peer.open_streams(STREAM) == 0 {
        assert!(started.elapsed() < HANG, "callback stream did not open");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rss_connected = proxy.rss_kib();

    let mut peak = rss_connected;
    let mut n = 0;
    let emitting = Instant::now();
    while clients.iter().any(|c| !c.is_finished()) {
        assert!(
            emitting.elapsed() < Duration::from_secs(120),
            "clients did not get their frames"
        );
        n += 1;
        peer.emit(
            STREAM,
            &StreamCallbackRequest {
                payload: Some(Payload::NewImage(OnNewImageData { user_data: n })),
            },
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        peak = peak.max(proxy.rss_kib());
    }
    for client in clients {
        assert_eq!(
            client.await.expect("client task"),
            Some(3),
            "every client got three frames"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_closed = proxy.rss_kib();
    eprintln!(
        "octane-proxy RSS: idle {} MiB, 500 SSE clients {} MiB, peak while streaming {} frames {} MiB, all closed {} MiB",
        rss_idle / 1024,
        rss_connected / 1024,
        n,
        peak / 1024,
        rss_closed / 1024
    );
    // One copy of a 175 KB event per client would be 87 MB; shared frames stay far below.
    assert!(peak < rss_idle + 64 * 1024, "peak {peak} KiB");
    assert!(rss_closed <= peak, "memory comes back");
}
