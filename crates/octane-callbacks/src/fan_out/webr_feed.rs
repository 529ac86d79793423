//! What the `/api/callbacks` sockets read: each frame as octaneWebR's `newImage` text message,
//! encoded once per frame for all of them, and the stream's other callbacks as messages built
//! once each. Nothing is built while no socket is open.

use bytes::Bytes;
use octane_api::octaneapi::RenderResultStatistics;
use tokio::sync::broadcast;

use super::webr_messages;
use super::{Encoding, Variants};
use crate::frames::Frame;

/// How many event messages a socket may fall behind before it misses some.
const EVENT_BACKLOG: usize = 64;

/// The variant of a frame octaneWebR's sockets get: its `newImage` text message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WebrImage;

impl Encoding for WebrImage {
    type Output = Bytes;

    fn encode(&self, frame: &Frame) -> Bytes {
        webr_messages::new_image(frame)
    }

    fn label(&self) -> String {
        "webr newImage".to_owned()
    }
}

/// What the streamer feeds the `/api/callbacks` sockets.
#[derive(Debug)]
pub(crate) struct WebrFeed {
    /// The frames, as `newImage` messages.
    pub(crate) images: Variants<WebrImage>,
    /// Every other message, already encoded.
    events: broadcast::Sender<Bytes>,
}

impl WebrFeed {
    /// A feed of the frames `images` encodes, and of no events yet.
    pub(crate) fn new(images: Variants<WebrImage>) -> Self {
        Self {
            images,
            events: broadcast::Sender::new(EVENT_BACKLOG),
        }
    }

    /// A receiver of every event message sent from now on.
    pub(crate) fn subscribe_events(&self) -> broadcast::Receiver<Bytes> {
        self.events.subscribe()
    }

    /// Whether a socket is open: messages are built only then.
    fn watched(&self) -> bool {
        self.events.receiver_count() > 0
    }

    /// Sends `newStatistics` with what `getRenderStatistics` answered.
    pub(crate) fn statistics(
        &self,
        user_data: u64,
        timestamp: f64,
        statistics: Option<&RenderResultStatistics>,
    ) {
        if self.watched() {
            let _ = self.events.send(webr_messages::new_statistics(
                user_data, timestamp, statistics,
            ));
        }
    }

    /// Sends a callback that carries nothing but its `user_data`.
    pub(crate) fn plain(&self, kind: &'static str, user_data: u64, timestamp: f64) {
        if self.watched() {
            let _ = self
                .events
                .send(webr_messages::plain(kind, user_data, timestamp));
        }
    }
}
