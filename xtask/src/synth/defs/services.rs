//! Services and their class messages: those grown in bundled core files, those of new files, and
//! the quirk-bearing definitions particular new files add.

use std::collections::BTreeSet;

use anyhow::{Context, Result};

use super::enums::{change_event_values, dialog_result};
use super::{OBJECT_REF, PACKAGE, RpcNames, Synth};
use crate::synth::plan::Svc;
use crate::synth::proto::{self, Enum, Field, Label, Message, Service};
use crate::synth::words;

impl Synth {
    /// A service in a bundled core file: an existing one grown, or a new one.
    pub(super) fn core_file_service(&mut self, file: &str, svc: &Svc) -> Result<()> {
        let class = format!("{PACKAGE}.{}", svc.class);
        let class_name = svc.class.rsplit('.').next().expect("non-empty class");
        let existing = self
            .core_rpcs
            .get(&format!("{PACKAGE}.{}", svc.name))
            .cloned();
        let class_exists = self.exists(&class);
        let mut names = RpcNames::default();
        for name in existing.iter().flatten() {
            names.insert(name);
        }
        if !class_exists {
            self.claim_exact(PACKAGE, class_name)?;
        }
        if existing.is_none() {
            self.claim_exact(PACKAGE, svc.name)?;
        }
        let explicit = self.explicit_rpcs(svc, &class, &mut names)?;
        let more = remaining(svc, names.names.len())?;
        let generated = self.class_rpcs(&class, &mut names, svc.fixed, more)?;
        let mut rpcs = explicit.rpcs;
        rpcs.extend(generated.rpcs);
        let mut nested = explicit.nested;
        nested.extend(generated.nested);

        let growth = self.growth.entry(file.to_owned()).or_default();
        if class_exists {
            growth
                .nested
                .entry(class.clone())
                .or_insert_with(|| Message::empty(class_name))
                .messages
                .extend(nested);
        } else {
            let mut msg = Message::empty(class_name);
            msg.messages = nested;
            growth.messages.push(msg);
        }
        if existing.is_some() {
            growth
                .rpcs
                .entry(svc.name.to_owned())
                .or_default()
                .extend(rpcs);
        } else {
            growth.services.push(Service {
                name: svc.name.to_owned(),
                rpcs,
            });
        }
        Ok(())
    }

    /// A new file with services, each with a top-level class message (or one nested in the
    /// first service's class, for `Outer.Outer_Inner` classes).
    pub(super) fn service_file(&mut self, file: &str, about: &str, services: &[Svc]) -> Result<()> {
        let mut out = proto::File {
            about: about.to_owned(),
            package: PACKAGE.to_owned(),
            imports: BTreeSet::new(),
            services: Vec::new(),
            enums: Vec::new(),
            messages: Vec::new(),
        };
        self.local_types.clear();
        let first_class = services[0].class.split('.').next().unwrap_or_default();
        // Top-level data types and enums next to the classes (the SDK has 333 top-level
        // messages, 200 top-level enums).
        let structs = match self.rng.below(100) {
            0..25 => 0,
            25..80 => 1,
            _ => 2,
        };
        for _ in 0..structs {
            let name = loop {
                let candidate = format!("{first_class}{}", self.rng.pick(STRUCT_SUFFIXES));
                if self.claim(PACKAGE, &candidate) {
                    break candidate;
                }
            };
            let count = self.rng.range(2, 5);
            let mut fields = self.params(count, 1);
            for field in &mut fields {
                if self.rng.percent(7) {
                    field.label = Label::Repeated;
                }
            }
            self.local_types.push(format!(".{PACKAGE}.{name}"));
            out.messages.push(Message::with_fields(&name, fields));
        }
        if self.rng.percent(30) {
            out.enums.push(self.random_enum(PACKAGE)?);
        }
        for svc in services {
            self.claim_exact(PACKAGE, svc.name)?;
            let path: Vec<&str> = svc.class.split('.').collect();
            let scope = format!("{PACKAGE}.{}", path[..path.len() - 1].join("."));
            let scope = scope.trim_end_matches('.');
            let class_name = *path.last().expect("non-empty class");
            self.claim_exact(scope, class_name)?;
            let class = format!("{scope}.{class_name}");
            let mut msg = Message::empty(class_name);
            // About a third of the SDK's classes carry data fields besides their RPC types.
            if self.rng.percent(30) {
                let count = self.rng.range(1, 6);
                msg.fields = self.params(count, 1);
            }
            if self.rng.percent(7) {
                msg.enums.push(self.random_enum(&class)?);
            }
            // Nested C++ classes become nested messages (`ApiLocalDB.ApiLocalDB_Category`).
            if self.rng.percent(20) {
                let name = format!("{class_name}_{}", self.rng.pick(words::NOUNS));
                if self.claim(&class, &name) {
                    let count = self.rng.range(2, 5);
                    let fields = self.params(count, 1);
                    msg.messages.push(Message::with_fields(&name, fields));
                }
            }
            let mut names = RpcNames::default();
            let explicit = self.explicit_rpcs(svc, &class, &mut names)?;
            let more = remaining(svc, names.names.len())?;
            let generated = self.class_rpcs(&class, &mut names, svc.fixed, more)?;
            msg.messages.extend(explicit.nested);
            msg.messages.extend(generated.nested);
            let mut rpcs = explicit.rpcs;
            rpcs.extend(generated.rpcs);
            out.services.push(Service {
                name: svc.name.to_owned(),
                rpcs,
            });
            if path.len() == 1 {
                out.messages.push(msg);
            } else {
                let outer = out
                    .messages
                    .iter_mut()
                    .find(|m| m.name == path[0])
                    .with_context(|| format!("outer class {} comes first", path[0]))?;
                outer.messages.push(msg);
            }
        }
        self.file_extras(file, &mut out)?;
        self.files.insert(file.to_owned(), out);
        Ok(())
    }

