//! [`Channel`]: the HTTP/2 connection to Octane, on `h2` directly.
//!
//! tonic's own `Channel` puts two tasks between a caller and the socket: a `tower::buffer`
//! worker, and hyper's HTTP/2 dispatcher, which spawns one more task per request to wait for its
//! response. Each is a wake-up of another task, often on another thread. Here the caller's task
//! opens the stream and writes the request itself, and reads the response straight from h2, so a
//! call wakes only h2's connection task, which owns the socket. tonic's codec and status
//! handling stay: [`Channel`] is the `tower::Service` that `tonic::client::Grpc` and the typed
//! clients of `octane_api` call.
//!
//! The connection is made on first use and made again on the first call after it broke; a call
//! made while Octane is down fails at once with a `tonic::ConnectError`, which tonic reports as
//! UNAVAILABLE.

mod connection_task;
mod request_body;
mod response_body;
mod transport_error;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use tokio::net::TcpStream;
use tonic::Status;

use crate::DEFAULT_MAX_MESSAGE_SIZE;
use connection_task::drive;
use request_body::send_body;
pub use response_body::ResponseBody;
use response_body::drop_undecodable_status_details;
pub use transport_error::TransportError;
use transport_error::transport_status;

/// HTTP/2 receive windows towards Octane. h2's default of 64 KiB makes Octane stop and wait for a
/// window update every 64 KiB of a render frame; a frame of several MiB then costs dozens of
/// round trips and wake-ups on both sides.
const STREAM_WINDOW: u32 = 8 * 1024 * 1024;
const CONNECTION_WINDOW: u32 = 16 * 1024 * 1024;

/// The largest HTTP/2 frame Octane may send. Each DATA frame costs a read, a wake-up and a
/// buffer of its own here: an 8 MiB render frame arrives in 512 of them at h2's default of
/// 16 KiB, and in 16 at 512 KiB, where receiving it costs about a third less CPU than at
/// 128 KiB (`docs/benchmarks.md`). Not larger: the connection task reads a whole frame before
/// it yields, and at 1 MiB calls made while frames stream waited for those reads (p99 2.7x to
/// 4.1x idle).
const MAX_FRAME: u32 = 512 * 1024;

/// How long a connect may take before the call fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// While calls are open, how often the connection is checked with a PING, and how long the
/// answer may take: a hung Octane ends the open calls instead of leaving them hanging.
///
/// Not more often: gRPC C++ servers (Octane's) by default take a PING sooner than 5 minutes
/// after the last one, with no data sent in between, as a strike, and close the connection with
/// GOAWAY `ENHANCE_YOUR_CALM` ("too_many_pings") after the third. A quiet callback stream would
/// otherwise be cut every 80 s. An idle connection is not pinged at all (also abuse to them).
/// A vanished host is found sooner by TCP keep-alive, which the server never sees.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(5 * 60);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP keep-alive on the connection: probes after this long without traffic, then at
/// [`TCP_KEEP_ALIVE_INTERVAL`], so a vanished Octane host (powered off, cable pulled: no RST)
/// fails the connection within about a minute (Linux gives up after 9 probes).
const TCP_KEEP_ALIVE_IDLE: Duration = Duration::from_secs(20);
const TCP_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(5);
/// Keep-alive probes stop while sent data waits for its acknowledgement, which is the case as
/// soon as anything (a request, a reset) went to a vanished host: then data unacknowledged for
/// this long fails the connection (`TCP_USER_TIMEOUT`, Linux), instead of about 15 minutes of
/// retransmissions. gRPC sets the same when it keeps connections alive.
#[cfg(any(target_os = "linux", target_os = "android"))]
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// A lazily connecting, self-healing HTTP/2 connection to one Octane, as a `tower::Service` for
/// tonic clients. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Channel {
    shared: Arc<Shared>,
    /// The largest message accepted in an answer; larger ones fail the call as their prefix
    /// arrives.
    max_message_size: usize,
}

