//! What the streamer has done so far: counters, connection state, subscribers.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use serde::Serialize;

/// The streamer's counters, updated as it works.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) callbacks: AtomicU64,
    pub(crate) frames_published: AtomicU64,
    pub(crate) grabs: AtomicU64,
    pub(crate) releases: AtomicU64,
    pub(crate) stream_errors: AtomicU64,
    pub(crate) reconnects: AtomicU64,
    pub(crate) connected: AtomicBool,
    pub(crate) registered: AtomicBool,
    pub(crate) started: AtomicBool,
    pub(crate) callback_id: AtomicU32,
    pub(crate) last_error: Mutex<Option<String>>,
    /// The sequence number of the newest published frame.
    pub(crate) published_sequence: AtomicU64,
    /// What each open subscriber got and skipped, by client id.
    pub(crate) delivered: Mutex<BTreeMap<String, Delivery>>,
    /// Frames subscribers skipped, counted once a subscriber got a newer frame or left: a
    /// Prometheus counter must never go down, and a sum over open subscribers does when one
    /// leaves.
    pub(crate) frames_skipped_total: AtomicU64,
}

/// One subscriber's frames.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Delivery {
    /// The sequence number of the last frame it got (or of the newest frame when it
    /// subscribed). Frames are latest-wins, so every frame published between that one and the
    /// newest is one it skipped.
    delivered: u64,
    /// Frames it skipped before `delivered`.
    skipped: u64,
}

impl Delivery {
    /// Frames skipped since `delivered`: those published after it and replaced by `newest`.
    fn outstanding(&self, newest: u64) -> u64 {
        newest.saturating_sub(self.delivered).saturating_sub(1)
    }
}

/// A snapshot of the streamer's state, as `/render/callback-status` and every `connected` event
/// report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Whether the upstream callback stream was started (by `register-callback`).
    pub streaming: bool,
    /// Whether the callback stream to Octane is open now.
    pub connected: bool,
    /// Whether Octane accepted the last `setOnNewImageCallback`.
    pub registered: bool,
    /// The callback id Octane answered, 0 before registration.
    pub callback_id: u32,
    /// Callbacks received on the stream, of every kind.
    pub callbacks_received: u64,
    /// Frames built and published to subscribers.
    pub frames_published: u64,
    /// `grabRenderResult` calls that returned images.
    pub grabs: u64,
    /// `releaseRenderResult` calls made: one per grab that may have reached Octane, including
    /// grabs that failed on the way back.
    pub releases: u64,
    /// Times the callback stream failed or ended, failed attempts to open it included.
    pub stream_errors: u64,
    /// Times the callback stream was opened again after an open one failed or ended; the failed
    /// attempts in between are not counted here (they are in `stream_errors`).
    pub reconnects: u64,
    /// Open SSE subscribers.
    pub subscribers: usize,
    /// Frames each open subscriber skipped because a newer frame replaced them, since it
    /// subscribed.
    pub frames_skipped: BTreeMap<String, u64>,
    /// The last error, if any.
    pub last_error: Option<String>,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> Status {
        let newest = self.published_sequence.load(Ordering::Relaxed);
        let skipped: BTreeMap<String, u64> = self
            .delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(client, delivery)| {
                (
                    client.clone(),
                    delivery.skipped + delivery.outstanding(newest),
                )
            })
            .collect();
        Status {
            streaming: self.started.load(Ordering::Relaxed),
            connected: self.connected.load(Ordering::Relaxed),
            registered: self.registered.load(Ordering::Relaxed),
            callback_id: self.callback_id.load(Ordering::Relaxed),
            callbacks_received: self.callbacks.load(Ordering::Relaxed),
            frames_published: self.frames_published.load(Ordering::Relaxed),
            grabs: self.grabs.load(Ordering::Relaxed),
            releases: self.releases.load(Ordering::Relaxed),
            stream_errors: self.stream_errors.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            subscribers: skipped.len(),
            frames_skipped: skipped,
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_error(&self, error: String) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
    }

    /// Adds a subscriber that has seen every frame up to `delivered`.
    pub(crate) fn add_subscriber(&self, client_id: &str, delivered: u64) {
        self.delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                client_id.to_owned(),
                Delivery {
                    delivered,
                    skipped: 0,
                },
            );
    }

    /// Removes a subscriber; the frames it skipped since its last one stay counted.
    pub(crate) fn remove_subscriber(&self, client_id: &str) {
        let removed = self
            .delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(client_id);
        if let Some(delivery) = removed {
            let newest = self.published_sequence.load(Ordering::Relaxed);
            self.frames_skipped_total
                .fetch_add(delivery.outstanding(newest), Ordering::Relaxed);
        }
    }

    /// Notes that a subscriber got frame `sequence`, and counts the frames it skipped before.
    pub(crate) fn set_delivered(&self, client_id: &str, sequence: u64) {
        if let Some(d) = self
            .delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(client_id)
        {
            let skipped = d.outstanding(sequence);
            d.skipped += skipped;
            d.delivered = sequence;
            self.frames_skipped_total
                .fetch_add(skipped, Ordering::Relaxed);
        }
    }

    pub(crate) fn has_subscriber(&self, client_id: &str) -> bool {
        self.delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(counters: &Counters, sequence: u64) {
        counters
            .published_sequence
            .store(sequence, Ordering::Relaxed);
    }

    fn total(counters: &Counters) -> u64 {
        counters.frames_skipped_total.load(Ordering::Relaxed)
    }

    #[test]
    fn skips_are_counted_when_a_newer_frame_is_delivered_and_when_the_subscriber_leaves() {
        let counters = Counters::default();
        publish(&counters, 2);
        counters.add_subscriber("a", 2);
        counters.add_subscriber("b", 2);
        publish(&counters, 6);
        // "a" got frame 6: it skipped 3, 4 and 5.
        counters.set_delivered("a", 6);
        assert_eq!(total(&counters), 3);
        // "b" got nothing since 2: 3, 4 and 5 are replaced already, 6 may still reach it.
        assert_eq!(
            counters.snapshot().frames_skipped,
            BTreeMap::from([("a".to_owned(), 3), ("b".to_owned(), 3)])
        );
        publish(&counters, 7);
        counters.set_delivered("a", 7);
        assert_eq!(
            counters.snapshot().frames_skipped["a"],
            3,
            "per client, since it subscribed"
        );
        counters.remove_subscriber("a");
        assert_eq!(total(&counters), 3);
        // "b" leaves: 3 to 6 were replaced before it got them.
        counters.remove_subscriber("b");
        assert_eq!(total(&counters), 7);
        assert!(counters.snapshot().frames_skipped.is_empty());
        counters.remove_subscriber("b");
        assert_eq!(total(&counters), 7, "a subscriber is counted out once");
    }
}
