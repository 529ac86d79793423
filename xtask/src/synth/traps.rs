//! The two traps of the SDK folder as it ships: five files that redefine types of other files
//! (so the folder cannot be compiled as one set), and a `common.proto` that is not UTF-8.

use std::collections::BTreeMap;
use std::fmt::Write;

use anyhow::{Context, Result};

use super::proto::{self, Field, Message, Rpc, Service};
use super::text;

/// The files `regen.toml` must exclude, as the SDK ships them.
pub(super) const EXCLUDED: [&str; 5] = [
    "apinodesystem.proto",
    "apiitemarray.proto",
    "apinodearray.proto",
    "custom.proto",
    "module.proto",
];

/// The split files the monolithic `apinodesystem.proto` concatenates.
const SPLIT_PARTS: [&str; 6] = [
    "apinodesystem_1.proto",
    "apinodesystem_3.proto",
    "apinodesystem_5.proto",
    "apinodesystem_6.proto",
    "apinodesystem_7.proto",
    "apinodesystem_8.proto",
];

/// Value kinds of the monolith's `ApiItemGetterService`/`ApiItemSetterService`.
const KINDS: [&str; 15] = [
    "Bool", "Int", "Int2", "Int3", "Int4", "Long", "Long2", "Float", "Float2", "Float3", "Float4",
    "Matrix", "String", "FilePath", "Byte",
];
/// Access forms of those RPCs: 15 kinds x 11 forms = the SDK's 165 RPCs per service.
const FORMS: [&str; 11] = [
    "",
    "ByName",
    "ByIx",
    "Array",
    "ArrayByName",
    "ArrayByIx",
    "Anim",
    "AnimByName",
    "AnimByIx",
    "Default",
    "Raw",
];

/// Adds the five conflicting files to `files` (which holds the rest of the tree).
pub(super) fn add_conflicting_files(files: &mut BTreeMap<String, String>) -> Result<()> {
    let monolith = monolith(files)?;
    files.insert("apinodesystem.proto".to_owned(), monolith);
    files.insert(
        "apiitemarray.proto".to_owned(),
        array_file(
            "ApiItemArray",
            &["size", "get", "items", "begin1", "end1", "init"],
            &[],
        ),
    );
    files.insert(
        "apinodearray.proto".to_owned(),
        array_file(
            "ApiNodeArray",
            &["size", "get", "items", "begin1", "end1", "init"],
            &["apinodesystem_5.proto"],
        ),
    );
    files.insert("custom.proto".to_owned(), custom());
    files.insert("module.proto".to_owned(), module());
    Ok(())
}

/// Everything of the split node-system files in one file, plus the getter/setter services with
/// their nested types inside `ApiItem` (`getRequest` twice), and the SDK's syntax error:
/// commas after the fields of `ApiNode.ApiFilePath`.
fn monolith(files: &BTreeMap<String, String>) -> Result<String> {
    let mut imports = std::collections::BTreeSet::new();
    let mut body = String::new();
    for part in SPLIT_PARTS {
        let source = files
            .get(part)
            .with_context(|| format!("synth: {part} is needed for the monolith"))?;
        imports.extend(text::imports(source));
        let (_, rest) = source
            .split_once("option optimize_for = CODE_SIZE;\n")
            .with_context(|| format!("synth: {part} has no optimize_for option"))?;
        body.push_str(rest);
    }
    for part in SPLIT_PARTS {
        imports.remove(part);
    }
    let mut out = String::from(
        "// Synthetic Octane SDK file apinodesystem.proto (cargo xtask synth): the monolithic node \
         system. It redefines everything of apinodesystem_1/3/5/6/7/8.proto and does not even \
         parse, as in the SDK.\n\nsyntax = \"proto3\";\n\npackage octaneapi;\n\n",
    );
    for import in &imports {
        writeln!(out, "import \"{import}\";").expect("write to String");
    }
    out.push_str("\noption optimize_for = CODE_SIZE;\n");
    let mut services = String::new();
    let mut nested = String::new();
    for (verb, service) in [
        ("get", "ApiItemGetterService"),
        ("set", "ApiItemSetterService"),
    ] {
        let mut svc = Service {
            name: service.to_owned(),
            rpcs: Vec::new(),
        };
        for kind in KINDS {
            for form in FORMS {
                let rpc = format!("{verb}{kind}{form}");
                svc.rpcs.push(Rpc::unary(
                    &rpc,
                    &format!(".octaneapi.ApiItem.{rpc}Request"),
                    &format!(".octaneapi.ApiItem.{rpc}Response"),
                ));
                for (suffix, field) in [
                    ("Request", Field::new("item_ref", ".octaneapi.ObjectRef", 1)),
                    ("Response", Field::new("result", "bool", 1)),
                ] {
                    let msg = Message::with_fields(&format!("{rpc}{suffix}"), vec![field]);
                    nested.push('\n');
                    nested.push_str(&proto::render_message(&msg, 1));
                }
            }
        }
        services.push('\n');
        services.push_str(&proto::render_service(&svc));
    }
    for _ in 0..2 {
        for name in ["getRequest", "getResponse"] {
            nested.push('\n');
            nested.push_str(&proto::render_message(&Message::empty(name), 1));
        }
    }
    out.push_str(&services);
    out.push_str(&body);
    text::insert_in_block(&mut out, "message", "ApiItem", &nested)?;
    text::insert_in_block(
        &mut out,
        "message",
        "ApiNode",
        "\n  message ApiFilePath {\n    string package = 1,\n    string fileName = 2\n  }\n",
    )?;
    Ok(out)
}

