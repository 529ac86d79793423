//! Runs the `render_to_png` example's loop against the test peer.

#[path = "../render_to_png.rs"]
mod render_to_png;

use std::time::Duration;

use bytes::Bytes;
use octane_api::octaneapi::api_render_engine::GrabRenderResultResponse;
use octane_api::octaneapi::stream_callback_request::Payload;
use octane_api::octaneapi::{
    ApiArrayApiRenderImage, ApiRenderImage, Buffer, OnNewImageData, StreamCallbackRequest, Uint322,
};
use octane_callbacks::{CallbackStreamer, StreamerConfig};
use octane_proxy::Octane;
use octane_test_peer::TestPeer;

#[tokio::test]
async fn every_second_frame_is_saved_as_png() {
    let peer = TestPeer::start().expect("peer");
    let pixels: Vec<u8> = (0..4 * 2 * 4u8).map(|i| i.wrapping_mul(9)).collect();
    peer.reply(
        "/octaneapi.ApiRenderEngineService/grabRenderResult",
        &GrabRenderResultResponse {
            result: true,
            render_images: Some(ApiArrayApiRenderImage {
                data: vec![ApiRenderImage {
                    size: Some(Uint322 { x: 4, y: 2 }),
                    pitch: 4,
                    buffer: Some(Buffer {
                        data: Bytes::from(pixels.clone()),
                        size: 32,
                    }),
                    ..Default::default()
                }],
            }),
        },
    );
    let streamer = CallbackStreamer::new(
        &Octane::lazy("127.0.0.1", peer.addr().port()).expect("address"),
        StreamerConfig::default(),
    );
    let dir = std::env::temp_dir().join(format!("octane-render-to-png-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");

    let saving = tokio::spawn({
        let streamer = streamer.clone();
        let dir = dir.clone();
        async move {
            let mut paths = Vec::new();
            render_to_png::save_frames(&streamer, 2, &dir, 2, |p| paths.push(p.to_owned()))
                .await
                .expect("saved");
            paths
        }
    });
    let stream = "/octaneapi.StreamCallbackService/callbackChannel";
    let started = std::time::Instant::now();
    while peer.open_streams(stream) == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "no stream");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for user_data in 1..=4 {
        peer.emit(
            stream,
            &StreamCallbackRequest {
                payload: Some(Payload::NewImage(OnNewImageData { user_data })),
            },
        );
        // One frame at a time, so the example sees each.
        while streamer.status().frames_published < user_data {
            assert!(started.elapsed() < Duration::from_secs(20), "no frame");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let paths = tokio::time::timeout(Duration::from_secs(20), saving)
        .await
        .expect("in time")
        .expect("task");
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["frame-000002.png", "frame-000004.png"]);
    let png = std::fs::read(&paths[0]).expect("file");
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("PNG");
    let mut decoded = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut decoded).expect("frame");
    assert_eq!(&decoded[..info.buffer_size()], &pixels[..]);
    let _ = std::fs::remove_dir_all(&dir);
}