    /// Quirk-bearing definitions of particular new files.
    fn file_extras(&mut self, file: &str, out: &mut proto::File) -> Result<()> {
        match file {
            "control.proto" => {
                // Q12: a top-level message that `ApiControl.ApiLogRequest` shadows.
                let msg = Message::with_fields(
                    "ApiLogRequest",
                    vec![
                        Field::new("level", "int32", 1),
                        Field::new("message", "string", 2),
                    ],
                );
                out.messages.push(self.define(PACKAGE, msg)?);
            }
            "apimodaldialog.proto" => {
                // Q12: a nested enum named like the top-level one; Q11: the same value names.
                let class = out
                    .messages
                    .iter_mut()
                    .find(|m| m.name == "ApiModalDialog")
                    .context("ApiModalDialog class")?;
                let en = dialog_result();
                self.define_enum(&format!("{PACKAGE}.ApiModalDialog"), &en)?;
                class.enums.push(en);
            }
            _ => {}
        }
        Ok(())
    }

    /// The nested `Type` enums of `ApiChangeManager` (Q7, Q11).
    pub(super) fn change_manager_events(&mut self) -> Result<()> {
        let scope = format!("{PACKAGE}.ApiChangeManager");
        let mut added = Vec::new();
        for (name, values) in [
            ("ApiChangeManager_ChangeEvent", change_event_values()),
            (
                "ApiChangeManager_TimeEvent",
                vec![
                    ("TIME_CHANGED".to_owned(), 0),
                    ("TIME_RANGE_CHANGED".to_owned(), 1),
                ],
            ),
        ] {
            let mut msg = Message::with_fields(
                name,
                vec![
                    Field::new("type", &format!(".{scope}.{name}.Type"), 1),
                    Field::new("changedItem", OBJECT_REF, 2),
                    Field::new("index", "uint32", 3),
                ],
            );
            msg.enums.push(Enum {
                name: "Type".to_owned(),
                allow_alias: false,
                values,
            });
            added.push(self.define(&scope, msg)?);
        }
        self.growth("apichangemanager.proto")
            .nested
            .entry(scope)
            .or_insert_with(|| Message::empty("ApiChangeManager"))
            .messages
            .extend(added);
        Ok(())
    }
}

/// How many RPCs the generator adds to `svc`, which has `have` already.
fn remaining(svc: &Svc, have: usize) -> Result<usize> {
    svc.rpcs.checked_sub(have).with_context(|| {
        format!(
            "the plan gives {} {} RPCs, but it has {have} already",
            svc.name, svc.rpcs
        )
    })
}

/// Last words of generated top-level data type names.
const STRUCT_SUFFIXES: &[&str] = &[
    "Info", "Data", "Desc", "State", "Options", "Entry", "Record", "Params", "Stats", "T",
];
