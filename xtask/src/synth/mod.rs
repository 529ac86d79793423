//! `cargo xtask synth --out DIR [--seed N]`: a proto tree with the shape of the full Octane SDK
//! (`docs/sdk-shape.md`: 91 compilable files, 105 services, 1,323 RPCs, ~2,500 messages, ~4,300
//! enum values, every quirk Q1-Q21), to test regen and the build against without shipping the
//! SDK's files.
//!
//! The tree grows the bundled core in `proto/` rather than replacing it: every core definition
//! stays as it is (the hand-written crates name those types), core services get the RPCs the SDK
//! has, and generated files add the rest. Like the SDK folder it also holds five files that
//! redefine types of others, a `common.proto` that is not UTF-8, and (unlike the SDK) the
//! `regen.toml` that makes regen cope with both.

mod counts;
mod defs;
mod plan;
mod proto;
mod rng;
#[cfg(test)]
mod tests;
mod text;
mod traps;
mod words;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use prost_types::{DescriptorProto, FileDescriptorSet};

use crate::regen::config::Config;
use crate::regen::protos;
pub(crate) use counts::Counts;
use defs::{EMPTY, Growth, Synth};

/// What `synth` was asked to do.
pub(crate) struct Options {
    /// The workspace root (the bundled core is read from its `proto/`).
    pub workspace: PathBuf,
    /// Where to write the tree.
    pub out: PathBuf,
    /// Fixes every random choice: the same seed gives the same tree.
    pub seed: u64,
}

/// Writes the tree and prints its counts next to the SDK's.
pub(crate) fn run(opts: &Options) -> Result<()> {
    let started = std::time::Instant::now();
    let core = opts.workspace.join("proto");
    let tree = build(&core, opts.seed)?;
    fs::create_dir_all(&opts.out).with_context(|| format!("creating {}", opts.out.display()))?;
    if fs::canonicalize(&opts.out)? == fs::canonicalize(&core)? {
        bail!(
            "synth grows the bundled core in proto/ and must not overwrite it; pick another --out"
        );
    }
    for entry in fs::read_dir(&opts.out)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.extension().is_some_and(|e| e == "proto") && !tree.contains_key(name) {
            bail!(
                "{} holds {name}, which is not part of the synth tree; use an empty folder",
                opts.out.display()
            );
        }
    }
    for (name, bytes) in &tree {
        let path = opts.out.join(name);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let config = Config::load(&opts.out)?;
    let fds = protos::compile(&opts.out, &config)?;
    eprintln!(
        "synth: {} files (seed {}) written to {} in {:.1?}\n{}",
        tree.len(),
        opts.seed,
        opts.out.display(),
        started.elapsed(),
        Counts::of(&fds)
    );
    Ok(())
}

/// The synth tree: file name -> content (bytes: `common.proto` is not UTF-8).
pub(crate) fn build(core_dir: &Path, seed: u64) -> Result<BTreeMap<String, Vec<u8>>> {
    let core_fds = protos::compile(core_dir, &Config::default())
        .with_context(|| format!("compiling the bundled core in {}", core_dir.display()))?;
    let mut synth = Synth::new(seed, &core_fds);
    synth.generate()?;

    let type_files = type_files(&core_fds, &synth.growth, &synth.files);
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for file in core_fds
        .file
        .iter()
        .filter(|f| !f.name().starts_with("google/"))
    {
        let name = file.name();
        let path = core_dir.join(name);
        let mut source =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        if let Some(growth) = synth.growth.get(name) {
            grow(&mut source, growth, name, &type_files)
                .with_context(|| format!("synth: growing {name}"))?;
            source = format!(
                "// Grown to the size of the SDK's file by cargo xtask synth; the bundled core \
                 file follows.\n{source}"
            );
        }
        texts.insert(name.to_owned(), source);
    }
    for (name, file) in &mut synth.files {
        let mut referenced = BTreeSet::new();
        for msg in &file.messages {
            msg.referenced_types(&mut referenced);
        }
        for svc in &file.services {
            for rpc in &svc.rpcs {
                referenced.insert(rpc.request.clone());
                referenced.insert(rpc.response.clone());
            }
        }
        file.imports
            .extend(imports_for(name, &referenced, &type_files)?);
        texts.insert(name.clone(), file.render(name));
    }
    if let Some(growth) = synth.growth.keys().find(|f| !texts.contains_key(*f)) {
        bail!("synth: grows {growth}, which the bundled core does not have");
    }
    traps::add_conflicting_files(&mut texts)?;

    let mut tree: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (name, source) in texts {
        let bytes = if name == "common.proto" {
            traps::windows_1252_dashes(&source)?
        } else {
            source.into_bytes()
        };
        tree.insert(name, bytes);
    }
    // The tree ships the bundled config, which must exclude the conflicting files it has.
    let config = Config::load(core_dir)?;
    let missing: Vec<&str> = traps::EXCLUDED
        .into_iter()
        .filter(|name| !config.exclude.iter().any(|e| e == name))
        .collect();
    if !missing.is_empty() {
        bail!(
            "synth: {} must exclude {} (the synth tree has those conflicting files)",
            core_dir.join("regen.toml").display(),
            missing.join(", ")
        );
    }
    let config = core_dir.join("regen.toml");
    let config = fs::read(&config).with_context(|| format!("reading {}", config.display()))?;
    tree.insert("regen.toml".to_owned(), config);
    Ok(tree)
}

