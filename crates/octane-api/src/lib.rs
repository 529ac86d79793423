//! Octane's gRPC API as Rust types, generated from `proto/`: prost messages, tonic clients
//! (servers too with the `server` feature), and serde impls that read and write proto3 JSON
//! with the original proto field names.
//!
//! Each proto package is a module (`octaneapi`, `livelinkapi`, `google::protobuf`) whose code
//! `cargo xtask regen` writes to `src/generated/`. The serde impls follow the proto3 JSON
//! mapping where pbjson alone does not (open enums, `null` as an absent field, non-finite
//! floats); the code they call for it is the hand-written `json` module.

#![forbid(unsafe_code)]

mod generated;
mod json;

pub use generated::*;
