//! The JSON mapping: proto3 JSON request bodies to protobuf bytes, protobuf bytes to JSON.
//!
//! Each route carries a [`Transcoder`] made for its request and response types when the route
//! table is compiled. Everything after it (the gRPC call, errors, envelopes) handles bytes only,
//! so the per-RPC generic code is exactly the (de)serialization of its two messages.

use bytes::Bytes;
use prost::Message;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// The JSON key web clients use for a call's target object.
pub(crate) const OBJECT_PTR: &str = "objectPtr";

/// JSON body and `objectPtr` alias target in, protobuf encoding out.
type DecodeFn = fn(&[u8], Option<&'static str>) -> Result<Vec<u8>, JsonError>;
/// Protobuf encoding in, JSON appended to the buffer.
type EncodeFn = fn(Bytes, &mut Vec<u8>) -> Result<(), ResponseError>;

/// Converts one route's messages between proto3 JSON and protobuf.
#[derive(Clone, Copy)]
pub(crate) struct Transcoder {
    decode: DecodeFn,
    encode: EncodeFn,
}

impl Transcoder {
    /// The transcoder for requests of type `Req` and responses of type `Resp`.
    pub(crate) const fn new<Req, Resp>() -> Self
    where
        Req: Message + Default + DeserializeOwned,
        Resp: Message + Default + Serialize,
    {
        Self {
            decode: decode::<Req>,
            encode: encode::<Resp>,
        }
    }

    /// Decodes a JSON request body into the protobuf encoding of the request message.
    ///
    /// An empty body is the default request. `object_ptr_alias` names the field the key
    /// `objectPtr` stands for in this request, if any.
    pub(crate) fn decode_request(
        &self,
        json: &[u8],
        object_ptr_alias: Option<&'static str>,
    ) -> Result<Vec<u8>, JsonError> {
        (self.decode)(json, object_ptr_alias)
    }

    /// Appends the JSON form of a protobuf-encoded response message to `out`.
    pub(crate) fn encode_response(
        &self,
        protobuf: Bytes,
        out: &mut Vec<u8>,
    ) -> Result<(), ResponseError> {
        (self.encode)(protobuf, out)
    }
}

/// Why a response from Octane could not become JSON.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    /// The bytes are not a valid encoding of the response message.
    #[error("invalid protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// The message could not be written as JSON.
    #[error("JSON encoding failed: {0}")]
    Json(#[from] serde_json::Error),
}

/// Why a JSON request could not become a request message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Where in the body: a dotted field path (`objectPtr.handle`), or empty for the top level.
    pub path: String,
    /// What went wrong, as serde_json and the message's deserializer say it.
    pub message: String,
    /// Whether the body is not JSON at all (as opposed to JSON of the wrong shape).
    pub syntax: bool,
}

impl JsonError {
    fn from_serde(err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = err.path().to_string();
        let inner = err.into_inner();
        // pbjson reads numbers through an untagged enum whose own error names no type.
        let message = inner.to_string().replace(
            "data did not match any variant of untagged enum Content",
            "expected a number, or a string holding one",
        );
        Self {
            path: if path == "." { String::new() } else { path },
            syntax: !matches!(inner.classify(), serde_json::error::Category::Data),
            message,
        }
    }

    /// A parse error of the body as a whole, no field path: syntax unless the JSON was read
    /// and only its shape was wrong.
    pub(crate) fn from_json(err: &serde_json::Error) -> Self {
        Self {
            path: String::new(),
            syntax: !matches!(err.classify(), serde_json::error::Category::Data),
            message: err.to_string(),
        }
    }

    fn top_level(message: String) -> Self {
        Self {
            path: String::new(),
            message,
            syntax: false,
        }
    }
}

fn decode<Req>(json: &[u8], object_ptr_alias: Option<&'static str>) -> Result<Vec<u8>, JsonError>
where
    Req: Message + Default + DeserializeOwned,
{
    if json.iter().all(u8::is_ascii_whitespace) {
        return Ok(Req::default().encode_to_vec());
    }
    // Every request is read from bytes by the same two deserializers, so each route instantiates
    // serde for its message twice, not once more per input form: build cost grows with routes.
    let renamed;
    let json = match object_ptr_alias {
        Some(field) => {
            renamed = with_object_ptr_renamed(json, field)?;
            renamed.as_slice()
        }
        None => json,
    };
    if let Ok(request) = serde_json::from_slice::<Req>(json) {
        return Ok(request.encode_to_vec());
    }
    // Parse again, tracking the path, to say where the body went wrong (tracking the path
    // allocates per field; only a failure needs it).
    let mut de = serde_json::Deserializer::from_slice(json);
    let request: Req = serde_path_to_error::deserialize(&mut de).map_err(JsonError::from_serde)?;
    // Trailing garbage after the object is an error, not ignored.
    de.end().map_err(|err| JsonError::from_json(&err))?;
    Ok(request.encode_to_vec())
}

/// Renames a top-level `objectPtr` key of `json` to `field`; answers the JSON to decode.
///
/// Only requests whose target `ObjectRef` is not called `objectPtr` take this path; which field
/// that is was decided by the generator. The members are copied as written, duplicates included,
/// so the typed decoder refuses duplicate keys here as on every other route.
fn with_object_ptr_renamed(json: &[u8], field: &'static str) -> Result<Vec<u8>, JsonError> {
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        // Not an object: the typed decoder says what is wrong with it.
        return Ok(json.to_vec());
    }
    let Members(members) =
        serde_json::from_slice(json).map_err(|err| JsonError::from_json(&err))?;
    let aliased = members.iter().filter(|(key, _)| key == OBJECT_PTR).count();
    if aliased > 1 {
        return Err(JsonError::top_level(format!(
            "duplicate field `{OBJECT_PTR}`"
        )));
    }
    let camel = lower_camel(field);
    if aliased == 1 && members.iter().any(|(key, _)| key == field || *key == camel) {
        return Err(JsonError::top_level(format!(
            "both `{OBJECT_PTR}` and `{field}` are set; `{OBJECT_PTR}` is another name for `{field}` in this request"
        )));
    }
    let mut out = Vec::with_capacity(json.len() + field.len());
    out.push(b'{');
    for (index, (key, value)) in members.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let key = if key == OBJECT_PTR {
            field
        } else {
            key.as_str()
        };
        serde_json::to_writer(&mut out, key)
            .map_err(|err| JsonError::top_level(err.to_string()))?;
        out.push(b':');
        out.extend_from_slice(value.get().as_bytes());
    }
    out.push(b'}');
    Ok(out)
}

/// A JSON object's members in order, duplicate keys kept, values as written.
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// The proto3 JSON name of a field (`item_ref` -> `itemRef`).
fn lower_camel(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn encode<Resp>(protobuf: Bytes, out: &mut Vec<u8>) -> Result<(), ResponseError>
where
    Resp: Message + Default + Serialize,
{
    let response = Resp::decode(protobuf)?;
    serde_json::to_writer(out, &response)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_camel_matches_protoc_json_names() {
        assert_eq!(lower_camel("item_ref"), "itemRef");
        assert_eq!(lower_camel("nodePinInfoRef"), "nodePinInfoRef");
        assert_eq!(lower_camel("attribute_id"), "attributeId");
    }
}