struct Shared {
    /// `HOST:PORT` to connect to.
    address: String,
    /// The same, for the `:authority` of requests.
    authority: Authority,
    settings: h2::client::Builder,
    /// The PING policy for new connections. Its interval doubles each time Octane closes a
    /// connection for pinging too often, as gRPC's client keep-alive spec (A8) asks.
    keep_alive: Mutex<KeepAlive>,
    /// The open connection, if any.
    current: Mutex<Option<Connected>>,
    /// Held while connecting, so concurrent calls share one attempt; holds the failure of the
    /// last attempt, which calls that waited for it answer with.
    connecting: tokio::sync::Mutex<Option<Arc<io::Error>>>,
    /// Connect attempts finished, successful or not.
    attempts: AtomicU64,
}

#[derive(Clone)]
struct Connected {
    send: h2::client::SendRequest<Bytes>,
    /// The attempt that made it, to tell a broken connection from its successor.
    attempt: u64,
    /// Calls open on it, for the keep-alive.
    open: Arc<AtomicUsize>,
}

/// Counts a call as open until dropped with its response body.
struct OpenCall(Arc<AtomicUsize>);

impl OpenCall {
    fn new(open: &Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(open))
    }
}

impl Drop for OpenCall {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// While calls are open, how often the connection is checked with a PING, and how long the
/// answer may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct KeepAlive {
    interval: Duration,
    timeout: Duration,
}

/// Why no connection to Octane could be made; the source of a call's UNAVAILABLE status.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to Octane at {address}: {source}")]
#[non_exhaustive]
pub struct ConnectFailed {
    address: String,
    #[source]
    source: Arc<io::Error>,
}

impl Channel {
    /// A channel to `address` (`HOST:PORT`, IPv6 hosts in brackets) that connects on first use.
    pub fn lazy(address: &str) -> Result<Self, http::uri::InvalidUri> {
        let authority = Authority::try_from(address)?;
        let mut settings = h2::client::Builder::new();
        settings
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .max_frame_size(MAX_FRAME)
            .enable_push(false);
        let keep_alive = KeepAlive {
            interval: KEEP_ALIVE_INTERVAL,
            timeout: KEEP_ALIVE_TIMEOUT,
        };
        Ok(Self::new(
            address.to_owned(),
            authority,
            settings,
            keep_alive,
        ))
    }

    /// A channel to the same address that makes a connection of its own.
    #[must_use]
    pub fn own_connection(&self) -> Self {
        let shared = &self.shared;
        Self {
            max_message_size: self.max_message_size,
            ..Self::new(
                shared.address.clone(),
                shared.authority.clone(),
                shared.settings.clone(),
                shared.keep_alive(),
            )
        }
    }

    /// Sets the largest message accepted in an answer (default
    /// [`DEFAULT_MAX_MESSAGE_SIZE`](crate::DEFAULT_MAX_MESSAGE_SIZE)). A larger one fails the
    /// call with a status whose source is a [`MessageTooLarge`](crate::status::MessageTooLarge), before
    /// any of it is buffered.
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The largest message accepted in an answer, as [`Channel::max_message_size`] set it.
    #[must_use]
    pub fn message_size_limit(&self) -> usize {
        self.max_message_size
    }

    fn new(
        address: String,
        authority: Authority,
        settings: h2::client::Builder,
        keep_alive: KeepAlive,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                address,
                authority,
                settings,
                keep_alive: Mutex::new(keep_alive),
                current: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(None),
                attempts: AtomicU64::new(0),
            }),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("address", &self.shared.address)
            .finish_non_exhaustive()
    }
}

impl tower::Service<Request<tonic::body::Body>> for Channel {
    type Response = Response<ResponseBody>;
    type Error = Status;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Status>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        // Readiness is the connection's, known only once connected; `call` waits for it.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<tonic::body::Body>) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        let limit = self.max_message_size;
        Box::pin(async move { shared.send(request, limit).await })
    }
}

