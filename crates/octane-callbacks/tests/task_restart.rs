//! The streamer's task panicking: run again, reported, reconnected.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use octane_callbacks::StreamerConfig;
use octane_proxy::Octane;
use octane_test_peer::TestPeer;
use support::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata};

/// A log subscriber that panics on the first event with `message`: the one way to make the
/// streamer's own task panic from outside, without a hook in the product.
struct PanicOnce {
    message: &'static str,
    panicked: AtomicBool,
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
            panic!("a bug while the stream opens");
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn a_panic_in_the_streams_task_is_reported_and_the_stream_reconnects() {
    // The test's runtime runs the streamer's task on this thread, so this subscriber sees it.
    let _subscriber = tracing::subscriber::set_default(PanicOnce {
        message: "render callback stream open",
        panicked: AtomicBool::new(false),
    });
    let peer = TestPeer::start().expect("peer");
    let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("address");
    let config = StreamerConfig {
        backoff_max: Duration::from_millis(300),
        ..StreamerConfig::default()
    };
    let rig = rig_configured(peer, octane, config).await;

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
