//! A protobuf-encoded reply to JSON in the shape of proto-loader's deserializer,
//! `JSON.stringify(Type.toObject(Type.decode(bytes), options))` with octaneWebR's options
//! `keepCase, longs: String, enums: String, defaults: true, oneofs: true` (`docs/webr-grpc.md`, Replies).
//!
//! Keys come in protobufjs's order: repeated fields, then maps, then the other fields outside
//! oneofs (each group by field number, present with its default when unset), then the set
//! members of oneofs by number, each oneof's virtual key after its first set member.

use std::borrow::Cow;
use std::io::Write;

use prost::encoding::decode_varint;

use super::js_coerce::number_to_string;
use super::schema::{Field, Kind, Message};
use super::table::{ENUMS, MESSAGES};

/// Why a reply is not a valid encoding of its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (in {type_name})")]
pub(crate) struct ReplyError {
    /// The message type being read.
    type_name: &'static str,
    /// What was wrong.
    message: String,
}

/// One value as it came off the wire.
#[derive(Clone, Copy)]
enum Raw<'a> {
    Varint(u64),
    Fixed32(u32),
    Fixed64(u64),
    Bytes(&'a [u8]),
}

/// What the reply holds for one field.
#[derive(Clone, Default)]
enum Slot<'a> {
    #[default]
    Unset,
    One(Raw<'a>),
    Many(Vec<Raw<'a>>),
}

/// Appends the JSON of `bytes`, a message of type `message` (an index of the table), to `out`.
pub(crate) fn write(message: u32, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), ReplyError> {
    write_message(&MESSAGES[message as usize], bytes, out)
}

fn write_message(message: &Message, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), ReplyError> {
    let fail = |text: String| ReplyError {
        type_name: message.name,
        message: text,
    };
    let slots = decode(message, bytes).map_err(fail)?;
    let fields = message.fields;
    let mut first = true;
    let mut key = |name: &str, out: &mut Vec<u8>| {
        out.push(if std::mem::take(&mut first) {
            b'{'
        } else {
            b','
        });
        write_string(name, out);
        out.push(b':');
    };
    let is_map = |f: &Field| matches!(f.kind, Kind::Message(ix) if f.repeated && MESSAGES[ix as usize].map_entry);
    for (field, slot) in fields.iter().zip(&slots) {
        if field.repeated && !is_map(field) {
            key(field.name, out);
            out.push(b'[');
            if let Slot::Many(values) = slot {
                for (i, raw) in values.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_value(field.kind, *raw, out)?;
                }
            }
            out.push(b']');
        }
    }
    for (field, slot) in fields.iter().zip(&slots) {
        if is_map(field) {
            key(field.name, out);
            write_map(field, slot, out)?;
        }
    }
    for (field, slot) in fields.iter().zip(&slots) {
        if !field.repeated && field.oneof.is_none() {
            key(field.name, out);
            match slot {
                Slot::One(raw) => write_value(field.kind, *raw, out)?,
                _ => write_default(field.kind, out),
            }
        }
    }
    let mut oneof_written = vec![false; message.oneofs.len()];
    for (field, slot) in fields.iter().zip(&slots) {
        let (Some(oneof), Slot::One(raw)) = (field.oneof, slot) else {
            continue;
        };
        key(field.name, out);
        write_value(field.kind, *raw, out)?;
        let oneof = usize::from(oneof);
        if !std::mem::replace(&mut oneof_written[oneof], true) {
            // The virtual key names the last member set, as a later assignment overwrites it.
            let last = fields
                .iter()
                .zip(&slots)
                .rev()
                .find(|(f, s)| f.oneof == Some(oneof as u16) && matches!(s, Slot::One(_)))
                .map_or(field.name, |(f, _)| f.name);
            key(message.oneofs.get(oneof).copied().unwrap_or_default(), out);
            write_string(last, out);
        }
    }
    if first {
        out.push(b'{');
    }
    out.push(b'}');
    Ok(())
}