impl Shared {
    async fn send(
        self: Arc<Self>,
        request: Request<tonic::body::Body>,
        max_message_size: usize,
    ) -> Result<Response<ResponseBody>, Status> {
        let (mut head, body) = request.into_parts();
        if head.uri.authority().is_none() {
            let mut uri = std::mem::take(&mut head.uri).into_parts();
            uri.scheme = Some(Scheme::HTTP);
            uri.authority = Some(self.authority.clone());
            head.uri = Uri::from_parts(uri).map_err(|e| Status::internal(e.to_string()))?;
        }
        let Connected { mut send, open, .. } = self.ready_connection().await?;
        let open = OpenCall::new(&open);
        let (response, stream) = send
            .send_request(Request::from_parts(head, ()), false)
            .map_err(transport_status)?;
        send_body(body, stream);
        let mut response = response.await.map_err(transport_status)?;
        drop_undecodable_status_details(response.headers_mut());
        Ok(response.map(|recv| ResponseBody::new(recv, max_message_size, open)))
    }

    /// The open connection once it can take a new stream; connects if there is none or the
    /// one there broke.
    async fn ready_connection(self: &Arc<Self>) -> Result<Connected, Status> {
        let mut connected = match self.current() {
            Some(connected) => connected,
            None => self.connect().await?,
        };
        match connected.send.ready().await {
            Ok(send) => {
                connected.send = send;
                Ok(connected)
            }
            Err(_) => {
                self.forget(connected.attempt);
                let mut connected = self.connect().await?;
                connected.send = connected.send.ready().await.map_err(transport_status)?;
                Ok(connected)
            }
        }
    }

