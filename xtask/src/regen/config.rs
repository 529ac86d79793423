//! `proto/regen.toml`: what the SDK folder needs besides its .proto files.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// The regen configuration. A missing file means "no excludes, no aliases".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// File names in the proto folder that are left out of the build.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Extra method names old clients still call: `"Service/oldName" = "newName"`, where
    /// `Service` is the gRPC service name (`ApiItemService`) or its short form (`ApiItem`).
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

impl Config {
    /// Reads `regen.toml` from the proto folder, if there is one.
    pub(crate) fn load(proto_dir: &Path) -> Result<Self> {
        let path = proto_dir.join("regen.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
        }
    }
}