/// Reads the wire format into one slot per field (in the order of `message.fields`).
/// Unknown fields are skipped; a singular field seen twice keeps the last value, as
/// protobufjs's decoder does.
fn decode<'a>(message: &Message, mut bytes: &'a [u8]) -> Result<Vec<Slot<'a>>, String> {
    let mut slots = vec![Slot::Unset; message.fields.len()];
    while !bytes.is_empty() {
        let key = decode_varint(&mut bytes).map_err(|e| e.to_string())?;
        let number = u32::try_from(key >> 3).map_err(|_| "field number out of range")?;
        let raw = match key & 7 {
            0 => Raw::Varint(decode_varint(&mut bytes).map_err(|e| e.to_string())?),
            1 => Raw::Fixed64(u64::from_le_bytes(
                take(&mut bytes, 8)?
                    .try_into()
                    .map_err(|_| "truncated fixed64")?,
            )),
            2 => {
                let len = decode_varint(&mut bytes).map_err(|e| e.to_string())?;
                Raw::Bytes(take(
                    &mut bytes,
                    usize::try_from(len).map_err(|_| "length")?,
                )?)
            }
            5 => Raw::Fixed32(u32::from_le_bytes(
                take(&mut bytes, 4)?
                    .try_into()
                    .map_err(|_| "truncated fixed32")?,
            )),
            other => return Err(format!("field {number} has unsupported wire type {other}")),
        };
        let Ok(ix) = message.fields.binary_search_by_key(&number, |f| f.number) else {
            continue;
        };
        let field = &message.fields[ix];
        let expected = wire_type(field.kind);
        if field.repeated {
            if !matches!(slots[ix], Slot::Many(_)) {
                slots[ix] = Slot::Many(Vec::new());
            }
            if let Slot::Many(values) = &mut slots[ix] {
                push_repeated(field, raw, expected, values)?;
            }
        } else if raw_wire_type(raw) == expected {
            slots[ix] = Slot::One(raw);
        } else {
            return Err(wrong_wire_type(field, raw));
        }
    }
    Ok(slots)
}

/// Adds a repeated field's value, or each value of a packed run, to `values`.
fn push_repeated<'a>(
    field: &Field,
    raw: Raw<'a>,
    expected: u64,
    values: &mut Vec<Raw<'a>>,
) -> Result<(), String> {
    match raw {
        Raw::Bytes(mut packed) if field.kind.packable() => {
            while !packed.is_empty() {
                values.push(match expected {
                    0 => Raw::Varint(decode_varint(&mut packed).map_err(|e| e.to_string())?),
                    1 => Raw::Fixed64(u64::from_le_bytes(
                        take(&mut packed, 8)?
                            .try_into()
                            .map_err(|_| "truncated fixed64")?,
                    )),
                    _ => Raw::Fixed32(u32::from_le_bytes(
                        take(&mut packed, 4)?
                            .try_into()
                            .map_err(|_| "truncated fixed32")?,
                    )),
                });
            }
            Ok(())
        }
        raw if raw_wire_type(raw) == expected => {
            values.push(raw);
            Ok(())
        }
        raw => Err(wrong_wire_type(field, raw)),
    }
}

fn wrong_wire_type(field: &Field, raw: Raw<'_>) -> String {
    format!(
        "field {} ({}) has wire type {}, expected {}",
        field.number,
        field.name,
        raw_wire_type(raw),
        wire_type(field.kind)
    )
}

fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Result<&'a [u8], String> {
    if bytes.len() < len {
        return Err(format!(
            "truncated: {len} bytes announced, {} left",
            bytes.len()
        ));
    }
    let (head, tail) = bytes.split_at(len);
    *bytes = tail;
    Ok(head)
}

fn wire_type(kind: Kind) -> u64 {
    match kind {
        Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => 1,
        Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => 5,
        Kind::String | Kind::Bytes | Kind::Message(_) => 2,
        _ => 0,
    }
}

fn raw_wire_type(raw: Raw<'_>) -> u64 {
    match raw {
        Raw::Varint(_) => 0,
        Raw::Fixed64(_) => 1,
        Raw::Bytes(_) => 2,
        Raw::Fixed32(_) => 5,
    }
}

