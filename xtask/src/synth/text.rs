//! Edits of existing `.proto` text: the synth tree grows the bundled core files in place, so every
//! definition the hand-written crates name stays exactly as in `proto/`.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};

/// Inserts `text` (whole lines, already indented) just before the closing brace of the block
/// opened by the line `{keyword} {name} {` (`service ApiItemService`, `message ApiLocalDB_Category`).
pub(super) fn insert_in_block(
    source: &mut String,
    keyword: &str,
    name: &str,
    text: &str,
) -> Result<()> {
    let header = format!("{keyword} {name} {{");
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.trim() == header)
        .map(|(ix, _)| ix)
        .collect();
    let [start] = starts[..] else {
        bail!("expected one `{header}` line, found {}", starts.len());
    };
    let mut depth = 0i32;
    let mut close = None;
    for (ix, line) in lines.iter().enumerate().skip(start) {
        let code = line.split("//").next().unwrap_or_default();
        depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
        if depth == 0 {
            close = Some(ix);
            break;
        }
    }
    let close = close.with_context(|| format!("`{header}` is never closed"))?;
    let offset: usize = lines[..close].iter().map(|l| l.len()).sum();
    source.insert_str(offset, text);
    Ok(())
}

/// The nesting depth of the block `{keyword} {name} {` (0 for a top-level one).
pub(super) fn block_depth(source: &str, keyword: &str, name: &str) -> Result<usize> {
    let header = format!("{keyword} {name} {{");
    let line = source
        .lines()
        .find(|line| line.trim() == header)
        .with_context(|| format!("no `{header}` line"))?;
    Ok((line.len() - line.trim_start().len()) / 2)
}

/// The files `source` imports.
pub(super) fn imports(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("import \""))
        .filter_map(|rest| rest.strip_suffix("\";"))
        .map(str::to_owned)
        .collect()
}

/// Adds `import` lines for `wanted` files not imported yet, keeping the import block sorted.
pub(super) fn add_imports(source: &mut String, wanted: &BTreeSet<String>) -> Result<()> {
    let mut all = imports(source);
    if wanted.is_subset(&all) {
        return Ok(());
    }
    all.extend(wanted.iter().cloned());
    let block: String = all.iter().map(|f| format!("import \"{f}\";\n")).collect();
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    let is_import = |line: &&str| line.trim_start().starts_with("import ");
    let rebuilt = match lines.iter().position(is_import) {
        Some(first) => {
            let last = lines.iter().rposition(is_import).expect("an import exists");
            format!(
                "{}{block}{}",
                lines[..first].concat(),
                lines[last + 1..].concat()
            )
        }
        None => {
            let package = lines
                .iter()
                .position(|line| line.trim_start().starts_with("package "))
                .context("no package line")?;
            format!(
                "{}\n{block}{}",
                lines[..=package].concat(),
                lines[package + 1..].concat()
            )
        }
    };
    *source = rebuilt;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "syntax = \"proto3\";\n\npackage p;\n\noption optimize_for = CODE_SIZE;\n\n\
                        service S {\n  rpc a(.p.M) returns (.p.M);\n}\n\n\
                        message M {\n\n  message N {\n    int32 x = 1; // {\n  }\n}\n";

    #[test]
    fn inserts_before_the_matching_brace() {
        let mut source = FILE.to_owned();
        insert_in_block(&mut source, "message", "M", "\n  message O {\n  }\n").unwrap();
        insert_in_block(
            &mut source,
            "service",
            "S",
            "  rpc b(.p.M) returns (.p.M);\n",
        )
        .unwrap();
        assert!(source.contains("  rpc a(.p.M) returns (.p.M);\n  rpc b(.p.M) returns (.p.M);\n}"));
        assert!(source.ends_with("    int32 x = 1; // {\n  }\n\n  message O {\n  }\n}\n"));
        assert_eq!(block_depth(&source, "message", "N").unwrap(), 1);
        assert!(insert_in_block(&mut source, "message", "Q", "").is_err());
    }

    #[test]
    fn adds_imports_in_order() {
        let mut source = FILE.to_owned();
        add_imports(&mut source, &["b.proto".to_owned()].into()).unwrap();
        add_imports(
            &mut source,
            &["a.proto".to_owned(), "c.proto".to_owned()].into(),
        )
        .unwrap();
        assert!(source.contains(
            "package p;\n\nimport \"a.proto\";\nimport \"b.proto\";\nimport \"c.proto\";\n\noption"
        ));
    }
}
