//! `octane-proxy --web-root DIR` as a user runs it for octaneWebR: the client's files at `/`,
//! the built-in page at `/render/`, and the client's log posts in the proxy's log.

mod support;

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use octane_test_peer::TestPeer;

use support::{HANG, octane_proxy_for, serve};

const INDEX: &str = "<!doctype html><title>built client</title>";
const PAGE_TITLE: &str = "<title>Octane live render</title>";

/// One request on a connection of its own: the status, `Content-Type` and body.
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .body(Full::new(bytes::Bytes::from(body.to_owned())))
        .expect("a request");
    let response = tokio::time::timeout(HANG, sender.send_request(request))
        .await
        .expect("answered in time")
        .expect("a response");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .unwrap_or_default();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn the_web_root_owns_slash_and_the_built_in_page_moves_to_render() {
    let peer = TestPeer::start().expect("peer");
    let dir = std::env::temp_dir().join(format!("octane-cli-web-root-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("assets")).expect("mkdir");
    std::fs::write(dir.join("index.html"), INDEX).expect("index");
    std::fs::write(dir.join("assets/index-1.js"), "export {};").expect("script");

    let mut command = octane_proxy_for(peer.addr());
    command.arg("--web-root").arg(&dir);
    let mut proxy = serve(command).await;
    assert!(
        proxy
            .before
            .iter()
            .any(|l| l.contains("serving the web root at /")),
        "{:#?}",
        proxy.before
    );
    assert_eq!(
        request(proxy.addr, "GET", "/", "").await,
        (200, "text/html".to_owned(), INDEX.to_owned())
    );
    let (status, content_type, _) = request(proxy.addr, "GET", "/assets/index-1.js", "").await;
    assert_eq!((status, content_type.as_str()), (200, "text/javascript"));
    let (status, _, page) = request(proxy.addr, "GET", "/render/", "").await;
    assert_eq!(status, 200);
    assert!(page.contains(PAGE_TITLE), "{page}");
    let (status, _, health) = request(proxy.addr, "GET", "/api/health", "").await;
    assert_eq!(status, 200);
    assert!(health.contains(r#""octane":"connected""#), "{health}");

    // The client's log posts land in the proxy's log under the target `client`.
    let post = r#"{"level":"warn","message":"[WARN] first entry\n[WARN] second entry"}"#;
    let (status, _, answer) = request(proxy.addr, "POST", "/api/log", post).await;
    assert_eq!((status, answer.as_str()), (200, r#"{"success":true}"#));
    let mut seen = Vec::new();
    tokio::time::timeout(HANG, async {
        while !seen.iter().any(|l: &String| l.contains("second entry")) {
            let line = proxy
                .log
                .next_line()
                .await
                .expect("a log line")
                .expect("open log");
            seen.push(line);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the entries in the log: {seen:#?}"));
    let entries: Vec<&String> = seen.iter().filter(|l| l.contains("entry")).collect();
    assert_eq!(entries.len(), 2, "{seen:#?}");
    for (entry, text) in entries
        .iter()
        .zip(["[WARN] first entry", "[WARN] second entry"])
    {
        assert!(entry.contains(&format!(" WARN client: {text}")), "{entry}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_a_web_root_the_built_in_page_is_at_slash_and_render() {
    let peer = TestPeer::start().expect("peer");
    let proxy = serve(octane_proxy_for(peer.addr())).await;
    for path in ["/", "/render/"] {
        let (status, content_type, page) = request(proxy.addr, "GET", path, "").await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(content_type, "text/html; charset=utf-8", "{path}");
        assert!(page.contains(PAGE_TITLE), "{path}: {page}");
    }
}
