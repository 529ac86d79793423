//! octane-callbacks: Octane's live render stream for browsers.
//!
//! One [`CallbackStreamer`] per Octane opens the single server-streaming callback channel,
//! grabs each new render result once, and fans the frames out through a latest-frame-wins
//! [`FrameHub`] to Server-Sent Events clients, a PNG snapshot, an MJPEG stream and a built-in
//! page. [`RenderRoutes`] serves them; mount it in `octane_proxy::Router`:
//!
//! ```no_run
//! # fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use octane_callbacks::{CallbackStreamer, StreamerConfig};
//! use octane_proxy::{Octane, Router};
//!
//! let octane = Octane::lazy("127.0.0.1", 51022)?;
//! let streamer = CallbackStreamer::new(&octane, StreamerConfig::default());
//! let router = Router::builder(octane)
//!     .nest("/render", streamer.routes())
//!     .route("/api/callbacks", streamer.routes())
//!     .route("/", streamer.routes())
//!     .build();
//! # Ok(()) }
//! ```
//!
//! The modules follow a frame from Octane to a browser:
//!
//! - `upstream`: the callback stream from Octane (registration, reconnects, the task restarted
//!   after a panic), the grab of each new render result and its decoder, and the streamer's
//!   counters;
//! - `frames`: a frame and its SSE event, encoded once as the pixels arrive, the event's buffers,
//!   and the frame's images as PNG and JPEG;
//! - `fan_out`: the frames and events to every subscriber ([`FrameHub`]), and each other form of
//!   a frame (a JPEG variant, octaneWebR's message) encoded once while someone watches it;
//! - `endpoints`: the HTTP and WebSocket endpoints that serve them, and the built-in page.
//!
//! Beside them: `error` (the endpoints' failures and statuses), `metrics` (the Prometheus
//! collector) and `heap` (the process's allocator tuned for frame-sized buffers).

mod endpoints;
mod error;
mod fan_out;
mod frames;
pub mod heap;
mod metrics;
mod upstream;

pub use endpoints::RenderRoutes;
pub use fan_out::{FrameHub, Subscription};
pub use frames::{EVENT_TAIL, EventBuffers, Frame, Image, jpeg, png};
pub use upstream::{CALLS, CallbackStreamer, Status, StreamerConfig};
