//! A loopback forwarder between the proxy and the peer that notes when it has passed on a given
//! number of the peer's bytes: the moment a grab reply's last byte reaches the proxy.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Thread-name prefix of the forwarder's threads: apart from the proxy's, so not counted as its.
const THREADS: &str = "bench-forward";

/// Forwards the connections made to [`Forwarder::port`] to the address given by
/// [`Forwarder::forward_to`]; stops accepting when dropped (its connections end with the proxy's).
pub(super) struct Forwarder {
    port: u16,
    target: Arc<Mutex<Option<SocketAddr>>>,
    tap: Arc<Tap>,
    stop: Arc<AtomicBool>,
    accepting: Option<JoinHandle<()>>,
}

/// What the peer-to-proxy direction has passed on.
#[derive(Default)]
struct Tap {
    /// Bytes from the peer so far.
    bytes: AtomicU64,
    /// The count awaited and when it was reached.
    mark: Mutex<Mark>,
}

#[derive(Default)]
struct Mark {
    /// The byte count to note the moment of; 0 for none.
    until: u64,
    /// When the forwarder had passed on `until` bytes.
    passed: Option<Instant>,
}

impl Forwarder {
    /// Listens on a free loopback port; connections wait for [`Forwarder::forward_to`].
    pub(super) fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
        let port = listener
            .local_addr()
            .expect("a bound listener has an address")
            .port();
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let target = Arc::new(Mutex::new(None));
        let tap = Arc::new(Tap::default());
        let stop = Arc::new(AtomicBool::new(false));
        let accepting = {
            let (target, tap, stop) = (target.clone(), tap.clone(), stop.clone());
            std::thread::Builder::new()
                .name(THREADS.into())
                .spawn(move || accept(&listener, &target, &tap, &stop))
                .expect("spawn the forwarder")
        };
        Self {
            port,
            target,
            tap,
            stop,
            accepting: Some(accepting),
        }
    }

    /// The loopback port to connect to.
    pub(super) fn port(&self) -> u16 {
        self.port
    }

    /// Where connections are forwarded from now on.
    pub(super) fn forward_to(&self, addr: SocketAddr) {
        *self.target.lock().unwrap_or_else(PoisonError::into_inner) = Some(addr);
    }

    /// Notes the moment `len` more bytes from the peer have been passed on to the proxy.
    pub(super) fn expect(&self, len: u64) {
        let mut mark = self.tap.mark.lock().unwrap_or_else(PoisonError::into_inner);
        *mark = Mark {
            until: self.tap.bytes.load(Ordering::SeqCst) + len,
            passed: None,
        };
    }

    /// When the bytes of the last [`Forwarder::expect`] had been passed on, if they have.
    pub(super) fn passed(&self) -> Option<Instant> {
        self.tap
            .mark
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .passed
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

/// Accepts until `stop`, connecting each connection to the target once it is known.
fn accept(
    listener: &TcpListener,
    target: &Mutex<Option<SocketAddr>>,
    tap: &Arc<Tap>,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Relaxed) {
        let proxy = match listener.accept() {
            Ok((proxy, _)) => proxy,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Err(err) => panic!("the forwarder's accept failed: {err}"),
        };
        let Some(addr) = *target.lock().unwrap_or_else(PoisonError::into_inner) else {
            continue;
        };
        let peer = TcpStream::connect(addr).expect("connect to the peer over loopback");
        for stream in [&proxy, &peer] {
            stream
                .set_nonblocking(false)
                .expect("a blocking connection");
            stream.set_nodelay(true).expect("set TCP_NODELAY");
        }
        let clone = |s: &TcpStream| s.try_clone().expect("clone a socket");
        let (to_peer, from_proxy) = (clone(&peer), clone(&proxy));
        let tap = tap.clone();
        let spawn = |work: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(THREADS.into())
                .spawn(work)
                .expect("spawn a forwarding thread");
        };
        spawn(Box::new(move || copy(from_proxy, to_peer, None)));
        spawn(Box::new(move || copy(peer, proxy, Some(&tap))));
    }
}

/// Copies `from` to `to` until either ends, counting into `tap`; then closes both.
fn copy(mut from: TcpStream, mut to: TcpStream, tap: Option<&Tap>) {
    let mut buffer = vec![0; 1 << 20];
    while let Ok(n) = from.read(&mut buffer) {
        if n == 0 || to.write_all(&buffer[..n]).is_err() {
            break;
        }
        if let Some(tap) = tap {
            let total = tap.bytes.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
            let mut mark = tap.mark.lock().unwrap_or_else(PoisonError::into_inner);
            if mark.until != 0 && mark.passed.is_none() && total >= mark.until {
                mark.passed = Some(Instant::now());
            }
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
