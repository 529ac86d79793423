//! `common.proto`: vector types, the `*ArrayT` types of the array oneofs, pointer types, and the
//! value and array oneofs the quirk-bearing RPCs use.

use anyhow::Result;

use super::{PACKAGE, Synth};
use crate::synth::proto::{Enum, Field, Label, Message, Oneof};

impl Synth {
    /// Vector types (`uint32_4`, `double_3`, ...), the `*ArrayT` types of the array oneofs, and
    /// pointer types whose nested enums repeat value names of `ObjectRef.ObjectType`.
    pub(super) fn common(&mut self) -> Result<()> {
        let mut messages = Vec::new();
        for (base, ty) in [
            ("float", "float"),
            ("double", "double"),
            ("int32", "int32"),
            ("uint32", "uint32"),
            ("int64", "int64"),
            ("uint64", "uint64"),
            ("int8", "int32"),
            ("uint8", "uint32"),
        ] {
            for dims in 2..=4 {
                let name = format!("{base}_{dims}");
                if self.exists(&format!("{PACKAGE}.{name}")) {
                    continue;
                }
                let fields = ["x", "y", "z", "w"][..dims]
                    .iter()
                    .zip(1..)
                    .map(|(axis, n)| Field::new(axis, ty, n))
                    .collect();
                messages.push(self.define(PACKAGE, Message::with_fields(&name, fields))?);
            }
        }
        // More lower-case top-level types, C typedef style.
        for (name, ty) in [
            ("enum_t", "int32"),
            ("bool_t", "bool"),
            ("char_t", "uint32"),
            ("size_t", "uint64"),
            ("handle_t", "uint64"),
            ("rect_t", ".octaneapi.int32_4"),
            ("range_t", ".octaneapi.float_2"),
            ("flags_t", "uint32"),
        ] {
            let msg = Message::with_fields(name, vec![Field::new("value", ty, 1)]);
            messages.push(self.define(PACKAGE, msg)?);
        }
        for (name, ty) in ARRAY_TYPES {
            if self.exists(&format!("{PACKAGE}.{name}")) {
                continue;
            }
            let field = if *ty == "bytes" {
                Field::new("data", "bytes", 1)
            } else {
                Field::new("data", ty, 1).with(Label::Repeated)
            };
            messages.push(self.define(PACKAGE, Message::with_fields(name, vec![field]))?);
        }
        for ptr in ["ApiItemPtr", "ApiNodeGraphPtr"] {
            let mut msg = Message::with_fields(
                ptr,
                vec![
                    Field::new("handle", "uint64", 1),
                    Field::new("type", &format!(".{PACKAGE}.{ptr}.PointerType"), 2),
                ],
            );
            msg.enums.push(Enum {
                name: "PointerType".to_owned(),
                allow_alias: false,
                values: [
                    "ApiItem",
                    "ApiNode",
                    "ApiRootNodeGraph",
                    "ApiReferenceGraph",
                    "ApiNodeGraph",
                ]
                .iter()
                .zip(0..)
                .map(|(v, n)| ((*v).to_owned(), n))
                .collect(),
            });
            messages.push(self.define(PACKAGE, msg)?);
        }
        self.growth("common.proto").messages = messages;
        Ok(())
    }
}

/// The `*ArrayT` types of the 14-member array oneofs, with their element types.
const ARRAY_TYPES: &[(&str, &str)] = &[
    ("BoolArrayT", "bool"),
    ("IntArrayT", "int32"),
    ("Int2ArrayT", ".octaneapi.int32_2"),
    ("Int3ArrayT", ".octaneapi.int32_3"),
    ("Int4ArrayT", ".octaneapi.int32_4"),
    ("LongArrayT", "int64"),
    ("Long2ArrayT", ".octaneapi.int64_2"),
    ("FloatArrayT", "float"),
    ("Float2ArrayT", ".octaneapi.float_2"),
    ("Float3ArrayT", ".octaneapi.float_3"),
    ("Float4ArrayT", ".octaneapi.float_4"),
    ("MatrixArrayT", ".octaneapi.MatrixF"),
    ("StringArrayT", "string"),
    ("ByteArrayT", "bytes"),
];

/// `oneof value` of the value getters and setters, fields 10-22 (23 with the pin file path).
pub(super) fn value_oneof(pin: bool) -> Oneof {
    let mut members = vec![
        ("bool_value", "bool"),
        ("int_value", "int32"),
        ("int2_value", ".octaneapi.int32_2"),
        ("int3_value", ".octaneapi.int32_3"),
        ("int4_value", ".octaneapi.int32_4"),
        ("long_value", "int64"),
        ("long2_value", ".octaneapi.int64_2"),
        ("float_value", "float"),
        ("float2_value", ".octaneapi.float_2"),
        ("float3_value", ".octaneapi.float_3"),
        ("float4_value", ".octaneapi.float_4"),
        ("matrix_value", ".octaneapi.MatrixF"),
        ("string_value", "string"),
    ];
    if pin {
        members.push(("file_path_value", ".octaneapi.ApiFilePath"));
    }
    Oneof {
        name: "value".to_owned(),
        fields: members
            .iter()
            .zip(10..)
            .map(|((name, ty), n)| Field::new(name, ty, n))
            .collect(),
    }
}

/// `oneof array_value` with its 14 members from field 10.
pub(super) fn array_oneof() -> Oneof {
    const NAMES: [&str; 14] = [
        "bool_array",
        "int_array",
        "int2_array",
        "int3_array",
        "int4_array",
        "long_array",
        "long2_array",
        "float_array",
        "float2_array",
        "float3_array",
        "float4_array",
        "matrix_array",
        "string_array",
        "byte_array",
    ];
    Oneof {
        name: "array_value".to_owned(),
        fields: NAMES
            .iter()
            .zip(ARRAY_TYPES)
            .zip(10..)
            .map(|((name, (ty, _)), n)| Field::new(name, &format!(".octaneapi.{ty}"), n))
            .collect(),
    }
}
