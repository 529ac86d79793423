//! `EventBuffers`: the image-sized buffers SSE events' base64 is built in, reused from frame to
//! frame.
//!
//! A 1920x1080 RGBA8 image's base64 is 10.5 MiB. Allocated per frame and freed by whichever
//! client writes it last, such buffers are taken and given back by different threads at
//! different times, and glibc's heap grows around them: a client that stops reading (and so
//! holds one old event) made the process's resident set grow by twice an event, not once. Here
//! an event's `Bytes` gives its buffer back to the pool when its last slice is dropped, and the
//! next frame is built in it: the pages stay mapped (no page faults per frame) and the memory a
//! stream uses is the buffers in flight, each one image's base64.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::Bytes;

/// How many unused buffers the pool keeps per image of a frame
/// ([`EventBuffers::keep_for_images`]). Building a frame while the previous one is being written
/// needs two in flight; the spare ones beyond these (left by clients that were slow) go back to
/// the allocator.
const KEEP_PER_IMAGE: usize = 2;

/// A pool of event buffers. Cheap to clone: clones share the pool.
#[derive(Debug, Clone, Default)]
pub struct EventBuffers {
    pool: Arc<Pool>,
}

#[derive(Debug)]
struct Pool {
    /// The spare buffers. Each is counted in `bytes` at its capacity, which cannot change while
    /// it is here.
    free: Mutex<Vec<Vec<u8>>>,
    /// How many spare buffers to keep.
    keep: AtomicUsize,
    /// Capacity of the buffers this pool allocated and that are not freed yet: in flight or
    /// spare. Every buffer adds what it is counted at and takes away that same number, so the
    /// sum cannot drift or wrap.
    bytes: AtomicUsize,
}

/// A buffer of an [`EventBuffers`] pool to build an event in (it derefs to its `Vec<u8>`).
/// [`share`](Self::share) it once written; dropped, it returns to the pool.
pub struct EventBuffer {
    buffer: Vec<u8>,
    /// What the pool's byte count holds for this buffer: its capacity when last counted. The
    /// buffer can grow while being written, so this is what it gives back, not its capacity.
    counted: usize,
    /// Weak: a pool that is gone (its streamer dropped) lets the buffer be freed.
    pool: Weak<Pool>,
}

impl Default for Pool {
    fn default() -> Self {
        Self {
            free: Mutex::default(),
            keep: AtomicUsize::new(KEEP_PER_IMAGE),
            bytes: AtomicUsize::new(0),
        }
    }
}

impl EventBuffers {
    /// An empty pool; buffers are allocated as frames need them.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sizes the spares kept for frames of `images` images with pixels (one buffer each).
    pub fn keep_for_images(&self, images: usize) {
        self.pool
            .keep
            .store(KEEP_PER_IMAGE * images.max(1), Ordering::Relaxed);
    }

    /// An empty buffer with room for at least `capacity` bytes, reused if the pool has one.
    #[must_use]
    pub fn take(&self, capacity: usize) -> EventBuffer {
        let mut free = self.pool.lock();
        let fitting = free
            .iter()
            .enumerate()
            .filter(|(_, buffer)| buffer.capacity() >= capacity)
            .min_by_key(|(_, buffer)| buffer.capacity())
            .map(|(index, _)| index);
        let buffer = match fitting {
            Some(index) => {
                let mut buffer = free.swap_remove(index);
                buffer.clear();
                buffer
            }
            None => {
                // The spares too small for this image stay for smaller ones; if frames grew,
                // larger buffers coming back push them out.
                drop(free);
                let buffer = Vec::with_capacity(capacity);
                self.pool
                    .bytes
                    .fetch_add(buffer.capacity(), Ordering::Relaxed);
                buffer
            }
        };
        EventBuffer {
            counted: buffer.capacity(),
            buffer,
            pool: Arc::downgrade(&self.pool),
        }
    }

    /// Bytes of the buffers the pool allocated and has not freed: events being built or
    /// written, and the spare ones. What the frames' events cost in memory, allocator aside.
    #[must_use]
    pub fn allocated_bytes(&self) -> usize {
        self.pool.bytes.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.pool.lock().len()
    }

    /// Bytes of the spare buffers.
    #[cfg(test)]
    pub(crate) fn kept_bytes(&self) -> usize {
        self.pool.lock().iter().map(Vec::capacity).sum()
    }
}

impl EventBuffer {
    /// Shares the written buffer as `Bytes`; it returns to its pool when the last clone or
    /// slice of the `Bytes` is dropped.
    pub fn share(mut self) -> Bytes {
        // Counted at its final size now, not when it comes back: the event may be written for
        // a long time, and the gauge is read meanwhile.
        if let Some(pool) = self.pool.upgrade() {
            self.recount(&pool);
        }
        Bytes::from_owner(self)
    }

    /// Brings `pool`'s count for this buffer to its capacity, which writing may have grown.
    fn recount(&mut self, pool: &Pool) {
        let capacity = self.buffer.capacity();
        // Added before subtracted: the sum never goes below what is really allocated.
        pool.bytes.fetch_add(capacity, Ordering::Relaxed);
        pool.forget(self.counted);
        self.counted = capacity;
    }
}

