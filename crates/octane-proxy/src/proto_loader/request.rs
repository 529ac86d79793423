//! A JSON request body to the protobuf encoding of its message, with the semantics of
//! protobufjs `Type.encode(Type.fromObject(body))`, which octaneWebR's backend applies
//! (`docs/webr-grpc.md`, Requests): unknown keys and `null` ignored, values coerced as JavaScript does,
//! a wrongly shaped message or repeated field refused. Fields are written in field-number order
//! and every field the body sets is written, default values included, as protobufjs does.

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use prost::encoding::{WireType, encode_key, encode_varint};
use serde_json::{Map, Value};

use super::js_coerce::{
    f64_to_int32, to_int32, to_js_string, to_long, to_number, to_uint32, truthy,
};
use super::schema::{Field, Kind, Message, ObjectPtrRemap, RouteSchema};
use super::table::{ENUMS, MESSAGES};

/// The key octaneWebR puts a call's target object under.
const OBJECT_PTR: &str = "objectPtr";

/// Why a request body could not become a request message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    /// The body is not JSON.
    #[error("the request body is not JSON: {0}")]
    Syntax(#[source] serde_json::Error),
    /// The body is JSON that protobufjs would refuse to serialize.
    #[error("{}: {message}", if .path.is_empty() { "the request body" } else { .path.as_str() })]
    Invalid {
        /// The field path (`item_ref.handle`, `items[2]`), empty for the body itself.
        path: String,
        /// What was wrong.
        message: String,
    },
}

impl RequestError {
    fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid {
            path: String::new(),
            message: message.into(),
        }
    }

    /// This error, one level down at `step` (a field name or `[index]`).
    fn within(self, step: &str) -> Self {
        match self {
            Self::Invalid { path, message } => Self::Invalid {
                path: match (path.is_empty(), path.starts_with('[')) {
                    (true, _) => step.to_owned(),
                    (false, true) => format!("{step}{path}"),
                    (false, false) => format!("{step}.{path}"),
                },
                message,
            },
            other => other,
        }
    }
}

/// Encodes `body` as the request message of `route`, after octaneWebR's `objectPtr` remap.
/// An empty body is `{}`.
pub(crate) fn encode(route: &RouteSchema, body: &[u8]) -> Result<Vec<u8>, RequestError> {
    let message = &MESSAGES[route.request as usize];
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let value: Value = serde_json::from_slice(body).map_err(RequestError::Syntax)?;
    let mut object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return Err(RequestError::invalid(format!(
                "expected an object of {} structure, got an array",
                message.name
            )));
        }
        Value::Null => {
            return Err(RequestError::invalid(format!(
                "expected an object of {} structure, got null",
                message.name
            )));
        }
        // fromObject reads no field of a number, string or boolean: the empty message.
        _ => return Ok(Vec::new()),
    };
    remap_object_ptr(&mut object, route.object_ptr);
    let mut out = Vec::new();
    encode_message(message, &object, &mut out)?;
    Ok(out)
}

/// octaneWebR's Vite plugin's rewriting of `objectPtr` (`docs/webr-grpc.md`, Requests).
fn remap_object_ptr(object: &mut Map<String, Value>, remap: ObjectPtrRemap) {
    if object.get(OBJECT_PTR).is_none_or(Value::is_null) {
        return;
    }
    match remap {
        ObjectPtrRemap::Keep => {}
        ObjectPtrRemap::Rename(key) => {
            if let Some(target) = object.remove(OBJECT_PTR) {
                object.insert(key.to_owned(), target);
            }
        }
        ObjectPtrRemap::WholeBody(key) => {
            if let Some(target) = object.remove(OBJECT_PTR) {
                *object = Map::from_iter([(key.to_owned(), target)]);
            }
        }
    }
}

fn encode_message(
    message: &Message,
    object: &Map<String, Value>,
    out: &mut Vec<u8>,
) -> Result<(), RequestError> {
    for field in message.fields {
        if let Some(value) = object.get(field.name) {
            encode_field(field, value, out).map_err(|err| err.within(field.name))?;
        }
    }
    Ok(())
}

/// The entry message of a map field, if `field` is one.
fn map_entry(field: &Field) -> Option<&'static Message> {
    match field.kind {
        Kind::Message(ix) if field.repeated && MESSAGES[ix as usize].map_entry => {
            Some(&MESSAGES[ix as usize])
        }
        _ => None,
    }
}

fn encode_field(field: &Field, value: &Value, out: &mut Vec<u8>) -> Result<(), RequestError> {
    if let Some(entry) = map_entry(field) {
        // `if (d.x)`: a falsy value sets nothing; a truthy one must be an object.
        if !truthy(value) {
            return Ok(());
        }
        let entries: Vec<(String, &Value)> = match value {
            Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            _ => return Err(RequestError::invalid("object expected")),
        };
        for (key, value) in entries {
            let mut body = Vec::new();
            if let [key_field, value_field] = entry.fields {
                let key_value = Value::String(key.clone());
                if let Some(wire) = convert(key_field.kind, &key_value, true)? {
                    write_tagged(key_field.number, wire, &mut body);
                }
                if let Some(wire) = convert(value_field.kind, value, true)
                    .map_err(|err| err.within(&format!("[{key:?}]")))?
                {
                    write_tagged(value_field.number, wire, &mut body);
                }
            }
            write_tagged(field.number, Wire::Bytes(body), out);
        }
        return Ok(());
    }
    if field.repeated {
        if !truthy(value) {
            return Ok(());
        }
        let Value::Array(items) = value else {
            return Err(RequestError::invalid("array expected"));
        };
        let mut wires = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let wire =
                convert(field.kind, item, true).map_err(|err| err.within(&format!("[{index}]")))?;
            wires.extend(wire);
        }
        if wires.is_empty() {
            return Ok(());
        }
        if field.kind.packable() {
            let mut packed = Vec::new();
            for wire in wires {
                write_payload(wire, &mut packed);
            }
            write_tagged(field.number, Wire::Bytes(packed), out);
        } else {
            for wire in wires {
                write_tagged(field.number, wire, out);
            }
        }
        return Ok(());
    }
    if value.is_null() {
        return Ok(());
    }
    if let Some(wire) = convert(field.kind, value, false)? {
        write_tagged(field.number, wire, out);
    }
    Ok(())
}

