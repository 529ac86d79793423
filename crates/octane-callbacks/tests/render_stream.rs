//! The render stream against the test peer over real loopback gRPC: frames, grabs and releases,
//! fan-out, stalls, reconnects, PNG.

use std::time::{Duration, Instant};

use base64::Engine;
use http_body_util::BodyExt;
use octane_api::octaneapi::api_render_engine::{
    GetRenderStatisticsResponse, SetOnNewImageCallbackRequest, SetOnNewImageCallbackResponse,
};
use octane_api::octaneapi::stream_callback_request::Payload;
use octane_api::octaneapi::{
    OnProjectManagerData, OnRenderFailureData, OnStatisticsData, RenderResultStatistics,
    StreamCallbackRequest, SubSampleMode, Uint322,
};
use octane_callbacks::StreamerConfig;
use octane_proxy::AccessPolicy;
use octane_test_peer::TestPeer;
use tokio::io::AsyncWriteExt;

mod support;

use support::*;

#[tokio::test]
async fn pixels_arrive_unchanged_and_every_grab_is_released_once() {
    let rig = rig().await;
    rig.peer
        .reply(REGISTER, &SetOnNewImageCallbackResponse { callback_id: 42 });
    let image = ldr_image(5, 3, 6, 1);
    rig.peer.reply(GRAB, &grab_reply(vec![image.clone()]));
    let reply = register_and_wait(&rig).await;
    assert_eq!(reply["success"], true);
    assert_eq!(reply["callback_id"], 42);
    let registration = &rig
        .peer
        .received_as::<SetOnNewImageCallbackRequest>(REGISTER)[0];
    assert_eq!(
        registration
            .callback
            .as_ref()
            .map(|c| c.callback_source.as_str()),
        Some("octane-proxy")
    );

    let mut events = Events::open(rig.addr).await;
    let connected = events.next().await;
    assert_eq!(connected["type"], "connected");
    assert!(
        connected["client_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    assert!(connected["timestamp"].as_f64().is_some());
    assert_eq!(connected["status"]["connected"], true);

    assert_eq!(rig.peer.emit(STREAM, &new_image(9)), 1);
    let event = events.next_of("newImage").await;
    assert_eq!(event["callback_id"], 42);
    assert_eq!(event["user_data"], 9);
    let shown = &event["render_images"]["data"][0];
    assert_eq!(shown["index"], 0);
    assert_eq!(shown["type"], 0);
    assert_eq!(shown["size"], serde_json::json!({"x": 5, "y": 3}));
    assert_eq!(shown["pitch"], 6);
    assert_eq!(shown["changeLevel"], serde_json::json!({"level": 77}));
    assert_eq!(shown["samplesPerSecond"], 1234.5);
    assert_eq!(shown["hasAlpha"], true);
    assert_eq!(shown["buffer"]["encoding"], "base64");
    let sent = image.buffer.as_ref().expect("buffer").data.clone();
    assert_eq!(shown["buffer"]["size"], sent.len());
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(shown["buffer"]["data"].as_str().expect("base64"))
        .expect("decodes");
    assert_eq!(decoded, sent.to_vec());

    eventually("the release", || rig.peer.received(RELEASE).len() == 1).await;
    assert_eq!(rig.peer.received(GRAB).len(), 1);
    releases_counted(&rig, 1).await;
    let status = rig.streamer.status();
    assert_eq!(
        (status.grabs, status.releases, status.frames_published),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn one_grab_per_callback_with_one_and_with_twenty_clients() {
    for clients in [1usize, 20] {
        let rig = rig().await;
        rig.peer
            .reply(GRAB, &grab_reply(vec![ldr_image(4, 4, 4, 3)]));
        register_and_wait(&rig).await;
        let mut streams = Vec::new();
        for _ in 0..clients {
            let mut events = Events::open(rig.addr).await;
            assert_eq!(events.next().await["type"], "connected");
            streams.push(events);
        }
        for n in 1..=5u64 {
            rig.peer.emit(STREAM, &new_image(n));
            // Every client sees each frame (they all keep up here).
            for events in &mut streams {
                assert_eq!(events.next_of("newImage").await["user_data"], n);
            }
        }
        assert_eq!(rig.peer.received(GRAB).len(), 5, "{clients} clients");
        eventually("releases", || rig.peer.received(RELEASE).len() == 5).await;
        assert_eq!(rig.streamer.status().subscribers, clients);
    }
}

#[tokio::test]
async fn a_second_register_opens_no_second_stream_and_registration_failure_is_not_fatal() {
    let rig = rig().await;
    rig.peer
        .reply_status(REGISTER, tonic::Code::Unavailable, "render engine busy");
    let (status, reply) = json(rig.addr, "POST", "/render/register-callback", "").await;
    assert_eq!(status, 200);
    assert_eq!(reply["success"], true);
    assert_eq!(reply["status"]["registered"], false);
    eventually("the stream to open anyway", || {
        rig.peer.open_streams(STREAM) == 1
    })
    .await;
    let (_, again) = json(rig.addr, "POST", "/render/register-callback", "").await;
    assert_eq!(again["status"]["registered"], false);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rig.peer.open_streams(STREAM), 1);
    assert_eq!(rig.peer.received(STREAM).len(), 1);
}

#[tokio::test]
async fn access_rules_that_refuse_a_call_of_the_streamer_refuse_register_callback() {
    // The read-only dashboard of docs/security.md: setOnNewImageCallback is not allowed, so the
    // render routes must not make it either.
    for (access, rule) in [
        (
            AccessPolicy::default().deny(["ApiRenderEngine/*"]),
            "denied by --deny",
        ),
        (
            AccessPolicy::default().allow(["*/get*", "ApiRenderEngine/grabRenderResult"]),
            "not in --allow",
        ),
    ] {
        let config = StreamerConfig {
            access: access.expect("valid rules"),
            ..StreamerConfig::default()
        };
        let rig = rig_of(config).await;
        let (status, reply) = json(rig.addr, "POST", "/render/register-callback", "").await;
        assert_eq!(status, 403, "{reply}");
        assert_eq!(reply["code"], "PERMISSION_DENIED");
        assert_eq!(
            reply["error"],
            format!("ApiRenderEngine/setOnNewImageCallback is {rule}")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(rig.peer.call_count(), 0, "nothing reached Octane");
        assert!(!rig.streamer.status().streaming);
    }
    // Rules that let the streamer's calls through change nothing.
    let config = StreamerConfig {
        access: AccessPolicy::default()
            .deny(["ApiProjectManager/*"])
            .expect("valid rules"),
        ..StreamerConfig::default()
    };
    let rig = rig_of(config).await;
    let (status, reply) = json(rig.addr, "POST", "/render/register-callback", "").await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["status"]["registered"], true);
}

#[tokio::test]
async fn a_registration_octane_refused_is_retried_while_the_stream_is_open() {
    let rig = rig().await;
    rig.peer
        .reply_status(REGISTER, tonic::Code::Unavailable, "render engine busy");
    let reply = register_and_wait(&rig).await;
    assert_eq!(reply["status"]["registered"], false);
    assert_eq!(
        reply["message"],
        "streaming started; registration with Octane did not succeed \
         (last error: setOnNewImageCallback failed: render engine busy); it is retried until it \
         does"
    );
    // Retried on the backoff (100 ms, doubling), not only on a reconnect.
    eventually("a retry", || rig.peer.received(REGISTER).len() >= 3).await;

    rig.peer
        .reply(REGISTER, &SetOnNewImageCallbackResponse { callback_id: 7 });
    eventually("the registration", || rig.streamer.status().registered).await;
    let status = rig.streamer.status();
    assert_eq!(status.callback_id, 7);
    let attempts = rig.peer.received(REGISTER).len();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        rig.peer.received(REGISTER).len(),
        attempts,
        "no retries once registered"
    );
    assert_eq!(rig.peer.received(STREAM).len(), 1, "the same stream");
    assert_eq!(status.stream_errors, 0);

    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 1)]));
    let mut events = Events::open(rig.addr).await;
    events.next().await;
    rig.peer.emit(STREAM, &new_image(3));
    let event = events.next_of("newImage").await;
    assert_eq!(event["callback_id"], 7);
    assert_eq!(event["user_data"], 3);
}

