//! The built-in page in headless Chromium: a screenshot shows the pixels the test peer sent, as
//! JPEG over the WebSocket (the default) and exactly over Server-Sent Events (`?exact`).
//!
//! Needs Debian's `chromium` (CI installs it); without it the test says so and passes.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use octane_api::octaneapi::{ApiRenderImage, Buffer, Uint322};
use serde_json::{Value, json};
use support::{GRAB, STREAM, eventually, grab_reply, new_image, register_and_wait, rig};

const CHROMIUM: &str = "/usr/bin/chromium";
const COLOR: [u8; 4] = [12, 200, 34, 255];
/// What headless Chromium needs on this machine (root, no GPU) and what keeps it off the network.
const HEADLESS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Headless Chromium with the flags this machine needs, a fresh profile in `dir`, and `args`,
/// on `url`; its errors are not read.
fn headless_chromium(dir: &Path, args: &[&str], url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(CHROMIUM);
    command
        .args(HEADLESS)
        .args(args)
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(url)
        .stderr(Stdio::null());
    command
}

/// Runs [`headless_chromium`] and answers its output once it exits.
async fn chromium(dir: &Path, args: &[&str], url: &str) -> std::process::Output {
    let output = tokio::process::Command::from(headless_chromium(dir, args, url))
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("chromium in time")
        .expect("chromium ran");
    assert!(output.status.success(), "chromium: {}", output.status);
    output
}

/// A headless Chromium driven over the DevTools protocol on `--remote-debugging-pipe`
/// (commands on its fd 3, answers on its fd 4, each message ended by a NUL), so the test can
/// wait for what the page did instead of racing `--screenshot`, which shoots at the load event,
/// before the stream's first frame has reached the canvas.
struct Devtools {
    child: std::process::Child,
    commands: std::io::PipeWriter,
    answers: std::io::BufReader<std::io::PipeReader>,
    next_id: u64,
    session: Option<String>,
}

impl Devtools {
    /// Starts Chromium on `url` with a fresh profile in `dir` and attaches to its page.
    fn open(dir: &Path, url: &str) -> Self {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let (chromium_reads, commands) = std::io::pipe().expect("pipe");
        let (answers, chromium_writes) = std::io::pipe().expect("pipe");
        let (read_fd, write_fd) = (chromium_reads.as_raw_fd(), chromium_writes.as_raw_fd());
        let mut command = headless_chromium(
            dir,
            &[
                "--remote-debugging-pipe",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--window-size=640,480",
            ],
            url,
        );
        command.stdin(Stdio::null()).stdout(Stdio::null());
        // SAFETY: between fork and exec this only calls dup2, which is async-signal-safe; the
        // duplicates lose close-on-exec, so Chromium inherits them as fds 3 and 4.
        unsafe {
            command.pre_exec(move || {
                for (from, to) in [(read_fd, 3), (write_fd, 4)] {
                    if libc::dup2(from, to) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("chromium started");
        // Only Chromium holds these ends now, so its exit ends the answers with EOF.
        drop((chromium_reads, chromium_writes));
        let mut devtools = Devtools {
            child,
            commands,
            answers: std::io::BufReader::new(answers),
            next_id: 0,
            session: None,
        };
        let targets = devtools.call("Target.getTargets", json!({}));
        let page = targets["targetInfos"]
            .as_array()
            .and_then(|targets| targets.iter().find(|target| target["type"] == "page"))
            .unwrap_or_else(|| panic!("a page among {targets}"))["targetId"]
            .clone();
        let attached = devtools.call(
            "Target.attachToTarget",
            json!({ "targetId": page, "flatten": true }),
        );
        devtools.session = Some(attached["sessionId"].as_str().expect("session").to_owned());
        devtools
    }

    /// Sends one command (to the page once attached) and answers its result, skipping events.
    fn call(&mut self, method: &str, params: Value) -> Value {
        use std::io::BufRead;
        self.next_id += 1;
        let mut message = json!({ "id": self.next_id, "method": method, "params": params });
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        self.send(&message).expect("a command to Chromium");
        loop {
            let mut answer = Vec::new();
            let read = self
                .answers
                .read_until(0, &mut answer)
                .expect("Chromium's answer");
            assert!(
                read > 0,
                "Chromium closed its DevTools pipe during {method}"
            );
            answer.pop();
            let answer: Value = serde_json::from_slice(&answer).expect("DevTools JSON");
            if answer["id"] == self.next_id {
                assert!(answer["error"].is_null(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }

    /// Writes `message` to Chromium, ended by its NUL.
    fn send(&mut self, message: &Value) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(message).expect("JSON");
        bytes.push(0);
        std::io::Write::write_all(&mut self.commands, &bytes)
    }

    /// Evaluates `expression` in the page and answers its value.
    fn evaluate(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        result["result"]["value"].clone()
    }
}

impl Drop for Devtools {
    fn drop(&mut self) {
        // Browser.close lets Chromium take its helper processes down with it; the kill is for
        // a Chromium that no longer answers.
        if self.child.try_wait().ok().flatten().is_none() {
            let close = json!({ "id": self.next_id + 1, "method": "Browser.close" });
            let _ = self.send(&close);
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while self.child.try_wait().ok().flatten().is_none() {
                if std::time::Instant::now() > deadline {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

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
    let pixels: Vec<u8> = COLOR
        .iter()
        .copied()
        .cycle()
        .take((width * height * 4) as usize)
        .collect();
    let image = ApiRenderImage {
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
    };
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
        let mut chromium = Devtools::open(&shot_dir, &url);
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
        let shot = chromium.call("Page.captureScreenshot", json!({ "format": "png" }));
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
