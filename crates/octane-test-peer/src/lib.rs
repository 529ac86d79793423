//! A stand-in for Octane in tests: a real tonic gRPC server of every service in `proto/`, on a
//! free loopback port, that records each request it receives and answers with what the test set.
//!
//! Test code only: nothing in the product depends on this crate.
//!
//! ```no_run
//! # async fn t() {
//! use octane_api::octaneapi::api_item::{NameRequest, NameResponse};
//! use octane_test_peer::TestPeer;
//!
//! let peer = TestPeer::start().expect("bind loopback");
//! peer.reply("/octaneapi.ApiItemService/name", &NameResponse { result: "Cube".into() });
//! // ... call the proxy pointed at peer.addr() ...
//! let received: Vec<NameRequest> = peer.received_as("/octaneapi.ApiItemService/name");
//! peer.stop();
//! # }
//! ```
//!
//! Each peer runs on a runtime of its own, so [`TestPeer::stop`] closes every connection at once,
//! the way a killed Octane would; [`TestPeer::start_on`] restarts it on the same port.

#![forbid(unsafe_code)]

mod services;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use prost::Message;
use tokio::sync::mpsc;
use tonic::{Code, Request, Response, Status, Streaming};

/// Largest message either way: room for a 1920x1080 HDR float frame.
const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// The stream type of server-streaming RPCs.
pub type ReplyStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// A running test peer.
#[derive(Debug)]
pub struct TestPeer {
    addr: SocketAddr,
    service: PeerService,
    runtime: Option<tokio::runtime::Runtime>,
}

/// Computes a reply from the encoded request.
type Responder = Arc<dyn Fn(Bytes) -> Result<Bytes, Status> + Send + Sync>;

/// What one RPC answers.
#[derive(Clone)]
enum Reply {
    Message(Bytes),
    Status(Code, String),
    Computed(Responder),
}

#[derive(Default)]
struct Script {
    replies: HashMap<String, Reply>,
    delays: HashMap<String, Duration>,
    /// Server-streaming paths whose response headers wait for the first message.
    lazy_headers: HashSet<String>,
    received: Vec<(String, Bytes)>,
    streams: HashMap<String, Vec<mpsc::UnboundedSender<Result<Bytes, Status>>>>,
}

/// The server side shared by every generated service impl.
#[derive(Clone, Default)]
pub struct PeerService {
    script: Arc<Mutex<Script>>,
}

/// Opaque: the script holds reply closures, and reading it would take its lock.
impl fmt::Debug for PeerService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerService").finish_non_exhaustive()
    }
}

impl TestPeer {
    /// Starts a peer on a free loopback port.
    pub fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts a peer on `addr`, e.g. the port of a peer stopped before.
    pub fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        Self::serve(addr, PeerService::default())
    }

    /// Starts a new server on the same port with the same script and records, as an Octane
    /// restarted with the same scene would.
    pub fn restart(mut self) -> std::io::Result<Self> {
        let addr = self.addr;
        let service = self.service.clone();
        self.shutdown();
        Self::serve(addr, service)
    }

    fn serve(addr: SocketAddr, service: PeerService) -> std::io::Result<Self> {
        let listener = bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("octane-test-peer")
            .enable_all()
            .build()?;
        let routes = services::routes(&service, MAX_MESSAGE_SIZE);
        runtime.spawn(async move {
            let listener =
                tokio::net::TcpListener::from_std(listener).expect("listener on this runtime");
            // gRPC's own servers (C++, Go, Java) all turn Nagle's algorithm off; tonic leaves it
            // on for sockets it is handed. With it on, a small write that follows another one
            // not yet acknowledged waits for the client's delayed ACK (40 ms).
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener).map(|tcp| {
                let tcp = tcp?;
                tcp.set_nodelay(true)?;
                Ok::<_, std::io::Error>(tcp)
            });
            let served = tonic::transport::Server::builder()
                .add_routes(routes)
                .serve_with_incoming(incoming)
                .await;
            if let Err(err) = served {
                eprintln!("test peer stopped: {err}");
            }
        });
        Ok(Self {
            addr,
            service,
            runtime: Some(runtime),
        })
    }

    /// The address the peer listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the peer: the port closes and every open connection and stream is cut.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.service.script().streams.clear();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// From now on, `path` (`/package.Service/method`) answers `message`.
    pub fn reply<M: Message>(&self, path: &str, message: &M) {
        self.service.script().replies.insert(
            path.to_owned(),
            Reply::Message(message.encode_to_vec().into()),
        );
    }

    /// From now on, `path` answers what `respond` makes of each request.
    pub fn respond_with<Req, Resp>(
        &self,
        path: &str,
        respond: impl Fn(Req) -> Resp + Send + Sync + 'static,
    ) where
        Req: Message + Default,
        Resp: Message,
    {
        let responder: Responder = Arc::new(move |request: Bytes| {
            let request = Req::decode(request)
                .map_err(|err| Status::internal(format!("request does not decode: {err}")))?;
            Ok(respond(request).encode_to_vec().into())
        });
        self.service
            .script()
            .replies
            .insert(path.to_owned(), Reply::Computed(responder));
    }

    /// From now on, `path` answers this gRPC status.
    pub fn reply_status(&self, path: &str, code: Code, message: &str) {
        self.service
            .script()
            .replies
            .insert(path.to_owned(), Reply::Status(code, message.to_owned()));
    }

    /// From now on, `path` waits this long before it answers.
    pub fn delay(&self, path: &str, delay: Duration) {
        self.service.script().delays.insert(path.to_owned(), delay);
    }

    /// From now on, server streams of `path` send their response headers with their first
    /// message (or their status), not when they open: what gRPC C++ servers do unless the
    /// handler sends its initial metadata itself.
    pub fn lazy_stream_headers(&self, path: &str) {
        self.service.script().lazy_headers.insert(path.to_owned());
    }

    /// The encoded requests `path` received, oldest first (each message of a client stream is
    /// one entry).
    pub fn received(&self, path: &str) -> Vec<Bytes> {
        self.service
            .script()
            .received
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, bytes)| bytes.clone())
            .collect()
    }

    /// The requests `path` received, decoded as `M`.
    pub fn received_as<M: Message + Default>(&self, path: &str) -> Vec<M> {
        self.received(path)
            .into_iter()
            .map(|bytes| M::decode(bytes).expect("the peer re-decodes what it received"))
            .collect()
    }

    /// How many requests the peer received on any path.
    pub fn call_count(&self) -> usize {
        self.service.script().received.len()
    }

    /// How many server streams of `path` are open.
    pub fn open_streams(&self, path: &str) -> usize {
        let mut script = self.service.script();
        let senders = script.streams.entry(path.to_owned()).or_default();
        senders.retain(|s| !s.is_closed());
        senders.len()
    }

    /// Sends `message` on every open server stream of `path`; answers how many got it.
    pub fn emit<M: Message>(&self, path: &str, message: &M) -> usize {
        let bytes = Bytes::from(message.encode_to_vec());
        let mut script = self.service.script();
        let senders = script.streams.entry(path.to_owned()).or_default();
        senders.retain(|s| s.send(Ok(bytes.clone())).is_ok());
        senders.len()
    }

    /// Ends every open server stream of `path`, with `status` or cleanly.
    pub fn end_streams(&self, path: &str, status: Option<Status>) {
        let senders = self
            .service
            .script()
            .streams
            .remove(path)
            .unwrap_or_default();
        if let Some(status) = status {
            for sender in senders {
                let _ = sender.send(Err(status.clone()));
            }
        }
    }
}

