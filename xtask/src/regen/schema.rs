//! The proxy's JSON form of every message and enum, read off the descriptor set: the common
//! ground of the OpenAPI and TypeScript generators.

use std::collections::BTreeMap;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};

/// Every message and enum by full proto name (no leading dot), sorted.
pub(super) struct Types {
    pub messages: BTreeMap<String, Message>,
    pub enums: BTreeMap<String, Enum>,
}

/// A message as JSON sees it.
pub(super) struct Message {
    pub fields: Vec<Field>,
}

/// One field: its JSON key is the original proto name.
pub(super) struct Field {
    pub name: String,
    /// The lowerCamelCase name requests may use instead.
    pub json_name: String,
    pub kind: Kind,
    pub repeated: bool,
    /// The oneof this field belongs to (real oneofs only, not proto3 `optional`).
    pub oneof: Option<String>,
}

/// What a JSON value of a field is.
#[derive(Clone)]
pub(super) enum Kind {
    Bool,
    /// int32, uint32, sint32, fixed32, sfixed32: a JSON number.
    Int32 {
        unsigned: bool,
    },
    /// 64-bit integers: a string (a number is accepted on input).
    Int64 {
        unsigned: bool,
    },
    /// float, double: a number (or "NaN", "Infinity", "-Infinity").
    Float,
    String,
    /// base64 text.
    Bytes,
    Enum(String),
    Message(String),
}

/// An enum's value names, in declaration order.
pub(super) struct Enum {
    pub values: Vec<(String, i32)>,
}

impl Types {
    /// Indexes the descriptor set.
    pub(super) fn from_descriptors(fds: &FileDescriptorSet) -> Self {
        let mut types = Types {
            messages: BTreeMap::new(),
            enums: BTreeMap::new(),
        };
        for file in &fds.file {
            for msg in &file.message_type {
                types.add_message(file.package(), msg);
            }
            for e in &file.enum_type {
                types.add_enum(file.package(), e);
            }
        }
        types
    }

    fn add_message(&mut self, scope: &str, msg: &DescriptorProto) {
        let full = format!("{scope}.{}", msg.name());
        for nested in &msg.nested_type {
            self.add_message(&full, nested);
        }
        for e in &msg.enum_type {
            self.add_enum(&full, e);
        }
        let fields = msg
            .field
            .iter()
            .map(|f| {
                let type_name = f.type_name().trim_start_matches('.').to_owned();
                let kind = match f.r#type() {
                    Type::Bool => Kind::Bool,
                    Type::Int32 | Type::Sint32 | Type::Sfixed32 => Kind::Int32 { unsigned: false },
                    Type::Uint32 | Type::Fixed32 => Kind::Int32 { unsigned: true },
                    Type::Int64 | Type::Sint64 | Type::Sfixed64 => Kind::Int64 { unsigned: false },
                    Type::Uint64 | Type::Fixed64 => Kind::Int64 { unsigned: true },
                    Type::Float | Type::Double => Kind::Float,
                    Type::String => Kind::String,
                    Type::Bytes => Kind::Bytes,
                    Type::Enum => Kind::Enum(type_name),
                    Type::Message | Type::Group => Kind::Message(type_name),
                };
                let oneof = f
                    .oneof_index
                    .filter(|_| !f.proto3_optional())
                    .and_then(|ix| msg.oneof_decl.get(usize::try_from(ix).ok()?))
                    .map(|o| o.name().to_owned());
                Field {
                    name: f.name().to_owned(),
                    json_name: f.json_name().to_owned(),
                    kind,
                    repeated: f.label() == Label::Repeated,
                    oneof,
                }
            })
            .collect();
        self.messages.insert(full, Message { fields });
    }

    fn add_enum(&mut self, scope: &str, e: &EnumDescriptorProto) {
        let values = e
            .value
            .iter()
            .map(|v| (v.name().to_owned(), v.number()))
            .collect();
        self.enums
            .insert(format!("{scope}.{}", e.name()), Enum { values });
    }
}
