//! The shape of a compiled proto set, counted the way the real SDK's figures were counted
//! (`docs/sdk-shape.md`), so a synth tree can be compared with it.

use std::collections::BTreeSet;
use std::fmt;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};

/// Counts of one proto set (files under `google/` are not counted, as in `docs/sdk-shape.md`);
/// each field is one row of [`Counts::rows`], named as there.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub files: usize,
    pub packages: usize,
    pub services: usize,
    pub rpcs: usize,
    pub unary: usize,
    pub server_streaming: usize,
    pub client_streaming: usize,
    pub messages: usize,
    pub top_level_messages: usize,
    pub empty_messages: usize,
    pub lower_case_messages: usize,
    pub max_depth: usize,
    pub enums: usize,
    pub nested_enums: usize,
    pub enum_values: usize,
    pub largest_enum: usize,
    pub allow_alias_enums: usize,
    pub negative_values: usize,
    pub fields: usize,
    pub oneofs: usize,
    pub optional_fields: usize,
    pub repeated_fields: usize,
    pub int64_fields: usize,
    pub bytes_fields: usize,
    pub type_fields: usize,
    pub nested_requests: usize,
    pub digit_rpc_names: usize,
}

/// The figures of the canonical 91-file SDK set, in the order of [`Counts::rows`]: those of the
/// table "Figures the synth tree is checked against" in `docs/sdk-shape.md`, which a test
/// compares with this one.
const SDK: [usize; 27] = [
    91, 2, 105, 1323, 1321, 1, 1, 2516, 333, 136, 2166, 3, 216, 16, 4341, 1143, 10, 2, 4634, 21,
    16, 59, 177, 8, 44, 1260, 291,
];

impl Counts {
    /// Counts everything but the `google/` files of `fds`.
    pub(crate) fn of(fds: &FileDescriptorSet) -> Self {
        let mut c = Self::default();
        let mut packages = BTreeSet::new();
        let mut nested_types = BTreeSet::new();
        for file in fds.file.iter().filter(|f| !f.name().starts_with("google/")) {
            c.files += 1;
            packages.insert(file.package());
            for msg in &file.message_type {
                c.message(
                    msg,
                    1,
                    &format!(".{}.{}", file.package(), msg.name()),
                    &mut nested_types,
                );
            }
            for en in &file.enum_type {
                c.enumeration(en);
            }
        }
        c.packages = packages.len();
        for file in fds.file.iter().filter(|f| !f.name().starts_with("google/")) {
            for svc in &file.service {
                c.services += 1;
                for m in &svc.method {
                    c.rpcs += 1;
                    match (m.client_streaming(), m.server_streaming()) {
                        (false, false) => c.unary += 1,
                        (false, true) => c.server_streaming += 1,
                        (true, false) => c.client_streaming += 1,
                        (true, true) => {}
                    }
                    if nested_types.contains(m.input_type()) {
                        c.nested_requests += 1;
                    }
                    if m.name().ends_with(|ch: char| ch.is_ascii_digit()) {
                        c.digit_rpc_names += 1;
                    }
                }
            }
        }
        c
    }

