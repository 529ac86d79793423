//! The generic per-class RPCs: fresh names and overloads, request parameters, and response
//! types guessed from the method name as the SDK's would be.

use std::collections::HashSet;

use anyhow::{Result, bail};

use super::{ClassRpcs, EMPTY, OBJECT_REF, RpcNames, Synth};
use crate::regen::model::to_snake;
use crate::synth::proto::{Field, Message, Rpc};
use crate::synth::words;

impl Synth {
    /// `count` generated RPCs of class `class` (full name, no leading dot), `fixed` ones first.
    pub(super) fn class_rpcs(
        &mut self,
        class: &str,
        names: &mut RpcNames,
        fixed: &[&str],
        count: usize,
    ) -> Result<ClassRpcs> {
        let mut out = ClassRpcs::default();
        let mut fixed = fixed.iter();
        let mut attempts = 0;
        while out.rpcs.len() < count {
            attempts += 1;
            if attempts > 100 * count + 1000 {
                bail!("cannot find {count} free RPC names for {class}");
            }
            let (name, stem, must) = match fixed.next() {
                Some(entry) => {
                    let (name, stem) = entry.split_once('=').unwrap_or((entry, entry));
                    (name.to_owned(), stem.to_owned(), true)
                }
                None => {
                    let (name, stem) = self.rpc_name(names);
                    (name, stem, false)
                }
            };
            let request = format!("{stem}Request");
            if !names.free(&name) || !self.claim(class, &request) {
                if must {
                    bail!("fixed RPC {name} of {class} is not free");
                }
                continue;
            }
            names.insert(&name);
            names.generated.push(name.clone());
            let instance = !stem.starts_with("create") && self.rng.percent(90);
            let mut fields = Vec::new();
            if instance {
                fields.push(Field::new("objectPtr", OBJECT_REF, 1));
            }
            let params = match self.rng.below(100) {
                0..30 => 0,
                30..72 => 1,
                72..90 => 2,
                90..98 => 3,
                _ => 4,
            };
            let first = fields.len() as u32 + 1;
            let mut taken: HashSet<String> = fields.iter().map(|f| to_snake(&f.name)).collect();
            fields.extend(self.params_avoiding(params, first, &mut taken));
            out.nested.push(Message::with_fields(&request, fields));

            let response = if self.returns_empty(&stem) {
                EMPTY.to_owned()
            } else {
                let response = format!("{stem}Response");
                if self.claim(class, &response) {
                    let mut fields = vec![Field::new("result", &self.result_type(&stem), 1)];
                    if self.rng.percent(8) {
                        let mut taken = HashSet::from(["result".to_owned()]);
                        let extra = self.rng.range(1, 2);
                        fields.extend(self.params_avoiding(extra, 2, &mut taken));
                    }
                    out.nested.push(Message::with_fields(&response, fields));
                    format!(".{class}.{response}")
                } else {
                    EMPTY.to_owned()
                }
            };
            out.rpcs
                .push(Rpc::unary(&name, &format!(".{class}.{request}"), &response));
        }
        Ok(out)
    }

    /// A fresh RPC name and the stem of its request type: mostly `(name, name)`, sometimes an
    /// overload (`size1`, `begin11`), sometimes an overload whose plain form the service lacks
    /// (`make1`, stem `make`: Q2).
    fn rpc_name(&mut self, names: &RpcNames) -> (String, String) {
        let roll = self.rng.below(100);
        if roll < 20 && !names.generated.is_empty() {
            let base = self.rng.pick(&names.generated).clone();
            let name = (1..)
                .map(|n| format!("{base}{n}"))
                .find(|n| names.free(n))
                .expect("some suffix is free");
            return (name.clone(), name);
        }
        let base = if self.rng.percent(30) {
            (*self.rng.pick(words::METHODS)).to_owned()
        } else {
            format!(
                "{}{}{}",
                self.rng.pick(words::VERBS),
                self.rng.pick(words::NOUNS),
                self.rng.pick(words::QUALIFIERS)
            )
        };
        if roll < 26 {
            (format!("{base}1"), base)
        } else {
            (base.clone(), base)
        }
    }

