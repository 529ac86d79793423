//! The JPEG live views against the test peer over real loopback gRPC: every endpoint's bytes
//! decoded by an independent decoder (`zune-jpeg`) and compared with the peer's pixels, the
//! parameters, one encode per frame and variant, a stalled viewer, HDR frames.
//!
//! Tolerance: JPEG is lossy. At quality 90 on the smooth test image, each channel of a decoded
//! pixel is within 16 levels (of 255) of the source and within 3 on average; 4:2:0 chroma and
//! quantisation move pixels by a few levels.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use octane_api::octaneapi::{ApiRenderImage, Buffer, Uint322};
use octane_callbacks::Image;
use tokio_tungstenite::tungstenite::Message;

mod support;

use support::*;

/// Smooth shading in every channel, `pitch` pixels a row.
fn smooth_image(width: u32, height: u32, pitch: u32) -> ApiRenderImage {
    let mut pixels = Vec::with_capacity((pitch * height * 4) as usize);
    for y in 0..height {
        for x in 0..pitch {
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            pixels.extend_from_slice(&[
                (255.0 * fx.min(1.0)) as u8,
                (255.0 * fy) as u8,
                (128.0 + 100.0 * (fx * 3.0 + fy * 2.0).sin()) as u8,
                255,
            ]);
        }
    }
    image(0, width, height, pitch, pixels)
}

/// Linear-light floats of a smooth image, some above 1 (clipped when shown).
fn hdr_image(width: u32, height: u32) -> ApiRenderImage {
    let mut pixels = Vec::with_capacity((width * height * 16) as usize);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            // Red passes 1 (clamped) at the right; no values near 0, where the sRGB curve is
            // steepest and amplifies the codec's error.
            for value in [0.2 + fx, 0.1 + 0.8 * fy, 0.3 + 0.1 * fx, 1.0] {
                pixels.extend_from_slice(&value.to_le_bytes());
            }
        }
    }
    image(2, width, height, width, pixels)
}

/// Noise, which JPEG cannot compress much: large messages.
fn noise_image(width: u32, height: u32) -> ApiRenderImage {
    let mut state = 0x2545_f491_u32;
    let pixels = (0..width * height * 4)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    image(0, width, height, width, pixels)
}

fn image(kind: i32, width: u32, height: u32, pitch: u32, pixels: Vec<u8>) -> ApiRenderImage {
    ApiRenderImage {
        r#type: kind,
        size: Some(Uint322 {
            x: width,
            y: height,
        }),
        pitch,
        buffer: Some(Buffer {
            size: pixels.len() as u32,
            data: Bytes::from(pixels),
        }),
        tonemapped_samples_per_pixel: 16.0,
        samples_per_second: 1234.5,
        render_time: 2.5,
        ..Default::default()
    }
}

/// What the PNG endpoint shows of `image`: the 8-bit RGBA the JPEG must match.
fn shown(image: &ApiRenderImage) -> Vec<u8> {
    let size = image.size.unwrap_or_default();
    let buffer = image.buffer.as_ref().expect("buffer");
    octane_callbacks::png::to_rgba8(&Image::new(
        image.r#type,
        size.x,
        size.y,
        image.pitch,
        &buffer.data,
    ))
    .expect("convertible")
}

/// The JPEG's RGB pixels and size, as an independent decoder reads them.
fn decode(jpeg: &[u8]) -> (Vec<u8>, usize, usize) {
    let mut decoder = zune_jpeg::JpegDecoder::new(jpeg);
    let pixels = decoder.decode().expect("a JPEG");
    let (width, height) = decoder.dimensions().expect("its size");
    (pixels, width, height)
}

/// Asserts that `jpeg` is `width` x `height` and within the tolerance of the RGBA `source`.
fn assert_close(jpeg: &[u8], source: &[u8], width: usize, height: usize, what: &str) {
    let (pixels, w, h) = decode(jpeg);
    assert_eq!((w, h), (width, height), "{what}: size");
    assert_eq!(pixels.len(), w * h * 3, "{what}: RGB");
    let mut sum = 0u64;
    let mut max = 0u8;
    for (rgb, rgba) in pixels.chunks_exact(3).zip(source.chunks_exact(4)) {
        for c in 0..3 {
            let d = rgb[c].abs_diff(rgba[c]);
            sum += u64::from(d);
            max = max.max(d);
        }
    }
    let mean = sum as f64 / (w * h * 3) as f64;
    assert!(
        mean <= 3.0 && max <= 16,
        "{what}: mean {mean:.2}, max {max}"
    );
}

