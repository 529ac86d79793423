//! Shared by the binary's tests: running the real `octane-proxy` with an environment of its
//! own, and waiting until it serves.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

/// Longer than anything here takes on a loaded machine: a hang, not a slow run.
pub(crate) const HANG: Duration = Duration::from_secs(30);

/// The binary with an environment of its own: no settings inherited from the shell.
pub(crate) fn octane_proxy<'a>(args: impl IntoIterator<Item = &'a str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_octane-proxy"));
    command
        .args(args)
        .env_remove("OCTANE_HOST")
        .env_remove("OCTANE_PORT")
        .env_remove("OCTANE_PROXY_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// The binary on a free port, talking to the Octane (a test peer) at `octane`.
pub(crate) fn octane_proxy_for(octane: SocketAddr) -> Command {
    let port = octane.port().to_string();
    octane_proxy([
        "--port",
        "0",
        "--octane-host",
        "127.0.0.1",
        "--octane-port",
        port.as_str(),
    ])
}

/// A running binary, killed by its handle on drop, and the log lines it has not yet read.
pub(crate) struct Serving {
    /// The process.
    pub child: Child,
    /// Where it serves, as its log says.
    pub addr: SocketAddr,
    /// Its log from the line after the one that says where it serves; read it, or it blocks
    /// once the pipe is full.
    pub log: Lines<BufReader<ChildStderr>>,
    /// The lines logged before the one that says where it serves.
    pub before: Vec<String>,
}

/// Starts the binary and waits until it says where it serves.
pub(crate) async fn serve(mut command: Command) -> Serving {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start octane-proxy");
    let mut log = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut before = Vec::new();
    let addr = tokio::time::timeout(HANG, async {
        while let Some(line) = log.next_line().await.expect("a log line") {
            if let Some(rest) = line.split("serving on http://").nth(1) {
                return rest
                    .split_whitespace()
                    .next()
                    .expect("address")
                    .parse()
                    .expect("a socket address");
            }
            before.push(line);
        }
        panic!("octane-proxy exited before serving: {before:#?}");
    })
    .await
    .expect("octane-proxy serves in time");
    Serving {
        child,
        addr,
        log,
        before,
    }
}

impl Serving {
    /// Sends `signal` to the process by its own PID.
    #[allow(unsafe_code)] // a system call; see the SAFETY comment
    pub(crate) fn signal(&self, signal: libc::c_int) {
        let pid = self.child.id().expect("still running");
        let pid = libc::pid_t::try_from(pid).expect("a pid");
        // SAFETY: kill(2) takes plain integers; the PID is our own child's, not yet reaped.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill {signal} {pid}");
    }

    /// Waits for the process to exit, and returns its exit code and the rest of its log.
    pub(crate) async fn wait(mut self) -> (Option<i32>, Vec<String>) {
        tokio::time::timeout(HANG, async {
            let mut rest = Vec::new();
            while let Some(line) = self.log.next_line().await.expect("a log line") {
                rest.push(line);
            }
            let status = self.child.wait().await.expect("wait for octane-proxy");
            (status.code(), rest)
        })
        .await
        .expect("octane-proxy stops in time")
    }
}
