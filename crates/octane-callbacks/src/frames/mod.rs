//! Frames: what one grabbed render result becomes.
//!
//! A [`Frame`] holds the result's images and its SSE event, encoded once while the pixels arrive
//! into buffers that are reused ([`EventBuffers`]); the images convert to PNG ([`png`]) and JPEG
//! ([`jpeg`]) for the endpoints that send them so. Nothing here knows who sends a frame where.

pub(crate) mod event_buffers;
pub(crate) mod event_json;
pub(crate) mod frame;
mod image;
pub mod jpeg;
pub mod png;

pub use event_buffers::EventBuffers;
pub use frame::{EVENT_TAIL, Frame};
pub use image::Image;
