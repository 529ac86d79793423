//! The load generator: keep-alive clients, direct (tonic) or through the proxy (HTTP/1.1), and
//! rounds of calls on them from concurrent tasks.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use octane_api::livelinkapi::live_link_service_client::LiveLinkServiceClient;
use octane_api::octaneapi::api_item::NameRequest;
use octane_api::octaneapi::api_item_service_client::ApiItemServiceClient;
use tonic::transport::{Channel, Endpoint};

/// The RPCs the unary benchmark calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rpc {
    /// `LiveLink/GetCamera`: empty request, a camera of four fields back.
    GetCamera,
    /// `ApiItem/name`: an object reference in, a string back.
    ItemName,
}

/// The object `ApiItem/name` asks about, as the web clients send it.
const NAME_JSON: &str = r#"{"objectPtr":{"handle":"1000002","type":16}}"#;

impl Rpc {
    /// As written in the tables.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::GetCamera => "LiveLink/GetCamera",
            Self::ItemName => "ApiItem/name",
        }
    }

    /// The proxy's HTTP path.
    fn http_path(self) -> &'static str {
        match self {
            Self::GetCamera => "/LiveLink/GetCamera",
            Self::ItemName => "/ApiItem/name",
        }
    }

    /// The JSON body a web client sends.
    fn json(self) -> &'static str {
        match self {
            Self::GetCamera => "{}",
            Self::ItemName => NAME_JSON,
        }
    }

    fn name_request() -> NameRequest {
        NameRequest {
            object_ptr: Some(octane_api::octaneapi::ObjectRef {
                handle: 1_000_002,
                r#type: 16,
            }),
        }
    }
}

/// One keep-alive client, used by one task at a time.
pub(crate) enum Client {
    /// The generated tonic client on a shared HTTP/2 channel, straight to the peer.
    Camera(LiveLinkServiceClient<Channel>),
    /// The generated tonic client on a shared HTTP/2 channel, straight to the peer.
    Name(ApiItemServiceClient<Channel>, NameRequest),
    /// One HTTP/1.1 keep-alive connection to the proxy.
    Http {
        /// The connection's request half.
        sender: http1::SendRequest<Full<Bytes>>,
        /// `GET` (any 200 will do) or `POST` (a `{"success":true` envelope expected).
        method: Method,
        /// `Host` header value.
        host: HeaderValue,
        /// Request path.
        path: &'static str,
        /// Request body.
        body: Bytes,
    },
}

/// A failed call: the benchmark stops, because its numbers would not mean what they say.
pub(crate) type CallError = Box<dyn std::error::Error + Send + Sync>;

impl Client {
    /// `count` direct tonic clients of `rpc` sharing one HTTP/2 connection to `peer`, as the
    /// proxy shares one with all its calls.
    pub(crate) async fn direct(rpc: Rpc, peer: SocketAddr, count: usize) -> Vec<Self> {
        let channel = Endpoint::from_shared(format!("http://{peer}"))
            .expect("a loopback URI")
            .tcp_nodelay(true)
            .connect()
            .await
            .expect("connect to the test peer");
        (0..count)
            .map(|_| match rpc {
                Rpc::GetCamera => Self::Camera(LiveLinkServiceClient::new(channel.clone())),
                Rpc::ItemName => Self::Name(
                    ApiItemServiceClient::new(channel.clone()),
                    Rpc::name_request(),
                ),
            })
            .collect()
    }

    /// `count` HTTP/1.1 keep-alive connections to the proxy at `proxy`, each calling `rpc`.
    pub(crate) async fn http(rpc: Rpc, proxy: SocketAddr, count: usize) -> Vec<Self> {
        Self::post(proxy, rpc.http_path(), rpc.json(), count).await
    }

    /// `count` HTTP/1.1 keep-alive connections to `addr`, each posting `body` to `path`.
    pub(crate) async fn post(
        addr: SocketAddr,
        path: &'static str,
        body: &'static str,
        count: usize,
    ) -> Vec<Self> {
        Self::many(addr, Method::POST, path, body, count).await
    }

    /// `count` HTTP/1.1 keep-alive connections to `addr`, each getting `path`.
    pub(crate) async fn get(addr: SocketAddr, path: &'static str, count: usize) -> Vec<Self> {
        Self::many(addr, Method::GET, path, "", count).await
    }

