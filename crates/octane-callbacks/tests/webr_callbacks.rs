//! octaneWebR's `/api/callbacks` WebSocket against the test peer over real loopback gRPC: the
//! frames' pixels, one grab and one release per callback whatever the sockets, statistics and
//! the other events, ping and pong, a stalled socket.

use base64::Engine;
use octane_api::octaneapi::api_render_engine::{
    GetRenderStatisticsResponse, SetOnNewImageCallbackResponse,
};
use octane_api::octaneapi::stream_callback_request::Payload;
use octane_api::octaneapi::{
    OnProjectManagerData, OnRenderFailureData, OnStatisticsData, RenderResultStatistics,
    StreamCallbackRequest,
};
use serde_json::json;

mod support;

use support::*;

/// Opens `count` sockets, each saying `subscribe` as the client does, and waits for the callback
/// stream the first one started.
async fn sockets(rig: &Rig, count: usize) -> Vec<WebSocket> {
    let mut sockets = Vec::new();
    for _ in 0..count {
        let mut socket = websocket(rig.addr, "/api/callbacks").await;
        send_text(&mut socket, r#"{"type":"subscribe"}"#).await;
        sockets.push(socket);
    }
    eventually("the callback stream to open", || {
        rig.peer.open_streams(STREAM) == 1
    })
    .await;
    eventually("the streamer to be connected", || {
        rig.streamer.status().connected
    })
    .await;
    sockets
}

#[tokio::test]
async fn every_socket_gets_the_peers_pixels_with_one_grab_and_one_release_per_callback() {
    for count in [1usize, 10] {
        let rig = rig().await;
        rig.peer
            .reply(REGISTER, &SetOnNewImageCallbackResponse { callback_id: 42 });
        let image = ldr_image(5, 3, 6, 1);
        rig.peer.reply(GRAB, &grab_reply(vec![image.clone()]));
        // The first socket starts the streamer: no register-callback.
        let mut sockets = sockets(&rig, count).await;
        let sent = image.buffer.as_ref().expect("buffer").data.clone();
        for n in 1..=3u64 {
            rig.peer.emit(STREAM, &new_image(n));
            for socket in &mut sockets {
                let message = next_of_type(socket, "newImage").await;
                let data = &message["data"];
                assert_eq!(data["callback_id"], 42);
                assert_eq!(data["user_data"], n.to_string());
                let shown = &data["render_images"]["data"][0];
                assert_eq!(shown["type"], "IMAGE_TYPE_LDR_RGBA");
                assert_eq!(shown["size"], json!({"x": 5, "y": 3}));
                assert_eq!(shown["pitch"], 6);
                assert_eq!(shown["tonemappedSamplesPerPixel"], 16.0);
                assert_eq!(shown["samplesPerSecond"], 1234.5);
                assert_eq!(shown["renderPassId"], "RENDER_PASS_BEAUTY");
                assert_eq!(shown["changeLevel"], json!({"value": "77"}));
                assert_eq!(shown["sharedSurface"], serde_json::Value::Null);
                assert_eq!(shown["buffer"]["size"], sent.len());
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(shown["buffer"]["data"].as_str().expect("base64 text"))
                    .expect("decodes");
                assert_eq!(decoded, sent.to_vec(), "the bytes the peer sent");
            }
            assert_eq!(rig.peer.received(GRAB).len() as u64, n, "{count} sockets");
            eventually("the release", || {
                rig.peer.received(RELEASE).len() as u64 == n
            })
            .await;
        }
        assert_eq!(
            metric_with(
                rig.addr,
                "octane_proxy_render_variant_frames_encoded_total",
                "webr newImage"
            )
            .await,
            3,
            "encoded once per frame for {count} sockets"
        );
        assert_eq!(rig.peer.received(REGISTER).len(), 1);
    }
}

#[tokio::test]
async fn statistics_failures_and_project_changes_reach_every_socket_with_one_call_each() {
    let rig = rig().await;
    let statistics = RenderResultStatistics {
        beauty_samples_per_pixel: 128,
        beauty_max_samples_per_pixel: 1024,
        beauty_samples_per_second: 2.5e6,
        denoised_samples_per_pixel: 64,
        state: 2,
        render_time: 12.25,
        estimated_render_time: f64::INFINITY,
        ..Default::default()
    };
    rig.peer.reply(
        STATISTICS,
        &GetRenderStatisticsResponse {
            statistics: Some(statistics),
        },
    );
    let mut sockets = sockets(&rig, 3).await;
    let emit = |payload| {
        rig.peer.emit(
            STREAM,
            &StreamCallbackRequest {
                payload: Some(payload),
            },
        )
    };
    emit(Payload::NewStatistics(OnStatisticsData { user_data: 5 }));
    for socket in &mut sockets {
        let message = next_text(socket).await;
        assert_eq!(message["type"], "newStatistics");
        assert_eq!(
            message["data"]["statistics"],
            json!({
                "beautySamplesPerPixel": 128,
                "beautyMaxSamplesPerPixel": 1024,
                "beautySamplesPerSecond": 2.5e6,
                "denoisedSamplesPerPixel": 64,
                "state": "RSTATE_RENDERING",
                "renderTime": 12.25,
                "estimatedRenderTime": null,
            })
        );
        assert_eq!(message["data"]["user_data"], "5");
    }
    assert_eq!(
        rig.peer.received(STATISTICS).len(),
        1,
        "one call, three sockets"
    );

    emit(Payload::RenderFailure(OnRenderFailureData { user_data: 6 }));
    emit(Payload::ProjectManagerChanged(OnProjectManagerData {
        user_data: 7,
    }));
    for socket in &mut sockets {
        let failure = next_text(socket).await;
        assert_eq!(failure["type"], "renderFailure");
        assert_eq!(failure["data"]["user_data"], "6");
        let changed = next_text(socket).await;
        assert_eq!(changed["type"], "projectManagerChanged");
        assert_eq!(changed["data"]["user_data"], "7");
    }
}

#[tokio::test]
async fn a_ping_is_answered_with_pong_and_other_messages_are_ignored() {
    let rig = rig().await;
    let mut socket = websocket(rig.addr, "/api/callbacks").await;
    send_text(&mut socket, r#"{"type":"subscribe"}"#).await;
    send_text(&mut socket, "not JSON").await;
    send_text(&mut socket, r#"{"type":"ping"}"#).await;
    assert_eq!(next_text(&mut socket).await, json!({"type": "pong"}));
}

#[tokio::test]
async fn the_endpoint_is_a_websocket_only() {
    let rig = rig().await;
    let (status, reply) = json(rig.addr, "GET", "/api/callbacks", "").await;
    assert_eq!(status, 426);
    assert_eq!(reply["code"], "UPGRADE_REQUIRED");
}

#[tokio::test]
async fn a_stalled_socket_holds_nobody_and_pins_no_more_than_a_frame() {
    let rig = rig().await;
    // 2 MiB frames, 2.8 MB messages: a few fill the stalled socket.
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(1024, 512, 1024, 5)]));
    let mut sockets = sockets(&rig, 2).await;
    // Never read again.
    let _stalled = sockets.pop();
    let reader = &mut sockets[0];
    rig.peer.emit(STREAM, &new_image(1));
    assert_eq!(
        next_of_type(reader, "newImage").await["data"]["user_data"],
        "1"
    );
    let rss_before = rss_kib();
    let frames = 24u64;
    for n in 2..=frames {
        rig.peer.emit(STREAM, &new_image(n));
        assert_eq!(
            next_of_type(reader, "newImage").await["data"]["user_data"],
            n.to_string(),
            "the reading socket gets every frame"
        );
    }
    // Queued for the stalled socket, 23 messages of 2.8 MB would be 64 MB.
    let grown_mib = rss_kib().saturating_sub(rss_before) / 1024;
    assert!(grown_mib < 40, "RSS grew {grown_mib} MiB");
    assert_eq!(rig.peer.received(GRAB).len() as u64, frames);
}

