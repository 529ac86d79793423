//! octane-grpc: the HTTP/2 gRPC client to the LiveLink server of the Octane renderer.
//!
//! [`Octane`] is where Octane listens and one shared, multiplexed HTTP/2 [`Channel`] to it. The
//! channel connects on first use and again after the connection broke; a call made while Octane
//! is down fails at once with a connect error instead of waiting for a connection. Calls go by
//! gRPC path with messages already encoded, which is what a gateway that transcodes JSON holds:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! let octane = octane_grpc::Octane::lazy("127.0.0.1", 51022)?;
//! // An empty `OctaneVersionRequest` encodes to no bytes; the answer is the encoded response.
//! let answer = octane
//!     .unary("/octaneapi.ApiInfoService/octaneVersion", Vec::new(), Duration::from_secs(5))
//!     .await;
//! match answer {
//!     Ok(encoded) => println!("{} bytes", encoded.len()),
//!     Err(status) if octane_grpc::status::is_connect_error(&status) => println!("Octane is down"),
//!     Err(status) => println!("Octane answered {status}"),
//! }
//! # Ok(()) }
//! ```
//!
//! The [`Channel`] is also the `tower::Service` the typed clients of `octane_api` call
//! (`ApiInfoServiceClient::new(octane.channel().clone())`).
//!
//! The pieces, one module each:
//! - [`Octane`]: the address, the channel, the calls by path, reachability and the health probe;
//! - [`Channel`]: the HTTP/2 connection on `h2`, its keep-alive, the request and response bodies;
//! - [`send_unary`] and [`UnaryFraming`]: a unary call whose answer is read as it arrives;
//! - [`MessageStream`]: the messages of a server-streaming answer;
//! - [`status`]: what a failed call's `tonic::Status` says (made here or by Octane, and why),
//!   with the errors behind it, among them [`MessageTooLarge`](status::MessageTooLarge), the
//!   limit on one message either way.

#![forbid(unsafe_code)]

mod channel;
mod grpc_framing;
mod message_size;
mod octane;
mod server_stream;
pub mod status;
mod unary;

pub use channel::{Channel, ResponseBody};
pub use grpc_framing::GrpcPiece;
pub use octane::{DEFAULT_MAX_MESSAGE_SIZE, InvalidAddress, Octane};
pub use server_stream::MessageStream;
pub use unary::{UnaryAnswer, UnaryFraming, send_unary};
