//! `callback.proto` and `camera_control.proto`: services outside the class pattern, with
//! UpperCamel RPCs and top-level request types.

use std::collections::BTreeSet;

use anyhow::Result;

use super::{EMPTY, OBJECT_REF, PACKAGE, Synth};
use crate::regen::model::to_snake;
use crate::synth::proto::{self, Field, Label, Message, Rpc, Service};

impl Synth {
    /// `CallbackHandler`: 48 UpperCamel RPCs with top-level request types, several of them
    /// shared, most answering `CallbackAck` (Q2, Q4, Q9, Q18).
    pub(super) fn callback_file(&mut self) -> Result<()> {
        let head = || {
            vec![
                Field::new("callback_source", "string", 1),
                Field::new("callback_id", "int32", 2),
                Field::new("user_data", "uint64", 3),
            ]
        };
        let mut messages = Vec::new();
        let mut add = |synth: &mut Self, msg: Message| -> Result<()> {
            messages.push(synth.define(PACKAGE, msg)?);
            Ok(())
        };
        add(
            self,
            Message::with_fields("CallbackAck", vec![Field::new("success", "bool", 1)]),
        )?;
        add(self, Message::with_fields("BasicCallbackRequest", head()))?;
        let mut observer = head();
        observer.push(Field::new("observer", OBJECT_REF, 4));
        add(self, Message::with_fields("ObserverRequest", observer))?;
        let mut asset = head();
        asset.push(Field::new("asset_path", "string", 4));
        add(self, Message::with_fields("AssetMissingRequest", asset))?;
        let mut progress = head();
        progress.push(Field::new("progress", "float", 4));
        progress.push(Field::new("status_text", "string", 5));
        add(self, Message::with_fields("ProgressRequest", progress))?;
        for name in ["OnNewImageRequest", "NotificationRequest"] {
            let images = if name == "OnNewImageRequest" {
                "render_images"
            } else {
                "images"
            };
            let mut fields = head();
            fields.push(Field::new(images, ".octaneapi.ApiArrayApiRenderImage", 4));
            add(self, Message::with_fields(name, fields))?;
        }
        add(
            self,
            Message::with_fields(
                "LoadRenderStateProjectRequest",
                vec![
                    Field::new("callback_id", "int32", 1),
                    Field::new("customProjectFileName", "string", 2),
                    Field::new("customProjectTime", ".octaneapi.TimeT", 3),
                    Field::new("customVersion", "uint32", 4),
                    Field::new("custom_data", "bytes", 5),
                ],
            ),
        )?;
        // Q18: field 2 without a field 1.
        add(
            self,
            Message::with_fields(
                "LoadRenderStateProjectResponse",
                vec![Field::new("moduleNodeGraph", OBJECT_REF, 2)],
            ),
        )?;
        add(
            self,
            Message::with_fields(
                "DaemonUpdateRequest",
                vec![
                    Field::new("callback_source", "string", 1),
                    Field::new("callback_id", "int32", 2),
                    Field::new("daemonInfoArray", ".octaneapi.DaemonInfoT", 3)
                        .with(Label::Repeated),
                    Field::new("user_data", "uint64", 4),
                ],
            ),
        )?;
        // module.proto (excluded) defines these two as well, with other fields.
        add(
            self,
            Message::with_fields(
                "StartRequest",
                vec![
                    Field::new("module_id", "string", 1),
                    Field::new("user_data", "uint64", 2),
                ],
            ),
        )?;
        add(
            self,
            Message::with_fields("StopRequest", vec![Field::new("module_id", "string", 1)]),
        )?;
        add(
            self,
            Message::with_fields("StartResponse", vec![Field::new("started", "bool", 1)]),
        )?;

        let ack = ".octaneapi.CallbackAck";
        let mut rpcs: Vec<Rpc> = [
            ("AssetMissing", "AssetMissingRequest", ack),
            ("AssetMissingEx", "AssetMissingRequest", ack),
            ("OnNewImage", "OnNewImageRequest", ack),
            ("OnNewStatistics", "BasicCallbackRequest", ack),
            ("OnRenderFailure", "BasicCallbackRequest", ack),
            ("OnProjectManagerChanged", "BasicCallbackRequest", ack),
            ("OnTileBlended", "BasicCallbackRequest", ack),
            ("OnOcioError", "BasicCallbackRequest", ack),
            ("OnMaterialPreviewReady", "BasicCallbackRequest", ack),
            ("ObserverAdded", "ObserverRequest", ack),
            ("ObserverRemoved", "ObserverRequest", ack),
            ("Progress", "ProgressRequest", ack),
            ("ProgressEx", "ProgressRequest", ack),
            (
                "LoadRenderStateProject",
                "LoadRenderStateProjectRequest",
                ".octaneapi.LoadRenderStateProjectResponse",
            ),
            ("DaemonUpdate", "DaemonUpdateRequest", ack),
            ("Start", "StartRequest", ".octaneapi.StartResponse"),
            ("Stop", "StopRequest", ack),
            ("Notification", "NotificationRequest", ack),
        ]
        .iter()
        .map(|(rpc, req, resp)| Rpc::unary(rpc, &format!(".{PACKAGE}.{req}"), resp))
        .collect();
        for (ix, rpc) in CALLBACKS.iter().enumerate() {
            let mut fields = head();
            let extra = self.rng.range(0, 2);
            let mut taken = fields.iter().map(|f| to_snake(&f.name)).collect();
            fields.extend(self.params_avoiding(extra, 4, &mut taken));
            let request = format!("{rpc}Request");
            add(self, Message::with_fields(&request, fields))?;
            // 34 RPCs answer the shared ack; a few have their own reply or none.
            let response = match ix {
                0..18 => ack.to_owned(),
                18..22 => EMPTY.to_owned(),
                _ => {
                    let name = format!("{rpc}Response");
                    add(
                        self,
                        Message::with_fields(&name, vec![Field::new("handled", "bool", 1)]),
                    )?;
                    format!(".{PACKAGE}.{name}")
                }
            };
            rpcs.push(Rpc::unary(rpc, &format!(".{PACKAGE}.{request}"), &response));
        }
        self.claim_exact(PACKAGE, "CallbackHandler")?;
        self.files.insert(
            "callback.proto".to_owned(),
            proto::File {
                about: "callbacks Octane calls on the client: UpperCamel RPCs, top-level and \
                        shared request types, snake_case fields"
                    .to_owned(),
                package: PACKAGE.to_owned(),
                imports: BTreeSet::new(),
                services: vec![Service {
                    name: "CallbackHandler".to_owned(),
                    rpcs,
                }],
                enums: Vec::new(),
                messages,
            },
        );
        Ok(())
    }