impl std::fmt::Debug for EventBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bytes are an event being written: their length says enough.
        f.debug_struct("EventBuffer")
            .field("len", &self.buffer.len())
            .field("counted", &self.counted)
            .finish_non_exhaustive()
    }
}

impl Deref for EventBuffer {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.buffer
    }
}

impl DerefMut for EventBuffer {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }
}

impl AsRef<[u8]> for EventBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let mut free = pool.lock();
        if free.len() < pool.keep.load(Ordering::Relaxed) {
            // The free list counts each buffer at its capacity.
            self.recount(&pool);
            free.push(std::mem::take(&mut self.buffer));
            return;
        }
        // A full pool keeps the larger buffers: after frames grew, the small spares would
        // otherwise stay and every larger image be allocated afresh.
        let smallest = free
            .iter()
            .enumerate()
            .min_by_key(|(_, buffer)| buffer.capacity())
            .map(|(index, buffer)| (index, buffer.capacity()));
        match smallest {
            Some((index, capacity)) if capacity < self.buffer.capacity() => {
                self.recount(&pool);
                let evicted = std::mem::replace(&mut free[index], std::mem::take(&mut self.buffer));
                pool.forget(evicted.capacity());
            }
            _ => pool.forget(self.counted),
        }
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

    /// Accounts for a buffer counted at `counted` bytes being freed rather than kept.
    fn forget(&self, counted: usize) {
        self.bytes.fetch_sub(counted, Ordering::Relaxed);
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
        let event = buffer.share();
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
    fn the_pool_keeps_two_spares_trades_small_ones_for_larger_and_counts_what_it_holds() {
        let pool = EventBuffers::new();
        let events: Vec<Bytes> = (0..4).map(|_| pool.take(100).share()).collect();
        assert_eq!(pool.allocated_bytes(), 400);
        drop(events);
        assert_eq!(pool.kept(), KEEP_PER_IMAGE);
        assert_eq!(pool.allocated_bytes(), KEEP_PER_IMAGE * 100);
        // Frames grew: the larger buffers push the small spares out as they come back.
        let larger: Vec<Bytes> = (0..2).map(|_| pool.take(10_000).share()).collect();
        assert_eq!(pool.kept(), 2);
        drop(larger);
        assert_eq!(pool.kept(), 2);
        assert_eq!(pool.kept_bytes(), 20_000);
        assert_eq!(pool.allocated_bytes(), pool.kept_bytes());
        // A smaller buffer coming back to a full pool is freed.
        pool.keep_for_images(1);
        let spares: Vec<EventBuffer> = (0..2).map(|_| pool.take(10_000)).collect();
        let small = pool.take(100);
        drop(spares);
        drop(small);
        assert_eq!(pool.kept_bytes(), 20_000);
        assert_eq!(pool.allocated_bytes(), 20_000);
    }

    #[test]
    fn frames_of_three_images_reuse_every_buffer() {
        let pool = EventBuffers::new();
        pool.keep_for_images(3);
        let sizes = [100_000, 100_000, 3_000_000];
        let frame = || sizes.map(|size| pool.take(size).share());
        let mut previous = frame();
        let allocated = pool.allocated_bytes();
        for _ in 0..5 {
            let next = frame();
            drop(std::mem::replace(&mut previous, next));
            let again = frame();
            drop(std::mem::replace(&mut previous, again));
        }
        // Two frames in flight at most, and nothing allocated after the first two.
        assert!(
            pool.allocated_bytes() <= 2 * allocated,
            "{}",
            pool.allocated_bytes()
        );
        assert_eq!(pool.kept(), 3);
    }

    #[test]
    fn a_buffer_that_grew_is_counted_at_its_capacity_and_gives_back_what_was_counted() {
        let pool = EventBuffers::new();
        let mut grown = pool.take(10);
        grown.extend_from_slice(&[1; 5000]);
        let grown_capacity = grown.capacity();
        let grown = grown.share();
        assert_eq!(pool.allocated_bytes(), grown_capacity);
        // Two more in flight, then all three back: one is freed, two kept.
        let others: Vec<Bytes> = (0..2).map(|_| pool.take(6000).share()).collect();
        assert_eq!(pool.allocated_bytes(), grown_capacity + 12_000);
        drop(others);
        drop(grown);
        assert_eq!(pool.kept(), KEEP_PER_IMAGE);
        assert_eq!(pool.allocated_bytes(), pool.kept_bytes());
        // One grown while being written, then dropped without being shared.
        let mut unshared = pool.take(6000);
        unshared.extend_from_slice(&[1; 7000]);
        drop(unshared);
        assert_eq!(pool.allocated_bytes(), pool.kept_bytes());
        // A larger one back in a full pool takes the place of the smallest spare.
        let before = pool.kept_bytes();
        drop(pool.take(1 << 20));
        assert_eq!(pool.kept(), KEEP_PER_IMAGE);
        assert!(pool.kept_bytes() > before + (1 << 20) - 6000 * 2);
        assert_eq!(pool.allocated_bytes(), pool.kept_bytes());
    }

    #[test]
    fn an_event_outliving_its_pool_is_freed() {
        let pool = EventBuffers::new();
        let mut buffer = pool.take(16);
        buffer.extend_from_slice(b"data: x\n\n");
        let event = buffer.share();
        drop(pool);
        assert_eq!(&event[..], b"data: x\n\n");
    }
}
