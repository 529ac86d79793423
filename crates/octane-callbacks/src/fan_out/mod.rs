//! Fan-out of frames in the forms viewers ask for ("variants"): a JPEG at some quality and size,
//! octaneWebR's `newImage` text frame.
//!
//! A variant is encoded once per frame, whatever the number of its viewers, by an encoder that
//! exists only while at least one viewer holds the variant: it reads the [`FrameHub`]'s
//! latest-frame slot, encodes off the async workers (`spawn_blocking`), and publishes into a
//! latest-wins slot of the variant's own. Viewers read that slot when they are ready for a
//! frame, each at its own pace (an optional frame-rate cap), so a slow viewer skips encodings and
//! never holds the others, and a stalled one pins at most the encoding it is writing. Frames
//! arriving while an encode runs are not queued: the encoder takes the newest when it is done.
//!
//! [`FrameHub`]: crate::hub::FrameHub

mod stats;
mod variants;
mod viewer;

pub(crate) use stats::StatsSnapshot;
pub(crate) use variants::{Encoded, Encoding, Variants};
pub(crate) use viewer::Viewer;
