//! The RPCs particular services must have with particular types: the quirks of
//! `docs/sdk-shape.md` (Q13, Q15, Q17, Q21 ...) placed where the SDK has them.

use anyhow::Result;

use super::common::{array_oneof, value_oneof};
use super::{ClassRpcs, EMPTY, OBJECT_REF, RpcNames, Synth};
use crate::synth::plan::Svc;
use crate::synth::proto::{Field, Label, Message, Rpc};

impl Synth {
    /// RPCs particular services must have with particular types (Q13, Q15, Q17, Q21 ...).
    pub(super) fn explicit_rpcs(
        &mut self,
        svc: &Svc,
        class: &str,
        names: &mut RpcNames,
    ) -> Result<ClassRpcs> {
        let mut out = ClassRpcs::default();
        let t = |name: &str| format!(".{class}.{name}");
        match svc.name {
            "ApiItemService" => {
                let item_ref = || Field::new("item_ref", OBJECT_REF, 1);
                let evaluate = |n| Field::new("evaluate", "bool", n).with(Label::Optional);
                for (by, key) in [
                    ("Name", Field::new("attribute_name", "string", 2)),
                    ("Ix", Field::new("index", "uint32", 2)),
                ] {
                    // getValueByName / getValueByIx share getValueByAttrID's response.
                    let req = Message::with_fields(
                        &format!("getValueBy{by}Request"),
                        vec![
                            item_ref(),
                            key.clone(),
                            Field::new("expected_type", ".octaneapi.AttributeTypeId", 3),
                        ],
                    );
                    out.push(
                        names,
                        class,
                        &format!("getValueBy{by}"),
                        self.define(class, req)?,
                        &t("getValueResponse"),
                    );
                    let mut req = Message::with_fields(
                        &format!("setValueBy{by}Request"),
                        vec![item_ref(), key, evaluate(3)],
                    );
                    req.oneofs.push(value_oneof(false));
                    out.push(
                        names,
                        class,
                        &format!("setValueBy{by}"),
                        self.define(class, req)?,
                        &t("setValueResponse"),
                    );
                }
                let mut get_array = Message::empty("getArrayResponse");
                get_array.oneofs.push(array_oneof());
                out.nested.push(self.define(class, get_array)?);
                let mut get_anim = Message::with_fields(
                    "getAnimArrayResponse",
                    vec![Field::new("num_time_samples", "uint32", 1).with(Label::Optional)],
                );
                get_anim.oneofs.push(array_oneof());
                out.nested.push(self.define(class, get_anim)?);
                for (method_by, by, key) in [
                    (
                        "AttrID",
                        "ID",
                        Field::new("attribute_id", ".octaneapi.AttributeId", 2),
                    ),
                    ("Name", "Name", Field::new("attribute_name", "string", 2)),
                    ("Ix", "Ix", Field::new("index", "uint32", 2)),
                ] {
                    let req = Message::with_fields(
                        &format!("getArrayBy{by}Request"),
                        vec![item_ref(), key.clone()],
                    );
                    out.push(
                        names,
                        class,
                        &format!("getArrayBy{method_by}"),
                        self.define(class, req)?,
                        &t("getArrayResponse"),
                    );
                    let mut req = Message::with_fields(
                        &format!("setArrayBy{by}Request"),
                        vec![item_ref(), key.clone(), evaluate(3)],
                    );
                    req.oneofs.push(array_oneof());
                    out.push(
                        names,
                        class,
                        &format!("setArrayBy{method_by}"),
                        self.define(class, req)?,
                        &t("setValueResponse"),
                    );
                    let req = Message::with_fields(
                        &format!("getAnimBy{by}Request"),
                        vec![item_ref(), key.clone()],
                    );
                    out.push(
                        names,
                        class,
                        &format!("getAnimBy{method_by}"),
                        self.define(class, req)?,
                        &t("getAnimArrayResponse"),
                    );
                    let mut req = Message::with_fields(
                        &format!("setAnimBy{by}Request"),
                        vec![
                            item_ref(),
                            key,
                            Field::new("num_time_samples", "uint32", 3).with(Label::Optional),
                            evaluate(4),
                        ],
                    );
                    req.oneofs.push(array_oneof());
                    out.push(
                        names,
                        class,
                        &format!("setAnimBy{method_by}"),
                        self.define(class, req)?,
                        &t("setValueResponse"),
                    );
                }
            }
            "ApiNodeService" => {
                for (by, key) in [
                    ("Ix", Field::new("index", "uint32", 2)),
                    ("Name", Field::new("name", "string", 2)),
                ] {
                    let req = Message::with_fields(
                        &format!("getPinValueBy{by}Request"),
                        vec![
                            Field::new("item_ref", OBJECT_REF, 1),
                            key.clone(),
                            Field::new("expected_type", ".octaneapi.PinTypeId", 3),
                        ],
                    );
                    out.push(
                        names,
                        class,
                        &format!("getPinValueBy{by}"),
                        self.define(class, req)?,
                        &t("getPinValueByXResponse"),
                    );
                    let mut req = Message::with_fields(
                        &format!("setPinValueBy{by}Request"),
                        vec![
                            Field::new("item_ref", OBJECT_REF, 1),
                            key,
                            Field::new("evaluate", "bool", 3).with(Label::Optional),
                        ],
                    );
                    req.oneofs.push(value_oneof(true));
                    out.push(
                        names,
                        class,
                        &format!("setPinValueBy{by}"),
                        self.define(class, req)?,
                        &t("setPinValueResponse"),
                    );
                }
            }
            "ApiNodePinInfoExService" => {
                // This file's nested names are UpperCamel; custom.proto's differ only in case.
                for stem in [
                    "CreateNodePinInfo",
                    "DestroyNodePinInfo",
                    "CopyNodePinInfo",
                    "NodePinInfoDefaults",
                ] {
                    let mut rpc = stem.to_owned();
                    rpc[..1].make_ascii_lowercase();
                    let req = Message::with_fields(
                        &format!("{stem}Request"),
                        vec![Field::new("nodePinInfoRef", OBJECT_REF, 1)],
                    );
                    let resp = Message::with_fields(
                        &format!("{stem}Response"),
                        vec![
                            Field::new("success", "bool", 1),
                            Field::new("nodePinInfo", OBJECT_REF, 2),
                        ],
                    );
                    let resp_name = t(&resp.name);
                    out.nested.push(self.define(class, resp)?);
                    out.push(names, class, &rpc, self.define(class, req)?, &resp_name);
                }
            }
            "ApiBase64Service" => {
                let req =
                    Message::with_fields("decodeRequest", vec![Field::new("encoded", "string", 1)]);
                let resp = Message::with_fields(
                    "decodeResponse",
                    vec![
                        Field::new("decoded", "bytes", 1),
                        Field::new("success", "bool", 2),
                    ],
                );
                out.nested.push(self.define(class, resp)?);
                out.push(
                    names,
                    class,
                    "decode",
                    self.define(class, req)?,
                    &t("decodeResponse"),
                );
            }
            "ApiImageService" => {
                for (rpc, field) in [
                    ("saveToFile", "buffer"),
                    ("loadFromMemory", "imageData"),
                    ("updateTo", "imageData"),
                ] {
                    let req = Message::with_fields(
                        &format!("{rpc}Request"),
                        vec![
                            Field::new("objectPtr", OBJECT_REF, 1),
                            Field::new(field, ".octaneapi.Buffer", 2),
                            Field::new("size", ".octaneapi.uint32_2", 3),
                        ],
                    );
                    out.push(names, class, rpc, self.define(class, req)?, EMPTY);
                }
            }
            "ApiImageBufferService" => {
                let req = Message::with_fields(
                    "create1Request",
                    vec![
                        Field::new("buffer", ".octaneapi.Buffer", 1),
                        Field::new("size", ".octaneapi.uint32_2", 2),
                        Field::new("type", ".octaneapi.ImageType", 3),
                    ],
                );
                out.push(
                    names,
                    class,
                    "create1",
                    self.define(class, req)?,
                    OBJECT_REF,
                );
                for rpc in ["buffer", "buffer1"] {
                    let req = Message::with_fields(
                        &format!("{rpc}Request"),
                        vec![Field::new("objectPtr", OBJECT_REF, 1)],
                    );
                    let resp = Message::with_fields(
                        &format!("{rpc}Response"),
                        vec![Field::new("result", ".octaneapi.Buffer", 1)],
                    );
                    out.nested.push(self.define(class, resp)?);
                    out.push(
                        names,
                        class,
                        rpc,
                        self.define(class, req)?,
                        &t(&format!("{rpc}Response")),
                    );
                }
            }
            "ApiControlService" => {
                // Q12: shadows the top-level `octaneapi.ApiLogRequest` inside `ApiControl`.
                let req = Message::with_fields(
                    "ApiLogRequest",
                    vec![
                        Field::new("text", "string", 1),
                        Field::new("user_data", "uint64", 2),
                    ],
                );
                out.push(names, class, "apiLog", self.define(class, req)?, EMPTY);
            }
            "ApiCustomCurveEditorControllerService" => {
                let req = Message::with_fields(
                    "internalRequest",
                    vec![Field::new("objectPtr", OBJECT_REF, 1)],
                );
                let resp = Message::with_fields(
                    "internalResponse",
                    vec![Field::new("internal", ".octaneapi.Buffer", 1)],
                );
                out.nested.push(self.define(class, resp)?);
                out.push(
                    names,
                    class,
                    "internal",
                    self.define(class, req)?,
                    &t("internalResponse"),
                );
            }
            "ApiNetRenderManagerService" => {
                let req = Message::with_fields(
                    "nextChunkRequest",
                    vec![Field::new("offset", "uint64", 1)],
                );
                let resp = Message::with_fields(
                    "NextChunkResponse",
                    vec![
                        Field::new("data_chunk", "bytes", 1),
                        Field::new("last", "bool", 2),
                    ],
                );
                out.nested.push(self.define(class, resp)?);
                out.push(
                    names,
                    class,
                    "nextChunk",
                    self.define(class, req)?,
                    &t("NextChunkResponse"),
                );
            }
            "ApiDiagnosticsService" | "ApiTimeSamplingService" | "ApiLocalizationService" => {
                // Q3: `google.protobuf.Empty` as a request (7 RPCs in the SDK).
                let rpc = match svc.name {
                    "ApiDiagnosticsService" => "diagnosticsReport",
                    "ApiTimeSamplingService" => "defaultSampling",
                    _ => "availableLanguages",
                };
                let resp = Message::with_fields(
                    &format!("{rpc}Response"),
                    vec![Field::new("result", "string", 1)],
                );
                out.nested.push(self.define(class, resp)?);
                names.insert(rpc);
                out.rpcs
                    .push(Rpc::unary(rpc, EMPTY, &t(&format!("{rpc}Response"))));
            }
            _ => {}
        }
        Ok(out)
    }
}

impl ClassRpcs {
    /// Adds an RPC whose request is an explicitly written (and claimed) nested message.
    fn push(
        &mut self,
        names: &mut RpcNames,
        class: &str,
        rpc: &str,
        request: Message,
        response: &str,
    ) {
        names.insert(rpc);
        self.rpcs.push(Rpc::unary(
            rpc,
            &format!(".{class}.{}", request.name),
            response,
        ));
        self.nested.push(request);
    }
}
