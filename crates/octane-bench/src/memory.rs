//! Section 4: the resident memory of the real binary, idle and holding many idle SSE clients.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;

use crate::Settings;
use crate::load::connect_http;
use crate::procfs::{peak_rss_bytes, rss_bytes};
use crate::report::{Report, Section, Target, Verdict};
use crate::spawned::Spawned;

/// How many idle SSE clients the issue asks about.
const IDLE_CLIENTS: usize = 1000;
/// How long memory may take to settle after a change.
const SETTLE: Duration = Duration::from_millis(500);

/// An SSE endpoint the binary serves.
#[derive(Clone, Copy)]
struct SseEndpoint {
    method: &'static str,
    path: &'static str,
    body: &'static str,
}

/// The live render stream of the callback streamer, where the binary has it.
const RENDER_STREAM: SseEndpoint = SseEndpoint {
    method: "GET",
    path: "/render/stream",
    body: "",
};
/// The core router's stream of Octane's callbacks: one upstream gRPC stream per client.
const CALLBACK_CHANNEL: SseEndpoint = SseEndpoint {
    method: "POST",
    path: "/StreamCallback/callbackChannel",
    body: "{}",
};

/// A connected SSE client that reads nothing: its connection and response are held open.
type IdleClient = (SendRequest<Full<Bytes>>, http::Response<Incoming>);

/// Opens an SSE stream on `endpoint`; `None` if it does not answer 200.
async fn open(addr: SocketAddr, endpoint: SseEndpoint) -> Option<IdleClient> {
    let mut sender = connect_http(addr).await;
    let request = Request::builder()
        .method(Method::from_bytes(endpoint.method.as_bytes()).expect("a method name"))
        .uri(endpoint.path)
        .header(HOST, addr.to_string())
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from_static(endpoint.body.as_bytes())))
        .expect("a valid request");
    sender.ready().await.ok()?;
    let response = tokio::time::timeout(Duration::from_secs(10), sender.send_request(request))
        .await
        .ok()?
        .ok()?;
    (response.status() == StatusCode::OK).then_some((sender, response))
}

/// Section 4: RSS idle, and with 1,000 idle SSE clients.
pub fn run(_settings: &Settings, binary: &Path, report: &mut Report) {
    let peer = octane_test_peer::TestPeer::start().expect("start the test peer");
    let proxy = Spawned::start(binary, peer.addr());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(crate::rig::LOAD_THREADS)
        .enable_all()
        .build()
        .expect("build the client runtime");
    std::thread::sleep(SETTLE);
    let idle = rss_bytes(proxy.pid());

    let (endpoint, clients) = runtime.block_on(async {
        let endpoint = match open(proxy.addr, RENDER_STREAM).await {
            Some(_) => RENDER_STREAM,
            None => CALLBACK_CHANNEL,
        };
        let tasks: Vec<_> = (0..IDLE_CLIENTS)
            .map(|_| tokio::spawn(open(proxy.addr, endpoint)))
            .collect();
        let mut clients = Vec::with_capacity(IDLE_CLIENTS);
        for task in tasks {
            if let Some(client) = task.await.expect("a client task panicked") {
                clients.push(client);
            }
        }
        (endpoint, clients)
    });
    std::thread::sleep(SETTLE);
    let with_clients = rss_bytes(proxy.pid());
    let peak = peak_rss_bytes(proxy.pid());
    let connected = clients.len();
    drop(clients);
    drop(runtime);

    let mib = |bytes: u64| format!("{:.1}", bytes as f64 / (1u64 << 20) as f64);
    let mut section = Section::new(
        "4. Memory",
        &format!(
            "Resident set (`VmRSS` of `/proc/<pid>/status`) of the real release `octane-proxy` \
             binary, spawned against the test peer: after start-up and one `/health`; then with \
             {IDLE_CLIENTS} SSE clients connected to `{} {}` that read nothing after the response \
             head. *per client* is the difference over the number of clients.",
            endpoint.method, endpoint.path
        ),
        &["state", "RSS MiB", "per client KiB"],
    );
    section.row(vec!["idle".into(), mib(idle), String::new()]);
    section.row(vec![
        format!("{connected} idle SSE clients"),
        mib(with_clients),
        format!(
            "{:.1}",
            with_clients.saturating_sub(idle) as f64 / 1024.0 / connected.max(1) as f64
        ),
    ]);
    section.row(vec!["peak (VmHWM)".into(), mib(peak), String::new()]);
    if endpoint.path == CALLBACK_CHANNEL.path {
        section.notes.push(
            "The binary serves no `/render/stream` (the callback streamer is not composed into \
             it), so the idle clients use the core router's SSE route, which opens one upstream \
             gRPC stream per client on the shared HTTP/2 connection: a heavier client than a \
             subscriber of a shared frame fan-out would be."
                .to_owned(),
        );
    }
    let limit = 64u64 << 20;
    report.targets.push(Target {
        target: format!("{IDLE_CLIENTS} idle SSE clients: under 64 MiB RSS in total"),
        measured: format!(
            "{} MiB with {connected} clients on `{}`",
            mib(with_clients),
            endpoint.path
        ),
        verdict: if connected == IDLE_CLIENTS {
            Verdict::of(with_clients < limit)
        } else {
            Verdict::NotMeasured
        },
        why: if connected == IDLE_CLIENTS {
            String::new()
        } else {
            format!("only {connected} of {IDLE_CLIENTS} clients got their stream")
        },
    });
    report.sections.push(section);
    drop(proxy);
    drop(peer);
}
