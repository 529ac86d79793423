//! The synth tree through regen's own compile step: its counts against the SDK's
//! (`docs/sdk-shape.md`), every quirk Q1-Q21 at least once, and both traps of the SDK folder.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet, MethodDescriptorProto};

use super::{Counts, build, traps};
use crate::regen::config::Config;
use crate::regen::model::Api;
use crate::regen::protos;

/// A synth tree written to a folder of its own, removed on drop.
struct Tree {
    dir: PathBuf,
    files: BTreeMap<String, Vec<u8>>,
}

impl Tree {
    fn new(seed: u64) -> Self {
        // One folder per tree: the tests run in parallel.
        static TREES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = TREES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("octane-synth-{}-{n}", std::process::id()));
        let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
        let files = build(&core, seed).expect("the synth tree builds");
        fs::create_dir_all(&dir).expect("temp dir");
        for (name, bytes) in &files {
            fs::write(dir.join(name), bytes).expect("write synth file");
        }
        Self { dir, files }
    }

    fn config(&self) -> Config {
        Config::load(&self.dir).expect("the synth regen.toml parses")
    }

    fn compile(&self, config: &Config) -> anyhow::Result<FileDescriptorSet> {
        protos::compile(&self.dir, config)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Everything the quirk checks look at, indexed once.
struct Index<'a> {
    /// Messages by full name (no leading dot), with their nesting depth.
    messages: BTreeMap<String, (&'a DescriptorProto, usize)>,
    /// Enums by full name, with their values.
    enums: BTreeMap<String, Vec<(String, i32)>>,
    /// `(file, package.Service, method)`.
    methods: Vec<(&'a str, String, &'a MethodDescriptorProto)>,
}

impl<'a> Index<'a> {
    fn new(fds: &'a FileDescriptorSet) -> Self {
        fn walk<'a>(index: &mut Index<'a>, scope: &str, msg: &'a DescriptorProto, depth: usize) {
            let full = format!("{scope}.{}", msg.name());
            for en in &msg.enum_type {
                let values = en
                    .value
                    .iter()
                    .map(|v| (v.name().to_owned(), v.number()))
                    .collect();
                index.enums.insert(format!("{full}.{}", en.name()), values);
            }
            for nested in &msg.nested_type {
                walk(index, &full, nested, depth + 1);
            }
            index.messages.insert(full, (msg, depth));
        }
        let mut index = Index {
            messages: BTreeMap::new(),
            enums: BTreeMap::new(),
            methods: Vec::new(),
        };
        for file in &fds.file {
            for msg in &file.message_type {
                walk(&mut index, file.package(), msg, 1);
            }
            for en in &file.enum_type {
                let values = en
                    .value
                    .iter()
                    .map(|v| (v.name().to_owned(), v.number()))
                    .collect();
                index
                    .enums
                    .insert(format!("{}.{}", file.package(), en.name()), values);
            }
            for svc in &file.service {
                for m in &svc.method {
                    let service = format!("{}.{}", file.package(), svc.name());
                    index.methods.push((file.name(), service, m));
                }
            }
        }
        index
    }

    fn method(&self, service: &str, name: &str) -> &'a MethodDescriptorProto {
        self.methods
            .iter()
            .find(|(_, s, m)| s == service && m.name() == name)
            .map(|(_, _, m)| *m)
            .unwrap_or_else(|| panic!("{service}/{name} exists"))
    }

    fn message(&self, full: &str) -> &'a DescriptorProto {
        self.messages
            .get(full)
            .unwrap_or_else(|| panic!("{full} exists"))
            .0
    }

    fn services_with_method(&self, name: &str) -> usize {
        self.methods
            .iter()
            .filter(|(_, _, m)| m.name() == name)
            .count()
    }
}

