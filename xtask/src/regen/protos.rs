//! Reading `proto/` and compiling it into one descriptor set with protox (no `protoc`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use prost_types::FileDescriptorSet;
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use super::config::Config;

/// Compiles every `*.proto` directly inside `dir`, minus the configured excludes.
pub fn compile(dir: &Path, config: &Config) -> Result<FileDescriptorSet> {
    let names = proto_file_names(dir, config)?;
    if names.is_empty() {
        bail!("no .proto files in {}", dir.display());
    }
    let mut resolver = ChainFileResolver::new();
    resolver.add(LossyDirResolver {
        dir: dir.to_path_buf(),
    });
    resolver.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true).include_source_info(true);
    for name in &names {
        compiler
            .open_file(name)
            .map_err(|err| anyhow::anyhow!("{err:?}"))
            .with_context(|| format!("compiling {}", dir.join(name).display()))?;
    }
    Ok(compiler.file_descriptor_set())
}

/// The sorted file names (relative to `dir`) that take part in the build.
fn proto_file_names(dir: &Path, config: &Config) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "proto") {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .context("non-UTF-8 file name")?
                .to_owned();
            if !config.exclude.contains(&name) {
                names.push(name);
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Opens files from one folder, reading bytes that are not UTF-8 lossily.
///
/// The Octane SDK's `common.proto` has Windows-1252 dashes in comments; protoc accepts them,
/// protox's own resolver refuses the file. Comments are all such bytes can affect.
struct LossyDirResolver {
    dir: PathBuf,
}

impl FileResolver for LossyDirResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        let path = self.dir.join(name);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(protox::Error::file_not_found(name));
            }
            Err(err) => return Err(protox::Error::new(err)),
        };
        let source = match String::from_utf8(bytes) {
            Ok(source) => source,
            Err(err) => {
                let bytes = err.into_bytes();
                for line in invalid_utf8_lines(&bytes) {
                    eprintln!(
                        "warning: {}:{line}: bytes that are not valid UTF-8 were replaced by U+FFFD",
                        path.display()
                    );
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
        };
        File::from_source(name, &source)
    }
}

/// The 1-based numbers of the lines that hold invalid UTF-8.
fn invalid_utf8_lines(bytes: &[u8]) -> Vec<usize> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| std::str::from_utf8(line).is_err())
        .map(|(ix, _)| ix + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_lines_with_invalid_utf8() {
        let bytes = b"ok\n// 0\x96255\nok\n\x96\n";
        assert_eq!(invalid_utf8_lines(bytes), vec![2, 4]);
    }
}