    async fn many(
        addr: SocketAddr,
        method: Method,
        path: &'static str,
        body: &'static str,
        count: usize,
    ) -> Vec<Self> {
        let mut clients = Vec::with_capacity(count);
        for _ in 0..count {
            let sender = connect_http(addr).await;
            clients.push(Self::Http {
                sender,
                method: method.clone(),
                host: HeaderValue::from_str(&addr.to_string()).expect("an address is a header"),
                path,
                body: Bytes::from_static(body.as_bytes()),
            });
        }
        clients
    }

    /// Makes one call and checks that it succeeded; answers the size of an HTTP response body.
    pub(crate) async fn call(&mut self) -> Result<usize, CallError> {
        match self {
            Self::Camera(client) => {
                client.get_camera(octane_api::livelinkapi::Empty {}).await?;
                Ok(0)
            }
            Self::Name(client, request) => {
                client.name(*request).await?;
                Ok(0)
            }
            Self::Http {
                sender,
                method,
                host,
                path,
                body,
            } => {
                let request = Request::builder()
                    .method(method.clone())
                    .uri(*path)
                    .header(HOST, host.clone())
                    .header(CONTENT_TYPE, "application/json")
                    .body(Full::new(body.clone()))?;
                sender.ready().await?;
                let response = sender.send_request(request).await?;
                let status = response.status();
                let body = response.into_body().collect().await?.to_bytes();
                let enveloped = *method == Method::GET || body.starts_with(br#"{"success":true"#);
                if status != StatusCode::OK || !enveloped {
                    return Err(format!(
                        "{path} answered {status}: {}",
                        String::from_utf8_lossy(&body)
                    )
                    .into());
                }
                Ok(body.len())
            }
        }
    }
}

/// Opens one HTTP/1.1 connection to `addr`, its connection task running on the current runtime.
pub(crate) async fn connect_http<B>(addr: SocketAddr) -> http1::SendRequest<B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the proxy");
    stream.set_nodelay(true).expect("set TCP_NODELAY");
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(async move {
        // Ends when the client or the proxy closes the connection; nothing to report.
        let _ = connection.await;
    });
    sender
}

/// The value of the first series of metric `name` (its labels, if any, not compared) in
/// `GET /metrics`, over the keep-alive connection `sender`.
pub(crate) async fn metric<T: std::str::FromStr>(
    sender: &mut http1::SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    name: &str,
) -> Option<T> {
    let request = Request::get("/metrics")
        .header(HOST, addr.to_string())
        .body(Full::default())
        .ok()?;
    sender.ready().await.ok()?;
    let response = sender.send_request(request).await.ok()?;
    let body = response.into_body().collect().await.ok()?.to_bytes();
    std::str::from_utf8(&body).ok()?.lines().find_map(|line| {
        let series = line.strip_prefix(name)?;
        let value = match series.strip_prefix('{') {
            Some(labelled) => labelled.split_once("} ")?.1,
            None => series.strip_prefix(' ')?,
        };
        value.parse().ok()
    })
}

/// What one round of calls measured.
pub(crate) struct Round {
    /// Calls completed.
    pub calls: u64,
    /// Bytes of HTTP response bodies received.
    pub bytes: u64,
    /// From the first call's start to the last call's end.
    pub elapsed: Duration,
    /// Latency of each call in nanoseconds, sorted ascending.
    pub latencies_ns: Vec<u64>,
}

impl Round {
    /// Completed calls per second.
    pub(crate) fn rate(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs every client in a task of its own, calling back to back for `duration`; answers the
/// clients for the next round and the measurements.
pub(crate) async fn round(clients: Vec<Client>, duration: Duration) -> (Vec<Client>, Round) {
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(4096);
                let mut bytes = 0;
                loop {
                    let t0 = Instant::now();
                    if t0 >= deadline {
                        break;
                    }
                    bytes += client.call().await.expect("a benchmark call failed") as u64;
                    latencies.push(t0.elapsed().as_nanos() as u64);
                }
                (client, latencies, bytes)
            })
        })
        .collect();
    let mut clients = Vec::with_capacity(tasks.len());
    let mut latencies_ns = Vec::new();
    let mut bytes = 0;
    for task in tasks {
        let (client, latencies, received) = task.await.expect("a load task panicked");
        clients.push(client);
        latencies_ns.extend(latencies);
        bytes += received;
    }
    let elapsed = start.elapsed();
    latencies_ns.sort_unstable();
    let round = Round {
        calls: latencies_ns.len() as u64,
        bytes,
        elapsed,
        latencies_ns,
    };
    (clients, round)
}
