//! Web pages the user happens to visit cannot drive Octane: a request from a foreign `Origin`
//! or addressed to a foreign `Host` is refused with 403 on every route, before its body is read,
//! and nothing reaches Octane; loopback origins, the proxy's own and added ones are served.

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use octane_api::octaneapi::api_item::{NameRequest, NameResponse};
use octane_proxy::{AllowedHosts, AllowedOrigins};
use octane_test_peer::TestPeer;
use pretty_assertions::assert_eq;
use support::{HANG, Reply, get, peer_and_proxy, proxy_with, send};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAME: &str = "/octaneapi.ApiItemService/name";
const FOREIGN: &str = "http://evil.example";

/// A peer that answers `ApiItem/name`, and a proxy in front of it configured by `configure`.
async fn naming_peer_and_proxy(
    configure: impl FnOnce(octane_proxy::RouterBuilder) -> octane_proxy::RouterBuilder,
) -> (TestPeer, support::Proxy) {
    let peer = TestPeer::start().expect("peer");
    peer.reply(
        NAME,
        &NameResponse {
            result: "Scene".to_owned(),
        },
    );
    let proxy = proxy_with(peer.addr(), configure).await;
    (peer, proxy)
}

/// Sends a request as a browser does, its target in origin-form (`/path`), so that the `Host`
/// header, when `headers` has one, is the only name of the proxy in it.
async fn call(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    let (parts, body) = send(addr, request).await.into_parts();
    let body = tokio::time::timeout(HANG, body.collect())
        .await
        .expect("body in time")
        .expect("body")
        .to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// What a page of another site can send without asking: a simple `text/plain` POST.
async fn simple_post(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut all = vec![("content-type", "text/plain;charset=UTF-8")];
    all.extend_from_slice(headers);
    call(addr, Method::POST, path, &all, r#"{"objectPtr":{}}"#).await
}

/// The preflight a browser sends before a JSON POST.
async fn preflight(addr: SocketAddr, path: &str, origin: &str) -> Reply {
    call(
        addr,
        Method::OPTIONS,
        path,
        &[
            ("origin", origin),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        "",
    )
    .await
}

/// Asserts a 403 of `code` that no page can read, naming `named` and the flag that allows it.
fn assert_refused(reply: &Reply, code: &str, named: &str, flag: &str, what: &str) {
    assert_eq!(reply.status, 403, "{what}: {}", reply.text());
    assert_eq!(reply.json()["code"], code, "{what}");
    let error = reply.error();
    assert!(
        error.contains(&format!("{named:?}")) && error.contains(flag),
        "{what}: {error}"
    );
    assert!(
        reply.headers.get("access-control-allow-origin").is_none(),
        "{what}: {:?}",
        reply.headers
    );
}

#[tokio::test]
async fn a_foreign_origin_is_refused_on_every_route_and_nothing_reaches_octane() {
    let (peer, proxy) = naming_peer_and_proxy(|b| b).await;
    let websocket: &[(&str, &str)] = &[
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("sec-websocket-version", "13"),
    ];
    for origin in [
        FOREIGN,
        "null",
        "https://localhost:8080",
        "http://localhost.evil.example",
        "http://127.0.0.1.evil.example:51023",
    ] {
        let with_origin = [("origin", origin)];
        for path in [
            "/ApiProjectManager/saveProjectAs",
            "/ApiProjectManager/resetProject",
            "/StreamCallback/callbackChannel",
            "/LiveLink/StreamCamera",
            "/debug/append-log",
            "/api/grpc/ApiItem/name",
            "/api/log",
            "/render/register-callback",
            "/No/route",
        ] {
            let reply = simple_post(proxy.addr, path, &with_origin).await;
            assert_refused(&reply, "ORIGIN_NOT_ALLOWED", origin, "--cors-origin", path);
            let reply = preflight(proxy.addr, path, origin).await;
            assert_refused(&reply, "ORIGIN_NOT_ALLOWED", origin, "--cors-origin", path);
        }
        for path in [
            "/health",
            "/services",
            "/openapi.json",
            "/metrics",
            "/api/health",
            "/api/system/info",
            "/render/stream",
            "/render/stream.mjpeg",
            "/",
        ] {
            let reply = call(proxy.addr, Method::GET, path, &with_origin, "").await;
            assert_refused(&reply, "ORIGIN_NOT_ALLOWED", origin, "--cors-origin", path);
        }
        for path in ["/render/ws", "/api/callbacks"] {
            let mut headers = websocket.to_vec();
            headers.push(("origin", origin));
            let reply = call(proxy.addr, Method::GET, path, &headers, "").await;
            assert_refused(&reply, "ORIGIN_NOT_ALLOWED", origin, "--cors-origin", path);
        }
    }
    assert_eq!(peer.call_count(), 0);
    // Refusals are counted like other requests.
    let metrics = get(proxy.addr, "/metrics").await;
    assert!(
        metrics
            .text()
            .contains(r#"octane_proxy_http_requests_total{route="unmatched",status="403"} 145"#),
        "{}",
        metrics.text()
    );
}

#[tokio::test]
async fn a_foreign_origin_is_refused_before_its_body_arrives() {
    let (peer, proxy) = naming_peer_and_proxy(|b| b).await;
    let mut stream = tokio::net::TcpStream::connect(proxy.addr)
        .await
        .expect("connect");
    // A head that promises a body, and no body: the answer comes all the same.
    let head = format!(
        "POST /ApiProjectManager/saveProjectAs HTTP/1.1\r\nHost: {}\r\nOrigin: {FOREIGN}\r\n\
         Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n",
        proxy.addr
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    let mut buffer = [0; 4096];
    while !String::from_utf8_lossy(&answer).contains("ORIGIN_NOT_ALLOWED") {
        let n = tokio::time::timeout(HANG, stream.read(&mut buffer))
            .await
            .expect("an answer without the body")
            .expect("read");
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buffer[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 403 "));
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn loopback_origins_the_own_origin_and_added_ones_are_served() {
    let added = AllowedOrigins::default()
        .allow(["https://dashboard.studio.example", "null"])
        .expect("valid origins");
    let (peer, proxy) = naming_peer_and_proxy(|b| b.allowed_origins(added)).await;
    let own = format!("http://{}", proxy.addr);
    let port = proxy.addr.port();
    let own_by_name = (
        format!("localhost:{port}"),
        format!("http://localhost:{port}"),
    );
    let cases: Vec<(String, String)> = [
        "http://localhost:8080",
        "http://localhost",
        "http://127.0.0.1:5173",
        "http://[::1]:45769",
        "https://dashboard.studio.example",
        "null",
    ]
    .into_iter()
    .map(|origin| (proxy.addr.to_string(), origin.to_owned()))
    .chain([(proxy.addr.to_string(), own), own_by_name])
    .collect();
    for (host, origin) in &cases {
        let headers = [("host", host.as_str()), ("origin", origin.as_str())];
        let reply = preflight(proxy.addr, "/ApiItem/name", origin).await;
        assert_eq!(reply.status, 204, "{origin}: {}", reply.text());
        assert_eq!(
            reply.headers["access-control-allow-origin"],
            origin.as_str()
        );
        let reply = simple_post(proxy.addr, "/ApiItem/name", &headers).await;
        assert_eq!(reply.status, 200, "{origin}: {}", reply.text());
        assert_eq!(
            reply.text(),
            r#"{"success":true,"data":{"result":"Scene"}}"#
        );
        assert_eq!(
            reply.headers["access-control-allow-origin"],
            origin.as_str()
        );
        assert_eq!(reply.headers["vary"], "Origin");
    }
    let received = peer.received_as::<NameRequest>(NAME);
    assert_eq!(received.len(), cases.len());
    assert!(received.iter().all(|request| request.object_ptr.is_some()));
}

#[tokio::test]
async fn a_foreign_host_is_refused_and_ip_literals_localhost_and_added_names_are_served() {
    let hosts = AllowedHosts::default()
        .allow(["studio-pc"])
        .expect("valid name");
    let (peer, proxy) = naming_peer_and_proxy(|b| b.allowed_hosts(hosts)).await;
    let port = proxy.addr.port();
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("evil.localhost:{port}"),
    ] {
        for path in [
            "/ApiProjectManager/saveProjectAs",
            "/render/register-callback",
        ] {
            let reply = simple_post(proxy.addr, path, &[("host", host.as_str())]).await;
            assert_refused(&reply, "HOST_NOT_ALLOWED", &host, "--allowed-host", &host);
        }
        // The page of a rebound name is its own origin: refused all the same.
        let own = format!("http://{host}");
        let headers = [("host", host.as_str()), ("origin", own.as_str())];
        let reply = call(proxy.addr, Method::GET, "/", &headers, "").await;
        assert_refused(&reply, "HOST_NOT_ALLOWED", &host, "--allowed-host", &host);
        let reply = call(proxy.addr, Method::GET, "/health", &headers, "").await;
        assert_refused(&reply, "HOST_NOT_ALLOWED", &host, "--allowed-host", &host);
    }
    assert_eq!(peer.call_count(), 0);

    let served = [
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("localhost:{port}"),
        format!("studio-pc:{port}"),
        "STUDIO-PC".to_owned(),
        "192.168.1.20".to_owned(),
    ];
    for host in &served {
        let reply = simple_post(proxy.addr, "/ApiItem/name", &[("host", host)]).await;
        assert_eq!(reply.status, 200, "{host}: {}", reply.text());
    }
    // A page served under an added name is its own origin; another port of it is not.
    let studio = format!("studio-pc:{port}");
    let own = format!("http://studio-pc:{port}");
    let reply = simple_post(
        proxy.addr,
        "/ApiItem/name",
        &[("host", &studio), ("origin", &own)],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = simple_post(
        proxy.addr,
        "/ApiItem/name",
        &[("host", &studio), ("origin", "http://studio-pc:8080")],
    )
    .await;
    assert_refused(
        &reply,
        "ORIGIN_NOT_ALLOWED",
        "http://studio-pc:8080",
        "--cors-origin",
        "another port",
    );
    assert_eq!(peer.received(NAME).len(), served.len() + 1);
}

#[tokio::test]
async fn the_http2_authority_is_the_host_that_is_checked() {
    let (peer, proxy) = naming_peer_and_proxy(|b| b).await;
    let stream = tokio::net::TcpStream::connect(proxy.addr)
        .await
        .expect("connect");
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
    tokio::spawn(connection);
    let port = proxy.addr.port();
    for (authority, status) in [
        (format!("evil.example:{port}"), 403),
        (format!("[::1]:{port}"), 200),
    ] {
        let request = Request::post(format!("http://{authority}/ApiItem/name"))
            .body(Full::new(Bytes::from_static(b"{}")))
            .expect("request");
        let response = tokio::time::timeout(HANG, sender.send_request(request))
            .await
            .expect("in time")
            .expect("response");
        assert_eq!(response.status(), status, "{authority}");
        let body = response.into_body().collect().await.expect("body");
        let body = String::from_utf8(body.to_bytes().to_vec()).expect("UTF-8");
        if status == 403 {
            assert!(body.contains("HOST_NOT_ALLOWED"), "{body}");
        }
    }
    assert_eq!(peer.received(NAME).len(), 1);
}

#[tokio::test]
async fn with_a_token_the_origin_rule_still_applies() {
    let access = octane_proxy::AccessPolicy::default().token("s3cret");
    let (peer, proxy) = naming_peer_and_proxy(|b| b.access(access)).await;
    let bearer = ("authorization", "Bearer s3cret");
    let reply = simple_post(proxy.addr, "/ApiItem/name", &[bearer, ("origin", FOREIGN)]).await;
    assert_refused(
        &reply,
        "ORIGIN_NOT_ALLOWED",
        FOREIGN,
        "--cors-origin",
        "token",
    );
    let reply = call(
        proxy.addr,
        Method::GET,
        "/render/stream?token=s3cret",
        &[("origin", FOREIGN)],
        "",
    )
    .await;
    assert_refused(
        &reply,
        "ORIGIN_NOT_ALLOWED",
        FOREIGN,
        "--cors-origin",
        "query token",
    );
    assert_eq!(peer.call_count(), 0);
    let reply = simple_post(
        proxy.addr,
        "/ApiItem/name",
        &[bearer, ("origin", "http://localhost:8080")],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    // Requests without an Origin are unchanged: curl and scripts.
    let (_peer, open) = peer_and_proxy().await;
    let reply = simple_post(open.addr, "/ApiItem/name", &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}
