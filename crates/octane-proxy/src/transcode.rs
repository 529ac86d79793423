//! The JSON mapping: proto3 JSON request bodies to protobuf bytes, protobuf bytes to JSON.
//!
//! Each route carries a [`Transcoder`] made for its request and response types when the route
//! table is compiled. Everything after it (the gRPC call, errors, envelopes) handles bytes only,
//! so the per-RPC generic code is exactly the (de)serialization of its two messages.

mod leniency;
mod object_ptr;

use std::ops::Range;

use bytes::Bytes;
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use serde_json::value::RawValue;

pub use leniency::{JsonMode, MAX_REPORTED_PATHS, MORE_IGNORED};
use leniency::{Reader, Reading};
use object_ptr::Aliased;

/// JSON body, `objectPtr` alias target and mode in, protobuf encoding out.
type DecodeFn = fn(&[u8], Option<&'static str>, JsonMode) -> Result<DecodedRequest, JsonError>;
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
        mode: JsonMode,
    ) -> Result<DecodedRequest, JsonError> {
        (self.decode)(json, object_ptr_alias, mode)
    }

    /// Decodes `body[element]`, one element of a JSON array body, on its own, as
    /// [`Self::decode_request`] does; its error is an error of the whole body: the path starts
    /// with `[index]`, and the line and column are serde_json's, counted from the start of
    /// `body`.
    pub(crate) fn decode_element(
        &self,
        body: &[u8],
        element: Range<usize>,
        index: usize,
        object_ptr_alias: Option<&'static str>,
        mode: JsonMode,
    ) -> Result<DecodedRequest, JsonError> {
        let first_error = match self.decode_request(&body[element.clone()], object_ptr_alias, mode)
        {
            Ok(decoded) => return Ok(decoded),
            Err(error) => error,
        };
        // Read again behind the body before it with every byte but its line breaks blanked, so
        // that serde_json counts lines and columns as in the body sent.
        let mut placed: Vec<u8> = body[..element.start]
            .iter()
            .map(|&b| if b == b'\n' { b'\n' } else { b' ' })
            .collect();
        placed.extend_from_slice(&body[element]);
        let mut error = self
            .decode_request(&placed, object_ptr_alias, mode)
            .err()
            .unwrap_or(first_error);
        error.path = if error.path.is_empty() {
            format!("[{index}]")
        } else {
            format!("[{index}].{}", error.path)
        };
        Err(error)
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

/// A request body as Octane will be sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRequest {
    /// The protobuf encoding of the request message.
    pub message: Vec<u8>,
    /// The paths of the keys that were ignored ([`JsonMode::Lenient`] only), in body order,
    /// each once, at most [`MAX_REPORTED_PATHS`] of them and then [`MORE_IGNORED`]; empty (and
    /// unallocated) when every key was a field.
    pub ignored: Vec<String>,
}

/// Why a response from Octane could not become JSON.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The bytes are not a valid encoding of the response message.
    #[error("invalid protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// The message could not be written as JSON.
    #[error("JSON encoding failed: {0}")]
    Json(#[from] serde_json::Error),
}

/// Why a JSON request could not become a request message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("{}", self.message())]
pub struct JsonError {
    /// Where in the body: a dotted field path (`objectPtr.handle`), or empty for the top level.
    pub path: String,
    /// Whether the body is not JSON at all (as opposed to JSON of the wrong shape).
    pub syntax: bool,
    /// The parser's error, the message's deserializer's among them, with its line and column in
    /// the body.
    #[source]
    source: serde_json::Error,
}

impl JsonError {
    /// The error of reading `json` with the message's deserializer, at the path it was tracked
    /// to.
    fn from_serde(err: serde_path_to_error::Error<serde_json::Error>, json: &[u8]) -> Self {
        let path = err.path().to_string();
        let inner = err.into_inner();
        Self {
            path: if path == "." { String::new() } else { path },
            syntax: is_syntax(&inner, json),
            source: inner,
        }
    }

