//! Fan-out: the stage where one frame becomes what every viewer reads.
//!
//! The [`FrameHub`] holds the latest frame and its SSE event for every subscriber. The frame's
//! other forms ("variants": a JPEG at some quality and size, octaneWebR's `newImage` text frame)
//! are made here too, by encoders that run only while someone watches them.
//!
//! A variant is encoded once per frame, whatever the number of its viewers, by an encoder that
//! exists only while at least one viewer holds the variant: it reads the [`FrameHub`]'s
//! latest-frame slot, encodes off the async workers (`spawn_blocking`), and publishes into a
//! latest-wins slot of the variant's own. Viewers read that slot when they are ready for a
//! frame, each at its own pace (an optional frame-rate cap), so a slow viewer skips encodings and
//! never holds the others, and a stalled one pins at most the encoding it is writing. Frames
//! arriving while an encode runs are not queued: the encoder takes the newest when it is done.

pub(crate) mod hub;
pub(crate) mod jpeg_variant;
mod stats;
mod variants;
mod viewer;
pub(crate) mod webr_feed;
pub(crate) mod webr_messages;

pub use hub::{FrameHub, Subscription};
pub(crate) use stats::StatsSnapshot;
pub(crate) use variants::{Encoded, Encoding, Variants};
pub(crate) use viewer::Viewer;
