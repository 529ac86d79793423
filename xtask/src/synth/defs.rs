//! Generating the definitions of the synth tree: names that cannot clash (in proto or after
//! prost/tonic renaming), the generic per-class RPCs, enums, and the quirk-bearing definitions
//! `docs/sdk-shape.md` lists, each placed where the SDK has it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anyhow::{Context, Result, bail};
use prost_types::{DescriptorProto, FileDescriptorSet};

use super::plan::{self, Svc};
use super::proto::{self, Enum, Field, Label, Message, Oneof, Rpc, Service};
use super::rng::Rng;
use super::words;
use crate::regen::model::{to_snake, to_upper_camel};

/// The package of everything but LiveLink.
const PACKAGE: &str = "octaneapi";
/// The only well-known type the SDK uses.
pub const EMPTY: &str = ".google.protobuf.Empty";
const OBJECT_REF: &str = words::OBJECT_REF;
/// Files that import nothing, so every other file may refer to their types without a cycle.
const BASE_FILES: &[&str] = &["common.proto", "octaneenums.proto", "octaneids.proto"];
/// Old `ApiItem` method names `regen.toml` aliases: a method of that name would be shadowed.
const ALIASED: &[&str] = &[
    "getByAttrID",
    "setByAttrID",
    "getByName",
    "getByIx",
    "setByName",
    "setByIx",
];

/// What the synth tree adds to one bundled core file.
#[derive(Default)]
pub struct Growth {
    /// New RPCs of existing services, by service name.
    pub rpcs: BTreeMap<String, Vec<Rpc>>,
    /// New nested types of existing messages, by the message's full name (no leading dot).
    pub nested: BTreeMap<String, Message>,
    /// New services.
    pub services: Vec<Service>,
    /// New top-level enums.
    pub enums: Vec<Enum>,
    /// New top-level messages.
    pub messages: Vec<Message>,
}

/// The generator's state.
pub struct Synth {
    rng: Rng,
    /// Every proto full name defined so far (no leading dot), plus `scope#T:Name` and
    /// `scope#M:name` keys for the Rust type and module names prost derives from them.
    taken: HashSet<String>,
    /// The RPC names of the core's services, by service full name (no leading dot).
    core_rpcs: HashMap<String, Vec<String>>,
    /// Top-level enums of the base files, which any field may use.
    enums: Vec<String>,
    /// Data types of the file being generated, which its responses may return.
    local_types: Vec<String>,
    /// Additions to the bundled core files, by file name.
    pub growth: BTreeMap<String, Growth>,
    /// New files, by file name.
    pub files: BTreeMap<String, proto::File>,
}

/// The RPC names of one service, with the snake_case forms tonic turns them into.
#[derive(Default)]
struct RpcNames {
    names: HashSet<String>,
    snakes: HashSet<String>,
    /// Names generated here, which later overloads may number.
    generated: Vec<String>,
}

impl RpcNames {
    fn free(&self, name: &str) -> bool {
        !self.names.contains(name)
            && !self.snakes.contains(&to_snake(name))
            && !ALIASED.contains(&name)
    }

    fn insert(&mut self, name: &str) {
        self.names.insert(name.to_owned());
        self.snakes.insert(to_snake(name));
    }
}

/// RPCs of one service and the nested types they add to its class message.
#[derive(Default)]
struct ClassRpcs {
    rpcs: Vec<Rpc>,
    nested: Vec<Message>,
}

impl Synth {
    /// A generator that knows every name the bundled core defines.
    pub fn new(seed: u64, core: &FileDescriptorSet) -> Self {
        let mut synth = Self {
            rng: Rng::new(seed),
            taken: HashSet::new(),
            core_rpcs: HashMap::new(),
            enums: Vec::new(),
            local_types: Vec::new(),
            growth: BTreeMap::new(),
            files: BTreeMap::new(),
        };
        for file in &core.file {
            let package = file.package();
            for svc in &file.service {
                synth.claim(package, svc.name());
                synth.core_rpcs.insert(
                    format!("{package}.{}", svc.name()),
                    svc.method.iter().map(|m| m.name().to_owned()).collect(),
                );
            }
            for en in &file.enum_type {
                synth.claim(package, en.name());
                for value in &en.value {
                    synth.taken.insert(format!("{package}.{}", value.name()));
                }
                if BASE_FILES.contains(&file.name()) {
                    synth.enums.push(format!(".{package}.{}", en.name()));
                }
            }
            for msg in &file.message_type {
                synth.claim_core_message(package, msg);
            }
        }
        synth
    }

