//! Upstream: the stage where frames come from Octane.
//!
//! One task per streamer registers for new-image callbacks, holds the callback stream open
//! (reconnecting, and restarted after a panic), and for each new image grabs the render result
//! once, decoding the answer while it arrives, releases it and publishes one frame. The counters
//! of what it did are the streamer's [`Status`].

mod callback_events;
mod calls;
mod grab;
mod grab_decoder;
mod restart;
pub(crate) mod status;
mod stream_loop;
pub(crate) mod streamer;

pub use status::Status;
pub use streamer::{CALLS, CallbackStreamer, StreamerConfig};