#[tokio::test]
async fn a_closed_socket_is_dropped_at_once() {
    let rig = rig().await;
    let mut sockets = sockets(&rig, 1).await;
    assert_eq!(
        metric_with(
            rig.addr,
            "octane_proxy_render_variant_viewers",
            "webr newImage"
        )
        .await,
        1
    );
    futures_util::SinkExt::close(&mut sockets[0])
        .await
        .expect("closed");
    drop(sockets);
    let mut left = false;
    for _ in 0..200 {
        if metric_lines(rig.addr, "octane_proxy_render_variant_viewers")
            .await
            .is_empty()
        {
            left = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(left, "the variant went with its last socket");
}

#[tokio::test]
async fn with_a_token_the_upgrade_needs_it_in_the_query_as_event_source_sends_it() {
    use octane_callbacks::{CallbackStreamer, StreamerConfig};
    use octane_proxy::{AccessPolicy, Octane, Router};
    let peer = octane_test_peer::TestPeer::start().expect("peer");
    let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("address");
    let streamer = CallbackStreamer::new(&octane, StreamerConfig::default());
    let router = Router::builder(octane)
        .route("/api/callbacks", streamer.routes())
        .access(AccessPolicy::default().token("s3cret"))
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(octane_proxy::serve(listener, router, async {
        let _ = stopped.await;
    }));

    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let refused = tokio_tungstenite::client_async(format!("ws://{addr}/api/callbacks"), stream)
        .await
        .expect_err("no token, no upgrade");
    match refused {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 401);
        }
        other => panic!("not an HTTP refusal: {other}"),
    }
    let mut socket = websocket(addr, "/api/callbacks?token=s3cret").await;
    send_text(&mut socket, r#"{"type":"ping"}"#).await;
    assert_eq!(next_text(&mut socket).await, json!({"type": "pong"}));
}