    fn claim_core_message(&mut self, scope: &str, msg: &DescriptorProto) {
        self.claim(scope, msg.name());
        let full = format!("{scope}.{}", msg.name());
        for en in &msg.enum_type {
            self.claim(&full, en.name());
            for value in &en.value {
                self.taken.insert(format!("{full}.{}", value.name()));
            }
        }
        for nested in &msg.nested_type {
            self.claim_core_message(&full, nested);
        }
    }

    /// Claims `name` in proto scope `scope` unless it, or a name prost would turn into the same
    /// Rust type or module there, is taken.
    fn claim(&mut self, scope: &str, name: &str) -> bool {
        let keys = [
            format!("{scope}.{name}"),
            format!("{scope}#T:{}", to_upper_camel(name)),
            format!("{scope}#M:{}", to_snake(name)),
        ];
        if keys.iter().any(|k| self.taken.contains(k)) {
            return false;
        }
        self.taken.extend(keys);
        true
    }

    /// Claims a name that must be free (a quirk the tree needs under exactly this name).
    fn claim_exact(&mut self, scope: &str, name: &str) -> Result<()> {
        if !self.claim(scope, name) {
            bail!("{scope}.{name} is already defined");
        }
        Ok(())
    }

    fn exists(&self, full: &str) -> bool {
        self.taken.contains(full)
    }

    /// Claims a whole explicitly written message (and what it nests) in `scope`.
    fn define(&mut self, scope: &str, msg: Message) -> Result<Message> {
        self.claim_exact(scope, &msg.name)?;
        let full = format!("{scope}.{}", msg.name);
        for en in &msg.enums {
            self.define_enum(&full, en)?;
        }
        for nested in &msg.messages {
            self.define(&full, nested.clone())?;
        }
        Ok(msg)
    }

    fn define_enum(&mut self, scope: &str, en: &Enum) -> Result<()> {
        self.claim_exact(scope, &en.name)?;
        for (value, _) in &en.values {
            if !self.taken.insert(format!("{scope}.{value}")) {
                bail!("enum value {scope}.{value} is already defined");
            }
        }
        Ok(())
    }

    fn growth(&mut self, file: &str) -> &mut Growth {
        self.growth.entry(file.to_owned()).or_default()
    }

    /// Generates the whole tree beyond the core.
    pub fn generate(&mut self) -> Result<()> {
        self.common()?;
        self.octane_enums()?;
        self.type_files()?;
        for (file, svc) in plan::CORE_FILE_SERVICES {
            self.core_file_service(file, svc)
                .with_context(|| format!("synth: {file}: {}", svc.name))?;
        }
        self.change_manager_events()?;
        for (file, about, services) in plan::SERVICE_FILES {
            self.service_file(file, about, services)
                .with_context(|| format!("synth: {file}"))?;
        }
        self.callback_file()?;
        self.camera_control_file()?;
        self.files.insert(
            "octanedelayload.proto".to_owned(),
            proto::File {
                about: "empty: a package line and an unused import, as in the SDK".to_owned(),
                package: PACKAGE.to_owned(),
                imports: ["common.proto".to_owned()].into(),
                services: Vec::new(),
                enums: Vec::new(),
                messages: Vec::new(),
            },
        );
        Ok(())
    }

    // ---- common.proto and octaneenums.proto ------------------------------------------------

