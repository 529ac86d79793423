//! The built-in page in headless Chromium: a screenshot shows the pixels the test peer sent.
//!
//! Needs Debian's `chromium` (CI installs it); without it the test says so and passes.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use octane_api::octaneapi::api_render_engine::GrabRenderResultResponse;
use octane_api::octaneapi::stream_callback_request::Payload;
use octane_api::octaneapi::{
    ApiArrayApiRenderImage, ApiRenderImage, Buffer, OnNewImageData, StreamCallbackRequest, Uint322,
};
use octane_callbacks::{CallbackStreamer, StreamerConfig};
use octane_proxy::{Octane, Router};
use octane_test_peer::TestPeer;

const CHROMIUM: &str = "/usr/bin/chromium";
const COLOR: [u8; 4] = [12, 200, 34, 255];

#[tokio::test]
async fn a_screenshot_of_the_page_shows_the_rendered_pixels() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} is not installed (apt-get install chromium)");
        return;
    }
    let peer = TestPeer::start().expect("peer");
    let (width, height) = (96u32, 64u32);
    let pixels: Vec<u8> = COLOR
        .iter()
        .copied()
        .cycle()
        .take((width * height * 4) as usize)
        .collect();
    peer.reply(
        "/octaneapi.ApiRenderEngineService/grabRenderResult",
        &GrabRenderResultResponse {
            result: true,
            render_images: Some(ApiArrayApiRenderImage {
                data: vec![ApiRenderImage {
                    r#type: 0,
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
                }],
            }),
        },
    );
    let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("address");
    let streamer = CallbackStreamer::new(octane.clone(), StreamerConfig::default());
    let router = Router::builder(octane)
        .nest("/render", streamer.routes())
        .route("/", streamer.routes())
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(octane_proxy::serve(
        listener,
        router,
        std::future::pending(),
    ));

    // A frame exists before the page loads: the stream sends it right after `connected`.
    streamer.start().await;
    let started = std::time::Instant::now();
    while peer.open_streams("/octaneapi.StreamCallbackService/callbackChannel") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "stream did not open"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    peer.emit(
        "/octaneapi.StreamCallbackService/callbackChannel",
        &StreamCallbackRequest {
            payload: Some(Payload::NewImage(OnNewImageData { user_data: 1 })),
        },
    );
    while streamer.status().frames_published == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "no frame");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let dir = std::env::temp_dir().join(format!("octane-page-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let shot = dir.join("page.png");
    let mut chromium = tokio::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=480,320",
            "--timeout=5000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("http://{addr}/"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromium");
    let exit = tokio::time::timeout(Duration::from_secs(60), chromium.wait())
        .await
        .expect("chromium in time")
        .expect("chromium ran");
    assert!(exit.success(), "chromium: {exit}");

    let png = std::fs::read(&shot).expect("screenshot");
    let _ = std::fs::remove_dir_all(&dir);
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("a PNG");
    let mut image = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut image).expect("frame");
    let channels = info.color_type.samples();
    let matching = image[..info.buffer_size()]
        .chunks_exact(channels)
        .filter(|px| px[..3] == COLOR[..3])
        .count();
    assert_eq!(
        matching,
        (width * height) as usize,
        "pixels of the frame's color in the screenshot"
    );
}

#[tokio::test]
async fn the_api_explorer_searches_sends_a_call_and_shows_the_answer() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} is not installed (apt-get install chromium)");
        return;
    }
    let peer = TestPeer::start().expect("peer");
    peer.reply(
        "/octaneapi.ApiItemService/name",
        &octane_api::octaneapi::api_item::NameResponse {
            result: "Explored teapot".into(),
        },
    );
    let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("address");
    let streamer = CallbackStreamer::new(octane.clone(), StreamerConfig::default());
    let router = Router::builder(octane)
        .nest("/render", streamer.routes())
        .route("/", streamer.routes())
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(octane_proxy::serve(
        listener,
        router,
        std::future::pending(),
    ));

    let dir = std::env::temp_dir().join(format!("octane-explorer-test-{}", std::process::id()));
    let output = tokio::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("http://{addr}/#explore=apiitem/nam&send"))
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("chromium in time")
        .expect("chromium ran");
    let _ = std::fs::remove_dir_all(&dir);
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains(r#"<h3 id="route-name">/ApiItem/name</h3>"#),
        "{dom}"
    );
    assert!(dom.contains("Explored teapot"), "{dom}");
    assert!(dom.contains("HTTP 200 in "), "{dom}");
    // The explorer sent the default request it pre-filled: an empty target object.
    let sent = peer.received_as::<octane_api::octaneapi::api_item::NameRequest>(
        "/octaneapi.ApiItemService/name",
    );
    assert_eq!(sent.len(), 1);
}
