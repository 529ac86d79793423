//! Generating the definitions of the synth tree: names that cannot clash (in proto or after
//! prost/tonic renaming), the generic per-class RPCs, enums, and the quirk-bearing definitions
//! `docs/sdk-shape.md` lists, each placed where the SDK has it. This module holds the generator's
//! state and its order of work; its submodules hold one concern each.

mod callback_files;
mod class_rpcs;
mod common;
mod enums;
mod naming;
mod quirk_rpcs;
mod services;
mod type_files;

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Context, Result};
use prost_types::FileDescriptorSet;

use super::plan;
use super::proto::{self, Enum, Message, Rpc, Service};
use super::rng::Rng;
use super::words;
use crate::regen::model::to_snake;

/// The package of everything but LiveLink.
const PACKAGE: &str = "octaneapi";
/// The only well-known type the SDK uses.
pub(super) const EMPTY: &str = ".google.protobuf.Empty";
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
pub(super) struct Growth {
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
pub(super) struct Synth {
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
    pub(super) fn new(seed: u64, core: &FileDescriptorSet) -> Self {
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

    fn growth(&mut self, file: &str) -> &mut Growth {
        self.growth.entry(file.to_owned()).or_default()
    }

    /// Generates the whole tree beyond the core.
    pub(super) fn generate(&mut self) -> Result<()> {
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
}