    /// Vector types (`uint32_4`, `double_3`, ...), the `*ArrayT` types of the array oneofs, and
    /// pointer types whose nested enums repeat value names of `ObjectRef.ObjectType`.
    fn common(&mut self) -> Result<()> {
        let mut messages = Vec::new();
        for (base, ty) in [
            ("float", "float"),
            ("double", "double"),
            ("int32", "int32"),
            ("uint32", "uint32"),
            ("int64", "int64"),
            ("uint64", "uint64"),
            ("int8", "int32"),
            ("uint8", "uint32"),
        ] {
            for dims in 2..=4 {
                let name = format!("{base}_{dims}");
                if self.exists(&format!("{PACKAGE}.{name}")) {
                    continue;
                }
                let fields = ["x", "y", "z", "w"][..dims]
                    .iter()
                    .zip(1..)
                    .map(|(axis, n)| Field::new(axis, ty, n))
                    .collect();
                messages.push(self.define(PACKAGE, Message::with_fields(&name, fields))?);
            }
        }
        // More lower-case top-level types, C typedef style.
        for (name, ty) in [
            ("enum_t", "int32"),
            ("bool_t", "bool"),
            ("char_t", "uint32"),
            ("size_t", "uint64"),
            ("handle_t", "uint64"),
            ("rect_t", ".octaneapi.int32_4"),
            ("range_t", ".octaneapi.float_2"),
            ("flags_t", "uint32"),
        ] {
            let msg = Message::with_fields(name, vec![Field::new("value", ty, 1)]);
            messages.push(self.define(PACKAGE, msg)?);
        }
        for (name, ty) in ARRAY_TYPES {
            if self.exists(&format!("{PACKAGE}.{name}")) {
                continue;
            }
            let field = if *ty == "bytes" {
                Field::new("data", "bytes", 1)
            } else {
                Field::new("data", ty, 1).with(Label::Repeated)
            };
            messages.push(self.define(PACKAGE, Message::with_fields(name, vec![field]))?);
        }
        for ptr in ["ApiItemPtr", "ApiNodeGraphPtr"] {
            let mut msg = Message::with_fields(
                ptr,
                vec![
                    Field::new("handle", "uint64", 1),
                    Field::new("type", &format!(".{PACKAGE}.{ptr}.PointerType"), 2),
                ],
            );
            msg.enums.push(Enum {
                name: "PointerType".to_owned(),
                allow_alias: false,
                values: [
                    "ApiItem",
                    "ApiNode",
                    "ApiRootNodeGraph",
                    "ApiReferenceGraph",
                    "ApiNodeGraph",
                ]
                .iter()
                .zip(0..)
                .map(|(v, n)| ((*v).to_owned(), n))
                .collect(),
            });
            messages.push(self.define(PACKAGE, msg)?);
        }
        self.growth("common.proto").messages = messages;
        Ok(())
    }

