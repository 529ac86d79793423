//! Reading `proto/` and compiling it into one descriptor set with protox (no `protoc`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use super::config::Config;

/// Compiles every `*.proto` directly inside `dir`, minus the configured excludes.
pub(crate) fn compile(dir: &Path, config: &Config) -> Result<FileDescriptorSet> {
    let names = proto_file_names(dir, config)?;
    if names.is_empty() {
        bail!("no .proto files in {}", dir.display());
    }
    let absent: Vec<&str> = config
        .exclude
        .iter()
        .filter(|name| !dir.join(name).exists())
        .map(String::as_str)
        .collect();
    if !absent.is_empty() {
        // The shipped config names the SDK's conflicting files; the bundled core has none of them.
        eprintln!(
            "note: regen.toml excludes {} which {} not in {}",
            absent.join(", "),
            if absent.len() == 1 { "is" } else { "are" },
            dir.display()
        );
    }
    check_definitions(dir, &names, &config.exclude)?;
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

/// Fails with one message naming every file that does not parse and every pair of files that
/// define the same fully-qualified name, with the fix (`exclude` in `regen.toml`).
///
/// The Octane SDK folder ships such files (a monolithic `apinodesystem.proto` next to its split
/// parts, and four more); protox would stop at the first conflict and name only one file. Each
/// file of the build, and each file of the folder it imports, is parsed on its own here.
fn check_definitions(dir: &Path, names: &[String], excluded: &[String]) -> Result<()> {
    let scan = scan_definitions(dir, names)?;
    let mut problems = Vec::new();
    let label = |file: &str| match scan.imported_by.get(file) {
        Some(importer) if excluded.iter().any(|e| e == file) => {
            format!("{file} (excluded, but imported by {importer})")
        }
        _ => file.to_owned(),
    };
    for (file, error) in &scan.unparsable {
        problems.push(format!("{} does not parse: {error}", label(file)));
    }
    // Group the clashing names by the files involved, so each pair is reported once.
    let mut by_files: BTreeMap<Vec<&str>, Vec<&str>> = BTreeMap::new();
    for (name, files) in &scan.definitions {
        if files.len() > 1 {
            let key = files.iter().map(String::as_str).collect();
            by_files.entry(key).or_default().push(name);
        }
    }
    for (files, mut clashing) in by_files {
        // Top-level names first: they say which types the files are about.
        clashing.sort_by_key(|name| (name.matches('.').count(), *name));
        const SHOWN: usize = 3;
        let mut names = clashing[..clashing.len().min(SHOWN)].join(", ");
        if clashing.len() > SHOWN {
            write!(names, " and {} more", clashing.len() - SHOWN).expect("write to String");
        }
        let distinct: BTreeSet<&str> = files.iter().copied().collect();
        problems.push(if distinct.len() == 1 {
            format!("{} defines {names} more than once", label(files[0]))
        } else {
            let labels: Vec<String> = distinct.iter().map(|f| label(f)).collect();
            let (last, rest) = labels.split_last().expect("two or more files");
            let verb = if labels.len() == 2 { "both" } else { "all" };
            format!("{} and {last} {verb} define {names}", rest.join(", "))
        });
    }
    if problems.is_empty() {
        return Ok(());
    }
    bail!(
        "the .proto files of {} cannot be compiled as one set:\n  {}\nadd one file of each \
         clashing pair, and every file that does not parse, to `exclude` in {}",
        dir.display(),
        problems.join("\n  "),
        dir.join("regen.toml").display()
    )
}

/// What parsing each file on its own found.
#[derive(Default)]
struct Scan {
    /// Files that failed to parse, with the error and its line.
    unparsable: BTreeMap<String, String>,
    /// Every fully-qualified name, with the file that defines it once per definition (sorted).
    definitions: BTreeMap<String, Vec<String>>,
    /// Files that are not part of the build but are imported by one, with the first importer.
    imported_by: BTreeMap<String, String>,
}

/// Parses `names` and, transitively, the files of `dir` they import.
fn scan_definitions(dir: &Path, names: &[String]) -> Result<Scan> {
    let mut scan = Scan::default();
    let mut queue: VecDeque<String> = names.iter().cloned().collect();
    let mut seen: BTreeSet<String> = names.iter().cloned().collect();
    while let Some(name) = queue.pop_front() {
        let path = dir.join(&name);
        let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        // Quietly: the resolver warns about invalid UTF-8 when it compiles the file.
        let (source, _) = decode_lossy(bytes);
        let file = match protox_parse::parse(&name, &source) {
            Ok(file) => file,
            Err(err) => {
                let at = err
                    .span()
                    .map(|span| {
                        let before = &source[..span.start.min(source.len())];
                        let line = before.matches('\n').count() + 1;
                        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                        format!("line {line}:{column}: ")
                    })
                    .unwrap_or_default();
                scan.unparsable.insert(name, format!("{at}{err}"));
                continue;
            }
        };
        for import in &file.dependency {
            if dir.join(import).is_file() && seen.insert(import.clone()) {
                scan.imported_by.insert(import.clone(), name.clone());
                queue.push_back(import.clone());
            }
        }
        let package = file.package();
        let mut define =
            |full: String| scan.definitions.entry(full).or_default().push(name.clone());
        for service in &file.service {
            define(scoped(package, service.name()));
        }
        for en in &file.enum_type {
            enum_names(package, en, &mut define);
        }
        for msg in &file.message_type {
            message_names(package, msg, &mut define);
        }
    }
    for files in scan.definitions.values_mut() {
        files.sort();
    }
    Ok(scan)
}

/// `scope.name`, or `name` in a file without a package.
fn scoped(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

/// A message's full name and those of everything nested in it.
fn message_names(scope: &str, msg: &DescriptorProto, define: &mut impl FnMut(String)) {
    let full = scoped(scope, msg.name());
    for nested in &msg.nested_type {
        message_names(&full, nested, define);
    }
    for en in &msg.enum_type {
        enum_names(&full, en, define);
    }
    define(full);
}

/// An enum's full name and its values', which protobuf places next to the enum, not inside it.
fn enum_names(scope: &str, en: &EnumDescriptorProto, define: &mut impl FnMut(String)) {
    define(scoped(scope, en.name()));
    for value in &en.value {
        define(scoped(scope, value.name()));
    }
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
        let (source, bad_lines) = decode_lossy(bytes);
        for line in bad_lines {
            eprintln!(
                "warning: {}:{line}: bytes that are not valid UTF-8 were replaced by U+FFFD",
                path.display()
            );
        }
        File::from_source(name, &source)
    }
}

/// The file as text, bytes that are not UTF-8 replaced by U+FFFD, and the lines that held them.
fn decode_lossy(bytes: Vec<u8>) -> (String, Vec<usize>) {
    match String::from_utf8(bytes) {
        Ok(source) => (source, Vec::new()),
        Err(err) => {
            let bytes = err.into_bytes();
            let lines = invalid_utf8_lines(&bytes);
            (String::from_utf8_lossy(&bytes).into_owned(), lines)
        }
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

    /// A folder of the given files, removed on drop.
    struct Folder(PathBuf);

    impl Folder {
        fn new(test: &str, files: &[(&str, &str)]) -> Self {
            let dir =
                std::env::temp_dir().join(format!("octane-protos-{test}-{}", std::process::id()));
            fs::create_dir_all(&dir).expect("temp dir");
            for (name, source) in files {
                fs::write(dir.join(name), source).expect("write proto");
            }
            Self(dir)
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn names_the_files_that_clash_and_those_that_do_not_parse() {
        let folder = Folder::new(
            "clash",
            &[
                (
                    "a.proto",
                    "syntax = \"proto3\"; package p; message Thing { message Inner {} }",
                ),
                (
                    "b.proto",
                    "syntax = \"proto3\"; package p; message Thing { message Inner {} }",
                ),
                (
                    "bad.proto",
                    "syntax = \"proto3\";\npackage p;\nmessage X { string a = 1, }",
                ),
                (
                    "user.proto",
                    "syntax = \"proto3\"; package p; import \"old.proto\"; message User { Old old = 1; }",
                ),
                (
                    "old.proto",
                    "syntax = \"proto3\"; package p; message Old {} enum E { E_A = 0; }",
                ),
                (
                    "new.proto",
                    "syntax = \"proto3\"; package p; message Old {} message E_A {}",
                ),
            ],
        );
        let config = Config {
            exclude: vec!["old.proto".into(), "absent.proto".into()],
            ..Config::default()
        };
        let err = compile(&folder.0, &config)
            .expect_err("clashes")
            .to_string();
        for expected in [
            "a.proto and b.proto both define p.Thing, p.Thing.Inner\n",
            "bad.proto does not parse: line 3:",
            "new.proto and old.proto (excluded, but imported by user.proto) both define p.E_A, p.Old\n",
            "add one file of each clashing pair, and every file that does not parse, to `exclude` in",
        ] {
            assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
        }
    }

    #[test]
    fn excluded_files_may_be_absent() {
        let folder = Folder::new(
            "absent",
            &[("a.proto", "syntax = \"proto3\"; package p; message A {}")],
        );
        let config = Config {
            exclude: vec!["apinodesystem.proto".into()],
            ..Config::default()
        };
        let fds = compile(&folder.0, &config).expect("compiles");
        assert!(fds.file.iter().any(|f| f.name() == "a.proto"));
    }

    #[test]
    fn reports_lines_with_invalid_utf8() {
        let bytes = b"ok\n// 0\x96255\nok\n\x96\n";
        assert_eq!(invalid_utf8_lines(bytes), vec![2, 4]);
    }
}