    /// Whether a method of this stem returns `google.protobuf.Empty` (392 of the SDK's RPCs).
    fn returns_empty(&mut self, stem: &str) -> bool {
        const MUTATORS: &[&str] = &[
            "set",
            "clear",
            "destroy",
            "remove",
            "reset",
            "show",
            "hide",
            "update",
            "refresh",
            "lock",
            "unlock",
            "start",
            "stop",
            "enable",
            "disable",
            "invalidate",
            "release",
            "detach",
            "unregister",
            "close",
            "cancel",
            "repaint",
            "flush",
            "wait",
            "rename",
        ];
        if MUTATORS.iter().any(|m| stem.starts_with(m)) {
            self.rng.percent(75)
        } else {
            self.rng.percent(8)
        }
    }

    /// The type of a response's `result`, guessed from the method name as the SDK's would be.
    fn result_type(&mut self, stem: &str) -> String {
        if !self.local_types.is_empty() && self.rng.percent(15) {
            return self.rng.pick(&self.local_types).clone();
        }
        let lower = stem.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        let ty: &str = if ["is", "has", "equals", "contains", "can"]
            .iter()
            .any(|p| stem.starts_with(p))
        {
            "bool"
        } else if has(&["count", "size", "index", "width", "height"]) || lower.ends_with("ix") {
            "uint32"
        } else if has(&[
            "name",
            "text",
            "label",
            "path",
            "description",
            "tooltip",
            "url",
        ]) {
            "string"
        } else if stem.starts_with("create")
            || has(&[
                "node", "graph", "item", "owner", "parent", "root", "target", "source",
            ])
        {
            OBJECT_REF
        } else if has(&["color"]) {
            ".octaneapi.float_4"
        } else if has(&["position", "origin", "offset"]) {
            ".octaneapi.float_2"
        } else if has(&["matrix", "transform"]) {
            ".octaneapi.MatrixF"
        } else if has(&["time"]) {
            ".octaneapi.TimeT"
        } else if has(&["buffer", "preview", "thumbnail", "data"]) {
            ".octaneapi.Buffer"
        } else if has(&["items", "children", "selection", "list", "array"]) {
            ".octaneapi.ObjectRefArrayT"
        } else if has(&["type", "mode", "format", "kind", "state", "status"]) {
            words::ENUM
        } else if has(&["handle"]) {
            "uint64"
        } else if has(&["id", "version", "level"]) {
            "uint32"
        } else {
            OTHER_RESULTS[self.rng.below(OTHER_RESULTS.len())]
        };
        self.resolve(ty)
    }

    /// `ENUM` becomes one of the base files' enums; other types stay.
    fn resolve(&mut self, ty: &str) -> String {
        if ty == words::ENUM {
            self.rng.pick(&self.enums).clone()
        } else {
            ty.to_owned()
        }
    }

    /// `count` parameter fields numbered from `first`, with distinct snake_case names.
    pub(super) fn params(&mut self, count: usize, first: u32) -> Vec<Field> {
        self.params_avoiding(count, first, &mut HashSet::new())
    }

    pub(super) fn params_avoiding(
        &mut self,
        count: usize,
        first: u32,
        taken: &mut HashSet<String>,
    ) -> Vec<Field> {
        let mut fields = Vec::new();
        while fields.len() < count {
            let (name, types) = self.rng.pick(words::PARAMS);
            if !taken.insert(to_snake(name)) {
                continue;
            }
            let ty = *self.rng.pick(types);
            let ty = self.resolve(ty);
            fields.push(Field::new(name, &ty, first + fields.len() as u32));
        }
        fields
    }
}

/// Result types of methods whose name says nothing about it.
const OTHER_RESULTS: &[&str] = &[
    "float",
    "int32",
    "uint32",
    "bool",
    "string",
    "double",
    words::ENUM,
    "float",
    ".octaneapi.float_2",
    OBJECT_REF,
    "int64",
    ".octaneapi.StringArrayT",
];
