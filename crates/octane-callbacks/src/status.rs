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
    /// The sequence number of the last frame each open subscriber got (or of the newest frame
    /// when it subscribed), by client id. Frames are latest-wins, so every frame published
    /// between that one and the newest is one it skipped.
    pub(crate) delivered: Mutex<BTreeMap<String, u64>>,
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
    /// Times the callback stream failed or ended.
    pub stream_errors: u64,
    /// Times the stream was opened again after it failed or ended.
    pub reconnects: u64,
    /// Open SSE subscribers.
    pub subscribers: usize,
    /// Frames each open subscriber skipped because a newer frame replaced them.
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
            .map(|(client, &delivered)| {
                (
                    client.clone(),
                    newest.saturating_sub(delivered).saturating_sub(1),
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
            .insert(client_id.to_owned(), delivered);
    }

    pub(crate) fn remove_subscriber(&self, client_id: &str) {
        self.delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(client_id);
    }

    pub(crate) fn set_delivered(&self, client_id: &str, sequence: u64) {
        if let Some(d) = self
            .delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(client_id)
        {
            *d = sequence;
        }
    }

    pub(crate) fn has_subscriber(&self, client_id: &str) -> bool {
        self.delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(client_id)
    }
}
