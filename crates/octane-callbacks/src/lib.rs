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
//! let streamer = CallbackStreamer::new(octane.clone(), StreamerConfig::default());
//! let router = Router::builder(octane)
//!     .nest("/render", streamer.routes())
//!     .route("/api/callbacks", streamer.routes())
//!     .route("/", streamer.routes())
//!     .build();
//! # Ok(()) }
//! ```
//!
//! Modules: `streamer` (upstream: register, stream, grab, release, reconnect), `restart` (the
//! upstream task run again after a panic), `grab` (the grab
//! call, its answer decoded while it arrives by `grab_decoder`), `frame` (a frame and its event,
//! encoded once, as the pixels arrive), `event_buffers` (the events' buffers, reused), `heap` (the
//! process's allocator tuned for frame-sized buffers), `hub`
//! (fan-out of the frames' SSE event), `fan_out` (the frames' other encodings, each made once per
//! frame while someone watches it), `webr_callbacks` and `webr_messages` (octaneWebR's
//! `/api/callbacks` WebSocket and its messages), `websocket` (upgrades), `status` (counters),
//! `http` (endpoints), `error` (their failures and statuses), `png` (image conversion), `jpeg`
//! (JPEG frames for viewers beyond the workstation), `page` (the
//! built-in page).

#![warn(missing_docs)]

mod error;
mod event_buffers;
mod fan_out;
mod frame;
mod grab;
mod grab_decoder;
pub mod heap;
mod http;
mod hub;
pub mod jpeg;
mod jpeg_variant;
mod live_view;
mod metrics;
mod page;
pub mod png;
mod restart;
mod status;
mod streamer;
mod view_params;
mod webr_callbacks;
mod webr_messages;
mod websocket;

pub use event_buffers::EventBuffers;
pub use frame::{EVENT_TAIL, Frame, Image};
pub use http::RenderRoutes;
pub use hub::{FrameHub, Subscription};
pub use status::Status;
pub use streamer::{CALLS, CallbackStreamer, StreamerConfig};
