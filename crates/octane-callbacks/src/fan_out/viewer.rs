//! `Viewer`: one viewer's read side of a variant, latest-wins, paced by its own frame-rate cap.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::variants::{Encoded, Encoding, Lease};

/// One viewer of a variant. Holding it keeps the variant's encoder running; it holds no
/// encoding of its own between two calls of [`Viewer::next`].
pub(crate) struct Viewer<E: Encoding> {
    lease: Arc<Lease<E>>,
    latest: tokio::sync::watch::Receiver<super::variants::Latest<E::Output>>,
    /// The least time between two encodings sent to this viewer (its `fps` cap).
    interval: Option<Duration>,
    /// When the next encoding may go, after the last one sent.
    not_before: Option<Instant>,
}

impl<E: Encoding> Viewer<E> {
    pub(super) fn new(lease: Arc<Lease<E>>, interval: Option<Duration>) -> Self {
        lease.stats.viewer_came();
        let mut latest = lease.latest.clone();
        // An encoding already there is the viewer's first.
        latest.mark_changed();
        Self {
            lease,
            latest,
            interval,
            not_before: None,
        }
    }

    /// The newest encoding this viewer has not had, once its frame-rate cap allows one; skipped
    /// encodings are simply not seen. `None` if the encoder is gone (it never is while the
    /// viewer holds the variant, unless the streamer was dropped).
    pub(crate) async fn next(&mut self) -> Option<Arc<Encoded<E::Output>>> {
        if let Some(at) = self.not_before {
            tokio::time::sleep_until(at).await;
        }
        loop {
            self.latest.changed().await.ok()?;
            if let Some(encoded) = self.latest.borrow_and_update().clone() {
                self.not_before = self.interval.map(|interval| Instant::now() + interval);
                return Some(encoded);
            }
        }
    }

    /// Counts `bytes` of this variant as handed to the viewer's connection.
    pub(crate) fn sent(&self, bytes: usize) {
        self.lease.stats.sent(bytes);
    }
}

impl<E: Encoding> Drop for Viewer<E> {
    fn drop(&mut self) {
        self.lease.stats.viewer_left();
    }
}
