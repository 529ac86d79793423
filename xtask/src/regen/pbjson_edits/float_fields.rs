//! Non-finite floats written as strings.
//!
//! proto3 JSON writes a NaN or infinite float as `"NaN"`, `"Infinity"` or `"-Infinity"` (as
//! Python's `MessageToDict` does); serde_json would write `null`. In the `Serialize` impl of each
//! message with float or double fields, `struct_ser.serialize_field("key", value)` of those
//! fields' keys becomes `serialize_field("key", &crate::json::ProtoFloat(value))`.

use std::collections::HashMap;

use anyhow::{Result, bail};
use prost_types::field_descriptor_proto::Type;
use prost_types::{DescriptorProto, FileDescriptorSet};
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, ExprMethodCall, ItemImpl, parse_quote};

use super::syntax::{impl_of, is_str};
use crate::regen::model::{to_snake, to_upper_camel};

/// The JSON keys of the float and double fields of every message, by the type name pbjson's
/// serializer impls use (the Rust path inside the package module: `api_item::GetValueResponse`).
pub(in crate::regen) fn float_fields(fds: &FileDescriptorSet) -> HashMap<String, Vec<String>> {
    fn walk(out: &mut HashMap<String, Vec<String>>, module: &str, msg: &DescriptorProto) {
        let rust_name = format!("{module}{}", to_upper_camel(msg.name()));
        let keys: Vec<String> = msg
            .field
            .iter()
            .filter(|f| matches!(f.r#type(), Type::Float | Type::Double))
            .map(|f| f.name().to_owned())
            .collect();
        if !keys.is_empty() {
            out.insert(rust_name, keys);
        }
        let nested_module = format!("{module}{}::", to_snake(msg.name()));
        for nested in &msg.nested_type {
            walk(out, &nested_module, nested);
        }
    }
    let mut out = HashMap::new();
    for file in &fds.file {
        for msg in &file.message_type {
            walk(&mut out, "", msg);
        }
    }
    out
}

/// Wraps the float fields' values of every `Serialize` impl of one package's serde impls.
/// `floats` holds every package's messages; an impl of this package finds its own by type name.
pub(super) fn rewrite(file: &mut syn::File, floats: &HashMap<String, Vec<String>>) -> Result<()> {
    let mut edit = FloatSerialization {
        floats,
        missing: Vec::new(),
    };
    edit.visit_file_mut(file);
    if !edit.missing.is_empty() {
        bail!(
            "no `serialize_field` of the float fields {} (pbjson's output changed shape)",
            edit.missing.join(", ")
        );
    }
    Ok(())
}

/// The visitor: finds the `Serialize` impls of messages with float fields.
struct FloatSerialization<'a> {
    floats: &'a HashMap<String, Vec<String>>,
    /// `Type.key` of float fields whose impl never serialized them.
    missing: Vec<String>,
}

impl VisitMut for FloatSerialization<'_> {
    fn visit_item_impl_mut(&mut self, item: &mut ItemImpl) {
        let Some((name, keys)) =
            impl_of(item, "Serialize").and_then(|name| self.floats.get_key_value(&name))
        else {
            return visit_mut::visit_item_impl_mut(self, item);
        };
        let mut seen = FloatKeys {
            keys,
            wrapped: vec![false; keys.len()],
        };
        seen.visit_item_impl_mut(item);
        for (key, wrapped) in keys.iter().zip(seen.wrapped) {
            if !wrapped {
                self.missing.push(format!("{name}.{key}"));
            }
        }
    }
}

/// Wraps the values of one impl's `serialize_field` calls of float keys.
struct FloatKeys<'a> {
    keys: &'a [String],
    /// Per key: whether a call of it was seen.
    wrapped: Vec<bool>,
}

impl VisitMut for FloatKeys<'_> {
    fn visit_expr_method_call_mut(&mut self, call: &mut ExprMethodCall) {
        visit_mut::visit_expr_method_call_mut(self, call);
        if call.method != "serialize_field" || call.args.len() != 2 {
            return;
        }
        let Some(index) = self.keys.iter().position(|key| is_str(&call.args[0], key)) else {
            return;
        };
        let value: &mut Expr = &mut call.args[1];
        *value = parse_quote!(&crate::json::ProtoFloat(#value));
        self.wrapped[index] = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(code: &str) -> String {
        prettyplease::unparse(&syn::parse_file(code).expect("valid Rust"))
    }

    #[test]
    fn float_fields_of_the_message_serialize_through_proto_float() {
        let floats = HashMap::from([(
            "api_item::GetValueResponse".to_owned(),
            vec!["min".to_owned(), "float_value".to_owned()],
        )]);
        let code = "impl serde::Serialize for api_item::GetValueResponse {
            fn serialize(&self) {
                struct_ser.serialize_field(\"min\", &self.min)?;
                struct_ser.serialize_field(\"count\", &self.count)?;
                match v { Value::FloatValue(v) => { struct_ser.serialize_field(\"float_value\", v)?; } }
            }
        }
        impl serde::Serialize for Other {
            fn serialize(&self) { struct_ser.serialize_field(\"min\", &self.min)?; }
        }";
        let mut file = syn::parse_file(code).expect("valid Rust");
        rewrite(&mut file, &floats).expect("every float field found");
        let expected = code
            .replace(
                "\"min\", &self.min)?;\n                struct",
                "\"min\", &crate::json::ProtoFloat(&self.min))?;\n                struct",
            )
            .replace(
                "\"float_value\", v)",
                "\"float_value\", &crate::json::ProtoFloat(v))",
            );
        assert_eq!(prettyplease::unparse(&file), printed(&expected));

        let missing = HashMap::from([("Other".to_owned(), vec!["max".to_owned()])]);
        let mut file = syn::parse_file(code).expect("valid Rust");
        let err = rewrite(&mut file, &missing).expect_err("max is never serialized");
        assert!(err.to_string().contains("Other.max"), "{err}");
    }
}