    fn message(
        &mut self,
        msg: &DescriptorProto,
        depth: usize,
        full: &str,
        nested_types: &mut BTreeSet<String>,
    ) {
        self.messages += 1;
        if depth == 1 {
            self.top_level_messages += 1;
        } else {
            nested_types.insert(full.to_owned());
        }
        self.max_depth = self.max_depth.max(depth);
        if msg.field.is_empty() {
            self.empty_messages += 1;
        }
        if msg.name().starts_with(|ch: char| ch.is_ascii_lowercase()) {
            self.lower_case_messages += 1;
        }
        for field in &msg.field {
            self.fields += 1;
            if field.proto3_optional() {
                self.optional_fields += 1;
            }
            if field.label() == Label::Repeated {
                self.repeated_fields += 1;
            }
            if matches!(field.r#type(), Type::Int64 | Type::Uint64) {
                self.int64_fields += 1;
            }
            if field.r#type() == Type::Bytes {
                self.bytes_fields += 1;
            }
            if field.name() == "type" {
                self.type_fields += 1;
            }
        }
        // Synthetic oneofs (of proto3 `optional` fields) are not real ones.
        self.oneofs += msg
            .oneof_decl
            .iter()
            .enumerate()
            .filter(|(ix, _)| {
                msg.field
                    .iter()
                    .any(|f| f.oneof_index == Some(*ix as i32) && !f.proto3_optional())
            })
            .count();
        for en in &msg.enum_type {
            self.nested_enums += 1;
            self.enumeration(en);
        }
        for nested in &msg.nested_type {
            self.message(
                nested,
                depth + 1,
                &format!("{full}.{}", nested.name()),
                nested_types,
            );
        }
    }

    fn enumeration(&mut self, en: &EnumDescriptorProto) {
        self.enums += 1;
        self.enum_values += en.value.len();
        self.largest_enum = self.largest_enum.max(en.value.len());
        if en.options.as_ref().is_some_and(|o| o.allow_alias()) {
            self.allow_alias_enums += 1;
        }
        self.negative_values += en.value.iter().filter(|v| v.number() < 0).count();
    }

    /// `(what, this set, the SDK)` for every count.
    pub(crate) fn rows(&self) -> Vec<(&'static str, usize, usize)> {
        let values = [
            ("files", self.files),
            ("packages", self.packages),
            ("services", self.services),
            ("RPCs", self.rpcs),
            ("  unary", self.unary),
            ("  server-streaming", self.server_streaming),
            ("  client-streaming", self.client_streaming),
            ("messages (incl. nested)", self.messages),
            ("  top-level", self.top_level_messages),
            ("  without fields", self.empty_messages),
            ("  lower-case names", self.lower_case_messages),
            ("  max nesting depth", self.max_depth),
            ("enums", self.enums),
            ("  nested", self.nested_enums),
            ("enum values", self.enum_values),
            ("  largest enum", self.largest_enum),
            ("  allow_alias enums", self.allow_alias_enums),
            ("  negative values", self.negative_values),
            ("fields", self.fields),
            ("real oneofs", self.oneofs),
            ("proto3 optional fields", self.optional_fields),
            ("repeated fields", self.repeated_fields),
            ("int64/uint64 fields", self.int64_fields),
            ("bytes fields", self.bytes_fields),
            ("fields named `type`", self.type_fields),
            ("RPCs with a nested request", self.nested_requests),
            ("RPC names ending in a digit", self.digit_rpc_names),
        ];
        values
            .into_iter()
            .zip(SDK)
            .map(|((what, ours), sdk)| (what, ours, sdk))
            .collect()
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<30} {:>7} {:>7}", "", "synth", "SDK")?;
        for (what, ours, sdk) in self.rows() {
            writeln!(f, "{what:<30} {ours:>7} {sdk:>7}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Counts;

    /// The heading of the table in `docs/sdk-shape.md` that [`super::SDK`] must agree with.
    const HEADING: &str = "### Figures the synth tree is checked against";

    #[test]
    fn the_sdk_figures_are_those_of_docs_sdk_shape() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/sdk-shape.md");
        let doc = std::fs::read_to_string(path).expect("docs/sdk-shape.md is readable");
        let (_, section) = doc
            .split_once(HEADING)
            .expect("the figures heading is in the doc");
        let documented: Vec<(String, usize)> = section
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .skip(2)
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let figure = cells[2].parse().expect("a figure is a plain number");
                (cells[1].to_owned(), figure)
            })
            .collect();
        let coded: Vec<(String, usize)> = Counts::default()
            .rows()
            .into_iter()
            .map(|(what, _, sdk)| (what.trim().to_owned(), sdk))
            .collect();
        assert_eq!(documented, coded);
    }
}
