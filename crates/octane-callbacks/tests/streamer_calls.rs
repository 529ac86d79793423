//! The streamer's unary calls to Octane: every grab that may have reached Octane is released,
//! and a call that never returns times out instead of stalling the callback stream.

use std::time::Duration;

use octane_api::octaneapi::api_render_engine::SetOnNewImageCallbackResponse;
use octane_callbacks::{CallbackStreamer, StreamerConfig};
use octane_proxy::Octane;
use octane_test_peer::TestPeer;

mod support;

use support::*;

/// Far longer than any wait of these tests: a grab this slow only ends by the call deadline.
const STUCK: Duration = Duration::from_secs(120);

/// A started streamer with a short call deadline, its callback stream open at `peer`.
async fn streamer_with_deadline(peer: &TestPeer, call_timeout: Duration) -> CallbackStreamer {
    let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("address");
    let streamer = CallbackStreamer::new(
        &octane,
        StreamerConfig {
            backoff_max: Duration::from_millis(500),
            call_timeout,
            ..StreamerConfig::default()
        },
    );
    streamer.start().await;
    eventually("the callback stream to open", || {
        peer.open_streams(STREAM) == 1
    })
    .await;
    streamer
}

#[tokio::test]
async fn a_grab_over_the_message_size_limit_set_on_octane_fails_and_is_released_once() {
    let peer = TestPeer::start().expect("peer");
    let octane = Octane::lazy("127.0.0.1", peer.addr().port())
        .expect("address")
        .max_message_size(64 * 1024);
    let rig = rig_with(peer, octane).await;
    rig.peer
        .reply(REGISTER, &SetOnNewImageCallbackResponse { callback_id: 42 });
    // 160 x 160 RGBA8 is 100 KiB of pixels: Octane grabs and sends it, the proxy refuses it.
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(160, 160, 160, 3)]));
    register_and_wait(&rig).await;
    for n in 1..=3u64 {
        assert_eq!(rig.peer.emit(STREAM, &new_image(n)), 1);
        eventually("the release", || {
            rig.peer.received(RELEASE).len() == n as usize
        })
        .await;
        assert_eq!(rig.peer.received(GRAB).len(), n as usize);
    }
    releases_counted(&rig, 3).await;
    let status = rig.streamer.status();
    assert_eq!(
        (status.grabs, status.releases, status.frames_published),
        (0, 3, 0)
    );
    assert!(
        status.last_error.as_deref().is_some_and(|error| error
            .starts_with("grabRenderResult failed")
            && error.contains("65536")),
        "the limit set on Octane applies: {:?}",
        status.last_error
    );
}

#[tokio::test]
async fn a_hung_grab_times_out_is_released_and_the_next_callback_is_handled() {
    let peer = TestPeer::start().expect("peer");
    peer.delay(GRAB, STUCK);
    peer.reply(GRAB, &grab_reply(vec![ldr_image(4, 4, 4, 1)]));
    let streamer = streamer_with_deadline(&peer, Duration::from_millis(300)).await;

    assert_eq!(peer.emit(STREAM, &new_image(1)), 1);
    eventually("the grab to time out", || {
        streamer
            .status()
            .last_error
            .is_some_and(|error| error.starts_with("grabRenderResult failed"))
    })
    .await;
    eventually("the release after the failed grab", || {
        peer.received(RELEASE).len() == 1
    })
    .await;
    assert_eq!(streamer.status().frames_published, 0);

    // Octane answers again: the next callback is read and grabbed.
    peer.delay(GRAB, Duration::ZERO);
    assert_eq!(peer.emit(STREAM, &new_image(2)), 1);
    eventually("the next frame", || streamer.status().frames_published == 1).await;
    assert_eq!(peer.received(GRAB).len(), 2);
    eventually("its release", || peer.received(RELEASE).len() == 2).await;
}

#[tokio::test]
async fn a_stream_ended_during_a_hung_grab_is_reopened() {
    let peer = TestPeer::start().expect("peer");
    peer.delay(GRAB, STUCK);
    let streamer = streamer_with_deadline(&peer, Duration::from_millis(300)).await;
    assert_eq!(peer.received(REGISTER).len(), 1);

    assert_eq!(peer.emit(STREAM, &new_image(1)), 1);
    eventually("the grab to start", || peer.received(GRAB).len() == 1).await;
    peer.end_streams(STREAM, None);
    eventually("registering again", || peer.received(REGISTER).len() == 2).await;
    eventually("the stream to reopen", || peer.open_streams(STREAM) == 1).await;
    eventually("the reconnect", || streamer.status().reconnects == 1).await;
}

/// The port of a host that takes connections and never answers: a hung Octane, or the wrong
/// server.
async fn silent_host() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

