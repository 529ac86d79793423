//! Section 4: the resident memory of the real binary: idle, holding many idle SSE clients, and
//! streaming frames with one client that stalls.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use octane_test_peer::TestPeer;

use crate::Settings;
use crate::frames::{
    FORMATS, GRAB_PATH, Pump, SSE_FRAME, Streams, open_stream, register_callback, report_releases,
};
use crate::load::{connect_http, metric};
use crate::procfs::{peak_rss_bytes, rss_bytes};
use crate::report::{Report, Section, Target, Verdict};
use crate::rig::load_runtime;
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
pub(crate) fn run(settings: &Settings, binary: &Path, report: &mut Report) {
    let peer = octane_test_peer::TestPeer::start().expect("start the test peer");
    let proxy = Spawned::start(binary, peer.addr());
    let runtime = load_runtime();
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
             head. *per client* is the difference over the number of clients. Then a fresh \
             binary streams 1920x1080 RGBA8 frames (the peer emits a `newImage` callback each \
             time the proxy releases a grab) to one client of `GET /render/stream`: its RSS \
             (sampled every 50 ms; peak and median) over a window, and over an equally long \
             window with a second client that reads nothing; *per client* there is the \
             difference. *event buffers* is the peak of the binary's \
             `octane_proxy_render_event_buffer_bytes` gauge over the same window (sampled from \
             `/metrics` with the RSS): the bytes of the buffers the frames' SSE events are \
             built in, in flight and spare, counted by the proxy itself.",
            endpoint.method, endpoint.path
        ),
        &["state", "RSS MiB", "per client KiB", "event buffers MiB"],
    );
    section.row(vec!["idle".into(), mib(idle), String::new(), String::new()]);
    section.row(vec![
        format!("{connected} idle SSE clients"),
        mib(with_clients),
        format!(
            "{:.1}",
            with_clients.saturating_sub(idle) as f64 / 1024.0 / connected.max(1) as f64
        ),
        String::new(),
    ]);
    section.row(vec![
        "peak (VmHWM)".into(),
        mib(peak),
        String::new(),
        String::new(),
    ]);
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
    drop(proxy);
    drop(peer);
    stalled_client(settings, binary, &mut section, report);
    report.sections.push(section);
}

