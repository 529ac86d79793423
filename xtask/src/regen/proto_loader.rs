//! Generates the compact schema table of the proxy's second JSON dialect
//! (`crates/octane-proxy/src/proto_loader/table.rs`): octaneWebR's `POST /api/grpc`, which speaks
//! the JSON of Node's `@grpc/proto-loader` (protobufjs `fromObject` / `toObject`).
//!
//! The table is data, not code: every message with its fields (proto name, number, type,
//! repeated, oneof), every enum with its names, and per route the indexes of its two messages.
//! One hand-written codec walks it, so the dialect costs the build a few static arrays, not a
//! second serde implementation per message.

use std::collections::BTreeMap;
use std::fmt::Write;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};

use super::model::Api;

/// Methods whose `objectPtr` key octaneWebR's Vite plugin renames to `item_ref`, in any service
/// (`vite-plugin-octane-grpc.ts`, `docs/webr-grpc.md`, Requests).
const RENAMED_TO_ITEM_REF: &[&str] = &[
    "getValueByAttrID",
    "setValueByAttrID",
    "getValue",
    "getPinValueByIx",
    "getPinValueByPinID",
    "getPinValueByName",
    "setPinValueByIx",
    "setPinValueByPinID",
    "setPinValueByName",
];

/// The one method whose whole body the plugin replaces with `{"nodePinInfoRef": objectPtr}`.
const WHOLE_BODY: (&str, &str, &str) = ("ApiNodePinInfoEx", "getApiNodePinInfo", "nodePinInfoRef");

/// A message of the set, as the table stores it.
struct Message<'a> {
    descriptor: &'a DescriptorProto,
    map_entry: bool,
}

/// Every message and enum of the set by full name (no leading dot), sorted: the table's order.
struct Index<'a> {
    messages: BTreeMap<String, Message<'a>>,
    enums: BTreeMap<String, &'a EnumDescriptorProto>,
}

impl<'a> Index<'a> {
    fn new(fds: &'a FileDescriptorSet) -> Self {
        let mut index = Index {
            messages: BTreeMap::new(),
            enums: BTreeMap::new(),
        };
        for file in &fds.file {
            for msg in &file.message_type {
                index.add_message(file.package(), msg);
            }
            for e in &file.enum_type {
                index
                    .enums
                    .insert(format!("{}.{}", file.package(), e.name()), e);
            }
        }
        index
    }

    fn add_message(&mut self, scope: &str, msg: &'a DescriptorProto) {
        let full = format!("{scope}.{}", msg.name());
        for nested in &msg.nested_type {
            self.add_message(&full, nested);
        }
        for e in &msg.enum_type {
            self.enums.insert(format!("{full}.{}", e.name()), e);
        }
        let map_entry = msg.options.as_ref().is_some_and(|o| o.map_entry());
        self.messages.insert(
            full,
            Message {
                descriptor: msg,
                map_entry,
            },
        );
    }
}