    /// The enums of `octaneenums.proto`: the `allow_alias` ones of Q10 with their aliases, a
    /// negative value, and many generated ones.
    fn octane_enums(&mut self) -> Result<()> {
        let mut enums = Vec::new();
        let explicit: &[(&str, &[(&str, i32)])] = &[
            (
                "BlendMode",
                &[
                    ("BLEND_MODE_NORMAL", 0),
                    ("BLEND_MODE_ADD", 1),
                    ("BLEND_MODE_MULTIPLY", 2),
                    ("BLEND_MODE_SCREEN", 3),
                    ("BLEND_MODE_COMPOSITE_OFFSET", 1000),
                    ("BLEND_MODE_SRC", 1000),
                    ("BLEND_MODE_DST", 1001),
                ],
            ),
            (
                "HairInterpolationType",
                &[
                    ("HAIR_INTERP_LENGTH", 0),
                    ("HAIR_INTERP_DEFAULT", 0),
                    ("HAIR_INTERP_UV", 1),
                    ("HAIR_INTERP_NONE", 2),
                ],
            ),
            (
                "HairMaterialBaseColorMode",
                &[
                    ("HAIR_MATERIAL_BASE_COLOR_ALBEDO", 0),
                    ("HAIR_MATERIAL_BASE_COLOR", 0),
                    ("HAIR_MATERIAL_BASE_COLOR_MELANIN", 1),
                ],
            ),
            (
                "ImageMaskSource",
                &[
                    ("IMAGE_MASK_ALPHA", 0),
                    ("IMAGE_MASK_LUMINANCE", 1),
                    ("IMAGE_MASK_DEFAULT", 1),
                ],
            ),
            (
                "InfoChannelType",
                &[
                    ("IC_TYPE_GEOMETRIC_NORMAL", 0),
                    ("IC_TYPE_SHADING_NORMAL", 1),
                    ("IC_TYPE_POSITION", 2),
                    ("IC_TYPE_FIRST", 0),
                    ("IC_TYPE_LAST", 2),
                ],
            ),
            (
                "RenderPassGroupId",
                &[
                    ("RENDER_PASS_GROUP_BEAUTY", 0),
                    ("RENDER_PASS_GROUP_LIGHT", 1),
                    ("RENDER_PASS_GROUP_CRYPTOMATTE", 2),
                    ("RENDER_PASS_GROUP_FIRST", 0),
                    ("RENDER_PASS_GROUP_COUNT", 3),
                ],
            ),
            (
                "ResourceCategory",
                &[
                    ("RESOURCE_CATEGORY_GEOMETRY", 0),
                    ("RESOURCE_CATEGORY_TEXTURE", 1),
                    ("RESOURCE_CATEGORY_FILM", 2),
                    ("RESOURCE_CATEGORY_LAST", 2),
                ],
            ),
            (
                "KeyModifierFlag",
                &[
                    ("NO_MODIFIER", 0),
                    ("SHIFT_MODIFIER", 1),
                    ("CTRL_MODIFIER", 2),
                    ("ALT_MODIFIER", 4),
                    ("COMMAND_MODIFIER", 8),
                    ("CTRL_OR_COMMAND_MODIFIER", 8),
                ],
            ),
            (
                "ImageChannelType",
                &[
                    ("IMAGE_CHANNEL_HALF", 0),
                    ("IMAGE_CHANNEL_FLOAT", 1),
                    ("IMAGE_CHANNEL_AUTO", -1),
                ],
            ),
        ];
        for (name, values) in explicit {
            let en = Enum {
                name: (*name).to_owned(),
                allow_alias: {
                    let numbers: BTreeSet<i32> = values.iter().map(|(_, n)| *n).collect();
                    numbers.len() < values.len()
                },
                values: values.iter().map(|(v, n)| ((*v).to_owned(), *n)).collect(),
            };
            self.define_enum(PACKAGE, &en)?;
            self.enums.push(format!(".{PACKAGE}.{name}"));
            enums.push(en);
        }
        for _ in 0..142 {
            let en = self.random_enum(PACKAGE)?;
            self.enums.push(format!(".{PACKAGE}.{}", en.name));
            enums.push(en);
        }
        self.growth("octaneenums.proto").enums = enums;
        Ok(())
    }

    /// An enum with a fresh name and 2 to ~30 values, claimed in `scope`.
    fn random_enum(&mut self, scope: &str) -> Result<Enum> {
        let name = loop {
            let candidate = format!(
                "{}{}",
                self.rng.pick(ENUM_NOUNS),
                self.rng.pick(ENUM_SUFFIXES)
            );
            if self.claim(scope, &candidate) {
                break candidate;
            }
        };
        let count = match self.rng.below(100) {
            0..45 => self.rng.range(2, 4),
            45..80 => self.rng.range(5, 8),
            80..95 => self.rng.range(9, 14),
            _ => self.rng.range(15, 30),
        };
        let words: Vec<&str> = name_words(&name);
        // Most SDK enums use short C++ prefixes (`NT_`, `P_`); some the full SCREAMING name,
        // which prost strips.
        let prefixes = [
            words
                .iter()
                .map(|w| w[..1].to_ascii_uppercase())
                .collect::<String>()
                + "_",
            words[0].to_ascii_uppercase() + "_",
            words.join("_").to_ascii_uppercase() + "_",
        ];
        let mut prefix_ix = if self.rng.percent(15) {
            2
        } else {
            self.rng.below(2)
        };
        let style = self.rng.below(100);
        let mut values = Vec::new();
        let mut variants = HashSet::new();
        let mut next = 0i32;
        let mut attempts = 0;
        while values.len() < count {
            attempts += 1;
            if attempts > 40 * count {
                // Short prefixes of other enums took these words: the full name is unique.
                prefix_ix = 2;
            }
            if attempts > 400 * count {
                bail!("no free value names for enum {name}");
            }
            let value = format!(
                "{}{}",
                prefixes[prefix_ix],
                self.rng.pick(words::ENUM_WORDS)
            );
            let variant = prost_variant(&name, &value);
            if variants.contains(&variant) || self.taken.contains(&format!("{scope}.{value}")) {
                continue;
            }
            self.taken.insert(format!("{scope}.{value}"));
            variants.insert(variant);
            values.push((value, next));
            next = match style {
                0..70 => next + 1,
                70..85 => {
                    if next == 0 {
                        1
                    } else {
                        next * 2
                    }
                }
                _ => next + self.rng.range(1, 10) as i32,
            };
        }
        Ok(Enum {
            name,
            allow_alias: false,
            values,
        })
    }