#[tokio::test]
async fn register_callback_retries_a_refused_registration_at_once() {
    // Retries on the backoff would come after the test.
    let slow = StreamerConfig {
        backoff_min: Duration::from_secs(600),
        backoff_max: Duration::from_secs(600),
        ..StreamerConfig::default()
    };
    let rig = rig_of(slow).await;
    rig.peer
        .reply_status(REGISTER, tonic::Code::Unavailable, "render engine busy");
    register_and_wait(&rig).await;
    assert_eq!(rig.peer.received(REGISTER).len(), 1);

    let (status, again) = json(rig.addr, "POST", "/render/register-callback", "").await;
    assert_eq!(status, 200);
    assert_eq!(rig.peer.received(REGISTER).len(), 2, "asked again");
    assert_eq!(again["status"]["registered"], false);
    assert_eq!(
        again["message"],
        "callback streaming already running; registration with Octane did not succeed \
         (last error: setOnNewImageCallback failed: render engine busy); it is retried until it \
         does"
    );

    rig.peer
        .reply(REGISTER, &SetOnNewImageCallbackResponse { callback_id: 7 });
    let (_, registered) = json(rig.addr, "POST", "/render/register-callback", "").await;
    assert_eq!(rig.peer.received(REGISTER).len(), 3);
    assert_eq!(registered["status"]["registered"], true);
    assert_eq!(registered["callback_id"], 7);
    assert_eq!(
        registered["message"],
        "callback registered; streaming was already running"
    );

    let (_, running) = json(rig.addr, "POST", "/render/register-callback", "").await;
    assert_eq!(running["message"], "callback streaming already running");
    assert_eq!(
        rig.peer.received(REGISTER).len(),
        3,
        "not asked once registered"
    );
    assert_eq!(rig.peer.received(STREAM).len(), 1);
}

