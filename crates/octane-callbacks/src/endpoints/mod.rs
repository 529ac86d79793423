//! Endpoints: the stage where frames leave for browsers.
//!
//! [`RenderRoutes`] answers the render routes over HTTP (the SSE stream, PNG and JPEG snapshots,
//! MJPEG, status, registration), the WebSocket streams (`/render/ws`, octaneWebR's
//! `/api/callbacks`) and the built-in page, each reading the fan-out's frames at its own pace.

pub(crate) mod http;
mod live_view;
mod page;
mod view_params;
mod webr_callbacks;
mod websocket;
mod websocket_connection;

pub use http::RenderRoutes;
