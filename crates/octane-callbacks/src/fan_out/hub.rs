//! `FrameHub`: fan-out of frames and events to every subscriber.
//!
//! Frames are latest-frame-wins: the hub holds one slot, each subscriber reads the newest frame
//! when it is ready for one. A fast subscriber sees every frame; a slow one skips frames (and
//! counts them); a stalled one holds nothing but the slot everybody shares, so memory stays
//! bounded and no subscriber waits for another. Frames are shared (`Arc`), never copied per
//! subscriber. Small events (statistics, failures, state) go through a bounded broadcast queue, each
//! stamped with the frame in the slot when it is published, so that a subscriber sends both in
//! the order they were published.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{broadcast, watch};

use crate::frames::Frame;

/// How many small events a subscriber may fall behind before it misses some.
const EVENT_BACKLOG: usize = 64;

/// Publishes frames and events to subscribers.
#[derive(Debug)]
pub struct FrameHub {
    frames: watch::Sender<Option<Arc<Frame>>>,
    events: broadcast::Sender<Event>,
    /// Cloned into every [`Subscription`]: its count tells whether anyone reads the frames'
    /// SSE events, and so whether frames are built with them.
    event_readers: Arc<()>,
}

/// One subscriber's view of the hub.
#[derive(Debug)]
pub struct Subscription {
    /// The latest frame; `changed()` wakes when a newer one is published.
    pub frames: watch::Receiver<Option<Arc<Frame>>>,
    /// SSE events other than frames, each already encoded.
    pub events: broadcast::Receiver<Event>,
    /// Counts this subscription among the readers of frame events.
    _reading: Arc<()>,
}

/// An SSE event other than a frame, with its place among the frames: frames and events travel
/// on two channels, and a subscriber that has both waiting sends them in the order they were
/// published (a `renderFailure` before the frame that followed it, a `status` of a lost
/// connection before the first frame after the reconnect).
#[derive(Clone, Debug)]
pub struct Event {
    /// The `sequence` of the frame in the hub when this event was published (0 if none):
    /// every frame published later has a higher one.
    pub after_frame: u64,
    /// The encoded SSE event.
    pub bytes: Bytes,
}

impl Event {
    /// Whether `frame` was published before this event, and so goes out first.
    pub fn follows(&self, frame: &Frame) -> bool {
        frame.sequence <= self.after_frame
    }
}

impl Default for FrameHub {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameHub {
    /// An empty hub.
    #[must_use]
    pub fn new() -> Self {
        Self {
            frames: watch::Sender::new(None),
            events: broadcast::Sender::new(EVENT_BACKLOG),
            event_readers: Arc::new(()),
        }
    }

    /// Replaces the latest frame and wakes every subscriber.
    pub fn publish_frame(&self, frame: Frame) {
        self.frames.send_replace(Some(Arc::new(frame)));
    }

    /// Empties the latest-frame slot: the frame there is no longer live (Octane went away), so
    /// neither `latest` nor a new subscriber gets it. Subscribers wake and find no frame.
    pub fn clear_frame(&self) {
        self.frames.send_replace(None);
    }

    /// Sends an encoded SSE event to every subscriber.
    pub fn publish_event(&self, event: Bytes) {
        let event = Event {
            after_frame: self
                .frames
                .borrow()
                .as_ref()
                .map_or(0, |frame| frame.sequence),
            bytes: event,
        };
        // No subscribers is fine: events are not kept for later ones.
        let _ = self.events.send(event);
    }

    /// The newest frame, if one was published since the hub was made or last cleared.
    #[must_use]
    pub fn latest(&self) -> Option<Arc<Frame>> {
        self.frames.borrow().clone()
    }

    /// A receiver of the latest-frame slot alone, for the encoders of the live views; the current
    /// frame counts as already seen.
    pub(crate) fn frames(&self) -> watch::Receiver<Option<Arc<Frame>>> {
        self.frames.subscribe()
    }

    /// A new subscription, of a reader of the frames' SSE events; the current frame counts as
    /// already seen.
    #[must_use]
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            frames: self.frames.subscribe(),
            events: self.events.subscribe(),
            _reading: Arc::clone(&self.event_readers),
        }
    }

    /// A receiver of the events other than frames alone, for a viewer that reads the frames in
    /// another form (a JPEG variant's).
    #[must_use]
    pub fn subscribe_events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Whether a [`Subscription`] is held: frames are then built with their SSE events.
    #[must_use]
    pub fn events_read(&self) -> bool {
        Arc::strong_count(&self.event_readers) > 1
    }
}