/// A rig whose peer sends the callback stream's headers with its first message, as Octane does.
async fn lazy_headers_rig() -> Rig {
    let peer = TestPeer::start().expect("peer");
    peer.lazy_stream_headers(STREAM);
    rig_for(peer).await
}

#[tokio::test]
async fn a_stream_whose_headers_wait_for_the_first_callback_is_open_and_delivers() {
    let rig = lazy_headers_rig().await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 1)]));
    let asked = Instant::now();
    let reply = register_and_wait(&rig).await;
    let waited = asked.elapsed();
    assert_eq!(reply["status"]["connected"], true, "{reply}");
    assert_eq!(reply["status"]["registered"], true);
    assert_eq!(reply["message"], "callback registered; streaming started");
    // Not the 5 s of `register_wait`: the stream counts as open after a short grace.
    assert!(waited < Duration::from_secs(2), "answered after {waited:?}");

    let mut events = Events::open(rig.addr).await;
    assert_eq!(events.next().await["status"]["connected"], true);
    let (status, body) = json(rig.addr, "GET", "/render/latest.png", "").await;
    assert_eq!(status, 404, "connected, no frame yet: {body}");
    for n in 1..=2u64 {
        rig.peer.emit(STREAM, &new_image(n));
        assert_eq!(events.next_of("newImage").await["user_data"], n);
    }
    let status = rig.streamer.status();
    assert_eq!((status.frames_published, status.stream_errors), (2, 0));
    assert_eq!(rig.peer.received(STREAM).len(), 1);
}

