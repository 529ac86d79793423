//! Every name of an `allow_alias` enum value accepted.
//!
//! proto3 JSON parsing accepts every name of an enum value, but prost keeps one variant per
//! number and pbjson's deserializer only the first name ("unknown variant" for the others). In
//! the enum's `Deserialize` impl each alias joins the arm of the first name in `visit_str`
//! (`"A" | "B" => ..`) and the `FIELDS` list of names its errors cite. Serialization keeps
//! writing the first name.

use std::collections::HashMap;

use anyhow::{Result, bail};
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};
use syn::visit_mut::{self, VisitMut};
use syn::{Arm, Expr, ItemConst, ItemImpl, Pat, parse_quote};

use super::syntax::{impl_of, is_str};
use crate::regen::model::{to_snake, to_upper_camel};

/// An enum with `option allow_alias = true` whose values share numbers.
#[derive(Debug, PartialEq)]
pub(in crate::regen) struct AliasedEnum {
    /// The type name pbjson's impls use (the Rust path inside the package module).
    pub(in crate::regen) rust_type: String,
    /// Per shared number, in declaration order: the first name, then the others.
    pub(in crate::regen) names: Vec<(String, Vec<String>)>,
}

/// The enums of every package (by package name) that give a number more than one name.
pub(in crate::regen) fn enum_aliases(fds: &FileDescriptorSet) -> HashMap<String, Vec<AliasedEnum>> {
    fn add(out: &mut Vec<AliasedEnum>, module: &str, e: &EnumDescriptorProto) {
        let mut names: Vec<(i32, String, Vec<String>)> = Vec::new();
        for value in &e.value {
            match names.iter_mut().find(|(n, _, _)| *n == value.number()) {
                Some((_, _, aliases)) => aliases.push(value.name().to_owned()),
                None => names.push((value.number(), value.name().to_owned(), Vec::new())),
            }
        }
        let names: Vec<(String, Vec<String>)> = names
            .into_iter()
            .filter(|(_, _, aliases)| !aliases.is_empty())
            .map(|(_, first, aliases)| (first, aliases))
            .collect();
        if !names.is_empty() {
            out.push(AliasedEnum {
                rust_type: format!("{module}{}", to_upper_camel(e.name())),
                names,
            });
        }
    }
    fn walk(out: &mut Vec<AliasedEnum>, module: &str, msg: &DescriptorProto) {
        let nested_module = format!("{module}{}::", to_snake(msg.name()));
        for e in &msg.enum_type {
            add(out, &nested_module, e);
        }
        for nested in &msg.nested_type {
            walk(out, &nested_module, nested);
        }
    }
    let mut out: HashMap<String, Vec<AliasedEnum>> = HashMap::new();
    for file in &fds.file {
        let enums = out.entry(file.package().to_owned()).or_default();
        for e in &file.enum_type {
            add(enums, "", e);
        }
        for msg in &file.message_type {
            walk(enums, "", msg);
        }
    }
    out
}

/// Adds the aliases of `enums` (one package's) to their `Deserialize` impls in `file`.
pub(super) fn accept(file: &mut syn::File, enums: &[AliasedEnum]) -> Result<()> {
    for e in enums {
        let Some(item) = file.items.iter_mut().find_map(|item| match item {
            syn::Item::Impl(item)
                if impl_of(item, "Deserialize").as_deref() == Some(e.rust_type.as_str()) =>
            {
                Some(item)
            }
            _ => None,
        }) else {
            bail!("no Deserialize impl for the aliased enum {}", e.rust_type);
        };
        accept_in_impl(item, e)?;
    }
    Ok(())
}

/// Adds one enum's aliases to its `Deserialize` impl.
fn accept_in_impl(item: &mut ItemImpl, e: &AliasedEnum) -> Result<()> {
    for (first, aliases) in &e.names {
        let mut edit = AliasEdit {
            first,
            aliases,
            listed: 0,
            matched: 0,
        };
        edit.visit_item_impl_mut(item);
        for (what, count) in [
            ("the name in `FIELDS`", edit.listed),
            ("the arm of `visit_str`", edit.matched),
        ] {
            if count != 1 {
                bail!(
                    "the Deserialize impl of {} has {what} `{first}` {count} times, not once",
                    e.rust_type
                );
            }
        }
    }
    Ok(())
}

