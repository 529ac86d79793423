//! The built-in page in headless Chromium: a screenshot shows the pixels the test peer sent, as
//! JPEG over the WebSocket (the default) and exactly over Server-Sent Events (`?exact`).
//!
//! Needs Debian's `chromium` (CI installs it); without it the test says so and passes.

mod support;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use serde_json::json;
use support::chromium::{CHROMIUM, Devtools, chromium};
use support::{
    GRAB, STREAM, eventually, grab_reply, new_image, register_and_wait, rig, solid_image,
};

const COLOR: [u8; 4] = [12, 200, 34, 255];

#[tokio::test]
async fn a_screenshot_of_the_page_shows_the_rendered_pixels_over_the_websocket() {
    // JPEG is lossy: a flat color comes back within a few levels per channel.
    screenshot_shows_the_frame("", 4).await;
}

#[tokio::test]
async fn a_screenshot_of_the_page_with_exact_frames_shows_the_exact_pixels() {
    screenshot_shows_the_frame("?exact", 0).await;
}

/// Loads the page at `/{query}` once the test peer sent a frame of [`COLOR`], and checks that
/// the screenshot holds the frame's pixels, each channel within `tolerance` of the color.
async fn screenshot_shows_the_frame(query: &str, tolerance: u8) {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} is not installed (apt-get install chromium)");
        return;
    }
    let (width, height) = (96u32, 64u32);
    let image = solid_image(width, height, COLOR);
    let rig = rig().await;
    rig.peer.reply(GRAB, &grab_reply(vec![image]));

    // A frame exists before the page loads: the stream sends it right after it opens.
    register_and_wait(&rig).await;
    rig.peer.emit(STREAM, &new_image(1));
    eventually("a frame", || rig.streamer.status().frames_published == 1).await;

    let dir = std::env::temp_dir().join(format!(
        "octane-page-test-{}-{}",
        std::process::id(),
        tolerance
    ));
    let url = format!("http://{}/{query}", rig.addr);
    // Blocking DevTools I/O runs off the runtime's thread, which serves the page meanwhile.
    let shot_dir = dir.clone();
    let session = tokio::task::spawn_blocking(move || {
        let mut chromium = Devtools::open_with(&shot_dir, &["--window-size=640,480"], &url);
        // The page counts a frame once it has received it, and draws it then (a JPEG once the
        // browser decoded it: the size line is written after drawing).
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while chromium.evaluate("document.getElementById('size').textContent") != "96x64" {
            assert!(
                std::time::Instant::now() < deadline,
                "the page drew no frame in 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let shot = chromium.call("Page.captureScreenshot", &json!({ "format": "png" }));
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot")
    });
    // A Chromium that stops answering blocks its reader, so the bound is put around it.
    let png = tokio::time::timeout(Duration::from_secs(120), session)
        .await
        .expect("Chromium answered within 120 s")
        .expect("the DevTools session");
    let _ = std::fs::remove_dir_all(&dir);
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("a PNG");
    let mut image = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut image).expect("frame");
    let channels = info.color_type.samples();
    let matching = image[..info.buffer_size()]
        .chunks_exact(channels)
        .filter(|px| (0..3).all(|c| px[c].abs_diff(COLOR[c]) <= tolerance))
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
    let rig = rig().await;
    rig.peer.reply(
        "/octaneapi.ApiItemService/name",
        &octane_api::octaneapi::api_item::NameResponse {
            result: "Explored teapot".into(),
        },
    );
    let dir = std::env::temp_dir().join(format!("octane-explorer-test-{}", std::process::id()));
    let output = chromium(
        &dir,
        &["--virtual-time-budget=10000", "--dump-dom"],
        &format!("http://{}/#explore=apiitem/nam&send", rig.addr),
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains(r#"<h3 id="route-name">/ApiItem/name</h3>"#),
        "{dom}"
    );
    assert!(dom.contains("Explored teapot"), "{dom}");
    assert!(dom.contains("HTTP 200 in "), "{dom}");
    // The explorer sent the default request it pre-filled: an empty target object.
    let sent = rig
        .peer
        .received_as::<octane_api::octaneapi::api_item::NameRequest>(
            "/octaneapi.ApiItemService/name",
        );
    assert_eq!(sent.len(), 1);
}