/// The file that defines each type (full name with a leading dot).
fn type_files(
    core: &FileDescriptorSet,
    growth: &BTreeMap<String, Growth>,
    files: &BTreeMap<String, proto::File>,
) -> HashMap<String, String> {
    fn descriptor(
        out: &mut HashMap<String, String>,
        scope: &str,
        msg: &DescriptorProto,
        file: &str,
    ) {
        let full = format!("{scope}.{}", msg.name());
        for en in &msg.enum_type {
            out.insert(format!("{full}.{}", en.name()), file.to_owned());
        }
        for nested in &msg.nested_type {
            descriptor(out, &full, nested, file);
        }
        out.insert(full, file.to_owned());
    }
    fn generated(out: &mut HashMap<String, String>, scope: &str, msg: &proto::Message, file: &str) {
        let full = format!("{scope}.{}", msg.name);
        for en in &msg.enums {
            out.insert(format!("{full}.{}", en.name), file.to_owned());
        }
        for nested in &msg.messages {
            generated(out, &full, nested, file);
        }
        out.insert(full, file.to_owned());
    }
    let mut out = HashMap::new();
    for file in &core.file {
        let scope = format!(".{}", file.package());
        for msg in &file.message_type {
            descriptor(&mut out, &scope, msg, file.name());
        }
        for en in &file.enum_type {
            out.insert(format!("{scope}.{}", en.name()), file.name().to_owned());
        }
    }
    for (name, growth) in growth {
        for msg in &growth.messages {
            generated(&mut out, ".octaneapi", msg, name);
        }
        for en in &growth.enums {
            out.insert(format!(".octaneapi.{}", en.name), name.clone());
        }
        for (class, msg) in &growth.nested {
            let scope = format!(".{class}");
            for nested in &msg.messages {
                generated(&mut out, &scope, nested, name);
            }
            for en in &msg.enums {
                out.insert(format!("{scope}.{}", en.name), name.clone());
            }
        }
    }
    for (name, file) in files {
        let scope = format!(".{}", file.package);
        for msg in &file.messages {
            generated(&mut out, &scope, msg, name);
        }
        for en in &file.enums {
            out.insert(format!("{scope}.{}", en.name), name.clone());
        }
    }
    out
}

/// The imports file `name` needs for the types it refers to.
fn imports_for(
    name: &str,
    referenced: &BTreeSet<String>,
    type_files: &HashMap<String, String>,
) -> Result<BTreeSet<String>> {
    let mut imports = BTreeSet::new();
    for ty in referenced {
        let file = if ty == EMPTY {
            "google/protobuf/empty.proto"
        } else {
            type_files
                .get(ty)
                .with_context(|| format!("synth: {name} refers to {ty}, which no file defines"))?
        };
        if file != name {
            imports.insert(file.to_owned());
        }
    }
    Ok(imports)
}

/// Writes a core file's additions into its text.
fn grow(
    source: &mut String,
    growth: &Growth,
    name: &str,
    type_files: &HashMap<String, String>,
) -> Result<()> {
    let mut referenced = BTreeSet::new();
    for (service, rpcs) in &growth.rpcs {
        let lines: String = rpcs.iter().map(proto::render_rpc).collect();
        text::insert_in_block(source, "service", service, &lines)?;
        for rpc in rpcs {
            referenced.insert(rpc.request.clone());
            referenced.insert(rpc.response.clone());
        }
    }
    for (class, msg) in &growth.nested {
        let simple = class.rsplit('.').next().expect("non-empty class");
        let depth = text::block_depth(source, "message", simple)?;
        let mut block = String::new();
        for en in &msg.enums {
            block.push('\n');
            block.push_str(&proto::render_enum(en, depth + 1));
        }
        for nested in &msg.messages {
            block.push('\n');
            block.push_str(&proto::render_message(nested, depth + 1));
        }
        text::insert_in_block(source, "message", simple, &block)?;
        msg.referenced_types(&mut referenced);
    }
    if !growth.services.is_empty() {
        let block: String = growth
            .services
            .iter()
            .map(|s| format!("\n{}", proto::render_service(s)))
            .collect();
        // After the file's last service, or after the options when it has none.
        let at = match source.rfind("\nservice ") {
            Some(start) => {
                start
                    + 1
                    + source[start + 1..]
                        .find("\n}\n")
                        .context("unclosed service")?
                    + 3
            }
            None => {
                let option = source
                    .find("option optimize_for")
                    .context("no optimize_for option")?;
                option + source[option..].find('\n').context("unterminated option")? + 1
            }
        };
        source.insert_str(at, &block);
        for rpc in growth.services.iter().flat_map(|s| &s.rpcs) {
            referenced.insert(rpc.request.clone());
            referenced.insert(rpc.response.clone());
        }
    }
    for en in &growth.enums {
        source.push('\n');
        source.push_str(&proto::render_enum(en, 0));
    }
    for msg in &growth.messages {
        source.push('\n');
        source.push_str(&proto::render_message(msg, 0));
        msg.referenced_types(&mut referenced);
    }
    let imports = imports_for(name, &referenced, type_files)?;
    text::add_imports(source, &imports)
}