#[tokio::test]
async fn a_stream_taken_as_open_that_fails_before_its_first_callback_is_reopened() {
    let rig = lazy_headers_rig().await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 1)]));
    let reply = register_and_wait(&rig).await;
    assert_eq!(reply["status"]["connected"], true, "{reply}");
    let mut events = Events::open(rig.addr).await;
    events.next().await;

    rig.peer
        .end_streams(STREAM, Some(tonic::Status::unavailable("shutting down")));
    let down = events.next_of("status").await;
    assert_eq!(down["connected"], false);
    assert_eq!(
        down["status"]["last_error"],
        "opening the callback stream failed: shutting down"
    );
    assert_eq!(down["status"]["stream_errors"], 1);
    let up = events.next_of("status").await;
    assert_eq!(up["connected"], true);
    assert_eq!(up["status"]["reconnects"], 1);
    assert_eq!(rig.peer.received(STREAM).len(), 2);
    assert_eq!(rig.peer.received(REGISTER).len(), 2, "registered again");
    eventually("the stream to reopen", || {
        rig.peer.open_streams(STREAM) == 1
    })
    .await;
    rig.peer.emit(STREAM, &new_image(5));
    assert_eq!(events.next_of("newImage").await["user_data"], 5);
}

#[tokio::test]
async fn a_slow_client_gets_events_and_frames_in_the_order_octane_sent_them() {
    let (rig, mut stalled) = stalled_rig().await;
    for n in 1..=8u64 {
        rig.peer.emit(STREAM, &new_image(n));
        eventually("a frame", || rig.streamer.status().frames_published == n).await;
    }
    // While the client is stuck in an earlier frame, a failure, then a frame after it: both
    // wait for it, on two channels.
    rig.peer.emit(
        STREAM,
        &StreamCallbackRequest {
            payload: Some(Payload::RenderFailure(OnRenderFailureData {
                user_data: 99,
            })),
        },
    );
    rig.peer.emit(STREAM, &new_image(9));
    eventually("the last frame", || {
        rig.streamer.status().frames_published == 9
    })
    .await;

    let received = read_until(&mut stalled, |received| {
        find(received, br#""user_data":9,"#).is_some()
    })
    .await;
    let failure = find(&received, br#""type":"renderFailure""#).expect("the failure event");
    let last_frame = find(&received, br#""user_data":9,"#).expect("the last frame");
    assert!(
        failure < last_frame,
        "the failure came after the frame that followed it"
    );
}

#[tokio::test]
async fn frames_skipped_total_keeps_the_skips_of_a_client_that_left() {
    const SKIPPED: &str = "octane_proxy_render_frames_skipped_total";
    let (rig, stalled) = stalled_rig().await;
    let mut reader = Events::open(rig.addr).await;
    let reader_id = reader.next().await["client_id"]
        .as_str()
        .expect("id")
        .to_owned();
    for n in 1..=12u64 {
        rig.peer.emit(STREAM, &new_image(n));
        assert_eq!(reader.next_of("newImage").await["user_data"], n);
    }
    let status = rig.streamer.status();
    assert_eq!(status.frames_skipped[&reader_id], 0);
    let stalled_skipped: u64 = status.frames_skipped.values().sum();
    assert!(stalled_skipped > 0, "{status:?}");
    // Counted so far: what the stalled client skipped before its socket filled, if anything.
    assert!(metric(rig.addr, SKIPPED).await <= stalled_skipped);

    drop(stalled);
    eventually("the stalled client to be removed", || {
        rig.streamer.status().subscribers == 1
    })
    .await;
    assert_eq!(metric(rig.addr, SKIPPED).await, stalled_skipped);
}

#[tokio::test]
async fn disconnected_clients_are_removed_at_once() {
    let rig = rig().await;
    let mut events = Events::open(rig.addr).await;
    let client_id = events.next().await["client_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, pong) = json(
        rig.addr,
        "POST",
        "/render/ping-client",
        &format!(r#"{{"client_id":"{client_id}"}}"#),
    )
    .await;
    assert_eq!(pong["success"], true);
    assert_eq!(pong["connected"], true);
    assert_eq!(rig.streamer.status().subscribers, 1);
    drop(events);
    eventually("the subscriber to go", || {
        rig.streamer.status().subscribers == 0
    })
    .await;
    let (_, pong) = json(
        rig.addr,
        "POST",
        "/render/ping-client",
        &format!(r#"{{"client_id":"{client_id}"}}"#),
    )
    .await;
    assert_eq!(pong["connected"], false);
    let (status, missing) = json(rig.addr, "POST", "/render/ping-client", "{}").await;
    assert_eq!(status, 400);
    assert_eq!(missing["success"], false);
}

#[tokio::test]
async fn clients_keep_their_stream_while_octane_restarts_and_frames_resume() {
    let rig = rig().await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 7)]));
    register_and_wait(&rig).await;
    let mut events = Events::open(rig.addr).await;
    events.next().await;
    rig.peer.emit(STREAM, &new_image(1));
    assert_eq!(events.next_of("newImage").await["user_data"], 1);

    let Rig {
        peer,
        addr,
        streamer,
        _stop,
    } = rig;
    let port = peer.addr();
    peer.stop();
    let down = events.next_of("status").await;
    assert_eq!(down["connected"], false);

    let peer = TestPeer::start_on(port).expect("restart on the same port");
    peer.reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 8)]));
    let up = events.next_of("status").await;
    assert_eq!(up["connected"], true);
    eventually("the stream to reopen", || peer.open_streams(STREAM) == 1).await;
    assert_eq!(peer.received(REGISTER).len(), 1, "registered again");
    peer.emit(STREAM, &new_image(2));
    assert_eq!(events.next_of("newImage").await["user_data"], 2);
    assert_eq!(streamer.status().reconnects, 1);
    drop((addr, _stop));
}