/// `within` percent of the SDK's figure.
fn near(what: &str, ours: usize, sdk: usize, within: usize) {
    let diff = ours.abs_diff(sdk);
    assert!(
        diff * 100 <= sdk * within,
        "{what}: synth {ours}, SDK {sdk} (more than {within}% apart)"
    );
}

#[test]
fn synth_tree_compiles_after_the_excludes_with_the_sdks_counts() {
    let tree = Tree::new(1);
    let fds = tree
        .compile(&tree.config())
        .expect("the synth tree compiles");
    let counts = Counts::of(&fds);
    println!("{counts}");
    let exact = [
        ("files", counts.files, 91),
        ("packages", counts.packages, 2),
        ("services", counts.services, 105),
        ("RPCs", counts.rpcs, 1323),
        ("unary", counts.unary, 1321),
        ("server-streaming", counts.server_streaming, 1),
        ("client-streaming", counts.client_streaming, 1),
        ("max depth", counts.max_depth, 3),
        ("largest enum", counts.largest_enum, 1143),
        ("allow_alias enums", counts.allow_alias_enums, 10),
        ("negative values", counts.negative_values, 2),
        ("real oneofs", counts.oneofs, 21),
        ("optional fields", counts.optional_fields, 16),
        ("bytes fields", counts.bytes_fields, 8),
    ];
    for (what, ours, sdk) in exact {
        assert_eq!(ours, sdk, "{what}");
    }
    near("messages", counts.messages, 2516, 5);
    near("top-level messages", counts.top_level_messages, 333, 10);
    near("messages without fields", counts.empty_messages, 136, 25);
    near(
        "lower-case message names",
        counts.lower_case_messages,
        2166,
        10,
    );
    near("enums", counts.enums, 216, 10);
    near("enum values", counts.enum_values, 4341, 5);
    near("fields", counts.fields, 4634, 5);
    near("repeated fields", counts.repeated_fields, 59, 25);
    near("64-bit fields", counts.int64_fields, 177, 25);
    near(
        "RPCs with a nested request",
        counts.nested_requests,
        1260,
        5,
    );
    near(
        "RPC names ending in a digit",
        counts.digit_rpc_names,
        291,
        20,
    );
    near("fields named type", counts.type_fields, 44, 50);
}

