//! Hardening: bad input, Octane faults, load and access control, each through the HTTP surface.
//! `docs/reliability.md` lists every row with the name of its test here.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use octane_api::{livelinkapi, octaneapi};
use octane_proxy::AccessPolicy;
use octane_test_peer::TestPeer;
use pretty_assertions::assert_eq;
use support::{HANG, call, eventually, get, peer_and_proxy, post, proxy_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn post_bytes(addr: SocketAddr, path: &str, body: Vec<u8>) -> support::Reply {
    let request = Request::post(format!("http://{addr}{path}"))
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let (parts, body) = support::send(addr, request).await.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    support::Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// Writes raw bytes on a fresh connection and returns what comes back until the server closes
/// it (or `HANG` passes).
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(HANG, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

// ---- bad input ----------------------------------------------------------------------------

#[tokio::test]
async fn non_json_bodies_are_400() {
    let (peer, proxy) = peer_and_proxy().await;
    let cases: [(&[u8], &str); 6] = [
        (
            b"{\"objectPtr\":{\"handle\":\"\xff\xfe\"}}",
            "MALFORMED_JSON",
        ),
        (b"\xff\xfe\xfd", "MALFORMED_JSON"),
        (b"{} {}", "MALFORMED_JSON"),
        (b"[1,2,3]", "INVALID_ARGUMENT"),
        (b"\"a string\"", "INVALID_ARGUMENT"),
        (b"42", "INVALID_ARGUMENT"),
    ];
    for (body, code) in cases {
        let reply = post_bytes(proxy.addr, "/ApiItem/name", body.to_vec()).await;
        assert_eq!(reply.status, 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(
            reply.json()["code"],
            code,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn values_that_do_not_fit_their_field_are_400() {
    let (peer, proxy) = peer_and_proxy().await;
    let cases = [
        (
            "/ApiItem/name",
            r#"{"objectPtr":{"handle":"1"},"objectPtr":{"handle":"2"}}"#,
            "duplicate field `objectPtr`",
        ),
        (
            "/ApiItem/name",
            r#"{"objectPtr":{"handle":"18446744073709551616"}}"#,
            "objectPtr.handle",
        ),
        // Routes whose target is renamed from `objectPtr` refuse duplicates the same way.
        (
            "/ApiItem/getValueByAttrID",
            r#"{"objectPtr":{"handle":"1","type":16},"objectPtr":{"handle":"2","type":16},"attribute_id":185}"#,
            "duplicate field `objectPtr`",
        ),
        (
            "/ApiItem/getValueByAttrID",
            r#"{"objectPtr":{"handle":"1"},"attribute_id":185,"attribute_id":1}"#,
            "duplicate field `attributeId`",
        ),
        (
            "/ApiItem/getValueByAttrID",
            r#"{"objectPtr":{"handle":"1","handle":"2"},"attribute_id":185}"#,
            "duplicate field `handle`",
        ),
        (
            "/ApiItem/name",
            r#"{"objectPtr":{"handle":18446744073709551616}}"#,
            "objectPtr.handle",
        ),
        (
            "/ApiItem/name",
            r#"{"objectPtr":{"handle":-1}}"#,
            "objectPtr.handle",
        ),
        (
            "/ApiItem/name",
            r#"{"objectPtr":{"handle":"-1"}}"#,
            "objectPtr.handle",
        ),
        (
            "/ApiItem/name",
            r#"{"objectPtr":{"handle":1.5}}"#,
            "objectPtr.handle",
        ),
        (
            "/ApiItem/name",
            r#"{"objectPtr":{"handle":"NaN"}}"#,
            "objectPtr.handle",
        ),
        (
            "/ApiDBMaterialManager/getMaterials",
            r#"{"categoryId":3000000000}"#,
            "categoryId",
        ),
        (
            "/ApiDBMaterialManager/getMaterials",
            r#"{"categoryId":"3000000000"}"#,
            "categoryId",
        ),
        (
            "/ApiDBMaterialManager/getMaterials",
            r#"{"categoryId":"Infinity"}"#,
            "categoryId",
        ),
        (
            "/ApiRenderEngine/setRenderPriority",
            r#"{"priority":"high"}"#,
            "priority",
        ),
        (
            "/ApiRenderEngine/setRenderPriority",
            r#"{"priority":77}"#,
            "priority",
        ),
        (
            "/ApiRenderEngine/setClayMode",
            r#"{"mode":"CLAY_MODE_GREY","extra":true}"#,
            "extra",
        ),
        (
            "/ApiProjectManager/saveProjectAs",
            r#"{"path":true}"#,
            "path",
        ),
        (
            "/ApiProjectManager/saveProjectAs",
            r#"{"path":{"a":1}}"#,
            "path",
        ),
        (
            "/ApiNodeGraph/copyFrom2",
            r#"{"sourceItems":{"data":{"handle":"1"}}}"#,
            "sourceItems.data",
        ),
        (
            "/ApiRenderCloudManager/uploadCurrentProject",
            r#"{"onUpdate":{"context":"not base64!"}}"#,
            "onUpdate.context",
        ),
    ];
    for (path, body, expected) in cases {
        let reply = post(proxy.addr, path, body).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        assert_eq!(reply.json()["code"], "INVALID_ARGUMENT", "{body}");
        assert!(reply.text().contains(expected), "{body}: {}", reply.text());
    }
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn a_number_an_integer_field_cannot_hold_is_explained() {
    let (peer, proxy) = peer_and_proxy().await;
    for (value, column) in [
        ("3000000000", 25),
        ("5.0", 18),
        ("1e2", 18),
        ("-0", 17),
        ("true", 19),
    ] {
        let body = format!(r#"{{"categoryId":{value}}}"#);
        let reply = post(proxy.addr, "/ApiDBMaterialManager/getMaterials", &body).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        assert_eq!(
            reply.text(),
            format!(
                "{{\"success\":false,\"error\":\"invalid request for ApiDBMaterialManager/getMaterials \
                 (octaneapi.ApiDBMaterialManager.getMaterialsRequest) at `categoryId`: expected a number \
                 the field can hold, or a string holding one (integer fields take whole numbers in their \
                 range, without a fraction or an exponent) at line 1 column {column}\",\
                 \"code\":\"INVALID_ARGUMENT\",\"field\":\"categoryId\"}}"
            ),
            "{body}"
        );
    }
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn nan_and_infinity_are_fine_where_the_mapping_allows_them() {
    let (peer, proxy) = peer_and_proxy().await;
    let reply = post(
        proxy.addr,
        "/LiveLink/SetCamera",
        r#"{"fov":"Infinity","position":{"x":"NaN","y":"-Infinity","z":1}}"#,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let camera =
        &peer.received_as::<livelinkapi::CameraState>("/livelinkapi.LiveLinkService/SetCamera")[0];
    assert_eq!(
        camera.fov_set,
        Some(livelinkapi::camera_state::FovSet::Fov(f32::INFINITY))
    );
}

#[tokio::test]
async fn deep_nesting_answers_400_fast_without_overflowing_the_stack() {
    let (peer, proxy) = peer_and_proxy().await;
    let depth = 10_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    for (path, body) in [
        ("/ApiItem/name", &arrays),
        ("/ApiItem/name", &objects),
        ("/ApiItem/getValueByAttrID", &arrays),
    ] {
        let started = Instant::now();
        let reply = post(proxy.addr, path, body).await;
        assert_eq!(reply.status, 400, "{path}");
        assert!(started.elapsed() < HANG);
    }
    // The server is still there.
    assert_eq!(post(proxy.addr, "/ApiItem/name", "{}").await.status, 200);
    assert_eq!(peer.call_count(), 1);
}

#[tokio::test]
async fn ten_million_element_arrays_are_answered() {
    let (peer, proxy) = peer_and_proxy().await;
    let elements = 10_000_000;
    let mut body = String::with_capacity(elements * 2 + 16);
    body.push('[');
    for i in 0..elements {
        if i > 0 {
            body.push(',');
        }
        body.push('0');
    }
    body.push(']');
    let reply = post(proxy.addr, "/ApiItem/name", &body).await;
    assert_eq!(reply.status, 400);

    // A valid repeated field with a million entries goes through whole.
    let items = vec![r#"{"handle":"7"}"#; 1_000_000].join(",");
    let body = format!(r#"{{"sourceItems":{{"data":[{items}]}}}}"#);
    let reply = post(proxy.addr, "/ApiNodeGraph/copyFrom2", &body).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        &reply.text()[..reply.text().len().min(300)]
    );
    let received = peer.received_as::<octaneapi::api_node_graph::CopyFrom2Request>(
        "/octaneapi.ApiNodeGraphService/copyFrom2",
    );
    assert_eq!(
        received[0].source_items.as_ref().map(|a| a.data.len()),
        Some(1_000_000)
    );
}

#[tokio::test]
async fn lying_content_length_ends_in_a_clear_answer() {
    let peer = TestPeer::start().expect("peer");
    let proxy = proxy_with(peer.addr(), |b| b.body_timeout(Duration::from_millis(500))).await;
    // Promises 100 bytes, sends 2, then waits: the body timeout answers.
    let response = raw_exchange(
        proxy.addr,
        b"POST /ApiItem/name HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{}",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("BODY_TIMEOUT"), "{response}");
    // Promises 5 bytes, sends more: the 5 bytes are the body and do not parse.
    let response = raw_exchange(
        proxy.addr,
        b"POST /ApiItem/name HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{\"objectPtr\":{}}",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    // A declared length over the limit is refused before the body is read.
    let response = raw_exchange(
        proxy.addr,
        b"POST /ApiItem/name HTTP/1.1\r\nHost: localhost\r\nContent-Length: 999999999999\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn odd_paths_are_404_and_query_strings_are_ignored() {
    let (peer, proxy) = peer_and_proxy().await;
    let long = format!("/{}/name", "A".repeat(10 * 1024));
    for path in [
        "//",
        "//name",
        "/ApiItem//name",
        "/%41piItem/name",
        "/ApiItem/%6Eame",
        "/../ApiItem/name",
        "/ApiItem/..",
        long.as_str(),
    ] {
        let reply = post(proxy.addr, path, "").await;
        assert_eq!(reply.status, 404, "{}", &path[..path.len().min(40)]);
        assert!(
            reply.error().len() < 400,
            "the error echoes at most a clipped name"
        );
    }
    assert_eq!(
        post(proxy.addr, "/ApiItem/name?debug=1&x", "").await.status,
        200
    );
    assert_eq!(peer.call_count(), 1);
}

#[tokio::test]
async fn a_panic_answers_500_and_the_server_keeps_serving() {
    let peer = TestPeer::start().expect("peer");
    let boom = tower::service_fn(
        |_request: http::Request<octane_proxy::RequestBody>| async move {
            if std::env::var_os("OCTANE_PROXY_NEVER_SET").is_none() {
                panic!("handler bug");
            }
            Ok::<_, std::convert::Infallible>(http::Response::new(octane_proxy::Body::empty()))
        },
    );
    let proxy = proxy_with(peer.addr(), |b| b.route("/boom", boom)).await;
    let reply = get(proxy.addr, "/boom").await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json()["code"], "INTERNAL");
    assert_eq!(
        reply.error(),
        "internal error while handling the request: handler bug"
    );
    assert_eq!(post(proxy.addr, "/ApiItem/name", "").await.status, 200);
}

// ---- Octane faults ------------------------------------------------------------------------

#[tokio::test]
async fn octane_down_at_start_answers_503_at_once() {
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let proxy = proxy_with(free, |b| b).await;
    assert_eq!(get(proxy.addr, "/health").await.json()["connected"], false);
    for _ in 0..5 {
        let started = Instant::now();
        let reply = post(proxy.addr, "/ApiItem/name", "").await;
        assert_eq!(reply.status, 503);
        // The issue's figure is 100 ms; the bound here only guards against a hang on a loaded machine.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn octane_stopping_mid_call_ends_it_with_503_and_a_restart_needs_no_proxy_restart() {
    let (peer, proxy) = peer_and_proxy().await;
    peer.delay("/octaneapi.ApiItemService/name", Duration::from_secs(30));
    let in_flight = tokio::spawn({
        let addr = proxy.addr;
        async move { post(addr, "/ApiItem/name", "").await }
    });
    eventually("the call to reach the peer", || peer.call_count() == 1).await;
    let port = peer.addr();
    peer.stop();
    let reply = in_flight.await.expect("task");
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.json()["code"], "UNAVAILABLE");

    let peer = TestPeer::start_on(port).expect("restart");
    peer.reply(
        "/octaneapi.ApiItemService/name",
        &octaneapi::api_item::NameResponse {
            result: "back".into(),
        },
    );
    support::eventually_async("calls to succeed again", || async {
        post(proxy.addr, "/ApiItem/name", "").await.status == 200
    })
    .await;
}

#[tokio::test]
async fn octane_that_accepts_but_never_answers_hits_the_deadline() {
    // A listener that accepts connections and then says nothing, not even the HTTP/2 preface.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = silent.local_addr().expect("addr");
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        silent.set_nonblocking(true).expect("nonblocking");
        let until = Instant::now() + Duration::from_secs(15);
        while Instant::now() < until {
            if let Ok((stream, _)) = silent.accept() {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let proxy = proxy_with(addr, |b| b).await;
    let slow = tokio::spawn({
        let addr = proxy.addr;
        async move {
            call(
                addr,
                Method::POST,
                "/ApiItem/name",
                &[("x-timeout-ms", "500")],
                "",
            )
            .await
        }
    });
    // Meanwhile the proxy answers what does not need Octane.
    assert_eq!(get(proxy.addr, "/services").await.status, 200);
    let reply = slow.await.expect("task");
    assert_eq!(reply.status, 504, "{}", reply.text());
    assert_eq!(reply.json()["code"], "DEADLINE_EXCEEDED");
    drop(proxy);
    holder.join().expect("holder thread");
}

#[tokio::test]
async fn responses_far_over_4_mib_pass() {
    let (peer, proxy) = peer_and_proxy().await;
    let frame: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    peer.reply(
        "/livelinkapi.LiveLinkService/GetFile",
        &livelinkapi::FileResponse {
            filedata: Bytes::from(frame.clone()),
        },
    );
    let reply = post(proxy.addr, "/LiveLink/GetFile", "").await;
    assert_eq!(reply.status, 200);
    let encoded = reply.json()["data"]["filedata"]
        .as_str()
        .expect("base64")
        .to_owned();
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64"),
        frame
    );
}

// ---- load ---------------------------------------------------------------------------------

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `connections` keep-alive clients send `total` requests between them; each reply must be the
/// one for its own request.
async fn load(proxy: SocketAddr, connections: usize, total: usize) {
    let per_connection = total / connections;
    let mut tasks = Vec::new();
    for c in 0..connections {
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(proxy)
                .await
                .expect("connect");
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .expect("handshake");
            let driver = tokio::spawn(connection);
            for r in 0..per_connection {
                let id = c * per_connection + r;
                let body = format!(r#"{{"objecthandle":{id}}}"#);
                let request = Request::post(format!("http://{proxy}/LiveLink/GetMesh"))
                    .body(Full::new(Bytes::from(body)))
                    .expect("request");
                sender.ready().await.expect("connection ready");
                let response = sender.send_request(request).await.expect("response");
                assert_eq!(response.status(), 200);
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .expect("body")
                    .to_bytes();
                assert_eq!(
                    body,
                    format!(r#"{{"success":true,"data":{{"name":"mesh-{id}"}}}}"#).as_bytes()
                );
            }
            drop(sender);
            let _ = driver.await;
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
}

/// The peer answers `LiveLink/GetMesh` with the name `mesh-<objecthandle>`, so every answer
/// says which request it is for.
fn answer_mesh_names(peer: &TestPeer) {
    peer.respond_with(
        "/livelinkapi.LiveLinkService/GetMesh",
        |request: livelinkapi::MeshRequest| livelinkapi::MeshData {
            name: format!("mesh-{}", request.objecthandle),
            ..Default::default()
        },
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_on_256_connections_each_get_their_own_answer() {
    let (peer, proxy) = peer_and_proxy().await;
    answer_mesh_names(&peer);
    // Warm up: the channel to the peer and the runtime's threads exist from here on.
    load(proxy.addr, 16, 256).await;
    let fds_before = open_fds();
    load(proxy.addr, 256, 10_240).await;
    let rss_after_first = rss_kib();
    load(proxy.addr, 256, 10_240).await;
    let rss_after_second = rss_kib();
    assert_eq!(
        peer.received("/livelinkapi.LiveLinkService/GetMesh").len(),
        256 + 2 * 10_240
    );
    eventually("client connections to close", || {
        open_fds() <= fds_before + 4
    })
    .await;
    // A second identical run must not keep what the first one needed.
    assert!(
        rss_after_second < rss_after_first + 32 * 1024,
        "RSS grew from {rss_after_first} KiB to {rss_after_second} KiB"
    );
}

/// 40 requests written at once on one connection are answered in order, each with its own
/// answer: the connection's task, which polls again in place when it wakes itself
/// (`server/self_wake.rs`), loses no wake-up between them.
#[tokio::test]
async fn pipelined_requests_are_each_answered_in_order() {
    let (peer, proxy) = peer_and_proxy().await;
    answer_mesh_names(&peer);
    let mut requests = Vec::new();
    let mut expected = String::new();
    for id in 0..40 {
        let body = format!(r#"{{"objecthandle":{id}}}"#);
        requests.extend_from_slice(
            format!(
                "POST /LiveLink/GetMesh HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
        expected.push_str(&format!(
            r#"{{"success":true,"data":{{"name":"mesh-{id}"}}}}"#
        ));
    }
    let mut stream = tokio::net::TcpStream::connect(proxy.addr)
        .await
        .expect("connect");
    stream.write_all(&requests).await.expect("write");
    let mut out = Vec::new();
    let mut answered = String::new();
    while answered.len() < expected.len() {
        let mut chunk = [0; 4096];
        let n = tokio::time::timeout(HANG, stream.read(&mut chunk))
            .await
            .expect("answers within the deadline")
            .expect("read");
        assert!(n > 0, "connection closed after {answered:?}");
        out.extend_from_slice(&chunk[..n]);
        answered = String::from_utf8_lossy(&out)
            .split("\r\n\r\n")
            .skip(1)
            .map(|part| part.split("HTTP/1.1").next().unwrap_or_default())
            .collect();
    }
    assert_eq!(answered, expected);
    assert_eq!(
        String::from_utf8_lossy(&out)
            .matches("HTTP/1.1 200 OK")
            .count(),
        40
    );
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let peer = TestPeer::start().expect("peer");
    let router = octane_proxy::Router::builder(
        octane_proxy::Octane::lazy("127.0.0.1", peer.addr().port()).expect("addr"),
    )
    .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = octane_proxy::Server::default().header_read_timeout(Duration::from_millis(300));
    tokio::spawn(server.serve(listener, router, std::future::pending()));

    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();
    let mut closed = false;
    for byte in b"GET /health HTTP/1.1\r\nHost: localhost\r\n" {
        if stream.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut buf = [0u8; 256];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await
        {
            // EOF, or the 408 hyper sends before closing.
            assert!(
                n == 0 || buf.starts_with(b"HTTP/1.1 408"),
                "{}",
                String::from_utf8_lossy(&buf[..n])
            );
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "connection still open after {:?}",
        started.elapsed()
    );
}

// ---- access control -----------------------------------------------------------------------

#[tokio::test]
async fn a_token_guards_every_route_but_preflight_and_health() {
    let peer = TestPeer::start().expect("peer");
    let proxy = proxy_with(peer.addr(), |b| {
        b.access(AccessPolicy::default().token("s3cret"))
    })
    .await;
    let reply = post(proxy.addr, "/ApiItem/name", "").await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["code"], "UNAUTHENTICATED");
    assert_eq!(
        call(
            proxy.addr,
            Method::POST,
            "/ApiItem/name",
            &[("authorization", "Bearer wrong")],
            ""
        )
        .await
        .status,
        401
    );
    assert_eq!(get(proxy.addr, "/services").await.status, 401);
    assert_eq!(peer.call_count(), 0);

    assert_eq!(
        call(
            proxy.addr,
            Method::POST,
            "/ApiItem/name",
            &[("authorization", "Bearer s3cret")],
            ""
        )
        .await
        .status,
        200
    );
    assert_eq!(get(proxy.addr, "/services?token=s3cret").await.status, 200);
    assert_eq!(
        post(proxy.addr, "/ApiItem/name?token=s3cret", "")
            .await
            .status,
        401,
        "query tokens are for GET only"
    );
    assert_eq!(get(proxy.addr, "/health").await.status, 200);
    assert_eq!(
        call(proxy.addr, Method::OPTIONS, "/ApiItem/name", &[], "")
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn denied_calls_are_403_and_never_reach_octane() {
    let peer = TestPeer::start().expect("peer");
    let policy = AccessPolicy::default()
        .deny(["ApiProjectManager/save*", "ApiItem/destroy"])
        .expect("patterns");
    let proxy = proxy_with(peer.addr(), |b| b.access(policy)).await;
    for path in [
        "/ApiProjectManager/saveProject",
        "/octaneapi.ApiProjectManagerService/saveProjectAs",
        "/ApiItem/destroy",
    ] {
        let reply = post(proxy.addr, path, "{}").await;
        assert_eq!(reply.status, 403, "{path}");
        assert_eq!(reply.json()["code"], "PERMISSION_DENIED");
    }
    assert_eq!(peer.call_count(), 0);
    assert_eq!(
        post(proxy.addr, "/ApiProjectManager/loadProject", "{}")
            .await
            .status,
        200
    );

    let allow_only_reads = AccessPolicy::default()
        .allow(["*/get*", "LiveLink/GetCamera"])
        .expect("patterns");
    let proxy = proxy_with(peer.addr(), |b| b.access(allow_only_reads)).await;
    assert_eq!(
        post(proxy.addr, "/LiveLink/GetCamera", "").await.status,
        200
    );
    let reply = post(proxy.addr, "/LiveLink/SetCamera", "").await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error(), "LiveLink/SetCamera is not in --allow");
}