/// The visitor: adds one name's aliases after it in `FIELDS` and to its `visit_str` arm.
struct AliasEdit<'a> {
    first: &'a str,
    aliases: &'a [String],
    /// Times the name was found in `FIELDS`.
    listed: usize,
    /// Times an arm matched the name.
    matched: usize,
}

impl VisitMut for AliasEdit<'_> {
    fn visit_item_const_mut(&mut self, item: &mut ItemConst) {
        if item.ident != "FIELDS" {
            return;
        }
        let Expr::Reference(reference) = item.expr.as_mut() else {
            return;
        };
        let Expr::Array(list) = reference.expr.as_mut() else {
            return;
        };
        let Some(at) = list.elems.iter().position(|name| is_str(name, self.first)) else {
            return;
        };
        self.listed += 1;
        let mut names: Vec<Expr> = list.elems.iter().cloned().collect();
        let aliases = self.aliases.iter().map(|alias| parse_quote!(#alias));
        names.splice(at + 1..at + 1, aliases);
        list.elems = names.into_iter().collect();
    }

    fn visit_arm_mut(&mut self, arm: &mut Arm) {
        if let Pat::Lit(lit) = &arm.pat
            && matches!(&lit.lit, syn::Lit::Str(name) if name.value() == self.first)
        {
            self.matched += 1;
            let first = self.first;
            let aliases = self.aliases;
            arm.pat = parse_quote!(#first #(| #aliases)*);
        }
        visit_mut::visit_arm_mut(self, arm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pbjson's output for `enum E { option allow_alias = true; E_A = 0; E_B = 1; E_C = 1;
    /// E_D = 1; }` nested in `Outer` (the Deserialize impl, shortened), then a message impl that
    /// also names `E_B`.
    const ALIASED: &str = "impl<'de> serde::Deserialize<'de> for outer::E {
        fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error> {
            const FIELDS: &[&str] = &[\"E_A\", \"E_B\"];
            fn visit_str<E>(self, value: &str) -> std::result::Result<Self::Value, E> {
                match value {
                    \"E_A\" => Ok(outer::E::A),
                    \"E_B\" => Ok(outer::E::B),
                    _ => Err(serde::de::Error::unknown_variant(value, FIELDS)),
                }
            }
        }
    }
    impl<'de> serde::Deserialize<'de> for Other {
        fn deserialize<D>(deserializer: D) {
            const FIELDS: &[&str] = &[\"E_B\"];
            match value { \"E_B\" => Ok(GeneratedField::EB), _ => Err(()) }
        }
    }";

    fn descriptors() -> FileDescriptorSet {
        FileDescriptorSet {
            file: vec![prost_types::FileDescriptorProto {
                package: Some("pkg".into()),
                message_type: vec![DescriptorProto {
                    name: Some("Outer".into()),
                    enum_type: vec![EnumDescriptorProto {
                        name: Some("E".into()),
                        value: ["E_A", "E_B", "E_C", "E_D"]
                            .iter()
                            .zip([0, 1, 1, 1])
                            .map(|(name, number)| prost_types::EnumValueDescriptorProto {
                                name: Some((*name).into()),
                                number: Some(number),
                                options: None,
                            })
                            .collect(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn aliases_join_the_first_names_arm_and_list() {
        let aliases = enum_aliases(&descriptors());
        assert_eq!(
            aliases["pkg"],
            vec![AliasedEnum {
                rust_type: "outer::E".into(),
                names: vec![("E_B".into(), vec!["E_C".into(), "E_D".into()])],
            }]
        );
        let mut file = syn::parse_file(ALIASED).expect("valid Rust");
        accept(&mut file, &aliases["pkg"]).expect("the impl is found");
        let expected = ALIASED
            .replacen(
                "\"E_A\", \"E_B\"]",
                "\"E_A\", \"E_B\", \"E_C\", \"E_D\"]",
                1,
            )
            .replacen(
                "\"E_B\" => Ok(outer",
                "\"E_B\" | \"E_C\" | \"E_D\" => Ok(outer",
                1,
            );
        let printed = |code: &str| prettyplease::unparse(&syn::parse_file(code).expect("valid"));
        assert_eq!(prettyplease::unparse(&file), printed(&expected));

        let missing = AliasedEnum {
            rust_type: "Missing".into(),
            names: vec![("M_A".into(), vec!["M_B".into()])],
        };
        let mut file = syn::parse_file(ALIASED).expect("valid Rust");
        assert!(accept(&mut file, &[missing]).is_err());
    }
}