async fn body_bytes(response: http::Response<hyper::body::Incoming>) -> Bytes {
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
}

/// The first JPEG part of an MJPEG stream.
async fn first_part(addr: std::net::SocketAddr, path: &str) -> Vec<u8> {
    let response = request(addr, "GET", path, "").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "multipart/x-mixed-replace; boundary=octane-frame"
    );
    let mut body = response.into_body();
    let mut received = Vec::new();
    loop {
        if let Some(end) = find(&received, b"\r\n\r\n") {
            let head = std::str::from_utf8(&received[..end]).expect("ASCII head");
            assert!(head.starts_with("--octane-frame\r\nContent-Type: image/jpeg\r\n"));
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .expect("a length")
                .parse()
                .expect("a number");
            if received.len() >= end + 4 + len + 2 {
                assert_eq!(&received[end + 4 + len..end + 4 + len + 2], b"\r\n");
                return received[end + 4..end + 4 + len].to_vec();
            }
        }
        let frame = tokio::time::timeout(HANG, body.frame())
            .await
            .expect("data in time")
            .expect("open")
            .expect("frame");
        if let Ok(data) = frame.into_data() {
            received.extend_from_slice(&data);
        }
    }
}

/// The next binary message of a `/render/ws` socket: its header's fields and the JPEG.
struct WsFrame {
    sequence: u64,
    width: u32,
    height: u32,
    spp: f32,
    jpeg: Vec<u8>,
}

