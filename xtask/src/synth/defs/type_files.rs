//! The types-only files: data types and enums without a service.

use std::collections::BTreeSet;

use anyhow::{Result, bail};

use super::enums::{change_event_values, dialog_result};
use super::{OBJECT_REF, PACKAGE, Synth};
use crate::regen::model::to_snake;
use crate::synth::plan;
use crate::synth::proto::{self, Enum, Field, Label, Message};

impl Synth {
    pub(super) fn type_files(&mut self) -> Result<()> {
        for (file, about) in plan::TYPE_FILES {
            let mut enums = Vec::new();
            let mut messages = Vec::new();
            match *file {
                "apiarray.proto" => {
                    for (name, ty) in [
                        ("ApiArrayApiItem", OBJECT_REF),
                        ("ApiArrayApiNode", OBJECT_REF),
                        ("ApiArrayApiNodeGraph", OBJECT_REF),
                        ("ApiArrayString", "string"),
                        ("ApiArrayFloat", "float"),
                        ("ApiArrayInt", "int32"),
                        ("ApiArrayGuid", ".octaneapi.GuidT"),
                        ("ApiArrayTime", ".octaneapi.TimeT"),
                    ] {
                        let field = Field::new("data", ty, 1).with(Label::Repeated);
                        messages
                            .push(self.define(PACKAGE, Message::with_fields(name, vec![field]))?);
                    }
                }
                "apidialogfeedback.proto" => {
                    let en = dialog_result();
                    self.define_enum(PACKAGE, &en)?;
                    enums.push(en);
                    let msg = Message::with_fields(
                        "DialogFeedback",
                        vec![
                            Field::new("result", ".octaneapi.DialogResult", 1),
                            Field::new("message", "string", 2),
                        ],
                    );
                    messages.push(self.define(PACKAGE, msg)?);
                }
                "apiplugin.proto" => {
                    for name in ["ApiPluginInfo", "ApiPluginCommand", "ApiPluginVersion"] {
                        let count = self.rng.range(2, 6);
                        let fields = self.params(count, 1);
                        messages.push(self.define(PACKAGE, Message::with_fields(name, fields))?);
                    }
                }
                "octanechangeevent.proto" => {
                    let values = change_event_values();
                    let en = Enum {
                        name: "ChangeEventType".to_owned(),
                        allow_alias: false,
                        values: values.clone(),
                    };
                    self.define_enum(PACKAGE, &en)?;
                    enums.push(en);
                    let mut msg = Message::with_fields(
                        "ChangeEvent",
                        vec![
                            Field::new("item", OBJECT_REF, 1),
                            Field::new("type", ".octaneapi.ChangeEvent.Type", 2),
                            Field::new("index", "uint32", 3),
                        ],
                    );
                    msg.enums.push(Enum {
                        name: "Type".to_owned(),
                        allow_alias: false,
                        values,
                    });
                    messages.push(self.define(PACKAGE, msg)?);
                }
                "octanecallbacktypes.proto" => {
                    let msg = Message::with_fields(
                        "UpdateActivationStatusCallbackT",
                        vec![
                            Field::new("callbackSource", "string", 1),
                            Field::new("callbackId", "int32", 2),
                            Field::new("context", "bytes", 3),
                            Field::new("userData", "uint64", 4),
                        ],
                    );
                    messages.push(self.define(PACKAGE, msg)?);
                    for name in [
                        "ProgressCallbackT",
                        "CommandCallbackT",
                        "ObserverCallbackT",
                        "DaemonInfoT",
                    ] {
                        let mut fields = vec![
                            Field::new("callbackSource", "string", 1),
                            Field::new("callbackId", "int32", 2),
                        ];
                        let count = self.rng.range(0, 3);
                        let mut taken = fields.iter().map(|f| to_snake(&f.name)).collect();
                        fields.extend(self.params_avoiding(count, 3, &mut taken));
                        messages.push(self.define(PACKAGE, Message::with_fields(name, fields))?);
                    }
                }
                "octanerendersettings.proto" => {
                    // Field numbers up to 34, the highest in the SDK (Q18), with gaps.
                    let fields = self.params(30, 1);
                    let fields = fields
                        .into_iter()
                        .zip((1..=34).filter(|n| ![5, 12, 19, 27].contains(n)))
                        .map(|(f, n)| Field { number: n, ..f })
                        .collect();
                    let msg = Message::with_fields("RenderSettingsSnapshotT", fields);
                    messages.push(self.define(PACKAGE, msg)?);
                }
                other => bail!("no content for types-only file {other}"),
            }
            self.files.insert(
                (*file).to_owned(),
                proto::File {
                    about: (*about).to_owned(),
                    package: PACKAGE.to_owned(),
                    imports: BTreeSet::new(),
                    services: Vec::new(),
                    enums,
                    messages,
                },
            );
        }
        Ok(())
    }
}
