//! Upstream: the stage where frames come from Octane.
//!
//! One task per streamer registers for new-image callbacks, holds the callback stream open
//! (reconnecting, and restarted after a panic), and for each new image grabs the render result
//! once, decoding the answer while it arrives, releases it and publishes one frame. The counters
//! of what it did are the streamer's [`Status`].

pub(crate) mod grab;
pub(crate) mod grab_decoder;
mod restart;
pub(crate) mod status;
pub(crate) mod streamer;

pub use status::Status;
pub use streamer::{CALLS, CallbackStreamer, StreamerConfig};
