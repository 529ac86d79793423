//! `octane-bench`: the benchmark harness of octane-proxy (issue 6).
//!
//! Runs the test peer, the proxy and a load generator in one process tree on loopback, measures
//! unary overhead against direct tonic calls, throughput, frame streaming, memory and start-up,
//! prints the tables and writes them with the machine's facts to `docs/benchmarks.md`.
//! Run it as `cargo xtask bench [--quick]`, which builds the release binary it spawns first.

mod core_speed;
mod floors;
mod frames;
mod jpeg;
mod live_view;
mod load;
mod memory;
mod procfs;
mod reference;
mod report;
mod rig;
mod spawned;
mod startup;
mod stats;
mod streaming_calls;
mod unary;
mod zero_copy;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};

use crate::core_speed::CoreSpeed;
use crate::report::{Report, RunInfo};

/// Benchmarks octane-proxy against direct gRPC calls on loopback.
#[derive(Parser, Debug)]
#[command(name = "octane-bench", about)]
struct Args {
    /// Fewer, shorter rounds: done in under 2 minutes. Writes target/benchmarks-quick.md unless
    /// --out says otherwise, so a quick run never replaces the published figures.
    #[arg(long)]
    quick: bool,
    /// Where to write the Markdown report [default: docs/benchmarks.md].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The release `octane-proxy` binary, for start-up and memory [default: next to this one].
    #[arg(long, value_name = "FILE")]
    proxy_bin: Option<PathBuf>,
    /// Run only these parts (repeatable). Without --quick, writes target/benchmarks-partial.md
    /// unless --out says otherwise.
    #[arg(long, value_enum, value_name = "PART")]
    only: Vec<Part>,
}

/// The parts of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    /// Direct vs proxied unary calls, concurrency 1 and 64.
    Unary,
    /// The proxy's req/s over a sweep of concurrency.
    Throughput,
    /// RSS of the binary, idle and with 1,000 idle SSE clients.
    Memory,
    /// Frames through the proxy against a plain base64 encode.
    Frames,
    /// Process start to a served /health.
    Startup,
    /// Unary call latency idle and while 30 frames/s of 2 MiB stream to a client.
    StreamingCalls,
    /// JPEG frames of the reference sequence: bytes, encode CPU, PSNR, encoders compared.
    Jpeg,
    /// The live view's fan-out to 100 viewers and its latency, on the reference frame.
    LiveView,
}

/// How long and how often to measure.
#[derive(Debug)]
pub struct Settings {
    /// Rounds per figure; figures are medians over them.
    pub rounds: usize,
    /// Length of one round.
    pub round: Duration,
    /// Calls made before measuring, so connections and caches are warm.
    pub warmup: Duration,
    /// Whether this is the quick mode.
    pub quick: bool,
}

impl Settings {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                rounds: 3,
                round: Duration::from_millis(500),
                warmup: Duration::from_millis(200),
                quick,
            }
        } else {
            Self {
                rounds: 5,
                round: Duration::from_secs(2),
                warmup: Duration::from_millis(500),
                quick,
            }
        }
    }
}

fn main() {
    // The proxy runs in this process as the binary builds it, allocator settings included.
    octane_callbacks::heap::keep_freed_frame_memory();
    let args = Args::parse();
    let settings = Settings::new(args.quick);
    let root = workspace_root();
    // Only a full run of every part replaces the published figures.
    let out = args.out.clone().unwrap_or_else(|| {
        if args.quick {
            root.join("target/benchmarks-quick.md")
        } else if !args.only.is_empty() {
            root.join("target/benchmarks-partial.md")
        } else {
            root.join("docs/benchmarks.md")
        }
    });
    let binary = args.proxy_bin.clone().unwrap_or_else(default_proxy_binary);
    let wanted = |part: Part| args.only.is_empty() || args.only.contains(&part);

    let started = Instant::now();
    let load_before = procfs::loadavg();
    let mut report = Report::default();
    let mut core_speed = CoreSpeed::new();
    if wanted(Part::Unary) {
        core_speed.sample("unary");
        eprintln!("octane-bench: unary overhead ...");
        unary::overhead(&settings, &mut report);
    }
    if wanted(Part::Throughput) {
        core_speed.sample("throughput");
        eprintln!("octane-bench: throughput ...");
        unary::throughput(&settings, &mut report);
    }
    if wanted(Part::Frames) {
        core_speed.sample("frames");
        eprintln!("octane-bench: frames ...");
        frames::run(&settings, &mut report);
    }
    for (part, name, run) in [
        (
            Part::Memory,
            "memory",
            memory::run as fn(&Settings, &Path, &mut Report),
        ),
        (Part::Startup, "start-up", startup::run),
    ] {
        if !wanted(part) {
            continue;
        }
        if binary.exists() {
            core_speed.sample(name);
            eprintln!("octane-bench: {name} ...");
            run(&settings, &binary, &mut report);
        } else {
            eprintln!(
                "octane-bench: no {}; build it with `cargo build --release -p octane-proxy-cli` \
                 (cargo xtask bench does); {name} not measured",
                binary.display()
            );
        }
    }

    if wanted(Part::StreamingCalls) {
        core_speed.sample("streaming calls");
        eprintln!("octane-bench: calls while streaming ...");
        streaming_calls::run(&settings, &mut report);
    }
    if wanted(Part::Jpeg) {
        core_speed.sample("jpeg");
        eprintln!("octane-bench: JPEG frames ...");
        jpeg::run(&settings, &mut report);
    }
    if wanted(Part::LiveView) {
        core_speed.sample("live view");
        eprintln!("octane-bench: live view ...");
        live_view::run(&settings, &mut report);
    }

    core_speed.sample("the end");
    print!("{}", report.to_text());
    let info = RunInfo {
        command: command_line(&args),
        mode: if args.quick { "quick" } else { "full" },
        cpu: procfs::cpu_model(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_idle: procfs::cpu_idle(),
        memory: procfs::mem_total_bytes(),
        date: report::utc_now(),
        load_before,
        load_after: procfs::loadavg(),
        seconds: started.elapsed().as_secs_f64(),
        core_speed: core_speed.summary(),
    };
    let markdown = report.to_markdown(&info, &report::kept_analysis(&out));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).expect("create the report's folder");
    }
    std::fs::write(&out, markdown).unwrap_or_else(|err| panic!("write {}: {err}", out.display()));
    eprintln!(
        "octane-bench: wrote {} in {:.0} s",
        out.display(),
        info.seconds
    );
}

/// The command that reproduces this run.
fn command_line(args: &Args) -> String {
    let mut command = String::from("cargo xtask bench");
    if args.quick {
        command.push_str(" --quick");
    }
    for part in &args.only {
        if let Some(value) = part.to_possible_value() {
            command.push_str(" --only ");
            command.push_str(value.get_name());
        }
    }
    command
}

/// The workspace root: this crate lives two levels below it.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("octane-bench is inside the workspace")
        .to_path_buf()
}

/// `octane-proxy` next to this executable: both are in `target/release`.
fn default_proxy_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("octane-proxy")))
        .unwrap_or_else(|| workspace_root().join("target/release/octane-proxy"))
}