/// Renders the schema table module.
pub(super) fn generate(api: &Api, fds: &FileDescriptorSet) -> String {
    let index = Index::new(fds);
    let message_ix: BTreeMap<&str, usize> = index
        .messages
        .keys()
        .enumerate()
        .map(|(ix, name)| (name.as_str(), ix))
        .collect();
    let enum_ix: BTreeMap<&str, usize> = index
        .enums
        .keys()
        .enumerate()
        .map(|(ix, name)| (name.as_str(), ix))
        .collect();
    let lookup_message = |name: &str| message_ix[name.trim_start_matches('.')];
    let lookup_enum = |name: &str| enum_ix[name.trim_start_matches('.')];

    let mut out = String::from(
        "//! The schema table of the proto-loader dialect: every message and enum of `proto/` as\n\
         //! data, and each route's request and response message.\n\n\
         use super::schema::{Enum, Field, Kind, Message, ObjectPtrRemap, RouteSchema};\n\n",
    );

    writeln!(out, "/// Every message, sorted by full proto name.").unwrap();
    writeln!(
        out,
        "pub(super) static MESSAGES: [Message; {}] = [",
        index.messages.len()
    )
    .unwrap();
    for (name, msg) in &index.messages {
        let d = msg.descriptor;
        let mut fields: Vec<_> = d.field.iter().collect();
        fields.sort_by_key(|f| f.number());
        let oneofs: Vec<String> = d
            .oneof_decl
            .iter()
            .map(|o| format!("{:?}", o.name()))
            .collect();
        writeln!(
            out,
            "Message {{ name: {name:?}, map_entry: {}, oneofs: &[{}], fields: &[",
            msg.map_entry,
            oneofs.join(", ")
        )
        .unwrap();
        for f in fields {
            let kind = match f.r#type() {
                Type::Double => "Kind::Double".to_owned(),
                Type::Float => "Kind::Float".to_owned(),
                Type::Int64 => "Kind::Int64".to_owned(),
                Type::Uint64 => "Kind::Uint64".to_owned(),
                Type::Int32 => "Kind::Int32".to_owned(),
                Type::Fixed64 => "Kind::Fixed64".to_owned(),
                Type::Fixed32 => "Kind::Fixed32".to_owned(),
                Type::Bool => "Kind::Bool".to_owned(),
                Type::String => "Kind::String".to_owned(),
                Type::Bytes => "Kind::Bytes".to_owned(),
                Type::Uint32 => "Kind::Uint32".to_owned(),
                Type::Sfixed32 => "Kind::Sfixed32".to_owned(),
                Type::Sfixed64 => "Kind::Sfixed64".to_owned(),
                Type::Sint32 => "Kind::Sint32".to_owned(),
                Type::Sint64 => "Kind::Sint64".to_owned(),
                Type::Enum => format!("Kind::Enum({})", lookup_enum(f.type_name())),
                Type::Message | Type::Group => {
                    format!("Kind::Message({})", lookup_message(f.type_name()))
                }
            };
            let constructor = match (f.label() == Label::Repeated, f.oneof_index) {
                (true, _) => format!("Field::repeated({:?}, {}, {kind})", f.name(), f.number()),
                (false, Some(oneof)) => format!(
                    "Field::in_oneof({:?}, {}, {kind}, {oneof})",
                    f.name(),
                    f.number()
                ),
                (false, None) => format!("Field::singular({:?}, {}, {kind})", f.name(), f.number()),
            };
            writeln!(out, "{constructor},").unwrap();
        }
        out.push_str("]},\n");
    }
    out.push_str("];\n\n");

    writeln!(
        out,
        "/// Every enum, sorted by full proto name: its names in declaration order."
    )
    .unwrap();
    writeln!(
        out,
        "pub(super) static ENUMS: [Enum; {}] = [",
        index.enums.len()
    )
    .unwrap();
    for (name, e) in &index.enums {
        let values: Vec<String> = e
            .value
            .iter()
            .map(|v| format!("({:?}, {})", v.name(), v.number()))
            .collect();
        writeln!(
            out,
            "// {name}\nEnum {{ values: &[{}] }},",
            values.join(", ")
        )
        .unwrap();
    }
    out.push_str("];\n\n");

    let routes: Vec<_> = api
        .services
        .iter()
        .flat_map(|s| s.methods.iter().map(move |m| (s, m)))
        .collect();
    writeln!(
        out,
        "/// Per route, in the order of the route table: its messages and `objectPtr` remap."
    )
    .unwrap();
    writeln!(
        out,
        "pub(super) static ROUTES: [RouteSchema; {}] = [",
        routes.len()
    )
    .unwrap();
    for (svc, m) in routes {
        let remap = if svc.short == WHOLE_BODY.0 && m.name == WHOLE_BODY.1 {
            format!("ObjectPtrRemap::WholeBody({:?})", WHOLE_BODY.2)
        } else if RENAMED_TO_ITEM_REF.contains(&m.name.as_str()) {
            "ObjectPtrRemap::Rename(\"item_ref\")".to_owned()
        } else {
            "ObjectPtrRemap::Keep".to_owned()
        };
        writeln!(
            out,
            "RouteSchema {{ path: \"/{}/{}\", request: {}, response: {}, object_ptr: {remap} }},",
            svc.full_name(),
            m.name,
            lookup_message(&m.request.full_name),
            lookup_message(&m.response.full_name),
        )
        .unwrap();
    }
    out.push_str("];\n\n");

    out.push_str(
        "/// The lowerCamel name grpc-js also answers to, per service gRPC name, where it differs\n\
         /// from the RPC's name (`getCamera` for `GetCamera`): the RPC's name.\n\
         pub(super) fn camel_case_alias(service: &str, method: &str) -> Option<&'static str> {\n\
         Some(match (service, method) {\n",
    );
    let mut seen: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    for svc in &api.services {
        for m in &svc.methods {
            let camel = lodash_camel_case(&m.name);
            if camel == m.name || svc.methods.iter().any(|o| o.name == camel) {
                continue;
            }
            seen.entry((svc.name.clone(), camel))
                .and_modify(|target| {
                    if target.as_deref() != Some(m.name.as_str()) {
                        *target = None;
                    }
                })
                .or_insert_with(|| Some(m.name.clone()));
        }
    }
    for ((service, camel), target) in seen {
        if let Some(target) = target {
            writeln!(out, "({service:?}, {camel:?}) => {target:?},").unwrap();
        }
    }
    out.push_str("_ => return None,\n})\n}\n");
    out
}

/// lodash's `camelCase` of an RPC name, as proto-loader forms a method's `originalName`: words
/// split at case changes, digits and separators, the first lower-cased, the others capitalized
/// (`getValueByAttrID` -> `getValueByAttrId`, `GetCamera` -> `getCamera`).
pub(super) fn lodash_camel_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if let Some(&prev) = word.chars().last().as_ref() {
            let next = chars.get(i + 1).copied();
            let boundary = (prev.is_ascii_lowercase() && c.is_ascii_uppercase())
                || (prev.is_ascii_digit() != c.is_ascii_digit())
                || (prev.is_ascii_uppercase()
                    && c.is_ascii_uppercase()
                    && next.is_some_and(|n| n.is_ascii_lowercase()));
            if boundary {
                words.push(std::mem::take(&mut word));
            }
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = String::new();
    for (ix, word) in words.iter().enumerate() {
        let lower = word.to_ascii_lowercase();
        if ix == 0 {
            out.push_str(&lower);
        } else {
            let mut cs = lower.chars();
            if let Some(first) = cs.next() {
                out.push(first.to_ascii_uppercase());
                out.push_str(cs.as_str());
            }
        }
    }
    out
}
