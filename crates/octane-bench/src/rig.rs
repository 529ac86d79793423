//! The process tree of a benchmark: the test peer (its own runtime), the proxy in this process
//! (its own runtime) and the load generator (its own runtime), each on named threads so their
//! CPU time can be told apart.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use futures_util::FutureExt;

use octane_api::livelinkapi::{CameraState, Vec3, camera_state};
use octane_api::octaneapi::api_item::NameResponse;
use octane_proxy::{Octane, Router};
use octane_test_peer::TestPeer;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

/// Thread-name prefix of the proxy's runtime.
pub(crate) const PROXY_THREADS: &str = "bench-proxy";
/// Thread-name prefix of the load generator's runtime.
pub(crate) const LOAD_THREADS: &str = "bench-load";
/// Thread-name prefix of the test peer's runtime (`octane-test-peer`, cut to 15 bytes by Linux).
pub(crate) const PEER_THREADS: &str = "octane-test";

/// Worker threads of the proxy's runtime: what `#[tokio::main]` gives the binary on this machine.
fn proxy_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// A peer, a proxy in front of it and a runtime to drive load from.
pub(crate) struct Rig {
    /// The stand-in for Octane.
    pub peer: TestPeer,
    /// Where the proxy serves HTTP.
    pub proxy_addr: SocketAddr,
    /// Where the HTTP floor serves: the proxy's server with a service that answers a fixed body.
    pub floor_addr: SocketAddr,
    /// Runs the load generator's tasks.
    pub load: Runtime,
    /// Runs the proxy; dropped (and so stopped) with the rig.
    _proxy_runtime: Runtime,
    stop_proxy: Option<oneshot::Sender<()>>,
}

impl Rig {
    /// Starts a peer that answers the benchmark's RPCs and a proxy that `build` makes from a
    /// channel to it.
    pub(crate) fn start(build: impl FnOnce(Octane) -> Router) -> Self {
        let peer = TestPeer::start().expect("start the test peer");
        script_unary(&peer);
        let proxy_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(proxy_workers())
            .thread_name(PROXY_THREADS)
            .enable_all()
            .build()
            .expect("build the proxy runtime");
        // The channel's background task, and anything `build` starts, run on the proxy's runtime.
        let entered = proxy_runtime.enter();
        let octane = Octane::lazy("127.0.0.1", peer.addr().port()).expect("a loopback address");
        let router = build(octane);
        drop(entered);
        let (stop_proxy, stopped) = oneshot::channel::<()>();
        let stopped = stopped.shared();
        let proxy_addr = serve_on(&proxy_runtime, router, stopped.clone());
        let floor_addr = serve_on(&proxy_runtime, FixedReply, stopped);
        let load = load_runtime();
        Self {
            peer,
            proxy_addr,
            floor_addr,
            load,
            _proxy_runtime: proxy_runtime,
            stop_proxy: Some(stop_proxy),
        }
    }

    /// A rig with the plain router, as the library's README builds it.
    pub(crate) fn plain() -> Self {
        Self::start(|octane| Router::builder(octane).build())
    }
}

/// The load generator's runtime: two workers named [`LOAD_THREADS`].
pub(crate) fn load_runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(LOAD_THREADS)
        .enable_all()
        .build()
        .expect("build the load runtime")
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(stop) = self.stop_proxy.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `service` with `octane_proxy::serve` on a loopback port of `runtime` until `stop`.
fn serve_on<S>(
    runtime: &Runtime,
    service: S,
    stop: futures_util::future::Shared<oneshot::Receiver<()>>,
) -> SocketAddr
where
    S: tower::Service<
            http::Request<hyper::body::Incoming>,
            Response = http::Response<octane_proxy::Body>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind loopback");
    let addr = listener.local_addr().expect("the listener's address");
    runtime.spawn(octane_proxy::serve(listener, service, async {
        let _ = stop.await;
    }));
    addr
}

/// Answers every request at once with the body the proxy gives `ApiItem/name`: the HTTP floor.
#[derive(Clone, Copy)]
struct FixedReply;

impl<B> tower::Service<http::Request<B>> for FixedReply {
    type Response = http::Response<octane_proxy::Body>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _request: http::Request<B>) -> Self::Future {
        const BODY: &[u8] = br#"{"success":true,"data":{"result":"Scene"}}"#;
        let mut response = http::Response::new(octane_proxy::Body::full(BODY));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        std::future::ready(Ok(response))
    }
}

/// The answers of the unary benchmark's RPCs: a camera of four fields, an item name.
fn script_unary(peer: &TestPeer) {
    let vec3 = |x, y, z| Vec3 { x, y, z };
    peer.reply(
        "/livelinkapi.LiveLinkService/GetCamera",
        &CameraState {
            pos_set: Some(camera_state::PosSet::Position(vec3(1.5, 2.0, 10.25))),
            target_set: Some(camera_state::TargetSet::Target(vec3(0.0, 0.5, 0.0))),
            up_set: Some(camera_state::UpSet::Up(vec3(0.0, 1.0, 0.0))),
            fov_set: Some(camera_state::FovSet::Fov(39.6)),
        },
    );
    peer.reply(
        "/octaneapi.ApiItemService/name",
        &NameResponse {
            result: "Scene".into(),
        },
    );
}
