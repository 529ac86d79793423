//! The committed generated files are what regen makes of `proto/` now: `cargo xtask regen
//! --check` as a test, so a plain `cargo test` on any system catches stale generated code.

use std::path::Path;

use super::{compare, generate, stale_report};

#[test]
fn generated_files_are_current() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace");
    let generated = generate(&workspace.join("proto")).expect("regen generates from proto/");
    let stale = compare(workspace, &generated.files).expect("the generated files can be read");
    assert!(stale.is_empty(), "{}", stale_report(&stale));
}