async fn next_ws_frame(socket: &mut WebSocket) -> WsFrame {
    loop {
        let message = tokio::time::timeout(HANG, socket.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("a message");
        let Message::Binary(data) = message else {
            continue;
        };
        assert_eq!(&data[..4], b"OJPG");
        let u32_at = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
        let header_len = u16::from_le_bytes([data[4], data[5]]) as usize;
        assert_eq!(header_len, 40);
        assert_eq!(u16::from_le_bytes([data[6], data[7]]), 1, "version");
        let jpeg = data[header_len..].to_vec();
        assert_eq!(u32_at(36) as usize, jpeg.len());
        return WsFrame {
            sequence: u64::from_le_bytes(data[8..16].try_into().unwrap()),
            width: u32_at(16),
            height: u32_at(20),
            spp: f32::from_bits(u32_at(24)),
            jpeg,
        };
    }
}

#[tokio::test]
async fn every_endpoint_decodes_to_the_peers_pixels() {
    let rig = rig().await;
    let image = smooth_image(64, 48, 70);
    rig.peer.reply(GRAB, &grab_reply(vec![image.clone()]));
    register_and_wait(&rig).await;
    rig.peer.emit(STREAM, &new_image(1));
    eventually("a frame", || rig.streamer.status().frames_published == 1).await;
    let source = shown(&image);

    let response = request(rig.addr, "GET", "/render/latest.jpg?quality=90", "").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_close(&body_bytes(response).await, &source, 64, 48, "latest.jpg");

    let part = first_part(rig.addr, "/render/stream.mjpeg?quality=90").await;
    assert_close(&part, &source, 64, 48, "stream.mjpeg");

    let mut socket = websocket(rig.addr, "/render/ws?quality=90").await;
    let frame = next_ws_frame(&mut socket).await;
    assert_eq!((frame.sequence, frame.width, frame.height), (1, 64, 48));
    assert_eq!(frame.spp, 16.0);
    assert_close(&frame.jpeg, &source, 64, 48, "/render/ws");

    let response = request(rig.addr, "GET", "/render/stream?format=jpeg&quality=90", "").await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut events = Events::from_response(response);
    assert_eq!(events.next().await["type"], "connected");
    let event = events.next_of("newImage").await;
    let shown_image = &event["render_images"]["data"][0];
    assert_eq!(shown_image["buffer"]["encoding"], "jpeg");
    assert_eq!(shown_image["size"], serde_json::json!({"x": 64, "y": 48}));
    let jpeg = base64::engine::general_purpose::STANDARD
        .decode(shown_image["buffer"]["data"].as_str().expect("base64"))
        .expect("decodes");
    assert_eq!(shown_image["buffer"]["size"], jpeg.len());
    assert_close(&jpeg, &source, 64, 48, "stream?format=jpeg");

    // The raw stream is as it was.
    let mut raw = Events::open(rig.addr).await;
    raw.next().await;
    let event = raw.next_of("newImage").await;
    assert_eq!(
        event["render_images"]["data"][0]["buffer"]["encoding"],
        "base64"
    );
}

#[tokio::test]
async fn frames_are_downscaled_to_the_viewers_box_with_the_aspect_kept() {
    let rig = rig().await;
    let image = smooth_image(64, 48, 64);
    rig.peer.reply(GRAB, &grab_reply(vec![image]));
    register_and_wait(&rig).await;
    rig.peer.emit(STREAM, &new_image(1));
    eventually("a frame", || rig.streamer.status().frames_published == 1).await;
    for (query, size) in [
        ("max_width=32", (32, 24)),
        ("max_height=12", (16, 12)),
        ("max_width=40&max_height=12", (16, 12)),
        ("max_width=1000", (64, 48)),
    ] {
        let response = request(rig.addr, "GET", &format!("/render/latest.jpg?{query}"), "").await;
        assert_eq!(response.status(), 200, "{query}");
        let (_, w, h) = decode(&body_bytes(response).await);
        assert_eq!((w, h), size, "{query}");
    }
}

#[tokio::test]
async fn parameters_that_do_not_fit_are_a_clear_400() {
    let rig = rig().await;
    for path in [
        "/render/latest.jpg?quality=0",
        "/render/stream.mjpeg?quality=101",
        "/render/ws?fps=0",
        "/render/stream?format=jpeg&max_width=0",
        "/render/stream?format=png",
        "/render/stream.mjpeg?fps=fast",
        "/render/latest.jpg?quality=50&quality=60",
    ] {
        let (status, reply) = json(rig.addr, "GET", path, "").await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(reply["code"], "INVALID_ARGUMENT", "{path}");
        assert!(
            reply["error"].as_str().unwrap().contains(" is not valid: "),
            "{path}: {reply}"
        );
    }
    let (_, reply) = json(rig.addr, "GET", "/render/ws?fps=0", "").await;
    assert_eq!(
        reply["error"],
        "fps=0 is not valid: frames a second, a number above 0 and at most 1000 (0.5: one every 2 s)"
    );
    // Before any frame, a valid request says what to do.
    let (status, reply) = json(rig.addr, "GET", "/render/latest.jpg?quality=50", "").await;
    assert_eq!(
        (status, &reply["code"]),
        (404, &serde_json::json!("NO_FRAME"))
    );
}

#[tokio::test]
async fn one_encode_per_frame_and_variant_with_one_and_with_twenty_viewers() {
    const ENCODED: &str = "octane_proxy_render_variant_frames_encoded_total";
    for viewers in [1usize, 20] {
        let rig = rig().await;
        rig.peer
            .reply(GRAB, &grab_reply(vec![smooth_image(32, 16, 32)]));
        register_and_wait(&rig).await;
        let mut sockets = Vec::new();
        for _ in 0..viewers {
            sockets.push(websocket(rig.addr, "/render/ws?quality=70").await);
        }
        for n in 1..=3u64 {
            rig.peer.emit(STREAM, &new_image(n));
            for socket in &mut sockets {
                assert_eq!(next_ws_frame(socket).await.sequence, n);
            }
        }
        assert_eq!(
            metric_with(rig.addr, ENCODED, "jpeg q70 max anyxany").await,
            3,
            "{viewers} viewers"
        );
        // Nobody watches another variant: none is encoded.
        assert_eq!(metric_lines(rig.addr, ENCODED).await.len(), 1, "{viewers}");
        let sent = metric_with(
            rig.addr,
            "octane_proxy_render_variant_bytes_sent_total",
            "jpeg q70 max anyxany",
        )
        .await;
        assert!(sent > 0);
    }
}

#[tokio::test]
async fn a_viewers_frame_rate_cap_skips_to_the_newest_frame() {
    let rig = rig().await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![smooth_image(32, 16, 32)]));
    register_and_wait(&rig).await;
    // One frame every 1000 s: after its first, the viewer gets nothing more in this test.
    let mut capped = websocket(rig.addr, "/render/ws?fps=0.001").await;
    let mut free = websocket(rig.addr, "/render/ws").await;
    rig.peer.emit(STREAM, &new_image(1));
    assert_eq!(next_ws_frame(&mut capped).await.sequence, 1);
    assert_eq!(next_ws_frame(&mut free).await.sequence, 1);
    for n in 2..=4u64 {
        rig.peer.emit(STREAM, &new_image(n));
        assert_eq!(next_ws_frame(&mut free).await.sequence, n);
    }
    let nothing = tokio::time::timeout(Duration::from_millis(200), capped.next()).await;
    assert!(nothing.is_err(), "the capped viewer waits: {nothing:?}");
}

