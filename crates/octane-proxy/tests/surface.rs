//! The rest of the HTTP surface: `/health`, `/services`, CORS, and the streaming routes.

mod support;

use std::collections::BTreeSet;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use octane_api::{google, livelinkapi, octaneapi};
use octane_test_peer::TestPeer;
use pretty_assertions::assert_eq;
use support::{Events, call, eventually, get, peer_and_proxy, post, proxy_with, send};

#[tokio::test]
async fn health_reports_the_real_connection_state() {
    let peer = TestPeer::start().expect("peer");
    let port = peer.addr();
    let proxy = proxy_with(port, |b| b).await;
    assert_eq!(
        get(proxy.addr, "/health").await.text(),
        format!(r#"{{"status":"ok","connected":true,"octane":"{port}"}}"#)
    );
    peer.stop();
    assert_eq!(
        get(proxy.addr, "/health").await.text(),
        format!(r#"{{"status":"ok","connected":false,"octane":"{port}"}}"#)
    );
    let _peer = TestPeer::start_on(port).expect("restart on the same port");
    support::eventually_async("health to turn connected", || async {
        get(proxy.addr, "/health").await.json()["connected"] == true
    })
    .await;
}

#[tokio::test]
async fn services_lists_every_rpc_of_proto() {
    let (_peer, proxy) = peer_and_proxy().await;
    let reply = get(proxy.addr, "/services").await;
    assert_eq!(reply.status, 200);
    let json = reply.json();
    let listed: BTreeSet<String> = json["data"]["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|r| r["grpc_path"].as_str().expect("grpc_path").to_owned())
        .collect();
    assert_eq!(listed, rpcs_in_proto_dir());
    assert_eq!(json["data"]["count"], listed.len());

    let name = json["data"]["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .find(|r| r["grpc_path"] == "/octaneapi.ApiItemService/name")
        .expect("ApiItem/name listed")
        .clone();
    assert_eq!(
        name,
        serde_json::json!({
            "service": "ApiItem",
            "method": "name",
            "path": "/ApiItem/name",
            "grpc_service": "octaneapi.ApiItemService",
            "grpc_path": "/octaneapi.ApiItemService/name",
            "request_type": "octaneapi.ApiItem.nameRequest",
            "response_type": "octaneapi.ApiItem.nameResponse",
            "streaming": "unary",
            "aliases": [],
        })
    );
}

/// The file names `proto/regen.toml` leaves out of the build: the quoted names of its
/// `exclude = [...]` list.
fn excluded_protos(dir: &str) -> Vec<String> {
    let config = std::fs::read_to_string(format!("{dir}/regen.toml")).unwrap_or_default();
    let Some(list) = config
        .split("exclude = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
    else {
        return Vec::new();
    };
    list.lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(|line| {
            line.split('"')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The gRPC path of every `rpc` in `proto/`, read from the files themselves.
fn rpcs_in_proto_dir() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    let mut paths = BTreeSet::new();
    let excluded = excluded_protos(dir);
    for entry in std::fs::read_dir(dir).expect("proto dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "proto") {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        if excluded.iter().any(|e| e == name) {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read proto")).into_owned();
        let package = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("package "))
            .map(|p| p.trim_end_matches(';').to_owned())
            .expect("package");
        let mut service = None;
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("service ") {
                service = rest.split_whitespace().next().map(str::to_owned);
            } else if let Some(rest) = line.strip_prefix("rpc ") {
                let method = rest.split('(').next().expect("rpc name").trim();
                paths.insert(format!(
                    "/{package}.{}/{method}",
                    service.as_deref().expect("rpc inside a service")
                ));
            }
        }
    }
    assert!(paths.len() >= 100, "found {} RPCs", paths.len());
    paths
}

#[tokio::test]
async fn preflight_and_cors_headers() {
    let (_peer, proxy) = peer_and_proxy().await;
    let reply = call(
        proxy.addr,
        Method::OPTIONS,
        "/ApiItem/name",
        &[
            ("origin", "http://localhost:5173"),
            ("access-control-request-method", "POST"),
        ],
        "",
    )
    .await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.headers["access-control-allow-origin"], "http://localhost:5173",
        "the origin is echoed, never *"
    );
    assert_eq!(reply.headers["vary"], "Origin");
    assert_eq!(
        reply.headers["access-control-allow-methods"],
        "GET, POST, OPTIONS, PUT, DELETE"
    );
    assert_eq!(
        reply.headers["access-control-allow-headers"],
        "Content-Type, Accept, X-Grpc-Web, X-Call-Id, Authorization, X-Requested-With, \
         X-Timeout-Ms, Grpc-Timeout",
        "a browser may send the deadline headers the proxy reads"
    );
    assert_eq!(reply.headers["access-control-max-age"], "86400");

    // Without an Origin (curl, scripts) there is nothing for CORS to say but `Vary`.
    let reply = call(
        proxy.addr,
        Method::POST,
        "/ApiItem/name",
        &[("x-call-id", "7")],
        "",
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(
        !reply
            .headers
            .keys()
            .any(|name| name.as_str().starts_with("access-control-")),
        "{:?}",
        reply.headers
    );
    assert_eq!(reply.headers["vary"], "Origin");
    assert_eq!(reply.headers["x-call-id"], "7");
}

#[tokio::test]
async fn server_streaming_rpc_is_server_sent_events() {
    let (peer, proxy) = peer_and_proxy().await;
    let path = "/octaneapi.StreamCallbackService/callbackChannel";
    let request = Request::post(format!(
        "http://{}/StreamCallback/callbackChannel",
        proxy.addr
    ))
    .body(Full::new(Bytes::from_static(b"{}")))
    .expect("request");
    let response = send(proxy.addr, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let mut events = Events::new(response.into_body());

    eventually("the stream to open at the peer", || {
        peer.open_streams(path) == 1
    })
    .await;
    use octaneapi::stream_callback_request::Payload;
    for (payload, expected) in [
        (
            Payload::NewImage(octaneapi::OnNewImageData {
                user_data: 18_000_000_000_000_000_001,
            }),
            r#"{"newImage":{"user_data":"18000000000000000001"}}"#,
        ),
        (
            Payload::NewStatistics(octaneapi::OnStatisticsData { user_data: 0 }),
            r#"{"newStatistics":{}}"#,
        ),
    ] {
        assert_eq!(
            peer.emit(
                path,
                &octaneapi::StreamCallbackRequest {
                    payload: Some(payload)
                }
            ),
            1
        );
        assert_eq!(events.next().await, Some((None, expected.to_owned())));
    }
    peer.end_streams(path, None);
    assert_eq!(
        events.next().await,
        Some((Some("end".to_owned()), "{}".to_owned()))
    );
    assert_eq!(events.next().await, None);
    assert_eq!(
        peer.received_as::<google::protobuf::Empty>(path),
        vec![google::protobuf::Empty {}]
    );
}

#[tokio::test]
async fn a_failing_stream_sends_an_error_event_then_the_end() {
    let (peer, proxy) = peer_and_proxy().await;
    let path = "/octaneapi.StreamCallbackService/callbackChannel";
    let request = Request::post(format!(
        "http://{}/StreamCallback/callbackChannel",
        proxy.addr
    ))
    .body(Full::new(Bytes::new()))
    .expect("request");
    let mut events = Events::new(send(proxy.addr, request).await.into_body());
    eventually("the stream to open at the peer", || {
        peer.open_streams(path) == 1
    })
    .await;
    peer.end_streams(path, Some(tonic::Status::internal("render engine crashed")));
    let (event, data) = events.next().await.expect("an error event");
    assert_eq!(event.as_deref(), Some("error"));
    let error: serde_json::Value = serde_json::from_str(&data).expect("JSON");
    assert_eq!(error["code"], "INTERNAL");
    assert_eq!(
        error["error"],
        "Octane answered StreamCallbackService/callbackChannel with INTERNAL: render engine crashed"
    );
    // `end` closes every stream, a failed one too: a client can stop listening on it alone.
    assert_eq!(
        events.next().await,
        Some((Some("end".to_owned()), "{}".to_owned()))
    );
    assert_eq!(events.next().await, None);
}

#[tokio::test]
async fn a_stream_whose_headers_come_with_its_first_message_opens_at_once() {
    // gRPC C++ (Octane) sends a stream's headers with its first message: a quiet callback
    // stream must still answer its response head, not hold it until something renders.
    let (peer, proxy) = peer_and_proxy().await;
    let path = "/octaneapi.StreamCallbackService/callbackChannel";
    peer.lazy_stream_headers(path);
    let request = Request::post(format!(
        "http://{}/StreamCallback/callbackChannel",
        proxy.addr
    ))
    .body(Full::new(Bytes::new()))
    .expect("request");
    let response = send(proxy.addr, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(
        peer.open_streams(path),
        1,
        "still waiting for its first message"
    );
    let mut events = Events::new(response.into_body());
    use octaneapi::stream_callback_request::Payload;
    let message = octaneapi::StreamCallbackRequest {
        payload: Some(Payload::NewImage(octaneapi::OnNewImageData {
            user_data: 7,
        })),
    };
    assert_eq!(peer.emit(path, &message), 1);
    assert_eq!(
        events.next().await,
        Some((None, r#"{"newImage":{"user_data":"7"}}"#.to_owned()))
    );
    // A failure after the head arrives as an event.
    peer.end_streams(path, Some(tonic::Status::internal("render engine crashed")));
    let (event, data) = events.next().await.expect("an error event");
    assert_eq!(event.as_deref(), Some("error"), "{data}");
    assert_eq!(
        events.next().await,
        Some((Some("end".to_owned()), "{}".to_owned()))
    );
}

#[tokio::test]
async fn a_stream_deadline_counts_while_octane_has_sent_nothing() {
    let (peer, proxy) = peer_and_proxy().await;
    let path = "/octaneapi.StreamCallbackService/callbackChannel";
    peer.lazy_stream_headers(path);
    // Shorter than the wait for Octane's headers: the call's own 504.
    let reply = call(
        proxy.addr,
        Method::POST,
        "/StreamCallback/callbackChannel",
        &[("x-timeout-ms", "100")],
        "",
    )
    .await;
    assert_eq!(reply.status, 504);
    assert_eq!(reply.json()["code"], "DEADLINE_EXCEEDED");

    // Longer: the stream opens, and the deadline ends it although no message ever came.
    let request = Request::post(format!(
        "http://{}/StreamCallback/callbackChannel",
        proxy.addr
    ))
    .header("x-timeout-ms", "1500")
    .body(Full::new(Bytes::new()))
    .expect("request");
    let response = send(proxy.addr, request).await;
    assert_eq!(response.status(), 200);
    let mut events = Events::new(response.into_body());
    let (event, data) = events.next().await.expect("an error event");
    assert_eq!(event.as_deref(), Some("error"), "{data}");
    let error: serde_json::Value = serde_json::from_str(&data).expect("JSON");
    assert_eq!(error["code"], "DEADLINE_EXCEEDED", "{data}");
    assert_eq!(
        events.next().await,
        Some((Some("end".to_owned()), "{}".to_owned()))
    );
}

#[tokio::test]
async fn client_streaming_rpc_takes_a_json_array() {
    let (peer, proxy) = peer_and_proxy().await;
    let path = "/livelinkapi.LiveLinkService/StreamCamera";
    peer.reply(
        path,
        &livelinkapi::StreamStatus {
            message: "2 frames".into(),
        },
    );
    let body = r#"[{"fov":30},{"fov":35,"position":{"x":1,"y":2,"z":3}}]"#;
    let reply = post(proxy.addr, "/LiveLink/StreamCamera", body).await;
    assert_eq!(
        reply.text(),
        r#"{"success":true,"data":{"message":"2 frames"}}"#
    );
    use livelinkapi::camera_state::{FovSet, PosSet};
    let received = peer.received_as::<livelinkapi::CameraState>(path);
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].fov_set, Some(FovSet::Fov(30.0)));
    assert_eq!(
        received[1].pos_set,
        Some(PosSet::Position(livelinkapi::Vec3 {
            x: 1.0,
            y: 2.0,
            z: 3.0
        }))
    );

    let reply = post(proxy.addr, "/LiveLink/StreamCamera", r#"{"fov":30}"#).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.error(),
        "LiveLink/StreamCamera streams its requests: send a JSON array of livelinkapi.CameraState objects"
    );
    let reply = post(proxy.addr, "/LiveLink/StreamCamera", r#"[{"fov":"wide"}]"#).await;
    assert_eq!(reply.status, 400);
    for not_json in ["not json", r#"[{"fov":1}"#] {
        let reply = post(proxy.addr, "/LiveLink/StreamCamera", not_json).await;
        assert_eq!(reply.status, 400, "{not_json}");
        assert_eq!(reply.json()["code"], "MALFORMED_JSON", "{not_json}");
        assert!(
            reply
                .error()
                .starts_with("malformed JSON in the request body for LiveLink/StreamCamera: "),
            "{}",
            reply.error()
        );
    }
    assert_eq!(peer.received(path).len(), 2);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let (_peer, proxy) = peer_and_proxy().await;
    post(proxy.addr, "/ApiItem/name", "").await;
    post(proxy.addr, "/ApiItem/name", "").await;
    post(proxy.addr, "/ApiItem/name", "not json").await;
    post(proxy.addr, "/Nope/nope", "").await;
    let reply = get(proxy.addr, "/metrics").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/openmetrics-text")
    );
    let text = reply.text();
    for line in [
        r#"octane_proxy_http_requests_total{route="ApiItem/name",status="200"} 2"#,
        r#"octane_proxy_http_requests_total{route="ApiItem/name",status="400"} 1"#,
        r#"octane_proxy_http_requests_total{route="unmatched",status="404"} 1"#,
        r#"octane_proxy_http_request_duration_seconds_count{route="ApiItem/name"} 3"#,
        "octane_proxy_http_requests_in_flight 1",
        "octane_proxy_octane_connected 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[tokio::test]
async fn openapi_document_describes_every_route() {
    let (_peer, proxy) = peer_and_proxy().await;
    let reply = get(proxy.addr, "/openapi.json").await;
    assert_eq!(reply.status, 200);
    let committed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.json"
    ))
    .expect("docs/openapi.json");
    assert_eq!(reply.body, committed);
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), rpcs_in_proto_dir().len());
    let name = &paths["/ApiItem/name"]["post"];
    assert_eq!(
        name["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/octaneapi.ApiItem.nameRequest"
    );
    let handle = &doc["components"]["schemas"]["octaneapi.ObjectRef"]["properties"]["handle"];
    assert_eq!(handle["type"], serde_json::json!(["string", "integer"]));
    assert_eq!(
        paths["/StreamCallback/callbackChannel"]["post"]["responses"]["200"]["content"]
            .as_object()
            .expect("content")
            .keys()
            .collect::<Vec<_>>(),
        vec!["text/event-stream"]
    );
}