/// One value on the wire, before its key.
enum Wire {
    Varint(u64),
    Fixed32(u32),
    Fixed64(u64),
    Bytes(Vec<u8>),
}

/// fromObject's conversion of one value (a field's, an array element's or a map value's:
/// `element`), or `None` where fromObject leaves the field unset.
fn convert(kind: Kind, value: &Value, element: bool) -> Result<Option<Wire>, RequestError> {
    let zigzag32 = |n: i32| u64::from(((n << 1) ^ (n >> 31)) as u32);
    let long = |value: &Value| to_long(value).map_err(|err| RequestError::invalid(err.to_string()));
    Ok(Some(match kind {
        Kind::Double => Wire::Fixed64(to_number(value).to_bits()),
        Kind::Float => Wire::Fixed32((to_number(value) as f32).to_bits()),
        Kind::Int32 => Wire::Varint(to_int32(value) as i64 as u64),
        Kind::Uint32 => Wire::Varint(u64::from(to_uint32(value))),
        Kind::Sint32 => Wire::Varint(zigzag32(to_int32(value))),
        Kind::Fixed32 => Wire::Fixed32(to_uint32(value)),
        Kind::Sfixed32 => Wire::Fixed32(to_int32(value) as u32),
        Kind::Int64 | Kind::Uint64 => Wire::Varint(long(value)?),
        Kind::Sint64 => {
            let n = long(value)? as i64;
            Wire::Varint(((n << 1) ^ (n >> 63)) as u64)
        }
        Kind::Fixed64 | Kind::Sfixed64 => Wire::Fixed64(long(value)?),
        Kind::Bool => Wire::Varint(u64::from(truthy(value))),
        Kind::String => Wire::Bytes(to_js_string(value).into_bytes()),
        Kind::Bytes => match value {
            Value::String(text) => Wire::Bytes(decode_base64(text)?),
            // Any array-like of numbers, each byte taken modulo 256.
            Value::Array(items) => Wire::Bytes(items.iter().map(|i| to_int32(i) as u8).collect()),
            _ if element => {
                return Err(RequestError::invalid(
                    "expected a base64 string or an array of bytes",
                ));
            }
            _ => return Ok(None),
        },
        Kind::Enum(ix) => {
            let e = &ENUMS[ix as usize];
            let number = match value {
                Value::String(name) => e.number(name),
                // Numbers pass through, known or not.
                Value::Number(n) => Some(match n.as_i64() {
                    Some(i) => i as i32,
                    None => f64_to_int32(n.as_f64().unwrap_or(f64::NAN)),
                }),
                _ => None,
            };
            // An element that matches nothing takes the default, so the array keeps its length.
            match number.or(element.then(|| e.default_number())) {
                Some(number) => Wire::Varint(number as i64 as u64),
                None => return Ok(None),
            }
        }
        Kind::Message(ix) => {
            let message = &MESSAGES[ix as usize];
            let mut body = Vec::new();
            match value {
                Value::Object(object) => encode_message(message, object, &mut body)?,
                // An array passes fromObject's object test and has none of the fields.
                Value::Array(_) => {}
                Value::Null if message.fields.is_empty() => {}
                Value::Null => return Err(RequestError::invalid("null is not a message")),
                _ => return Err(RequestError::invalid("object expected")),
            }
            Wire::Bytes(body)
        }
    }))
}

/// protobufjs's base64 reading: the standard or the URL-safe alphabet, padding optional.
fn decode_base64(text: &str) -> Result<Vec<u8>, RequestError> {
    const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|err| RequestError::invalid(format!("invalid base64: {err}")))
}

fn write_tagged(number: u32, wire: Wire, out: &mut Vec<u8>) {
    let wire_type = match wire {
        Wire::Varint(_) => WireType::Varint,
        Wire::Fixed32(_) => WireType::ThirtyTwoBit,
        Wire::Fixed64(_) => WireType::SixtyFourBit,
        Wire::Bytes(ref bytes) => {
            encode_key(number, WireType::LengthDelimited, out);
            encode_varint(bytes.len() as u64, out);
            out.extend_from_slice(bytes);
            return;
        }
    };
    encode_key(number, wire_type, out);
    write_payload(wire, out);
}

fn write_payload(wire: Wire, out: &mut Vec<u8>) {
    match wire {
        Wire::Varint(v) => encode_varint(v, out),
        Wire::Fixed32(v) => out.extend_from_slice(&v.to_le_bytes()),
        Wire::Fixed64(v) => out.extend_from_slice(&v.to_le_bytes()),
        Wire::Bytes(bytes) => {
            encode_varint(bytes.len() as u64, out);
            out.extend_from_slice(&bytes);
        }
    }
}