/// A value of type `kind` as toObject writes it.
fn write_value(kind: Kind, raw: Raw<'_>, out: &mut Vec<u8>) -> Result<(), ReplyError> {
    let (v64, v32) = match raw {
        Raw::Varint(v) | Raw::Fixed64(v) => (v, v as u32),
        Raw::Fixed32(v) => (u64::from(v), v),
        Raw::Bytes(_) => (0, 0),
    };
    let number = |out: &mut Vec<u8>, text: String| out.extend_from_slice(text.as_bytes());
    let quoted = |out: &mut Vec<u8>, text: String| {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    };
    match kind {
        Kind::Double => write_float(f64::from_bits(v64), out),
        Kind::Float => write_float(f64::from(f32::from_bits(v32)), out),
        Kind::Int32 | Kind::Sfixed32 => number(out, (v32 as i32).to_string()),
        Kind::Uint32 | Kind::Fixed32 => number(out, v32.to_string()),
        Kind::Sint32 => number(out, ((v32 >> 1) as i32 ^ -((v32 & 1) as i32)).to_string()),
        Kind::Int64 | Kind::Sfixed64 => quoted(out, (v64 as i64).to_string()),
        Kind::Uint64 | Kind::Fixed64 => quoted(out, v64.to_string()),
        Kind::Sint64 => quoted(out, ((v64 >> 1) as i64 ^ -((v64 & 1) as i64)).to_string()),
        Kind::Bool => out.extend_from_slice(if v64 != 0 { b"true" } else { b"false" }),
        Kind::Enum(ix) => {
            let value = v32 as i32;
            match ENUMS[ix as usize].name(value) {
                Some(name) => write_string(name, out),
                None => number(out, value.to_string()),
            }
        }
        Kind::String => write_string(&utf8(raw), out),
        Kind::Bytes => write_buffer(bytes_of(raw), out),
        Kind::Message(ix) => write_message(&MESSAGES[ix as usize], bytes_of(raw), out)?,
    }
    Ok(())
}

/// An unset field's default: `0`, `"0"`, `false`, `""`, an empty Buffer, the enum's first
/// name, `null` for a message.
fn write_default(kind: Kind, out: &mut Vec<u8>) {
    let text: &[u8] = match kind {
        Kind::Int64 | Kind::Uint64 | Kind::Sint64 | Kind::Fixed64 | Kind::Sfixed64 => b"\"0\"",
        Kind::Bool => b"false",
        Kind::String => b"\"\"",
        Kind::Bytes => br#"{"type":"Buffer","data":[]}"#,
        Kind::Message(_) => b"null",
        Kind::Enum(ix) => {
            write_string(ENUMS[ix as usize].default_name(), out);
            return;
        }
        _ => b"0",
    };
    out.extend_from_slice(text);
}

/// A map field: `{}` when empty, else an object of its entries with JavaScript's key order
/// (integer keys ascending first, then the others as they came; a repeated key keeps its first
/// place and its last value).
fn write_map(field: &Field, slot: &Slot<'_>, out: &mut Vec<u8>) -> Result<(), ReplyError> {
    let Kind::Message(entry_ix) = field.kind else {
        return Ok(());
    };
    let entry = &MESSAGES[entry_ix as usize];
    let (Some(key_field), Some(value_field)) = (entry.fields.first(), entry.fields.get(1)) else {
        out.extend_from_slice(b"{}");
        return Ok(());
    };
    let mut entries: Vec<(String, Option<Raw<'_>>)> = Vec::new();
    if let Slot::Many(raws) = slot {
        for raw in raws {
            let slots = decode(entry, bytes_of(*raw)).map_err(|message| ReplyError {
                type_name: entry.name,
                message,
            })?;
            let key = match slots.first() {
                Some(Slot::One(raw)) => {
                    let mut text = Vec::new();
                    write_value(key_field.kind, *raw, &mut text)?;
                    let text = String::from_utf8_lossy(&text).into_owned();
                    match serde_json::from_str::<String>(&text) {
                        Ok(unquoted) => unquoted,
                        Err(_) => text,
                    }
                }
                _ => match key_field.kind {
                    Kind::String => String::new(),
                    Kind::Bool => "false".to_owned(),
                    _ => "0".to_owned(),
                },
            };
            let value = match slots.get(1) {
                Some(Slot::One(raw)) => Some(*raw),
                _ => None,
            };
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(existing) => existing.1 = value,
                None => entries.push((key, value)),
            }
        }
    }
    let index_of = |key: &str| {
        key.parse::<u32>()
            .ok()
            .filter(|n| *n < u32::MAX && n.to_string() == key)
    };
    entries.sort_by_key(|(key, _)| index_of(key).map_or((1, 0), |n| (0, n)));
    out.push(b'{');
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        match value {
            Some(raw) => write_value(value_field.kind, *raw, out)?,
            None if matches!(value_field.kind, Kind::Message(_)) => {
                write_value(value_field.kind, Raw::Bytes(&[]), out)?
            }
            None => write_default(value_field.kind, out),
        }
    }
    out.push(b'}');
    Ok(())
}

