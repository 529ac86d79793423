//! pbjson-build's serde impls, edited on their syntax tree where pbjson does not follow the
//! proto3 JSON mapping the way Octane's clients need it.
//!
//! pbjson writes Rust source; regen parses it with `syn`, edits the expressions, patterns and
//! constants it recognises by their structure (a call of `E::try_from`, a `serialize_field` with
//! a float field's key, a `map_.next_value` read), and prints the tree again with
//! `prettyplease`. Each edit counts what it changed and stops regen when pbjson's output no
//! longer has the shape it expects, so a pbjson upgrade fails here, naming the edit. The code the
//! edited impls call is hand-written, in `octane-api`'s `json` module.

mod enum_aliases;
mod enum_numbers;
mod field_reads;
mod float_fields;
mod syntax;

use std::collections::HashMap;

use anyhow::{Context, Result};

pub(super) use enum_aliases::{AliasedEnum, enum_aliases};
pub(super) use float_fields::float_fields;

/// Applies every edit to the serde impls pbjson wrote for one package.
pub(super) fn rewrite(
    code: &str,
    aliases: &[AliasedEnum],
    floats: &HashMap<String, Vec<String>>,
) -> Result<String> {
    let mut file = syn::parse_file(code).context("parsing pbjson's output")?;
    enum_aliases::accept(&mut file, aliases).context("enum aliases")?;
    enum_numbers::rewrite(&mut file).context("unknown enum values as numbers")?;
    field_reads::rewrite(&mut file).context("field reads")?;
    float_fields::rewrite(&mut file, floats).context("non-finite floats")?;
    Ok(prettyplease::unparse(&file))
}