    fn current(&self) -> Option<Connected> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn keep_alive(&self) -> KeepAlive {
        *self
            .keep_alive
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Octane closed a connection for pinging too often: new connections ping half as often.
    fn ping_less(&self, pinged: KeepAlive) {
        let mut keep_alive = self
            .keep_alive
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Connections made before the first slow-down may report it again; double once.
        if keep_alive.interval == pinged.interval {
            keep_alive.interval = pinged.interval.saturating_mul(2);
            tracing::warn!(
                interval = ?keep_alive.interval,
                "Octane closed the connection for too many PINGs; pinging less often"
            );
        }
    }

    /// Drops the connection made by `attempt` if it is still the current one.
    fn forget(&self, attempt: u64) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|c| c.attempt == attempt) {
            *current = None;
        }
    }

    /// Connects, unless a connection appeared or an attempt failed while this call waited for
    /// the one before it.
    async fn connect(self: &Arc<Self>) -> Result<Connected, Status> {
        let seen = self.attempts.load(Ordering::Acquire);
        let mut last_failure = self.connecting.lock().await;
        if let Some(connected) = self.current() {
            return Ok(connected);
        }
        if let Some(failure) = last_failure
            .as_ref()
            .filter(|_| self.attempts.load(Ordering::Acquire) != seen)
        {
            return Err(self.connect_status(Arc::clone(failure)));
        }
        let attempt = self.attempts.load(Ordering::Acquire) + 1;
        let outcome = self.handshake(attempt).await;
        self.attempts.store(attempt, Ordering::Release);
        match outcome {
            Ok(connected) => {
                *last_failure = None;
                *self.current.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(connected.clone());
                Ok(connected)
            }
            Err(err) => {
                let err = Arc::new(err);
                *last_failure = Some(Arc::clone(&err));
                Err(self.connect_status(err))
            }
        }
    }

    async fn handshake(self: &Arc<Self>, attempt: u64) -> io::Result<Connected> {
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.address))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        tcp.set_nodelay(true)?;
        let keep_alive = socket2::TcpKeepalive::new()
            .with_time(TCP_KEEP_ALIVE_IDLE)
            .with_interval(TCP_KEEP_ALIVE_INTERVAL);
        // Best effort: without them only the PINGs find a vanished host, later.
        let socket = socket2::SockRef::from(&tcp);
        if let Err(err) = socket.set_tcp_keepalive(&keep_alive) {
            tracing::debug!(%err, "TCP keep-alive not set on the connection to Octane");
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Err(err) = socket.set_tcp_user_timeout(Some(TCP_USER_TIMEOUT)) {
            tracing::debug!(%err, "TCP_USER_TIMEOUT not set on the connection to Octane");
        }
        let (send, connection) = self
            .settings
            .handshake::<_, Bytes>(tcp)
            .await
            .map_err(io::Error::other)?;
        let open = Arc::new(AtomicUsize::new(0));
        tokio::spawn(drive(
            connection,
            self.keep_alive(),
            Arc::clone(&open),
            Arc::downgrade(self),
            attempt,
        ));
        tracing::debug!(address = %self.address, "connected to Octane");
        Ok(Connected {
            send,
            attempt,
            open,
        })
    }

    fn connect_status(&self, source: Arc<io::Error>) -> Status {
        let failed = ConnectFailed {
            address: self.address.clone(),
            source,
        };
        Status::from_error(Box::new(tonic::ConnectError(Box::new(failed))))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use tonic::Code;

    use crate::server_stream::send_server_streaming;
    use crate::status::is_local;

    #[tokio::test]
    async fn an_open_call_to_a_silent_octane_ends_after_an_unanswered_ping() {
        // Accepts connections and then says nothing, not even its HTTP/2 SETTINGS.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = silent.local_addr().expect("addr");
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((tcp, _)) = silent.accept().await {
                held.push(tcp);
            }
        });
        let channel = channel_pinging_every(addr, Duration::from_millis(100));
        let started = Instant::now();
        let status = failed_callback_stream(channel).await;
        assert!(is_local(&status), "{status:?}");
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(started.elapsed() >= Duration::from_millis(200));
        holder.abort();
    }

    /// Opens the callback stream on `channel` and answers how it failed, within 20 s.
    async fn failed_callback_stream(channel: Channel) -> Status {
        let call = async {
            let mut stream = send_server_streaming(
                channel,
                "/octaneapi.StreamCallbackService/callbackChannel",
                &[],
                None,
            )
            .await?;
            while stream.message().await?.is_some() {}
            Ok::<(), Status>(())
        };
        tokio::time::timeout(Duration::from_secs(20), call)
            .await
            .expect("the call ends in time")
            .expect_err("the call fails")
    }

    /// A channel to `addr` whose connections PING every `interval` while calls are open.
    fn channel_pinging_every(addr: std::net::SocketAddr, interval: Duration) -> Channel {
        let mut channel = Channel::lazy(&addr.to_string()).expect("an address");
        *Arc::get_mut(&mut channel.shared)
            .expect("not shared yet")
            .keep_alive
            .get_mut()
            .expect("not poisoned") = KeepAlive {
            interval,
            timeout: Duration::from_millis(100),
        };
        channel
    }

    #[test]
    fn pings_no_more_often_than_grpc_servers_allow() {
        // GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, gRPC C++'s default.
        assert!(KEEP_ALIVE_INTERVAL >= Duration::from_secs(300));
    }

    #[tokio::test]
    async fn a_goaway_for_too_many_pings_halves_how_often_new_connections_ping() {
        // An HTTP/2 server that, like gRPC C++ after its third strike, answers the first stream
        // by closing the connection with ENHANCE_YOUR_CALM.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut connection = h2::server::handshake(tcp).await.expect("handshake");
            let _stream = connection.accept().await;
            connection.abrupt_shutdown(h2::Reason::ENHANCE_YOUR_CALM);
            while connection.accept().await.is_some() {}
        });
        let channel = channel_pinging_every(addr, Duration::from_millis(100));
        let shared = Arc::clone(&channel.shared);
        let status = failed_callback_stream(channel).await;
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while shared.keep_alive().interval == Duration::from_millis(100)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(shared.keep_alive().interval, Duration::from_millis(200));
        server.await.expect("the server ends");
    }
}