/// An item or node array file: the class and service the split files define too (same names,
/// other RPC names for the node array), with the extra fields and types only it has.
fn array_file(class: &str, rpcs: &[&str], imports: &[&str]) -> String {
    let t = |name: &str| format!(".octaneapi.{class}.{name}");
    let mut msg = Message::with_fields(
        class,
        vec![
            Field::new("items", ".octaneapi.ObjectRefArrayT", 1),
            Field::new("size", "uint32", 2),
        ],
    );
    let mut service = Service {
        name: format!("{class}Service"),
        rpcs: Vec::new(),
    };
    for rpc in rpcs {
        service.rpcs.push(Rpc::unary(
            rpc,
            &t(&format!("{rpc}Request")),
            &t(&format!("{rpc}Response")),
        ));
        msg.messages.push(Message::with_fields(
            &format!("{rpc}Request"),
            vec![Field::new("objectPtr", ".octaneapi.ObjectRef", 1)],
        ));
        msg.messages.push(Message::with_fields(
            &format!("{rpc}Response"),
            vec![Field::new("result", "uint32", 1)],
        ));
    }
    for extra in ["beginRequest", "beginResponse", "endRequest", "endResponse"] {
        msg.messages.push(Message::empty(extra));
    }
    proto::File {
        about: format!("redefines octaneapi.{class} and its service (excluded by regen.toml)"),
        package: "octaneapi".to_owned(),
        imports: ["common.proto"]
            .iter()
            .chain(imports)
            .map(|s| (*s).to_owned())
            .collect(),
        services: vec![service],
        enums: Vec::new(),
        messages: vec![msg],
    }
    .render(&format!("{}.proto", class.to_ascii_lowercase()))
}

/// `ApiNodePinInfoEx` again, with nested names that differ from apinodepininfohelper.proto's
/// only in case, `startBlockingOperation`, and without `getApiNodePinInfo`.
fn custom() -> String {
    let t = |name: &str| format!(".octaneapi.ApiNodePinInfoEx.{name}");
    let mut msg = Message::empty("ApiNodePinInfoEx");
    let mut service = Service {
        name: "ApiNodePinInfoExService".to_owned(),
        rpcs: Vec::new(),
    };
    for rpc in [
        "createNodePinInfo",
        "destroyNodePinInfo",
        "startBlockingOperation",
    ] {
        service.rpcs.push(Rpc::unary(
            rpc,
            &t(&format!("{rpc}Request")),
            &t(&format!("{rpc}Response")),
        ));
        msg.messages.push(Message::with_fields(
            &format!("{rpc}Request"),
            vec![Field::new("nodePinInfoRef", ".octaneapi.ObjectRef", 1)],
        ));
        msg.messages.push(Message::with_fields(
            &format!("{rpc}Response"),
            vec![Field::new("success", "bool", 1)],
        ));
    }
    proto::File {
        about: "redefines octaneapi.ApiNodePinInfoEx and its service (excluded by regen.toml)"
            .to_owned(),
        package: "octaneapi".to_owned(),
        imports: ["common.proto".to_owned(), "octaneinfos.proto".to_owned()].into(),
        services: vec![service],
        enums: Vec::new(),
        messages: vec![msg],
    }
    .render("custom.proto")
}

/// Top-level `StartRequest`/`StopRequest` that callback.proto defines too, with other fields.
fn module() -> String {
    let p = |name: &str| format!(".octaneapi.{name}");
    proto::File {
        about: "a module service whose request names callback.proto uses too (excluded by \
                regen.toml)"
            .to_owned(),
        package: "octaneapi".to_owned(),
        imports: Default::default(),
        services: vec![Service {
            name: "ModuleService".to_owned(),
            rpcs: vec![
                Rpc::unary("Start", &p("StartRequest"), &p("StartReply")),
                Rpc::unary("Stop", &p("StopRequest"), &p("StopReply")),
            ],
        }],
        enums: Vec::new(),
        messages: vec![
            Message::with_fields("StartReply", vec![Field::new("ok", "bool", 1)]),
            Message::with_fields("StartRequest", vec![Field::new("name", "string", 1)]),
            Message::with_fields("StopReply", vec![Field::new("ok", "bool", 1)]),
            Message::with_fields("StopRequest", vec![Field::new("name", "string", 1)]),
        ],
    }
    .render("module.proto")
}

/// `common.proto` as bytes, with four comment lines holding the byte 0x96 (a Windows-1252 en
/// dash), as the SDK's lines 204-207 do. A blank line keeps them detached from the next message,
/// so they do not become doc comments.
pub(super) fn windows_1252_dashes(common: &str) -> Result<Vec<u8>> {
    const ANCHOR: &str = "message UpdateCallbackT {";
    let at = common
        .find(ANCHOR)
        .context("synth: common.proto has no UpdateCallbackT to put the 0x96 comment above")?;
    let mut out = common.as_bytes()[..at].to_vec();
    for line in [
        "// Colour components of 8-bit images are in the range (0\u{96}255),",
        "// alpha likewise (0\u{96}255) unless noted;",
        "// 16-bit components use (0\u{96}65535),",
        "// float components (0.0\u{96}1.0).",
    ] {
        // The marker char U+0096 stands for the single byte 0x96.
        for ch in line.chars() {
            if ch == '\u{96}' {
                out.push(0x96);
            } else {
                let mut buf = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(&common.as_bytes()[at..]);
    Ok(out)
}