/// A number as `JSON.stringify` writes it: non-finite ones are `null`.
fn write_float(value: f64, out: &mut Vec<u8>) {
    if value.is_finite() {
        out.extend_from_slice(number_to_string(value).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// A Node `Buffer` as `JSON.stringify` writes it.
fn write_buffer(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(br#"{"type":"Buffer","data":["#);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{byte}");
    }
    out.extend_from_slice(b"]}");
}

fn write_string(text: &str, out: &mut Vec<u8>) {
    // Serializing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

fn bytes_of<'a>(raw: Raw<'a>) -> &'a [u8] {
    match raw {
        Raw::Bytes(bytes) => bytes,
        _ => &[],
    }
}

fn utf8<'a>(raw: Raw<'a>) -> Cow<'a, str> {
    String::from_utf8_lossy(bytes_of(raw))
}

#[cfg(test)]
mod tests {
    use octane_api::octaneapi::api_item::{SetValueByIdRequest, set_value_by_id_request::Value};
    use prost::Message as _;

    use super::*;

    fn json_of(type_name: &str, bytes: &[u8]) -> Result<String, ReplyError> {
        let ix = MESSAGES
            .iter()
            .position(|m| m.name == type_name)
            .expect("message in the table");
        let mut out = Vec::new();
        write(ix as u32, bytes, &mut out)?;
        Ok(String::from_utf8(out).expect("UTF-8"))
    }

    #[test]
    fn proto3_optional_fields_are_synthetic_oneofs() {
        let name = "octaneapi.ApiItem.setValueByIDRequest";
        let unset = SetValueByIdRequest::default().encode_to_vec();
        assert_eq!(
            json_of(name, &unset).unwrap(),
            r#"{"item_ref":null,"attribute_id":"A_UNKNOWN"}"#
        );
        let set = SetValueByIdRequest {
            attribute_id: 185,
            evaluate: Some(false),
            value: Some(Value::IntValue(0)),
            ..Default::default()
        };
        assert_eq!(
            json_of(name, &set.encode_to_vec()).unwrap(),
            concat!(
                r#"{"item_ref":null,"attribute_id":"A_VALUE","evaluate":false,"#,
                r#""_evaluate":"evaluate","int_value":0,"value":"int_value"}"#
            )
        );
    }

    #[test]
    fn repeated_scalars_are_read_packed_and_unpacked() {
        // MeshData.vertsPerPoly (4): packed [3, 4], then one unpacked 5.
        let bytes = [0x22, 0x02, 0x03, 0x04, 0x20, 0x05];
        let json = json_of("livelinkapi.MeshData", &bytes).unwrap();
        assert!(json.contains(r#""vertsPerPoly":[3,4,5]"#), "{json}");
    }

    #[test]
    fn a_wrong_wire_type_or_a_cut_message_is_an_error() {
        // MeshData.name (1) as a varint.
        let err = json_of("livelinkapi.MeshData", &[0x08, 0x01]).unwrap_err();
        assert!(err.to_string().contains("wire type"), "{err}");
        let err = json_of("livelinkapi.MeshData", &[0x0a, 0x05, b'a']).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}
