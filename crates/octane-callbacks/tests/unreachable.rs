//! While Octane is unreachable the render endpoints say so and never pass the last frame off as
//! live: `latest.png` answers 503, new stream clients get no stale frame.

use std::time::Duration;

use http_body_util::BodyExt;
use octane_test_peer::TestPeer;
use serde_json::Value;

mod support;

use support::*;

/// How long a new client is watched for a stale frame. Nothing is due in that time, so a slow
/// machine only makes the check weaker, never wrong.
const QUIET: Duration = Duration::from_secs(1);

async fn assert_unavailable(addr: std::net::SocketAddr) {
    let (status, body) = json(addr, "GET", "/render/latest.png", "").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["code"], "UNAVAILABLE");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("not connected")),
        "{body}"
    );
}

async fn assert_png(addr: std::net::SocketAddr) {
    let response = request(addr, "GET", "/render/latest.png", "").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
}

/// The events `events` receives within [`QUIET`].
async fn events_within_quiet(events: &mut Events) -> Vec<Value> {
    let mut received = Vec::new();
    let _ = tokio::time::timeout(QUIET, async {
        loop {
            received.push(events.next().await);
        }
    })
    .await;
    received
}

#[tokio::test]
async fn latest_png_is_503_when_octane_was_never_reachable() {
    let Rig {
        peer,
        addr,
        streamer,
        _stop,
    } = rig().await;
    peer.stop();
    let (status, reply) = json(addr, "POST", "/render/register-callback", "").await;
    assert_eq!(status, 200);
    assert_eq!(reply["status"]["connected"], false);
    assert!(streamer.status().streaming);
    assert_unavailable(addr).await;
}

/// What is left of a rig whose Octane sent a frame and then stopped, once the streamer saw it
/// gone and `latest.png` answers 503.
struct Outage {
    /// Where Octane listened, to start it again there.
    port: std::net::SocketAddr,
    addr: std::net::SocketAddr,
    streamer: octane_callbacks::CallbackStreamer,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn a_frame_then_an_outage() -> Outage {
    let rig = rig().await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 7)]));
    register_and_wait(&rig).await;
    rig.peer.emit(STREAM, &new_image(1));
    eventually("a frame", || rig.streamer.status().frames_published == 1).await;
    assert_png(rig.addr).await;

    let Rig {
        peer,
        addr,
        streamer,
        _stop,
    } = rig;
    let port = peer.addr();
    peer.stop();
    eventually("the streamer to see Octane gone", || {
        !streamer.status().connected
    })
    .await;
    assert_unavailable(addr).await;
    Outage {
        port,
        addr,
        streamer,
        _stop,
    }
}

#[tokio::test]
async fn no_stale_frame_while_octane_is_gone_and_frames_resume_when_it_is_back() {
    let Outage {
        port,
        addr,
        streamer: _streamer,
        _stop,
    } = a_frame_then_an_outage().await;

    let mut events = Events::open(addr).await;
    let connected = events.next().await;
    assert_eq!(connected["type"], "connected");
    assert_eq!(connected["status"]["connected"], false);
    let mjpeg = request(addr, "GET", "/render/stream.mjpeg", "").await;
    let mut mjpeg = mjpeg.into_body();
    let early = events_within_quiet(&mut events).await;
    assert!(
        early.iter().all(|event| event["type"] != "newImage"),
        "stale frame sent: {early:?}"
    );
    // Nothing is due on the MJPEG stream until Octane sends a new frame.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), mjpeg.frame())
            .await
            .is_err(),
        "the MJPEG stream sent something while Octane was gone"
    );

    let peer = TestPeer::start_on(port).expect("restart on the same port");
    peer.reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 8)]));
    eventually("the stream to reopen", || peer.open_streams(STREAM) == 1).await;
    peer.emit(STREAM, &new_image(2));
    assert_eq!(events.next_of("newImage").await["user_data"], 2);
    let part = tokio::time::timeout(HANG, mjpeg.frame())
        .await
        .expect("an MJPEG part in time")
        .expect("open")
        .expect("frame");
    assert!(
        part.into_data()
            .is_ok_and(|data| data.starts_with(b"--octane-frame\r\n"))
    );
    assert_png(addr).await;
    drop(_stop);
}

#[tokio::test]
async fn after_a_reconnect_the_frame_from_before_the_outage_is_not_served() {
    let Outage {
        port,
        addr,
        streamer,
        _stop,
    } = a_frame_then_an_outage().await;
    // Octane is back (restarted, maybe with another scene) and has rendered nothing yet.
    let peer = TestPeer::start_on(port).expect("restart on the same port");
    peer.reply(GRAB, &grab_reply(vec![ldr_image(2, 2, 2, 8)]));
    eventually("the stream to reopen", || peer.open_streams(STREAM) == 1).await;
    eventually("the streamer to see Octane back", || {
        streamer.status().connected
    })
    .await;

    let (status, body) = json(addr, "GET", "/render/latest.png", "").await;
    assert_eq!(status, 404, "the old frame is not the latest");
    assert_eq!(body["code"], "NO_FRAME");
    assert_eq!(
        body["error"],
        "no frame yet: Octane has sent none since the render stream (re)connected"
    );
    let mut events = Events::open(addr).await;
    let connected = events.next().await;
    assert_eq!(connected["type"], "connected");
    assert_eq!(connected["status"]["connected"], true);
    let mjpeg = request(addr, "GET", "/render/stream.mjpeg", "").await;
    let mut mjpeg = mjpeg.into_body();
    let early = events_within_quiet(&mut events).await;
    assert!(
        early.iter().all(|event| event["type"] != "newImage"),
        "the old frame was sent: {early:?}"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(100), mjpeg.frame())
            .await
            .is_err(),
        "the MJPEG stream sent the old frame"
    );

    peer.emit(STREAM, &new_image(2));
    assert_eq!(events.next_of("newImage").await["user_data"], 2);
    let part = tokio::time::timeout(HANG, mjpeg.frame())
        .await
        .expect("an MJPEG part in time")
        .expect("open")
        .expect("frame");
    assert!(
        part.into_data()
            .is_ok_and(|data| data.starts_with(b"--octane-frame\r\n"))
    );
    assert_png(addr).await;
    drop(_stop);
}