#[tokio::test]
async fn a_stalled_websocket_viewer_holds_nobody_and_pins_no_more_than_a_frame() {
    let rig = rig().await;
    // Noise at quality 100: JPEGs of about 2.5 MB, a few fill the stalled socket.
    rig.peer
        .reply(GRAB, &grab_reply(vec![noise_image(1024, 768)]));
    register_and_wait(&rig).await;
    let _stalled = websocket(rig.addr, "/render/ws?quality=100").await;
    let mut reader = websocket(rig.addr, "/render/ws?quality=100").await;
    rig.peer.emit(STREAM, &new_image(1));
    assert_eq!(next_ws_frame(&mut reader).await.sequence, 1);
    let rss_before = rss_kib();
    let frames = 24u64;
    for n in 2..=frames {
        rig.peer.emit(STREAM, &new_image(n));
        assert_eq!(
            next_ws_frame(&mut reader).await.sequence,
            n,
            "the reading viewer gets every frame"
        );
    }
    // Queued for the stalled viewer, 23 JPEGs would be over 50 MB.
    let grown_mib = rss_kib().saturating_sub(rss_before) / 1024;
    assert!(grown_mib < 40, "RSS grew {grown_mib} MiB");
    assert_eq!(rig.peer.received(GRAB).len() as u64, frames);
}

#[tokio::test]
async fn hdr_frames_are_tone_mapped_as_the_png_is() {
    let rig = rig().await;
    let image = hdr_image(48, 32);
    rig.peer.reply(GRAB, &grab_reply(vec![image.clone()]));
    register_and_wait(&rig).await;
    rig.peer.emit(STREAM, &new_image(1));
    eventually("a frame", || rig.streamer.status().frames_published == 1).await;
    let response = request(rig.addr, "GET", "/render/latest.jpg?quality=90", "").await;
    assert_eq!(response.status(), 200);
    assert_close(&body_bytes(response).await, &shown(&image), 48, 32, "HDR");
}

#[tokio::test]
async fn frames_only_jpeg_viewers_watch_get_their_sse_event_when_a_client_first_reads_it() {
    let rig = rig().await;
    let image = ldr_image(40, 30, 40, 9);
    let pixels = image.buffer.as_ref().expect("pixels").data.clone();
    rig.peer.reply(GRAB, &grab_reply(vec![image]));
    register_and_wait(&rig).await;
    let mut socket = websocket(rig.addr, "/render/ws?quality=90").await;
    rig.peer.emit(STREAM, &new_image(1));
    assert_eq!(next_ws_frame(&mut socket).await.sequence, 1);
    let latest = rig.streamer.hub().latest().expect("a frame");
    assert!(!latest.has_event(), "nobody read the event: not encoded");

    // A raw-stream client that comes in now gets the frame's event, made from its rows, and
    // the frames after it are built with theirs.
    let mut raw = Events::open(rig.addr).await;
    raw.next().await;
    let raw_event = |event: &serde_json::Value| {
        let buffer = &event["render_images"]["data"][0]["buffer"];
        assert_eq!(buffer["encoding"], "base64");
        assert_eq!(buffer["size"], pixels.len());
        base64::engine::general_purpose::STANDARD
            .decode(buffer["data"].as_str().expect("base64"))
            .expect("decodes")
    };
    let event = raw.next_of("newImage").await;
    assert_eq!(event["user_data"], 1);
    assert_eq!(raw_event(&event), pixels);
    assert!(latest.has_event());
    rig.peer.emit(STREAM, &new_image(2));
    let event = raw.next_of("newImage").await;
    assert_eq!(event["user_data"], 2);
    assert_eq!(raw_event(&event), pixels);
    assert_eq!(next_ws_frame(&mut socket).await.sequence, 2);
}