#[tokio::test]
async fn reconnects_count_streams_opened_again_not_failed_attempts() {
    let rig = rig().await;
    register_and_wait(&rig).await;
    let Rig {
        peer,
        addr,
        streamer,
        _stop,
    } = rig;
    eventually("the stream to open", || streamer.status().connected).await;
    assert_eq!(streamer.status().reconnects, 0);
    let port = peer.addr();
    peer.stop();
    // The stream's end, then attempts that fail while Octane is down.
    eventually("failed attempts", || streamer.status().stream_errors >= 3).await;
    assert_eq!(streamer.status().reconnects, 0);

    let peer = TestPeer::start_on(port).expect("restart on the same port");
    eventually("the stream to reopen", || streamer.status().connected).await;
    let status = streamer.status();
    assert_eq!(status.reconnects, 1, "{status:?}");
    assert_eq!(
        metric(addr, "octane_proxy_render_reconnects_total").await,
        1
    );
    assert_eq!(
        metric(addr, "octane_proxy_render_stream_errors_total").await,
        status.stream_errors
    );
    drop((peer, _stop));
}

const STATISTICS: &str = "/octaneapi.ApiRenderEngineService/getRenderStatistics";

/// What the statistics event's `statistics` must be: the JSON of `data` in the reply of
/// `POST /ApiRenderEngine/getRenderStatistics` to the same answer from Octane, byte for byte.
const STATISTICS_JSON: &str = r#"{"setSize":{"x":1920,"y":1080},"subSampleMode":"SUBSAMPLEMODE_2X2","upSamplingRatio":0.1,"deepBinCount":7,"beautySamplesPerSecond":0.1}"#;

