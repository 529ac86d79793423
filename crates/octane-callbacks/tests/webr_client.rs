//! A client written the way octaneWebR's is, served through the web root, in headless
//! Chromium: it checks `/api/health`, calls `/api/grpc`, listens on the `/api/callbacks`
//! WebSocket and draws the frame; the screenshot shows the test peer's pixels.
//!
//! Needs Debian's `chromium` (CI installs it); without it the test says so and passes.

mod support;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use octane_api::octaneapi::ObjectRef;
use octane_api::octaneapi::api_project_manager::{RootNodeGraphRequest, RootNodeGraphResponse};
use octane_callbacks::StreamerConfig;
use octane_proxy::{Octane, WebRoot};
use octane_test_peer::TestPeer;
use serde_json::json;
use support::chromium::{CHROMIUM, Devtools};
use support::{GRAB, RELEASE, STREAM, eventually, grab_reply, new_image, rig_routed, solid_image};

const COLOR: [u8; 4] = [200, 30, 90, 255];
const ROOT: &str = "/octaneapi.ApiProjectManagerService/rootNodeGraph";

/// The client's files: an `index.html` and a module script whose name has a space.
fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webr-client")
}

#[tokio::test]
async fn a_webr_style_client_from_the_web_root_draws_the_peers_frame() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} is not installed (apt-get install chromium)");
        return;
    }
    let (width, height) = (80u32, 48u32);
    let image = solid_image(width, height, COLOR);
    let peer = TestPeer::start().expect("peer");
    let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("address");
    let web_root = WebRoot::new(fixture()).expect("the fixture folder");
    let rig = rig_routed(
        peer,
        octane,
        StreamerConfig::default(),
        |router, streamer| {
            router
                .nest("/render", streamer.routes())
                .route("/api/callbacks", streamer.routes())
                .web_root(web_root)
        },
    )
    .await;
    rig.peer.reply(GRAB, &grab_reply(vec![image]));
    rig.peer.reply(
        ROOT,
        &RootNodeGraphResponse {
            result: Some(ObjectRef {
                handle: 1_000_003,
                r#type: 18,
            }),
        },
    );

    let dir = std::env::temp_dir().join(format!("octane-webr-client-{}", std::process::id()));
    let url = format!("http://{}/", rig.addr);
    let shot_dir = dir.clone();
    let session = tokio::task::spawn_blocking(move || {
        let mut chromium = Devtools::open(&shot_dir, &url);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while chromium.evaluate("document.getElementById('frames').textContent") != "1" {
            assert!(
                std::time::Instant::now() < deadline,
                "the page drew no frame in 60 s: {}",
                chromium.evaluate("document.getElementById('state').textContent")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let state = chromium.evaluate("document.getElementById('state').textContent");
        let shot = chromium.call("Page.captureScreenshot", &json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot");
        (state, png)
    });
    // The page's socket starts the streamer; a frame follows once its stream is open. Chromium
    // itself may take long to start on a loaded machine: the bound is the page's.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while rig.peer.open_streams(STREAM) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no callback stream: the page opened no socket in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rig.peer.emit(STREAM, &new_image(1));
    let (state, png) = tokio::time::timeout(Duration::from_secs(120), session)
        .await
        .expect("Chromium answered within 120 s")
        .expect("the DevTools session");
    let _ = std::fs::remove_dir_all(&dir);

    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("a PNG");
    let mut shot = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut shot).expect("frame");
    let channels = info.color_type.samples();
    let matching = shot[..info.buffer_size()]
        .chunks_exact(channels)
        .filter(|px| px[..3] == COLOR[..3])
        .count();
    assert_eq!(
        matching,
        (width * height) as usize,
        "pixels of the frame's color in the screenshot"
    );

    let state = state.as_str().expect("the page's state text");
    let words: Vec<&str> = state.split_whitespace().collect();
    assert_eq!(
        words,
        ["ok", "1000003:ApiRootNodeGraph", "open", "1"],
        "{state}"
    );
    assert_eq!(
        rig.peer.received_as::<RootNodeGraphRequest>(ROOT),
        [RootNodeGraphRequest {}]
    );
    assert_eq!(rig.peer.received(GRAB).len(), 1, "one grab for the frame");
    eventually("the frame's release", || {
        rig.peer.received(RELEASE).len() == 1
    })
    .await;
}