    /// `CameraControl`: a service without the `Service` suffix, UpperCamel RPCs, top-level types,
    /// `google.protobuf.Empty` requests.
    pub(super) fn camera_control_file(&mut self) -> Result<()> {
        let pose = Message::with_fields(
            "CameraPose",
            vec![
                Field::new("position", ".octaneapi.float_3", 1),
                Field::new("target", ".octaneapi.float_3", 2),
                Field::new("up", ".octaneapi.float_3", 3),
                Field::new("fov", "float", 4),
            ],
        );
        let lens = Message::with_fields(
            "CameraLens",
            vec![
                Field::new("aperture", "float", 1),
                Field::new("focalDepth", "float", 2),
            ],
        );
        let messages = vec![self.define(PACKAGE, pose)?, self.define(PACKAGE, lens)?];
        let p = |t: &str| format!(".{PACKAGE}.{t}");
        let rpcs = vec![
            Rpc::unary("GetCameraPose", EMPTY, &p("CameraPose")),
            Rpc::unary("SetCameraPose", &p("CameraPose"), EMPTY),
            Rpc::unary("GetCameraLens", EMPTY, &p("CameraLens")),
            Rpc::unary("SetCameraLens", &p("CameraLens"), EMPTY),
            Rpc::unary("ResetCamera", EMPTY, EMPTY),
            Rpc::unary("FitCamera", &p("CameraLens"), &p("CameraPose")),
        ];
        self.claim_exact(PACKAGE, "CameraControl")?;
        self.files.insert(
            "camera_control.proto".to_owned(),
            proto::File {
                about: "camera control: a service named without `Service`".to_owned(),
                package: PACKAGE.to_owned(),
                imports: BTreeSet::new(),
                services: vec![Service {
                    name: "CameraControl".to_owned(),
                    rpcs,
                }],
                enums: Vec::new(),
                messages,
            },
        );
        Ok(())
    }
}

/// Callback names beyond the quirk-bearing ones.
const CALLBACKS: [&str; 30] = [
    "Finish",
    "Update",
    "UpdateActivationStatus",
    "ChangeManagerEvent",
    "CommandModuleRun",
    "NodeGraphModuleInit",
    "NodeGraphModuleEvaluate",
    "NodeGraphModuleDestroy",
    "WorkPaneModuleCreate",
    "WorkPaneModuleDestroy",
    "ModuleMouseEvent",
    "SelectionChanged",
    "ColorSwatchChanged",
    "ComboBoxChanged",
    "CheckBoxClicked",
    "ButtonClicked",
    "TextEditorChanged",
    "NumericBoxChanged",
    "WindowClosed",
    "MenuItemSelected",
    "DialogClosed",
    "FileChooserSelected",
    "GuiComponentResized",
    "TimerElapsed",
    "NetDaemonStatusChanged",
    "NetRenderStatusChanged",
    "RenderCloudTaskUpdated",
    "CustomCurveChanged",
    "TriggerFunction",
    "EvaluateFunction",
];
