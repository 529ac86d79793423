//! What the generated serde impls call where the proto3 JSON mapping asks more of them than
//! pbjson writes: enum values the protos do not name, in both directions, and non-finite
//! floats on output. `cargo xtask regen` edits pbjson's impls to call these
//! (`xtask/src/regen/pbjson_edits/`); they are crate-internal.

mod enum_or_number;
mod open_enum;
mod proto_float;

pub(crate) use enum_or_number::EnumOrNumber;
pub(crate) use open_enum::OpenEnum;
pub(crate) use proto_float::ProtoFloat;
