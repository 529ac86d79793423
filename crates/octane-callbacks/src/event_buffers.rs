//! `EventBuffers`: the frame-sized buffers SSE events are built in, reused from frame to frame.
//!
//! A 1920x1080 RGBA8 frame's event is 10.5 MiB. Allocated per frame and freed by whichever
//! client writes it last, such buffers are taken and given back by different threads at
//! different times, and glibc's heap grows around them: a client that stops reading (and so
//! holds one old event) made the process's resident set grow by twice an event, not once. Here
//! an event's `Bytes` gives its buffer back to the pool when its last slice is dropped, and the
//! next frame is built in it: the pages stay mapped (no page faults per frame) and the memory a
//! stream uses is the buffers in flight, each one event.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::Bytes;

/// How many unused buffers the pool keeps. Building a frame while the previous one is being
/// written needs two in flight; the spare ones beyond these (left by clients that were slow,
/// or by a change of frame size) go back to the allocator.
const KEEP: usize = 2;

/// A pool of event buffers. Cheap to clone: clones share the pool.
#[derive(Debug, Clone, Default)]
pub struct EventBuffers {
    pool: Arc<Pool>,
}

#[derive(Debug, Default)]
struct Pool {
    free: Mutex<Vec<Vec<u8>>>,
    /// Capacity of the buffers this pool allocated and that are not freed yet: in flight or
    /// spare.
    bytes: AtomicUsize,
}

impl EventBuffers {
    /// An empty pool; buffers are allocated as frames need them.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for at least `capacity` bytes, reused if the pool has one.
    pub fn take(&self, capacity: usize) -> Vec<u8> {
        let mut free = self.pool.lock();
        let fitting = free
            .iter()
            .enumerate()
            .filter(|(_, buffer)| buffer.capacity() >= capacity)
            .min_by_key(|(_, buffer)| buffer.capacity())
            .map(|(index, _)| index);
        match fitting {
            Some(index) => {
                let mut buffer = free.swap_remove(index);
                buffer.clear();
                buffer
            }
            None => {
                // Frames got larger: the kept buffers are too small for them from now on.
                for buffer in free.drain(..) {
                    self.pool.forget(buffer.capacity());
                }
                drop(free);
                let buffer = Vec::with_capacity(capacity);
                self.pool
                    .bytes
                    .fetch_add(buffer.capacity(), Ordering::Relaxed);
                buffer
            }
        }
    }

    /// Shares `buffer`, which [`take`](Self::take) returned, as `Bytes`; it returns to this pool
    /// when the last clone or slice of the `Bytes` is dropped.
    pub fn share(&self, buffer: Vec<u8>) -> Bytes {
        Bytes::from_owner(Pooled {
            buffer,
            pool: Arc::downgrade(&self.pool),
        })
    }

    /// Bytes of the buffers the pool allocated and has not freed: events being built or
    /// written, and the spare ones. What the frames' events cost in memory, allocator aside.
    pub fn allocated_bytes(&self) -> usize {
        self.pool.bytes.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.pool.lock().len()
    }
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Vec<Vec<u8>>> {
        // The list stays consistent even if a holder panicked: every operation is one push or
        // one remove.
        self.free
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Accounts for a buffer of `capacity` bytes being freed rather than kept.
    fn forget(&self, capacity: usize) {
        self.bytes.fetch_sub(capacity, Ordering::Relaxed);
    }
}

/// The owner behind a pooled event's `Bytes`.
struct Pooled {
    buffer: Vec<u8>,
    /// Weak: a pool that is gone (its streamer dropped) lets the buffer be freed.
    pool: Weak<Pool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let mut free = pool.lock();
        if free.len() < KEEP {
            free.push(std::mem::take(&mut self.buffer));
        } else {
            pool.forget(self.buffer.capacity());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_comes_back_when_its_last_slice_is_dropped_and_is_reused() {
        let pool = EventBuffers::new();
        let mut buffer = pool.take(1000);
        buffer.extend_from_slice(b"data: x\n\n");
        let address = buffer.as_ptr();
        let event = pool.share(buffer);
        let slice = event.slice(6..7);
        drop(event);
        assert_eq!(pool.kept(), 0, "a slice still holds it");
        assert_eq!(&slice[..], b"x");
        drop(slice);
        assert_eq!(pool.kept(), 1);
        let again = pool.take(900);
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty());
        assert!(again.capacity() >= 1000);
    }

    #[test]
    fn the_pool_keeps_two_spares_frees_buffers_too_small_and_counts_what_it_holds() {
        let pool = EventBuffers::new();
        let events: Vec<Bytes> = (0..4).map(|_| pool.share(pool.take(100))).collect();
        assert_eq!(pool.allocated_bytes(), 400);
        drop(events);
        assert_eq!(pool.kept(), KEEP);
        assert_eq!(pool.allocated_bytes(), KEEP * 100);
        let larger = pool.take(10_000);
        assert!(larger.capacity() >= 10_000);
        assert_eq!(pool.kept(), 0);
        assert_eq!(pool.allocated_bytes(), larger.capacity());
    }

    #[test]
    fn an_event_outliving_its_pool_is_freed() {
        let pool = EventBuffers::new();
        let event = pool.share(b"data: x\n\n".to_vec());
        drop(pool);
        assert_eq!(&event[..], b"data: x\n\n");
    }
}