    // ---- types-only files ------------------------------------------------------------------

    fn type_files(&mut self) -> Result<()> {
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

    // ---- services --------------------------------------------------------------------------

    /// A service in a bundled core file: an existing one grown, or a new one.
    fn core_file_service(&mut self, file: &str, svc: &Svc) -> Result<()> {
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
    fn service_file(&mut self, file: &str, about: &str, services: &[Svc]) -> Result<()> {
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
    fn change_manager_events(&mut self) -> Result<()> {
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

    /// RPCs particular services must have with particular types (Q13, Q15, Q17, Q21 ...).
    fn explicit_rpcs(&mut self, svc: &Svc, class: &str, names: &mut RpcNames) -> Result<ClassRpcs> {
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

    /// `count` generated RPCs of class `class` (full name, no leading dot), `fixed` ones first.
    fn class_rpcs(
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
    fn params(&mut self, count: usize, first: u32) -> Vec<Field> {
        self.params_avoiding(count, first, &mut HashSet::new())
    }

    fn params_avoiding(
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

    // ---- callback.proto and camera_control.proto --------------------------------------------

    /// `CallbackHandler`: 48 UpperCamel RPCs with top-level request types, several of them
    /// shared, most answering `CallbackAck` (Q2, Q4, Q9, Q18).
    fn callback_file(&mut self) -> Result<()> {
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
    fn camera_control_file(&mut self) -> Result<()> {
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

/// How many RPCs the generator adds to `svc`, which has `have` already.
fn remaining(svc: &Svc, have: usize) -> Result<usize> {
    svc.rpcs.checked_sub(have).with_context(|| {
        format!(
            "the plan gives {} {} RPCs, but it has {have} already",
            svc.name, svc.rpcs
        )
    })
}

/// The `*ArrayT` types of the 14-member array oneofs, with their element types.
const ARRAY_TYPES: &[(&str, &str)] = &[
    ("BoolArrayT", "bool"),
    ("IntArrayT", "int32"),
    ("Int2ArrayT", ".octaneapi.int32_2"),
    ("Int3ArrayT", ".octaneapi.int32_3"),
    ("Int4ArrayT", ".octaneapi.int32_4"),
    ("LongArrayT", "int64"),
    ("Long2ArrayT", ".octaneapi.int64_2"),
    ("FloatArrayT", "float"),
    ("Float2ArrayT", ".octaneapi.float_2"),
    ("Float3ArrayT", ".octaneapi.float_3"),
    ("Float4ArrayT", ".octaneapi.float_4"),
    ("MatrixArrayT", ".octaneapi.MatrixF"),
    ("StringArrayT", "string"),
    ("ByteArrayT", "bytes"),
];

/// `oneof value` of the value getters and setters, fields 10-22 (23 with the pin file path).
fn value_oneof(pin: bool) -> Oneof {
    let mut members = vec![
        ("bool_value", "bool"),
        ("int_value", "int32"),
        ("int2_value", ".octaneapi.int32_2"),
        ("int3_value", ".octaneapi.int32_3"),
        ("int4_value", ".octaneapi.int32_4"),
        ("long_value", "int64"),
        ("long2_value", ".octaneapi.int64_2"),
        ("float_value", "float"),
        ("float2_value", ".octaneapi.float_2"),
        ("float3_value", ".octaneapi.float_3"),
        ("float4_value", ".octaneapi.float_4"),
        ("matrix_value", ".octaneapi.MatrixF"),
        ("string_value", "string"),
    ];
    if pin {
        members.push(("file_path_value", ".octaneapi.ApiFilePath"));
    }
    Oneof {
        name: "value".to_owned(),
        fields: members
            .iter()
            .zip(10..)
            .map(|((name, ty), n)| Field::new(name, ty, n))
            .collect(),
    }
}

/// `oneof array_value` with its 14 members from field 10.
fn array_oneof() -> Oneof {
    const NAMES: [&str; 14] = [
        "bool_array",
        "int_array",
        "int2_array",
        "int3_array",
        "int4_array",
        "long_array",
        "long2_array",
        "float_array",
        "float2_array",
        "float3_array",
        "float4_array",
        "matrix_array",
        "string_array",
        "byte_array",
    ];
    Oneof {
        name: "array_value".to_owned(),
        fields: NAMES
            .iter()
            .zip(ARRAY_TYPES)
            .zip(10..)
            .map(|((name, (ty, _)), n)| Field::new(name, &format!(".octaneapi.{ty}"), n))
            .collect(),
    }
}

/// `DialogResult`, top-level and nested in `ApiModalDialog`, with the same value names.
fn dialog_result() -> Enum {
    Enum {
        name: "DialogResult".to_owned(),
        allow_alias: false,
        values: ["CANCEL", "OK", "YES", "NO"]
            .iter()
            .zip(0..)
            .map(|(v, n)| (format!("DIALOG_RESULT_{v}"), n))
            .collect(),
    }
}

/// The values `ChangeEventType` shares with two nested `Type` enums (Q11).
fn change_event_values() -> Vec<(String, i32)> {
    [
        "ITEM_ADDED",
        "ITEM_DELETE",
        "ITEM_VALUE_CHANGED",
        "ITEM_MOVED",
        "ITEM_RENAMED",
    ]
    .iter()
    .zip(0..)
    .map(|(v, n)| ((*v).to_owned(), n))
    .collect()
}

/// The words of an UpperCamel name (`HairInterpolationType` -> `Hair`, `Interpolation`, `Type`).
fn name_words(name: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    for (ix, ch) in name.char_indices().skip(1) {
        if ch.is_ascii_uppercase() {
            words.push(&name[start..ix]);
            start = ix;
        }
    }
    words.push(&name[start..]);
    words
}

/// The Rust variant prost derives for an enum value (prefix-stripped UpperCamel).
fn prost_variant(enum_name: &str, value: &str) -> String {
    let prefix = to_upper_camel(enum_name);
    let camel = to_upper_camel(value);
    match camel.strip_prefix(&prefix) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => rest.to_owned(),
        _ => camel,
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

/// First words of generated enum names.
const ENUM_NOUNS: &[&str] = &[
    "Blend",
    "Hair",
    "Image",
    "Render",
    "Texture",
    "Light",
    "Camera",
    "Geometry",
    "Volume",
    "Material",
    "Node",
    "Pin",
    "Graph",
    "Export",
    "Import",
    "Color",
    "Channel",
    "Filter",
    "Sampling",
    "Display",
    "Layer",
    "Mask",
    "Noise",
    "Kernel",
    "Denoiser",
    "Output",
    "Input",
    "Curve",
    "Gradient",
    "Shape",
    "Font",
    "Window",
    "Mouse",
    "Key",
    "Cursor",
    "Dialog",
    "Log",
    "Module",
    "Package",
    "Cloud",
    "Net",
    "Device",
    "Memory",
    "Thread",
    "Time",
    "Animation",
    "Interpolation",
    "Projection",
    "Transform",
    "Displacement",
    "Subdivision",
    "Bump",
    "Emission",
    "Medium",
    "Scatter",
    "Fog",
    "Sky",
    "Sun",
    "Environment",
    "Lens",
    "Bokeh",
    "Aperture",
    "Tonemap",
    "Lut",
    "Ocio",
    "Gamma",
    "Vignette",
    "Bloom",
    "Glare",
    "Motion",
    "Shutter",
    "Frame",
    "Tile",
    "Bucket",
    "Compression",
    "Bit",
    "Depth",
    "Alpha",
    "Vdb",
    "Mesh",
    "Particle",
];

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

/// Last words of generated top-level data type names.
const STRUCT_SUFFIXES: &[&str] = &[
    "Info", "Data", "Desc", "State", "Options", "Entry", "Record", "Params", "Stats", "T",
];

/// Last words of generated enum names.
const ENUM_SUFFIXES: &[&str] = &[
    "Type", "Mode", "Kind", "Flag", "Source", "Format", "Order", "Policy", "Style", "Method",
    "State", "Quality", "Level", "Space", "Usage",
];
