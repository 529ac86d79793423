//! `cargo xtask bench [--quick] [--only PART]...`: builds the release `octane-proxy` binary (the start-up and
//! memory figures spawn it), then runs the `octane-bench` harness in release mode.

use std::path::Path;
use std::process::{Command, ExitCode};

/// Builds the binary the harness spawns, then runs the harness; passes `--quick` and the
/// `--only` parts on (the harness checks their names).
pub(crate) fn run(workspace: &Path, quick: bool, only: &[String]) -> anyhow::Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = Command::new(&cargo)
        .current_dir(workspace)
        .args(["build", "--release", "-p", "octane-proxy-cli"])
        .status()?;
    if !build.success() {
        return Ok(ExitCode::FAILURE);
    }
    let mut bench = Command::new(&cargo);
    bench
        .current_dir(workspace)
        .args(["run", "--release", "-p", "octane-bench", "--"]);
    if quick {
        bench.arg("--quick");
    }
    for part in only {
        bench.args(["--only", part]);
    }
    Ok(if bench.status()?.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