#[test]
fn every_quirk_of_docs_sdk_shape_is_in_the_synth_tree() {
    let tree = Tree::new(1);
    let config = tree.config();
    let fds = tree.compile(&config).expect("the synth tree compiles");
    let ix = Index::new(&fds);

    // Q1: nested per-class request/response types, lower-case names.
    let m = ix.method("octaneapi.ApiRenderEngineService", "setOnNewImageCallback");
    assert_eq!(
        m.input_type(),
        ".octaneapi.ApiRenderEngine.setOnNewImageCallbackRequest"
    );
    assert!(ix.messages.contains_key("octaneapi.uint32_2"));
    assert!(ix.messages.contains_key("octaneapi.float_3"));
    assert!(!ix.message("octaneapi.ApiRenderImage").field.is_empty());
    assert!(
        ix.message("octaneapi.ApiRenderImage")
            .nested_type
            .iter()
            .any(|n| n.name() == "isEmptyRequest")
    );

    // Q2: request names unlike the RPC's; shared request and response types; overload digits.
    let make1 = ix.method("octaneapi.TimeSpanTService", "make1");
    assert_eq!(make1.input_type(), ".octaneapi.TimeSpanT.makeRequest");
    let begin11 = ix.method("octaneapi.ApiNodeArrayService", "begin11");
    assert_eq!(
        begin11.input_type(),
        ".octaneapi.ApiNodeArray.begin1Request"
    );
    ix.method("octaneapi.ApiNodeArrayService", "size1");
    let shared = |ty: &str| {
        ix.methods
            .iter()
            .filter(|(_, _, m)| m.input_type() == ty)
            .count()
    };
    assert_eq!(shared(".octaneapi.BasicCallbackRequest"), 6);
    let value_responses = ix
        .methods
        .iter()
        .filter(|(_, _, m)| m.output_type() == ".octaneapi.ApiItem.getValueResponse")
        .count();
    assert_eq!(value_responses, 3);

    // Q3: google.protobuf.Empty as request and response; livelinkapi's own Empty.
    let streaming = ix.method("octaneapi.StreamCallbackService", "callbackChannel");
    assert_eq!(streaming.input_type(), ".google.protobuf.Empty");
    assert!(streaming.server_streaming() && !streaming.client_streaming());
    assert_eq!(streaming.output_type(), ".octaneapi.StreamCallbackRequest");
    let camera = ix.method("livelinkapi.LiveLinkService", "StreamCamera");
    assert!(camera.client_streaming() && !camera.server_streaming());
    assert_eq!(
        ix.method("livelinkapi.LiveLinkService", "GetCamera")
            .input_type(),
        ".livelinkapi.Empty"
    );

    // Q4: UpperCamel RPCs (CallbackHandler, CameraControl, LiveLink); acronyms.
    assert_eq!(
        ix.methods
            .iter()
            .filter(|(_, s, _)| s == "octaneapi.CallbackHandler")
            .count(),
        48
    );
    ix.method("octaneapi.CameraControl", "ResetCamera");
    ix.method("octaneapi.ApiNodeService", "setPinValueByPinID");
    // JavaScript's Object.prototype member.
    ix.method("octaneapi.ApiRenderEngineService", "toString");

    // Q5: the same RPC name in many services.
    assert!(ix.services_with_method("create") >= 30, "create");
    assert!(ix.services_with_method("destroy") >= 30, "destroy");

    // Q6: files named unlike their services, several services per file, types-only files.
    let services_of = |file: &str| {
        ix.methods
            .iter()
            .filter(|(f, _, _)| *f == file)
            .map(|(_, s, _)| s.as_str())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(services_of("apimodule.proto").len(), 4);
    assert_eq!(services_of("octaneinfos.proto").len(), 7);
    assert!(services_of("octanedelayload.proto").is_empty());
    let files_with_services: BTreeSet<&str> = ix.methods.iter().map(|(f, _, _)| *f).collect();
    assert_eq!(files_with_services.len(), 80);

    // Q7: `type` fields and RPCs named by Rust keywords.
    assert!(
        ix.message("octaneapi.ObjectRef")
            .field
            .iter()
            .any(|f| f.name() == "type")
    );
    for (service, rpc) in [
        ("octaneapi.ApiNodeService", "type"),
        ("octaneapi.ApiImageBufferService", "type"),
        ("octaneapi.LayerInfoService", "type"),
        ("octaneapi.ApiThreadService", "yield"),
    ] {
        ix.method(service, rpc);
    }
    for nested_type in [
        "octaneapi.ApiChangeManager.ApiChangeManager_ChangeEvent.Type",
        "octaneapi.ApiChangeManager.ApiChangeManager_TimeEvent.Type",
        "octaneapi.ChangeEvent.Type",
    ] {
        assert!(ix.enums.contains_key(nested_type), "{nested_type}");
    }

    // Q8: a field starting with an underscore.
    assert!(
        ix.message("octaneapi.ApiRenderImage")
            .field
            .iter()
            .any(|f| f.name() == "_mPrivate")
    );

    // Q9: snake_case and camelCase fields in one message.
    let names: Vec<&str> = ix
        .message("octaneapi.LoadRenderStateProjectRequest")
        .field
        .iter()
        .map(|f| f.name())
        .collect();
    assert!(names.contains(&"callback_id") && names.contains(&"customProjectFileName"));

    // Q10: aliases and negative values.
    let blend = &ix.enums["octaneapi.BlendMode"];
    assert!(blend.contains(&("BLEND_MODE_SRC".to_owned(), 1000)));
    assert!(blend.contains(&("BLEND_MODE_COMPOSITE_OFFSET".to_owned(), 1000)));
    assert!(
        ix.enums["octaneapi.ImageChannelType"].contains(&("IMAGE_CHANNEL_AUTO".to_owned(), -1))
    );
    assert_eq!(ix.enums["octaneapi.PinId"].len(), 1143);

    // Q11: value names repeated across enums in different scopes.
    let with_value = |value: &str| {
        ix.enums
            .values()
            .filter(|values| values.iter().any(|(v, _)| v == value))
            .count()
    };
    assert_eq!(with_value("ITEM_ADDED"), 3);
    assert_eq!(with_value("ApiRootNodeGraph"), 3);

    // Q12: one simple name in two packages; a nested type shadowing a top-level one.
    assert!(ix.messages.contains_key("livelinkapi.Empty"));
    assert!(ix.messages.contains_key("google.protobuf.Empty"));
    assert!(ix.messages.contains_key("octaneapi.ApiLogRequest"));
    assert!(
        ix.messages
            .contains_key("octaneapi.ApiControl.ApiLogRequest")
    );
    assert!(ix.enums.contains_key("octaneapi.DialogResult"));
    assert!(
        ix.enums
            .contains_key("octaneapi.ApiModalDialog.DialogResult")
    );

    // Q13: 14-member value oneofs from field 10; single-member presence oneofs.
    let pin = ix.message("octaneapi.ApiNode.getPinValueByXResponse");
    assert_eq!(pin.field.len(), 14);
    assert_eq!(pin.field.iter().map(|f| f.number()).min(), Some(10));
    let array = ix.message("octaneapi.ApiItem.setArrayByIDRequest");
    assert_eq!(array.field.iter().filter(|f| f.number() >= 10).count(), 14);
    assert_eq!(ix.message("livelinkapi.CameraState").oneof_decl.len(), 4);

    // Q14: no maps (no map entry messages).
    assert!(
        ix.messages
            .values()
            .all(|(m, _)| !m.options.as_ref().is_some_and(|o| o.map_entry()))
    );

    // Q15: bytes image buffers.
    let buffer = ix.message("octaneapi.Buffer");
    assert_eq!(buffer.field[0].r#type(), Type::Bytes);
    let render_images = ix.message("octaneapi.ApiRenderEngine.grabRenderResultResponse");
    assert!(
        render_images
            .field
            .iter()
            .any(|f| f.type_name() == ".octaneapi.ApiArrayApiRenderImage")
    );

    // Q16: 64-bit handles.
    assert_eq!(
        ix.message("octaneapi.ObjectRef").field[0].r#type(),
        Type::Uint64
    );

    // Q17: proto3 optional fields.
    let set_anim = ix.message("octaneapi.ApiItem.setAnimByNameRequest");
    assert_eq!(
        set_anim
            .field
            .iter()
            .filter(|f| f.proto3_optional())
            .count(),
        2
    );

    // Q18: field numbers up to 34; a message with field 2 and no field 1.
    let highest = ix
        .messages
        .values()
        .flat_map(|(m, _)| &m.field)
        .map(|f| f.number())
        .max();
    assert_eq!(highest, Some(34));
    let load = ix.message("octaneapi.LoadRenderStateProjectResponse");
    assert_eq!(
        load.field.iter().map(|f| f.number()).collect::<Vec<_>>(),
        vec![2]
    );

    // Q19: service names with `_`, and their nested classes three levels deep.
    let underscored: BTreeSet<&str> = ix
        .methods
        .iter()
        .map(|(_, s, _)| s.as_str())
        .filter(|s| s.contains('_'))
        .collect();
    assert_eq!(underscored.len(), 6, "{underscored:?}");
    let drawer = "octaneapi.ApiCustomCurveEditorController.ApiCustomCurveEditorController_Drawer.setColorRequest";
    assert_eq!(ix.messages[drawer].1, 3);

    // Q20: no recursion through singular message fields (prost would need Box).
    for (name, (msg, _)) in &ix.messages {
        for field in &msg.field {
            if field.r#type() == Type::Message && field.label() != Label::Repeated {
                assert_ne!(
                    field.type_name().trim_start_matches('.'),
                    name,
                    "{name} contains itself"
                );
            }
        }
    }

    // Q21 and the objectPtr alias: the renamed ApiItem methods, reachable under the old names.
    let api = Api::from_descriptors(&fds, &config).expect("model");
    let item = api
        .services
        .iter()
        .find(|s| s.name == "ApiItemService")
        .expect("ApiItemService");
    let aliases: BTreeMap<&str, Vec<&str>> = item
        .methods
        .iter()
        .filter(|m| !m.aliases.is_empty())
        .map(|m| {
            (
                m.name.as_str(),
                m.aliases.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(aliases.len(), 6, "{aliases:?}");
    assert_eq!(aliases["getValueByAttrID"], vec!["getByAttrID"]);
    assert_eq!(aliases["setValueByIx"], vec!["setByIx"]);
    let by_attr = item
        .methods
        .iter()
        .find(|m| m.name == "getValueByAttrID")
        .expect("getValueByAttrID");
    assert_eq!(
        by_attr.request.full_name,
        "octaneapi.ApiItem.getValueByIDRequest"
    );
    assert_eq!(by_attr.object_ptr_alias.as_deref(), Some("item_ref"));
}

#[test]
fn the_sdk_folders_traps_are_reproduced_and_regen_names_them() {
    let tree = Tree::new(1);

    // common.proto is not UTF-8: 0x96 inside comments.
    let common = &tree.files["common.proto"];
    assert!(String::from_utf8(common.clone()).is_err());
    let bad_lines: Vec<&[u8]> = common
        .split(|&b| b == b'\n')
        .filter(|line| line.contains(&0x96))
        .collect();
    assert_eq!(bad_lines.len(), 4);
    assert!(bad_lines.iter().all(|line| line.starts_with(b"//")));

    // The shipped config excludes exactly the five conflicting files.
    let config = tree.config();
    let excluded: BTreeSet<&str> = config.exclude.iter().map(String::as_str).collect();
    assert_eq!(excluded, traps::EXCLUDED.into_iter().collect());

    // The whole folder does not compile, and regen says which files clash over which names.
    let err = tree
        .compile(&Config::default())
        .expect_err("the full folder must not compile")
        .to_string();
    println!("{err}");
    for expected in [
        "apinodesystem.proto does not parse: line ",
        "apiitemarray.proto and apinodesystem_1.proto both define octaneapi.ApiItemArray",
        "apinodearray.proto and apinodesystem_5.proto both define octaneapi.ApiNodeArray",
        "apinodepininfohelper.proto and custom.proto both define octaneapi.ApiNodePinInfoEx",
        "callback.proto and module.proto both define octaneapi.StartRequest",
        "to `exclude` in",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }

    // Each of the five excludes is needed.
    for needed in traps::EXCLUDED {
        let config = Config {
            exclude: config
                .exclude
                .iter()
                .filter(|e| *e != needed)
                .cloned()
                .collect(),
            ..Config::default()
        };
        let err = tree
            .compile(&config)
            .expect_err("a conflicting file is back")
            .to_string();
        assert!(err.contains(needed), "{needed} not named in:\n{err}");
    }
}

#[test]
fn a_seed_fixes_the_tree_and_other_seeds_compile_too() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
    assert_eq!(build(&core, 7).unwrap(), build(&core, 7).unwrap());
    let other = Tree::new(2);
    assert_ne!(other.files, build(&core, 7).unwrap());
    let counts = Counts::of(&other.compile(&other.config()).expect("seed 2 compiles"));
    assert_eq!((counts.services, counts.rpcs), (105, 1323));
}
