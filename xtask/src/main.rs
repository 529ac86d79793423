//! Project automation for octane-proxy, run as `cargo xtask <command>`.
//!
//! `regen` turns `proto/` into the committed, `@generated` Rust of the workspace: prost messages,
//! tonic clients and servers, pbjson serde impls, the proxy's route table and the test peer.

#![forbid(unsafe_code)]

mod bench;
mod regen;
mod synth;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "octane-proxy project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the committed Rust code from the .proto files.
    Regen {
        /// Compare instead of writing: exit non-zero and name the stale files.
        #[arg(long)]
        check: bool,
        /// The folder of .proto files (default: `proto/` of the workspace).
        #[arg(long, value_name = "DIR")]
        proto: Option<PathBuf>,
    },
    /// Write a synthetic proto tree with the shape and quirks of the full Octane SDK.
    Synth {
        /// The folder to write (created if missing; must not hold other .proto files).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The seed of every random choice: the same seed writes the same tree.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Run the benchmarks (octane-bench) and write docs/benchmarks.md.
    Bench {
        /// Fewer, shorter rounds (under 2 minutes); writes target/benchmarks-quick.md.
        #[arg(long)]
        quick: bool,
        /// Run only this part (repeatable): unary, throughput, memory, frames, startup,
        /// streaming-calls.
        #[arg(long, value_name = "PART")]
        only: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Regen { check, proto } => regen::run(&regen::Options {
            workspace: workspace_root(),
            proto_dir: proto,
            check,
        }),
        Command::Synth { out, seed } => synth::run(&synth::Options {
            workspace: workspace_root(),
            out,
            seed,
        })
        .map(|()| ExitCode::SUCCESS),
        Command::Bench { quick, only } => bench::run(&workspace_root(), quick, &only),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}
