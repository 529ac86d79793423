//! Runs the `embed_axum` example's app against the test peer.

#[path = "../embed_axum.rs"]
mod embed_axum;

use octane_api::octaneapi::ObjectRef;
use octane_api::octaneapi::api_item::{NameRequest, NameResponse};
use octane_proxy::{Octane, Router};
use octane_test_peer::TestPeer;

async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut out = String::new();
    stream.read_to_string(&mut out).await.expect("read");
    let status = out[9..12].parse().expect("status code");
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn the_proxy_answers_under_octane_behind_the_apps_auth() {
    let peer = TestPeer::start().expect("peer");
    peer.reply(
        "/octaneapi.ApiItemService/name",
        &NameResponse {
            result: "Cube".into(),
        },
    );
    let router =
        Router::builder(Octane::lazy("127.0.0.1", peer.addr().port()).expect("address")).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, embed_axum::app(router)).await });

    assert_eq!(
        request(addr, "GET", "/", None, "").await,
        (200, "my studio app".to_owned())
    );
    assert_eq!(
        request(addr, "POST", "/octane/ApiItem/name", None, "{}")
            .await
            .0,
        401
    );
    assert_eq!(peer.call_count(), 0);

    let body = r#"{"objectPtr":{"handle":"1000002","type":16}}"#;
    let (status, reply) = request(
        addr,
        "POST",
        "/octane/ApiItem/name",
        Some("let-me-in"),
        body,
    )
    .await;
    assert_eq!(
        (status, reply.as_str()),
        (200, r#"{"success":true,"data":{"result":"Cube"}}"#)
    );
    assert_eq!(
        peer.received_as::<NameRequest>("/octaneapi.ApiItemService/name"),
        vec![NameRequest {
            object_ptr: Some(ObjectRef {
                handle: 1_000_002,
                r#type: 16
            })
        }]
    );
}