/// Binds `addr`; a port a stopped peer just held may take a moment to be free again, since its
/// runtime closes its sockets in the background.
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let give_up = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match TcpListener::bind(addr) {
            Err(err)
                if err.kind() == std::io::ErrorKind::AddrInUse
                    && std::time::Instant::now() < give_up =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

impl Drop for TestPeer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl PeerService {
    fn script(&self) -> MutexGuard<'_, Script> {
        self.script
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, path: &str, message: Bytes) {
        self.script().received.push((path.to_owned(), message));
    }

    /// What `path` answers, and after how long.
    fn scripted(&self, path: &str) -> (Option<Reply>, Option<Duration>) {
        let script = self.script();
        (
            script.replies.get(path).cloned(),
            script.delays.get(path).copied(),
        )
    }

    /// Answers `path` as scripted, for the (last) encoded request `request`.
    async fn answer<Resp: Message + Default>(
        &self,
        path: &str,
        request: Bytes,
    ) -> Result<Response<Resp>, Status> {
        let (reply, delay) = self.scripted(path);
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let bytes = match reply {
            None => return Ok(Response::new(Resp::default())),
            Some(Reply::Message(bytes)) => bytes,
            Some(Reply::Computed(respond)) => respond(request)?,
            Some(Reply::Status(code, message)) => return Err(Status::new(code, message)),
        };
        Resp::decode(bytes)
            .map(Response::new)
            .map_err(|err| Status::internal(format!("scripted reply does not decode: {err}")))
    }

    pub(crate) async fn unary<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        request: Request<Req>,
    ) -> Result<Response<Resp>, Status> {
        let request = Bytes::from(request.into_inner().encode_to_vec());
        self.record(path, request.clone());
        self.answer(path, request).await
    }

    pub(crate) async fn client_streaming<Req: Message + Default, Resp: Message + Default>(
        &self,
        path: &str,
        request: Request<Streaming<Req>>,
    ) -> Result<Response<Resp>, Status> {
        let mut stream = request.into_inner();
        let mut last = Bytes::new();
        while let Some(message) = stream.next().await {
            last = Bytes::from(message?.encode_to_vec());
            self.record(path, last.clone());
        }
        self.answer(path, last).await
    }

    pub(crate) async fn server_streaming<Req: Message, Resp: Message + Default + 'static>(
        &self,
        path: &str,
        request: Request<Req>,
    ) -> Result<Response<ReplyStream<Resp>>, Status> {
        self.record(path, request.into_inner().encode_to_vec().into());
        if let (Some(Reply::Status(code, message)), _) = self.scripted(path) {
            return Err(Status::new(code, message));
        }
        let (sender, receiver) = mpsc::unbounded_channel();
        let lazy = {
            let mut script = self.script();
            script
                .streams
                .entry(path.to_owned())
                .or_default()
                .push(sender);
            script.lazy_headers.contains(path)
        };
        let mut stream =
            tokio_stream::wrappers::UnboundedReceiverStream::new(receiver).map(|item| {
                item.and_then(|bytes| {
                    Resp::decode(bytes).map_err(|err| {
                        Status::internal(format!("emitted message does not decode: {err}"))
                    })
                })
            });
        if !lazy {
            return Ok(Response::new(Box::pin(stream)));
        }
        // tonic sends the headers when this returns: return with the first message.
        match stream.next().await {
            Some(Ok(first)) => Ok(Response::new(Box::pin(
                tokio_stream::once(Ok(first)).chain(stream),
            ))),
            Some(Err(status)) => Err(status),
            None => Ok(Response::new(Box::pin(tokio_stream::empty()))),
        }
    }
}
