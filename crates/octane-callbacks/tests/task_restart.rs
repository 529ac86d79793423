//! The streamer's task interrupted: run again after a panic, reported and reconnected; a
//! render result grabbed before the interruption released.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use octane_callbacks::{CallbackStreamer, StreamerConfig};
use octane_proxy::Octane;
use octane_test_peer::TestPeer;
use support::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata};

/// A log subscriber that panics with `panic` on the first event with `message`: the one way to
/// make the streamer's own task panic from outside, without a hook in the product.
struct PanicOnce {
    message: &'static str,
    panic: &'static str,
    panicked: AtomicBool,
}

impl PanicOnce {
    fn on(message: &'static str, panic: &'static str) -> Self {
        Self {
            message,
            panic,
            panicked: AtomicBool::new(false),
        }
    }
}

/// Reads an event's message.
struct MessageOf(Option<String>);

impl Visit for MessageOf {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl tracing::Subscriber for PanicOnce {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = MessageOf(None);
        event.record(&mut message);
        if message.0.as_deref() == Some(self.message) && !self.panicked.swap(true, Ordering::SeqCst)
        {
            panic!("{}", self.panic);
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn a_panic_in_the_streams_task_is_reported_and_the_stream_reconnects() {
    // The test's runtime runs the streamer's task on this thread, so this subscriber sees it.
    let _subscriber = tracing::subscriber::set_default(PanicOnce::on(
        "render callback stream open",
        "a bug while the stream opens",
    ));
    let config = StreamerConfig {
        backoff_max: Duration::from_millis(300),
        ..StreamerConfig::default()
    };
    let rig = rig_of(config).await;

    // `start` returns once the panicked attempt is over, with the panic as the last error.
    let (status, reply) = json(rig.addr, "POST", "/render/register-callback", "").await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["status"]["last_error"],
        "internal error, the stream was restarted: a bug while the stream opens"
    );
    assert_eq!(reply["status"]["stream_errors"], 1);

    eventually("the stream open again", || {
        let status = rig.streamer.status();
        status.connected && status.reconnects == 1
    })
    .await;
    let status = rig.streamer.status();
    assert!(status.registered);
    assert_eq!(status.stream_errors, 1);
    assert_eq!(rig.peer.received(REGISTER).len(), 2, "registered again");
}

#[tokio::test]
async fn a_panic_between_a_grab_and_its_release_still_releases_the_result() {
    let _subscriber = tracing::subscriber::set_default(PanicOnce::on(
        "render result grabbed",
        "a bug after the grab",
    ));
    let config = StreamerConfig {
        backoff_max: Duration::from_millis(300),
        ..StreamerConfig::default()
    };
    let rig = rig_of(config).await;
    rig.peer
        .reply(GRAB, &grab_reply(vec![ldr_image(4, 2, 16, 1)]));
    register_and_wait(&rig).await;

    assert_eq!(rig.peer.emit(STREAM, &new_image(7)), 1);
    eventually("the result released", || {
        rig.peer.received(RELEASE).len() == 1
    })
    .await;
    assert_eq!(rig.peer.received(GRAB).len(), 1);
    eventually("the stream open again", || {
        let status = rig.streamer.status();
        status.connected && status.reconnects == 1
    })
    .await;
    releases_counted(&rig, 1).await;
    let status = rig.streamer.status();
    assert_eq!(status.grabs, 1);
    assert_eq!(status.releases, 1);
    assert_eq!(status.frames_published, 0);
    assert_eq!(
        status.last_error.as_deref(),
        Some("internal error, the stream was restarted: a bug after the grab")
    );
    assert_eq!(rig.peer.received(RELEASE).len(), 1, "released once");
}

#[tokio::test]
async fn a_streamer_dropped_mid_grab_releases_the_result() {
    let peer = TestPeer::start().expect("peer");
    // Answered long after the test: the grab is still open when the streamer goes.
    peer.delay(GRAB, HANG * 3);
    let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("address");
    let streamer = CallbackStreamer::new(&octane, StreamerConfig::default());
    streamer.start().await;
    eventually("the callback stream open", || {
        peer.open_streams(STREAM) == 1
    })
    .await;

    assert_eq!(peer.emit(STREAM, &new_image(7)), 1);
    eventually("the grab sent", || peer.received(GRAB).len() == 1).await;
    assert!(peer.received(RELEASE).is_empty());
    drop(streamer);
    eventually("the result released", || peer.received(RELEASE).len() == 1).await;
    assert_eq!(
        peer.received(RELEASE),
        [bytes::Bytes::new()],
        "an empty request"
    );
}