#[tokio::test]
async fn statistics_callbacks_carry_the_statistics_as_the_route_answers_them() {
    let rig = rig().await;
    rig.peer.reply(
        STATISTICS,
        &GetRenderStatisticsResponse {
            statistics: Some(RenderResultStatistics {
                set_size: Some(Uint322 { x: 1920, y: 1080 }),
                sub_sample_mode: SubSampleMode::Subsamplemode2x2 as i32,
                // A 32-bit float: written as 0.1, not widened to 0.10000000149011612.
                up_sampling_ratio: 0.1,
                deep_bin_count: 7,
                beauty_samples_per_second: 0.1,
                ..RenderResultStatistics::default()
            }),
        },
    );
    let route = request(
        rig.addr,
        "POST",
        "/ApiRenderEngine/getRenderStatistics",
        "{}",
    )
    .await;
    let route = route.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(
        std::str::from_utf8(&route).expect("UTF-8"),
        format!(r#"{{"success":true,"data":{{"statistics":{STATISTICS_JSON}}}}}"#)
    );

    register_and_wait(&rig).await;
    let mut events = Events::open(rig.addr).await;
    events.next().await;
    rig.peer.emit(
        STREAM,
        &StreamCallbackRequest {
            payload: Some(Payload::NewStatistics(OnStatisticsData { user_data: 3 })),
        },
    );
    let data = events.next_data_of("newStatistics").await;
    let callback_id = rig.streamer.status().callback_id;
    let head = format!(
        r#"{{"type":"newStatistics","callback_id":{callback_id},"user_data":3,"timestamp":"#
    );
    let tail = format!(r#","statistics":{STATISTICS_JSON}}}"#);
    assert!(data.starts_with(&head) && data.ends_with(&tail), "{data}");
    let timestamp = &data[head.len()..data.len() - tail.len()];
    assert!(timestamp.parse::<f64>().is_ok_and(|t| t > 1e9), "{data}");
    assert_eq!(rig.peer.received(STATISTICS).len(), 2);
}

#[tokio::test]
async fn statistics_octane_refuses_are_null_in_the_event() {
    let rig = rig().await;
    rig.peer
        .reply_status(STATISTICS, tonic::Code::Unavailable, "busy");
    register_and_wait(&rig).await;
    let mut events = Events::open(rig.addr).await;
    events.next().await;
    rig.peer.emit(
        STREAM,
        &StreamCallbackRequest {
            payload: Some(Payload::NewStatistics(OnStatisticsData { user_data: 4 })),
        },
    );
    let event = events.next_of("newStatistics").await;
    assert_eq!(event["user_data"], 4);
    assert_eq!(event["statistics"], serde_json::Value::Null);
    assert!(
        rig.streamer
            .status()
            .last_error
            .is_some_and(|e| e.contains("getRenderStatistics failed")),
        "{:?}",
        rig.streamer.status().last_error
    );
}

#[tokio::test]
async fn failure_and_project_callbacks_become_events_of_their_own() {
    let rig = rig().await;
    register_and_wait(&rig).await;
    let mut events = Events::open(rig.addr).await;
    events.next().await;
    let callback_id = rig.streamer.status().callback_id;
    for (payload, kind, user_data) in [
        (
            Payload::RenderFailure(OnRenderFailureData { user_data: 5 }),
            "renderFailure",
            5,
        ),
        (
            Payload::ProjectManagerChanged(OnProjectManagerData { user_data: 6 }),
            "projectManagerChanged",
            6,
        ),
    ] {
        rig.peer.emit(
            STREAM,
            &StreamCallbackRequest {
                payload: Some(payload),
            },
        );
        let data = events.next_data_of(kind).await;
        let head = format!(
            r#"{{"type":"{kind}","callback_id":{callback_id},"user_data":{user_data},"timestamp":"#
        );
        assert!(data.starts_with(&head) && data.ends_with('}'), "{data}");
        let timestamp = &data[head.len()..data.len() - 1];
        assert!(timestamp.parse::<f64>().is_ok_and(|t| t > 1e9), "{data}");
    }
    // Neither asks Octane for anything.
    assert!(rig.peer.received(STATISTICS).is_empty());
    assert!(rig.peer.received(GRAB).is_empty());
}

#[tokio::test]
async fn a_page_of_another_loopback_origin_may_register_and_read_the_stream() {
    // octaneWeb is served from its own origin: it registers by fetch, then opens an EventSource.
    let rig = rig().await;
    let origin = ("origin", "http://localhost:5173");
    let preflight = request_with(
        rig.addr,
        "OPTIONS",
        "/render/register-callback",
        &[origin, ("access-control-request-method", "POST")],
        "",
    )
    .await;
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert_eq!(
        preflight.headers()["access-control-allow-methods"],
        "GET, POST, OPTIONS, PUT, DELETE"
    );
    let register = request_with(rig.addr, "POST", "/render/register-callback", &[origin], "").await;
    assert_eq!(register.status(), 200);
    assert_eq!(
        register.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let stream = request_with(rig.addr, "GET", "/render/stream", &[origin], "").await;
    assert_eq!(stream.status(), 200);
    assert_eq!(
        stream.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
}

#[tokio::test]
async fn idle_streams_get_a_ping_every_interval() {
    let config = StreamerConfig {
        ping_interval: Duration::from_millis(50),
        ..StreamerConfig::default()
    };
    let rig = rig_of(config).await;
    let mut events = Events::open(rig.addr).await;
    assert_eq!(events.next().await["type"], "connected");
    for _ in 0..2 {
        let data = events.next_data().await;
        let timestamp = data
            .strip_prefix(r#"{"type":"ping","timestamp":"#)
            .and_then(|rest| rest.strip_suffix('}'))
            .unwrap_or_else(|| panic!("not a ping: {data}"));
        assert!(timestamp.parse::<f64>().is_ok_and(|t| t > 1e9), "{data}");
    }
}

#[tokio::test]
async fn latest_png_is_404_before_the_first_frame_then_the_frame() {
    let rig = rig().await;
    let (status, body) = json(rig.addr, "GET", "/render/latest.png", "").await;
    assert_eq!(status, 404);
    assert_eq!(body["success"], false);

    let image = ldr_image(3, 2, 4, 9);
    rig.peer.reply(GRAB, &grab_reply(vec![image.clone()]));
    register_and_wait(&rig).await;
    rig.peer.emit(STREAM, &new_image(1));
    eventually("a frame", || rig.streamer.status().frames_published == 1).await;

    let response = request(rig.addr, "GET", "/render/latest.png", "").await;
    assert_eq!(response.headers()["content-type"], "image/png");
    let png = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("frame");
    assert_eq!((info.width, info.height), (3, 2));
    // Rows of the sent buffer at pitch 4, first 3 pixels each.
    let sent = image.buffer.expect("buffer").data;
    let expected: Vec<u8> = (0..2)
        .flat_map(|row| sent[row * 16..row * 16 + 12].to_vec())
        .collect();
    assert_eq!(&pixels[..info.buffer_size()], &expected[..]);
}

#[tokio::test]
async fn mjpeg_stream_sends_jpeg_parts() {
    let rig = rig().await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 4)]));
    register_and_wait(&rig).await;
    let response = request(rig.addr, "GET", "/render/stream.mjpeg", "").await;
    assert_eq!(
        response.headers()["content-type"],
        "multipart/x-mixed-replace; boundary=octane-frame"
    );
    let mut body = response.into_body();
    rig.peer.emit(STREAM, &new_image(1));
    let mut received = Vec::new();
    // A whole part: its head, the JPEG (which ends with EOI), the line end.
    while !received.ends_with(b"\xff\xd9\r\n") {
        let frame = tokio::time::timeout(HANG, body.frame())
            .await
            .expect("in time")
            .expect("open")
            .expect("frame");
        if let Ok(data) = frame.into_data() {
            received.extend_from_slice(&data);
        }
    }
    assert!(
        received.starts_with(b"--octane-frame\r\nContent-Type: image/jpeg\r\nContent-Length: ")
    );
    let head_end = find(&received, b"\r\n\r\n").expect("a head") + 4;
    assert_eq!(&received[head_end..head_end + 2], b"\xff\xd8", "a JPEG");
}

#[tokio::test]
async fn the_page_is_served_at_the_root() {
    let rig = rig().await;
    let response = request(rig.addr, "GET", "/", "").await;
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let html = String::from_utf8(html.to_vec()).expect("UTF-8");
    assert!(html.contains("new EventSource(\"/render/stream\""));
    let (status, _) = json(rig.addr, "GET", "/render/nothing", "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn metrics_count_callbacks_frames_and_clients() {
    let rig = rig().await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 1)]));
    register_and_wait(&rig).await;
    let mut events = Events::open(rig.addr).await;
    events.next().await;
    rig.peer.emit(STREAM, &new_image(1));
    events.next_of("newImage").await;
    releases_counted(&rig, 1).await;
    let response = request(rig.addr, "GET", "/metrics", "").await;
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec(),
    )
    .expect("UTF-8");
    for line in [
        "octane_proxy_render_callbacks_total 1",
        "octane_proxy_render_frames_published_total 1",
        "octane_proxy_render_grabs_total 1",
        "octane_proxy_render_releases_total 1",
        "octane_proxy_render_sse_clients 1",
        "octane_proxy_render_stream_connected 1",
        // One event built, in one buffer: its 469 bytes rounded up to a page.
        "octane_proxy_render_event_buffer_bytes 4096",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[tokio::test]
async fn other_methods_are_405_with_allow() {
    let rig = rig().await;
    for (method, path, allow) in [
        ("POST", "/render/stream", "GET, HEAD, OPTIONS"),
        ("PUT", "/render/latest.png", "GET, HEAD, OPTIONS"),
        ("DELETE", "/", "GET, HEAD, OPTIONS"),
        ("GET", "/render/register-callback", "POST, OPTIONS"),
        ("GET", "/render/ping-client", "POST, OPTIONS"),
    ] {
        let response = request(rig.addr, method, path, "").await;
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        let body = body_json(response).await;
        assert_eq!(body["code"], "METHOD_NOT_ALLOWED", "{method} {path}");
    }
}

#[tokio::test]
async fn a_ping_body_over_its_limit_is_413() {
    let rig = rig().await;
    let body = format!(r#"{{"client_id":"{}"}}"#, "x".repeat(100_000));
    let (status, reply) = json(rig.addr, "POST", "/render/ping-client", &body).await;
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["success"], false);
    assert_eq!(reply["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(
        reply["error"],
        "request body exceeds the limit of 65536 bytes"
    );
}

#[tokio::test]
async fn a_ping_body_that_is_not_json_or_has_no_client_id_is_400() {
    let rig = rig().await;
    let (status, reply) = json(rig.addr, "POST", "/render/ping-client", "{").await;
    assert_eq!(
        (status, &reply["code"]),
        (400, &"MALFORMED_JSON".into()),
        "{reply}"
    );
    let (status, reply) = json(
        rig.addr,
        "POST",
        "/render/ping-client",
        r#"{"client_id":7}"#,
    )
    .await;
    assert_eq!(
        (status, &reply["code"]),
        (400, &"INVALID_ARGUMENT".into()),
        "{reply}"
    );
    assert!(
        reply["error"].as_str().is_some_and(
            |e| e.starts_with("client_id is required") && e.contains("expected a string")
        ),
        "{reply}"
    );
}

#[tokio::test]
async fn a_ping_body_that_stops_arriving_is_408() {
    let config = StreamerConfig {
        body_timeout: Duration::from_millis(200),
        ..StreamerConfig::default()
    };
    let rig = rig_of(config).await;
    let mut client = tokio::net::TcpStream::connect(rig.addr)
        .await
        .expect("connect");
    client
        .write_all(
            b"POST /render/ping-client HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .expect("write");
    let answer = read_until(&mut client, |answer| {
        find(answer, b"\r\n\r\n").is_some() && answer.ends_with(b"}")
    })
    .await;
    let answer = String::from_utf8(answer).expect("UTF-8");
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.ends_with(
            r#"{"success":false,"error":"the request body did not arrive within 200ms","code":"BODY_TIMEOUT"}"#
        ),
        "{answer}"
    );
}

#[tokio::test]
async fn an_unknown_render_path_is_404_and_echoed_clipped() {
    let rig = rig().await;
    let long = "A".repeat(20_000);
    let (status, reply) = json(rig.addr, "GET", &format!("/render/{long}"), "").await;
    assert_eq!(status, 404);
    assert_eq!(reply["code"], "NOT_FOUND");
    let expected = format!("no render endpoint /render/{}...", &long[..112]);
    assert_eq!(reply["error"], expected.as_str());
}
