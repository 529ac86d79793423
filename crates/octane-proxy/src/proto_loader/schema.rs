//! The types of the generated schema table (`table.rs`): what the codec needs to know of each
//! message, field and enum, and of each route.

/// One message type.
pub(crate) struct Message {
    /// Full proto name (`octaneapi.ObjectRef`), for errors.
    pub(crate) name: &'static str,
    /// Whether this is the entry type of a `map<K, V>` field (key field 1, value field 2).
    pub(crate) map_entry: bool,
    /// The names of its oneofs, the synthetic `_<field>` of proto3 `optional` fields included.
    pub(crate) oneofs: &'static [&'static str],
    /// Its fields, sorted by number.
    pub(crate) fields: &'static [Field],
}

/// One field of a message.
pub(crate) struct Field {
    /// The name as written in the .proto, which is the JSON key both ways (`keepCase`).
    pub(crate) name: &'static str,
    /// The field number.
    pub(crate) number: u32,
    /// The value type.
    pub(crate) kind: Kind,
    /// Whether it is `repeated` (a map is a repeated field of a map entry message).
    pub(crate) repeated: bool,
    /// Index of its oneof in [`Message::oneofs`], if it is a member of one.
    pub(crate) oneof: Option<u16>,
}

impl Field {
    /// A singular field outside any oneof.
    pub(crate) const fn singular(name: &'static str, number: u32, kind: Kind) -> Self {
        Self {
            name,
            number,
            kind,
            repeated: false,
            oneof: None,
        }
    }

    /// A repeated field.
    pub(crate) const fn repeated(name: &'static str, number: u32, kind: Kind) -> Self {
        Self {
            name,
            number,
            kind,
            repeated: true,
            oneof: None,
        }
    }

    /// A member of oneof `oneof` (an index into [`Message::oneofs`]).
    pub(crate) const fn in_oneof(name: &'static str, number: u32, kind: Kind, oneof: u16) -> Self {
        Self {
            name,
            number,
            kind,
            repeated: false,
            oneof: Some(oneof),
        }
    }
}

/// The type of a field's values; enums and messages by index into the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "every proto scalar type has a kind; the bundled core uses only some, the SDK more"
)]
pub(crate) enum Kind {
    Double,
    Float,
    Int64,
    Uint64,
    Int32,
    Fixed64,
    Fixed32,
    Bool,
    String,
    Bytes,
    Uint32,
    Sfixed32,
    Sfixed64,
    Sint32,
    Sint64,
    /// An enum: index into the table's enums.
    Enum(u32),
    /// A message: index into the table's messages.
    Message(u32),
}

impl Kind {
    /// Whether repeated values of this type are packed on the wire (proto3's default).
    pub(crate) fn packable(self) -> bool {
        !matches!(self, Kind::String | Kind::Bytes | Kind::Message(_))
    }
}

/// One enum type (its full name is a comment in the table).
pub(crate) struct Enum {
    /// Its names with their numbers, in declaration order (aliases included).
    pub(crate) values: &'static [(&'static str, i32)],
}

impl Enum {
    /// The number of a name, if the enum declares it.
    pub(crate) fn number(&self, name: &str) -> Option<i32> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The first declared name of a number, as protobufjs names it.
    pub(crate) fn name(&self, number: i32) -> Option<&'static str> {
        self.values
            .iter()
            .find(|(_, v)| *v == number)
            .map(|(n, _)| *n)
    }

    /// The name of the first declared value: an unset field's default.
    pub(crate) fn default_name(&self) -> &'static str {
        self.values.first().map_or("", |(n, _)| *n)
    }

    /// The number of the first declared value: what fromObject sets for an unmatched element.
    pub(crate) fn default_number(&self) -> i32 {
        self.values.first().map_or(0, |(_, v)| *v)
    }
}

/// What the dialect needs of one route, in the order of the route table.
pub(crate) struct RouteSchema {
    /// The gRPC path, the same as the route's (checked by a test).
    pub(crate) path: &'static str,
    /// Index of the request message.
    pub(crate) request: u32,
    /// Index of the response message.
    pub(crate) response: u32,
    /// What octaneWebR's backend does to the body's `objectPtr` before sending it.
    pub(crate) object_ptr: ObjectPtrRemap,
}

/// The `objectPtr` rewriting of octaneWebR's Vite plugin (`docs/webr-grpc.md`, Requests), applied only
/// when the body has an `objectPtr` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ObjectPtrRemap {
    /// The body is sent as it is.
    Keep,
    /// `objectPtr` is renamed to this key; the other keys are kept.
    Rename(&'static str),
    /// The whole body becomes `{<key>: objectPtr}`.
    WholeBody(&'static str),
}
