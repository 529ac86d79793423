//! `Variants`: the live variants of one kind of encoding, each with its encoder and its
//! latest-wins slot, made when a first viewer asks and dropped with the last.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use tokio::sync::watch;

use super::stats::{StatsSnapshot, VariantStats};
use super::viewer::Viewer;
use crate::frames::Frame;

/// A form frames are encoded into; the value is the variant's key (its parameters).
pub(crate) trait Encoding: Clone + Eq + Hash + Debug + Send + Sync + 'static {
    /// What a frame becomes.
    type Output: Send + Sync + 'static;

    /// Encodes `frame`. CPU work: it runs on a blocking thread, never on an async worker.
    fn encode(&self, frame: &Frame) -> Self::Output;

    /// The variant as its metrics label it.
    fn label(&self) -> String;
}

/// One frame in one variant, shared by every viewer of the variant.
#[derive(Debug)]
pub(crate) struct Encoded<O> {
    /// The frame's `sequence`.
    pub(crate) sequence: u64,
    /// The frame's encoding.
    pub(crate) output: O,
}

/// The latest encoding of a variant; `None` before the first and while the hub has no frame.
pub(crate) type Latest<O> = Option<Arc<Encoded<O>>>;

/// The variants of encoding `E` being watched now.
pub(crate) struct Variants<E: Encoding> {
    /// A receiver of the hub's latest-frame slot, cloned for each encoder.
    frames: watch::Receiver<Option<Arc<Frame>>>,
    live: Mutex<HashMap<E, Weak<Lease<E>>>>,
}

impl<E: Encoding> Debug for Variants<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variants")
            .field("live", &self.live.lock().map(|live| live.len()).ok())
            .finish_non_exhaustive()
    }
}

/// A variant while viewers hold it: its slot and its encoder, which stops when the last viewer
/// drops the lease.
pub(crate) struct Lease<E: Encoding> {
    pub(crate) key: E,
    pub(crate) latest: watch::Receiver<Latest<E::Output>>,
    pub(crate) stats: Arc<VariantStats>,
    encoder: tokio::task::JoinHandle<()>,
}

impl<E: Encoding> Drop for Lease<E> {
    fn drop(&mut self) {
        self.encoder.abort();
    }
}

impl<E: Encoding> Variants<E> {
    /// The variants of frames published into the slot `frames` reads.
    pub(crate) fn new(frames: watch::Receiver<Option<Arc<Frame>>>) -> Self {
        Self {
            frames,
            live: Mutex::new(HashMap::new()),
        }
    }

    /// A viewer of variant `key`, sent at most one encoding per `interval` if one is given. The
    /// variant's encoder starts with the first viewer, and encodes the hub's current frame at
    /// once.
    pub(crate) fn view(&self, key: E, interval: Option<std::time::Duration>) -> Viewer<E> {
        Viewer::new(self.lease(key), interval)
    }

    fn lease(&self, key: E) -> Arc<Lease<E>> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(lease) = live.get(&key).and_then(Weak::upgrade) {
            return lease;
        }
        live.retain(|_, lease| lease.strong_count() > 0);
        let (slot, latest) = watch::channel(None);
        let stats = Arc::new(VariantStats::default());
        let mut frames = self.frames.clone();
        frames.mark_changed();
        let encoder = tokio::spawn(encode_frames(key.clone(), frames, slot, stats.clone()));
        let lease = Arc::new(Lease {
            key: key.clone(),
            latest,
            stats,
            encoder,
        });
        live.insert(key, Arc::downgrade(&lease));
        lease
    }

    /// Whether any variant has a viewer now.
    pub(crate) fn watched(&self) -> bool {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.values().any(|lease| lease.strong_count() > 0)
    }

    /// Each live variant's label and counters, for the metrics.
    pub(crate) fn stats(&self) -> Vec<(String, StatsSnapshot)> {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let mut rows: Vec<_> = live
            .values()
            .filter_map(Weak::upgrade)
            .map(|lease| (lease.key.label(), lease.stats.snapshot()))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    }
}

/// The encoder of one variant: each newest frame of the hub, encoded on a blocking thread and
/// published into the variant's slot. Ends when its lease is dropped (aborted) or the hub goes.
async fn encode_frames<E: Encoding>(
    key: E,
    mut frames: watch::Receiver<Option<Arc<Frame>>>,
    slot: watch::Sender<Latest<E::Output>>,
    stats: Arc<VariantStats>,
) {
    while frames.changed().await.is_ok() {
        let Some(frame) = frames.borrow_and_update().clone() else {
            // The hub's frame is no longer live: neither is its encoding.
            slot.send_replace(None);
            continue;
        };
        let (key, slot, stats) = (key.clone(), slot.clone(), Arc::clone(&stats));
        let encoded = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let output = key.encode(&frame);
            stats.encoded(started.elapsed());
            // Published by the encoding thread, which wakes the viewers itself: this task's
            // own wake-up on a worker would come first otherwise, on every frame.
            slot.send_replace(Some(Arc::new(Encoded {
                sequence: frame.sequence,
                output,
            })));
        })
        .await;
        if let Err(err) = encoded {
            tracing::warn!(%err, "a live-view encoder stopped");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::fan_out::FrameHub;
    use crate::frames::EventBuffers;

    /// Counts its encodes, in a counter shared by its clones.
    #[derive(Clone, Debug)]
    struct Counting(u8, Arc<AtomicUsize>);

    impl PartialEq for Counting {
        fn eq(&self, other: &Self) -> bool {
            self.0 == other.0
        }
    }
    impl Eq for Counting {}
    impl Hash for Counting {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.0.hash(state);
        }
    }

    impl Encoding for Counting {
        type Output = (u8, u64);
        fn encode(&self, frame: &Frame) -> (u8, u64) {
            self.1.fetch_add(1, Ordering::SeqCst);
            (self.0, frame.sequence)
        }
        fn label(&self) -> String {
            format!("counting {}", self.0)
        }
    }

    fn frame(sequence: u64) -> Frame {
        crate::frames::Frame::build(&EventBuffers::new(), sequence, 1, 0, 0.0, &[])
    }

    #[tokio::test]
    async fn one_encode_per_frame_and_variant_whatever_the_viewers() {
        let hub = FrameHub::new();
        let variants = Variants::new(hub.frames());
        for viewers in [1, 20] {
            let (a, b) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let mut watching: Vec<_> = (0..viewers)
                .map(|_| variants.view(Counting(1, a.clone()), None))
                .collect();
            for sequence in 1..=3 {
                hub.publish_frame(frame(sequence));
                for viewer in &mut watching {
                    let mut got = viewer.next().await.expect("an encoding");
                    while got.sequence < sequence {
                        got = viewer.next().await.expect("an encoding");
                    }
                    assert_eq!(got.output, (1, sequence));
                }
            }
            // Nobody asked for variant 2: it costs nothing.
            let _ = Counting(2, b.clone());
            assert_eq!(a.load(Ordering::SeqCst), 3, "{viewers} viewers");
            assert_eq!(b.load(Ordering::SeqCst), 0);
            let stats = variants.stats();
            assert_eq!(stats.len(), 1);
            assert_eq!(stats[0].1.viewers, viewers);
            drop(watching);
            assert!(variants.stats().is_empty(), "dropped with its last viewer");
            hub.clear_frame();
        }
    }
}