#[tokio::test]
async fn a_silent_stream_is_not_taken_as_open_while_nothing_answers() {
    let port = silent_host().await;
    let octane = Octane::lazy("127.0.0.1", port).expect("address");
    let streamer = CallbackStreamer::new(
        &octane,
        StreamerConfig {
            call_timeout: Duration::from_millis(300),
            register_wait: Duration::from_secs(1),
            ..StreamerConfig::default()
        },
    );
    // The registration gets no answer, so the stream's silence proves nothing.
    let status = streamer.start().await;
    assert!(!status.connected, "{status:?}");
    assert!(
        status.last_error.as_deref().is_some_and(|error| error
            .starts_with("setOnNewImageCallback failed: no answer")
            || error
                .starts_with("Octane answered neither the registration nor the callback stream")),
        "{status:?}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = streamer.status();
    assert!(!status.connected, "{status:?}");
    // Nor does it wait on the silent stream for good: it gives up and tries again.
    assert!(status.stream_errors >= 1, "{status:?}");
    let status = streamer.start().await;
    assert!(!status.connected, "{status:?}");
}

#[tokio::test]
async fn a_hung_octane_is_given_up_on_within_one_call_deadline() {
    let port = silent_host().await;
    let deadline = Duration::from_secs(2);
    let streamer = CallbackStreamer::new(
        &Octane::lazy("127.0.0.1", port).expect("address"),
        StreamerConfig {
            call_timeout: deadline,
            register_wait: Duration::from_millis(100),
            ..StreamerConfig::default()
        },
    );
    let started = std::time::Instant::now();
    streamer.start().await;
    eventually("the stream given up", || {
        streamer.status().stream_errors >= 1
    })
    .await;
    let took = started.elapsed();
    // Not before the deadline, and not after a registration retry's deadline on top of it.
    assert!(took >= deadline, "{took:?}");
    assert!(took < deadline * 7 / 4, "{took:?}");
    assert!(
        streamer
            .status()
            .last_error
            .is_some_and(|e| e.starts_with("Octane answered neither")),
        "{:?}",
        streamer.status()
    );
}

#[tokio::test]
async fn a_frame_of_megabytes_in_many_http2_frames_arrives_byte_for_byte() {
    use base64::Engine as _;
    let rig = rig().await;
    rig.peer
        .reply(REGISTER, &SetOnNewImageCallbackResponse { callback_id: 42 });
    // 3,000,001 bytes do not divide into groups of three, nor into the channel's 512 KiB
    // HTTP/2 frames; the second image follows the first in the same answer.
    let mut large = ldr_image(1, 1, 1, 5);
    let pixels: Vec<u8> = (0..3_000_001u32)
        .map(|i| (i * 31 + i / 251) as u8)
        .collect();
    large.buffer = Some(octane_api::octaneapi::Buffer {
        data: pixels.clone().into(),
        size: pixels.len() as u32,
    });
    let small = ldr_image(1, 1, 1, 9);
    rig.peer
        .reply(GRAB, &grab_reply(vec![large, small.clone()]));
    register_and_wait(&rig).await;
    let mut events = Events::open(rig.addr).await;
    assert_eq!(rig.peer.emit(STREAM, &new_image(3)), 1);
    let event = events.next_of("newImage").await;

    let base64 = base64::engine::general_purpose::STANDARD;
    let images = &event["render_images"]["data"];
    let decoded = |index: usize| {
        base64
            .decode(images[index]["buffer"]["data"].as_str().expect("base64"))
            .expect("decodes")
    };
    assert_eq!(decoded(0), pixels);
    assert_eq!(images[0]["buffer"]["size"], pixels.len());
    let small_pixels = small.buffer.expect("buffer").data;
    assert_eq!(decoded(1), small_pixels.to_vec());
    assert_eq!(images[1]["index"], 1);
    assert_eq!(images[1]["changeLevel"]["level"], 77);
    // The request is the empty message tonic would send.
    assert_eq!(rig.peer.received(GRAB), [bytes::Bytes::new()]);
    eventually("the release", || rig.peer.received(RELEASE).len() == 1).await;
}

#[tokio::test]
async fn a_grab_octane_refuses_is_reported_and_released() {
    let rig = rig().await;
    rig.peer
        .reply(REGISTER, &SetOnNewImageCallbackResponse { callback_id: 42 });
    rig.peer.reply_status(
        GRAB,
        tonic::Code::FailedPrecondition,
        "no render result to grab",
    );
    register_and_wait(&rig).await;
    assert_eq!(rig.peer.emit(STREAM, &new_image(1)), 1);
    eventually("the release", || rig.peer.received(RELEASE).len() == 1).await;
    releases_counted(&rig, 1).await;
    let status = rig.streamer.status();
    assert_eq!(
        (status.grabs, status.releases, status.frames_published),
        (0, 1, 0)
    );
    assert_eq!(
        status.last_error.as_deref(),
        Some("grabRenderResult failed: no render result to grab")
    );
}

#[tokio::test]
async fn a_release_octane_refuses_is_counted_and_reported() {
    let rig = rig().await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 1)]));
    rig.peer
        .reply_status(RELEASE, tonic::Code::Internal, "result already released");
    register_and_wait(&rig).await;
    rig.peer.emit(STREAM, &new_image(1));
    eventually("the frame published and its release counted", || {
        let status = rig.streamer.status();
        status.releases == 1 && status.frames_published == 1
    })
    .await;
    assert_eq!(rig.streamer.status().grabs, 1);
    assert_eq!(
        rig.streamer.status().last_error.as_deref(),
        Some("releaseRenderResult failed: result already released")
    );
}

#[tokio::test]
async fn a_status_without_a_message_is_reported_by_its_code() {
    let rig = rig().await;
    rig.peer
        .reply_status(REGISTER, tonic::Code::PermissionDenied, "");
    let reply = register_and_wait(&rig).await;
    assert_eq!(reply["status"]["registered"], false);
    assert_eq!(
        rig.streamer.status().last_error.as_deref(),
        Some("setOnNewImageCallback failed: PERMISSION_DENIED")
    );
}
