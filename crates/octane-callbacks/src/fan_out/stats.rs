//! What one variant has cost and sent: the counters behind its metrics.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// The counters of one variant, from when its first viewer came.
#[derive(Debug, Default)]
pub(crate) struct VariantStats {
    frames_encoded: AtomicU64,
    encode_nanos: AtomicU64,
    bytes_sent: AtomicU64,
    viewers: AtomicUsize,
}

/// A copy of a variant's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatsSnapshot {
    /// Frames encoded into this variant.
    pub(crate) frames_encoded: u64,
    /// Time spent encoding them, on the threads that encoded.
    pub(crate) encode_time: Duration,
    /// Bytes of this variant handed to viewers' connections.
    pub(crate) bytes_sent: u64,
    /// Viewers holding the variant now.
    pub(crate) viewers: usize,
}

impl VariantStats {
    pub(crate) fn encoded(&self, took: Duration) {
        self.frames_encoded.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.encode_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub(crate) fn sent(&self, bytes: usize) {
        self.bytes_sent.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn viewer_came(&self) {
        self.viewers.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn viewer_left(&self) {
        self.viewers.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            frames_encoded: self.frames_encoded.load(Ordering::Relaxed),
            encode_time: Duration::from_nanos(self.encode_nanos.load(Ordering::Relaxed)),
            bytes_sent: self.bytes_sent.load(Ordering::Relaxed),
            viewers: self.viewers.load(Ordering::Relaxed),
        }
    }
}
