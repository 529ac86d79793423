//! The real `octane-proxy` release binary as a child process, for the start-up and memory
//! figures: its own address space, so its `/proc/<pid>/status` is the proxy's alone.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `octane-proxy`, killed when dropped.
pub(crate) struct Spawned {
    child: Child,
    /// Where it serves HTTP.
    pub addr: SocketAddr,
    /// From spawning the process until its port accepted a connection.
    pub listening_after: Duration,
    /// From spawning the process until its first `GET /health` answered 200.
    pub healthy_after: Duration,
}

/// How long the binary may take to come up before the benchmark gives up.
const START_LIMIT: Duration = Duration::from_secs(10);

impl Spawned {
    /// Starts `binary` serving on a free loopback port, forwarding to Octane at `octane`, and
    /// waits until `/health` answers.
    pub(crate) fn start(binary: &Path, octane: SocketAddr) -> Self {
        let addr = free_port();
        let started = Instant::now();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &addr.port().to_string()])
            .args(["--octane-host", "127.0.0.1"])
            .args(["--octane-port", &octane.port().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {}: {err}", binary.display()));
        let mut spawned = Self {
            child,
            addr,
            listening_after: Duration::ZERO,
            healthy_after: Duration::ZERO,
        };
        let mut listening = None;
        loop {
            assert!(
                started.elapsed() < START_LIMIT,
                "{} did not answer /health within {START_LIMIT:?}",
                binary.display()
            );
            let Ok(mut stream) = TcpStream::connect(addr) else {
                std::thread::sleep(Duration::from_micros(100));
                continue;
            };
            listening.get_or_insert_with(|| started.elapsed());
            if health(&mut stream) {
                spawned.healthy_after = started.elapsed();
                break;
            }
        }
        spawned.listening_after = listening.unwrap_or(spawned.healthy_after);
        spawned
    }

    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // Our own child, by handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `GET /health` on `stream` answers 200.
fn health(stream: &mut TcpStream) -> bool {
    let request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).is_err() {
        return false;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    response.starts_with(b"HTTP/1.1 200")
}

/// A loopback port free right now (bound, then released for the child to bind).
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}