/// While one client reads 1920x1080 RGBA8 frames from a fresh binary's `/render/stream`: the
/// binary's peak RSS over a window, then over an equally long one with a second SSE client that
/// reads nothing.
fn stalled_client(settings: &Settings, binary: &Path, section: &mut Section, report: &mut Report) {
    // Equally long windows: a longer one sees more of the allocator's churn at its peak.
    let span = if settings.quick {
        Duration::from_secs(3)
    } else {
        Duration::from_secs(60)
    };
    let format = FORMATS[1];
    let peer = TestPeer::start().expect("start the test peer");
    peer.reply(GRAB_PATH, &format.grab_response(format.pixels()));
    let releases = report_releases(&peer);
    let proxy = Spawned::start(binary, peer.addr());
    let runtime = load_runtime();
    let (grabs, paused, stop) = (
        AtomicU64::new(0),
        AtomicBool::new(false),
        AtomicBool::new(false),
    );
    let (before, with) = std::thread::scope(|scope| {
        let pump = Pump {
            peer: &peer,
            releases,
            grabs: &grabs,
            paused: &paused,
            stop: &stop,
        };
        scope.spawn(move || pump.run());
        let windows = runtime.block_on(async {
            register_callback(proxy.addr).await;
            let reading = Streams::open(proxy.addr, "/render/stream", SSE_FRAME, 1).await;
            reading.wait_for(2, Duration::from_secs(60)).await;
            let before = watch(&proxy, &reading, span).await;
            let stalled = open_stream(proxy.addr, "/render/stream").await;
            let with = watch(&proxy, &reading, span).await;
            drop(stalled);
            (before, with)
        });
        stop.store(true, Ordering::Relaxed);
        windows
    });
    drop(runtime);
    drop(proxy);
    drop(peer);

    let mib = |bytes: u64| bytes as f64 / (1u64 << 20) as f64;
    let kib = |from: u64, to: u64| (to as f64 - from as f64) / 1024.0;
    // An event is the pixels' base64 and a JSON head of a few hundred bytes.
    let event = (format.bytes() as f64 * 4.0 / 3.0) as u64;
    let event_and_head = event + 4096;
    let buffers = |window: &Window| {
        window
            .peak_event_buffers
            .map_or_else(|| "-".to_owned(), |bytes| format!("{:.1}", mib(bytes)))
    };
    section.row(vec![
        format!(
            "one SSE client reading {} frames ({:.1} frames/s), over {:.0} s",
            format.label,
            before.frames_per_s,
            span.as_secs_f64()
        ),
        format!(
            "{:.1} (median {:.1})",
            mib(before.peak_rss),
            mib(before.median_rss)
        ),
        String::new(),
        buffers(&before),
    ]);
    section.row(vec![
        format!(
            "the same plus one SSE client that reads nothing ({:.1} frames/s to the reader), \
             over {:.0} s",
            with.frames_per_s,
            span.as_secs_f64()
        ),
        format!(
            "{:.1} (median {:.1})",
            mib(with.peak_rss),
            mib(with.median_rss)
        ),
        format!(
            "{:+.0} (median {:+.0})",
            kib(before.peak_rss, with.peak_rss),
            kib(before.median_rss, with.median_rss)
        ),
        buffers(&with),
    ]);
    let held = before
        .peak_event_buffers
        .zip(with.peak_event_buffers)
        .map(|(before, with)| with.saturating_sub(before));
    report.targets.push(Target {
        target: "memory: a stalled SSE client during 8 MiB frames adds at most one frame".into(),
        measured: format!(
            "event buffers {} (one frame's event: {:.1} MiB); the binary's RSS {:+.1} MiB at \
             its peak, {:+.1} MiB at its median over {:.0} s; the reading client's frames/s \
             {:.1} before, {:.1} with it",
            held.map_or_else(
                || "not reported".to_owned(),
                |held| format!("{:+.1} MiB", mib(held))
            ),
            mib(event),
            kib(before.peak_rss, with.peak_rss) / 1024.0,
            kib(before.median_rss, with.median_rss) / 1024.0,
            span.as_secs_f64(),
            before.frames_per_s,
            with.frames_per_s
        ),
        verdict: held.map_or(Verdict::NotMeasured, |held| {
            Verdict::of(held <= event_and_head)
        }),
        why: "Judged on what the proxy holds, counted exactly: the frames' events live in a pool \
              of reused buffers (`octane_proxy_render_event_buffer_bytes`), and the stalled \
              client pins the one its socket stopped on, so the pool allocates one buffer more. \
              The RSS around it varies by about a frame either way from run to run of the same \
              code: glibc's reuse of the memory each grab's HTTP/2 frames are read into. Its \
              socket buffers are kernel memory, not RSS."
            .into(),
    });
}

/// The peaks of the binary's RSS and of its event buffers, and the frame rate of a reading
/// client, over a window.
struct Window {
    peak_rss: u64,
    /// Median of the RSS samples: where the resident set sits, its allocator spikes aside.
    median_rss: u64,
    /// Peak of the `octane_proxy_render_event_buffer_bytes` gauge; `None` if the binary has none.
    peak_event_buffers: Option<u64>,
    frames_per_s: f64,
}

/// The gauge of the event buffers the callback streamer allocated and has not freed.
const EVENT_BUFFERS: &str = "octane_proxy_render_event_buffer_bytes";

/// Samples the RSS and the event buffers of `proxy` every 50 ms over `span`.
async fn watch(proxy: &Spawned, streams: &Streams, span: Duration) -> Window {
    let mut metrics = connect_http(proxy.addr).await;
    let f0 = streams.frames();
    let started = Instant::now();
    let (mut rss, mut peak_event_buffers) = (Vec::new(), None);
    while started.elapsed() < span {
        rss.push(rss_bytes(proxy.pid()));
        if let Some(bytes) = metric(&mut metrics, proxy.addr, EVENT_BUFFERS).await {
            peak_event_buffers = Some(peak_event_buffers.unwrap_or(0).max(bytes));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    rss.sort_unstable();
    Window {
        peak_rss: rss.last().copied().unwrap_or(0),
        median_rss: rss.get(rss.len() / 2).copied().unwrap_or(0),
        peak_event_buffers,
        frames_per_s: (streams.frames() - f0) as f64 / started.elapsed().as_secs_f64(),
    }
}