    /// A parse error of the body `json` as a whole, no field path: syntax unless the JSON was
    /// read and only its shape was wrong.
    pub(crate) fn from_json(err: serde_json::Error, json: &[u8]) -> Self {
        Self {
            path: String::new(),
            syntax: is_syntax(&err, json),
            source: err,
        }
    }

    /// What went wrong, as serde_json and the message's deserializer say it, with the line and
    /// column in the body.
    #[must_use]
    pub fn message(&self) -> String {
        // pbjson reads numbers through an untagged enum whose own error names neither the type
        // nor why a number did not fit it: `5.0`, `1e2` and `-0` are floats to serde_json, and
        // an integer field takes none of them.
        self.source.to_string().replace(
            "data did not match any variant of untagged enum Content",
            "expected a number the field can hold, or a string holding one \
             (integer fields take whole numbers in their range, without a fraction or an exponent)",
        )
    }
}

/// Whether the body `json` is not JSON, as opposed to JSON a field cannot take. serde_json
/// files a number beyond `f64`'s range (`1e400`) under syntax, but it is valid JSON, and the
/// field refuses it as it refuses `"1e400"`: so an error that is not about the data counts as
/// syntax only if the body does not read as JSON when no value in it is converted (a raw
/// value's grammar and UTF-8 are checked, its numbers are not parsed).
fn is_syntax(err: &serde_json::Error, json: &[u8]) -> bool {
    err.classify() != Category::Data && serde_json::from_slice::<&RawValue>(json).is_err()
}

fn decode<Req>(
    json: &[u8],
    object_ptr_alias: Option<&'static str>,
    mode: JsonMode,
) -> Result<DecodedRequest, JsonError>
where
    Req: Message + Default + DeserializeOwned,
{
    if json.iter().all(u8::is_ascii_whitespace) {
        return Ok(DecodedRequest {
            message: Req::default().encode_to_vec(),
            ignored: Vec::new(),
        });
    }
    let aliased = object_ptr_alias.is_some();
    let reading = Reading::new(mode);
    let mut de = serde_json::Deserializer::from_slice(json);
    let read = Req::deserialize(Aliased::new(
        Reader::body(&mut de, &reading, aliased),
        object_ptr_alias,
    ));
    if let Ok(request) = read.and_then(|request| de.end().map(|()| request)) {
        return Ok(DecodedRequest {
            message: request.encode_to_vec(),
            ignored: reading.into_ignored(),
        });
    }
    // Read again, tracking the path, to say where the body went wrong (tracking the path
    // allocates per field; only a failure needs it). The alias is renamed above the tracker, so
    // the path names the key the client wrote.
    let reading = Reading::new(mode);
    let mut de = serde_json::Deserializer::from_slice(json);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut de, &mut track);
    let request = Req::deserialize(Aliased::new(
        Reader::body(tracked, &reading, aliased),
        object_ptr_alias,
    ))
    .map_err(|err| {
        JsonError::from_serde(serde_path_to_error::Error::new(track.path(), err), json)
    })?;
    // Trailing garbage after the object is an error, not ignored.
    de.end().map_err(|err| JsonError::from_json(err, json))?;
    Ok(DecodedRequest {
        message: request.encode_to_vec(),
        ignored: reading.into_ignored(),
    })
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
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn a_number_beyond_f64_is_json_a_field_refuses_and_the_parser_error_is_the_source() {
        for (body, syntax) in [
            (&br#"{"a":1e400}"#[..], false),
            (br#"{"a":true}"#, false),
            (br#"{"a":"#, true),
            (b"{\"a\":\"\xff\"}", true),
        ] {
            let err = serde_json::from_slice::<HashMap<String, f64>>(body).expect_err("refused");
            let error = JsonError::from_json(err, body);
            assert_eq!(error.syntax, syntax, "{error}");
            let source = std::error::Error::source(&error)
                .and_then(|source| source.downcast_ref::<serde_json::Error>())
                .expect("the parser's error is the source");
            assert_eq!(error.message(), source.to_string());
        }
    }
}
