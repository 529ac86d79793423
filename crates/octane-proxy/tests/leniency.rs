//! What real clients send: `null` for any field, enum numbers the protos do not name, keys the
//! request message does not have and numbers for bools (lenient by default, refused in strict
//! mode), and octaneWeb's debug-log route. Each case asserts what the peer received and what
//! the client got; a body that answers 400 never reaches Octane.

mod support;

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

use http::Method;
use octane_api::livelinkapi::{self, camera_state};
use octane_api::octaneapi::{self, ObjectRef, ObjectRefArrayT, api_item, api_node};
use octane_proxy::AccessPolicy;
use octane_test_peer::TestPeer;
use pretty_assertions::assert_eq;
use support::{Proxy, call, get, post, proxy_with, send};

const IGNORED: &str = "x-octane-ignored-fields";
/// Where octaneWeb is served from, a loopback origin the proxy allows by default.
const OCTANE_WEB_ORIGIN: &str = "http://localhost:8080";
const CONNECT: &str = "/octaneapi.ApiNodeService/connectToIx";
const LOAD: &str = "/octaneapi.ApiProjectManagerService/loadProject";
const GET_VALUE: &str = "/octaneapi.ApiItemService/getValueByAttrID";
const SET_VALUE: &str = "/octaneapi.ApiItemService/setValueByAttrID";
const GROUP: &str = "/octaneapi.ApiNodeGraphService/groupItems";
const CAMERA: &str = "/livelinkapi.LiveLinkService/StreamCamera";

fn object(handle: u64, object_type: i32) -> Option<ObjectRef> {
    Some(ObjectRef {
        handle,
        r#type: object_type,
    })
}

/// The same message, once per proxy.
fn twice<T: Clone>(message: T) -> Vec<T> {
    vec![message; 2]
}

/// A peer, a proxy in the default (lenient) mode and one in strict mode, both in front of it.
async fn both_modes() -> (TestPeer, Proxy, Proxy) {
    let peer = TestPeer::start().expect("start test peer");
    let lenient = proxy_with(peer.addr(), |b| b).await;
    let strict = proxy_with(peer.addr(), |b| b.strict_json(true)).await;
    (peer, lenient, strict)
}

/// The log lines written on this thread while its capture lives (the proxy runs on the test's
/// single-threaded runtime, so its events are seen here).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

thread_local! {
    /// The log this thread's events are written to, while a capture lives.
    static CAPTURING: RefCell<Option<Log>> = const { RefCell::new(None) };
}

/// The writer of the one subscriber of this test binary: the capturing log of the thread the
/// event happens on, if any. One global subscriber rather than one per test: with a scoped
/// subscriber per test, a test without one running beside it could leave an event's interest
/// cached as "never", and a capture then saw no lines.
struct ThisThreadsLog;

impl Write for ThisThreadsLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with_borrow(|log| {
            if let Some(log) = log {
                log.0.lock().expect("log lock").extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Ends a capture when dropped.
struct Capture;

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURING.set(None);
    }
}

impl Log {
    fn capture(&self) -> Capture {
        static SUBSCRIBER: Once = Once::new();
        SUBSCRIBER.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_ansi(false)
                .with_max_level(tracing::Level::INFO)
                .with_writer(|| ThisThreadsLog)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        });
        CAPTURING.set(Some(self.clone()));
        Capture
    }

    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("log lock").clone();
        String::from_utf8(bytes)
            .expect("UTF-8 log")
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test]
async fn octane_webs_connect_to_ix_with_evaluate_1_connects_the_nodes() {
    let (peer, lenient, strict) = both_modes().await;
    let body = r#"{"objectPtr":{"handle":"1000123","type":17},"pinIdx":3,"sourceNode":{"handle":"1000124","type":17},"evaluate":1}"#;
    let reply = post(lenient.addr, "/ApiNode/connectToIx", body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), r#"{"success":true,"data":{}}"#);
    assert!(reply.headers.get(IGNORED).is_none());
    assert_eq!(
        peer.received_as::<api_node::ConnectToIxRequest>(CONNECT),
        vec![api_node::ConnectToIxRequest {
            object_ptr: object(1_000_123, 17),
            pin_idx: 3,
            source_node: object(1_000_124, 17),
            evaluate: true,
            do_cycle_check: false,
        }]
    );

    let refused = post(strict.addr, "/ApiNode/connectToIx", body).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["code"], "INVALID_ARGUMENT");
    assert_eq!(refused.json()["field"], "evaluate");
    assert!(
        refused
            .error()
            .contains("invalid type: integer `1`, expected a boolean"),
        "{}",
        refused.error()
    );
    assert_eq!(peer.call_count(), 1);
}

#[tokio::test]
async fn a_number_for_a_bool_is_false_only_when_zero() {
    let (peer, lenient, strict) = both_modes().await;
    for (value, expected) in [
        ("0", false),
        ("1", true),
        ("2", true),
        ("-1", true),
        ("0.5", true),
        ("0.0", false),
    ] {
        let body = format!(r#"{{"projectPath":"/a.orbx","evaluate":{value}}}"#);
        let reply = post(lenient.addr, "/ApiProjectManager/loadProject", &body).await;
        assert_eq!(reply.status, 200, "{body}: {}", reply.text());
        let received = peer.received_as::<octaneapi::api_project_manager::LoadProjectRequest>(LOAD);
        assert_eq!(
            received.last().map(|r| r.evaluate),
            Some(expected),
            "{body}"
        );
        let refused = post(strict.addr, "/ApiProjectManager/loadProject", &body).await;
        assert_eq!(refused.status, 400, "{body}");
        assert_eq!(refused.json()["field"], "evaluate");
    }
    // Strings stay what they are: not a bool, in both modes.
    let calls = peer.call_count();
    for proxy in [&lenient, &strict] {
        let reply = post(
            proxy.addr,
            "/ApiProjectManager/loadProject",
            r#"{"evaluate":"true"}"#,
        )
        .await;
        assert_eq!(reply.status, 400);
        assert!(
            reply
                .error()
                .contains("invalid type: string \"true\", expected a boolean"),
            "{}",
            reply.error()
        );
    }
    // A bool inside a oneof and a proto3 `optional` bool read numbers alike.
    let reply = post(
        lenient.addr,
        "/ApiItem/setValueByAttrID",
        r#"{"item_ref":{"handle":"5"},"attribute_id":185,"evaluate":0,"bool_value":7}"#,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        peer.received_as::<api_item::SetValueByIdRequest>(SET_VALUE),
        vec![api_item::SetValueByIdRequest {
            item_ref: object(5, 0),
            attribute_id: 185,
            evaluate: Some(false),
            value: Some(api_item::set_value_by_id_request::Value::BoolValue(true)),
        }]
    );
    assert_eq!(peer.call_count(), calls + 1);
}

#[tokio::test]
async fn null_is_an_absent_field_of_every_shape_in_both_modes() {
    let (peer, lenient, strict) = both_modes().await;
    for proxy in [&lenient, &strict] {
        let cases = [
            // Scalars: string, uint64, bool.
            (
                "/ApiProjectManager/loadProject",
                r#"{"projectPath":null,"assetMissinguserData":null,"evaluate":null,"assetMissingcallback":null}"#,
            ),
            // An enum, and the `objectPtr` alias of `item_ref`.
            (
                "/ApiItem/getValueByAttrID",
                r#"{"objectPtr":null,"attribute_id":null,"expected_type":null}"#,
            ),
            // Nested messages, and a field inside one.
            (
                "/ApiNode/connectToIx",
                r#"{"objectPtr":{"handle":null,"type":null},"sourceNode":null,"pinIdx":null}"#,
            ),
            // A repeated field.
            ("/ApiNodeGraph/groupItems", r#"{"items":{"data":null}}"#),
            // A oneof member and a proto3 `optional` field stay unset.
            (
                "/ApiItem/setValueByAttrID",
                r#"{"item_ref":{"handle":"5"},"evaluate":null,"bool_value":null}"#,
            ),
            // A client-streaming element's oneof member.
            (
                "/LiveLink/StreamCamera",
                r#"[{"position":null},{"fov":null}]"#,
            ),
        ];
        for (path, body) in cases {
            let reply = post(proxy.addr, path, body).await;
            assert_eq!(reply.status, 200, "{path} {body}: {}", reply.text());
            assert!(reply.headers.get(IGNORED).is_none(), "{body}");
        }
    }
    assert_eq!(
        peer.received_as::<octaneapi::api_project_manager::LoadProjectRequest>(LOAD),
        twice(Default::default())
    );
    assert_eq!(
        peer.received_as::<api_item::GetValueByIdRequest>(GET_VALUE),
        twice(Default::default())
    );
    assert_eq!(
        peer.received_as::<api_node::ConnectToIxRequest>(CONNECT),
        twice(api_node::ConnectToIxRequest {
            object_ptr: object(0, 0),
            ..Default::default()
        })
    );
    assert_eq!(
        peer.received_as::<octaneapi::api_node_graph::GroupItemsRequest>(GROUP),
        twice(octaneapi::api_node_graph::GroupItemsRequest {
            items: Some(ObjectRefArrayT::default()),
            ..Default::default()
        })
    );
    // Unset, not set to a default: nothing of `evaluate` or `value` is on the wire.
    assert_eq!(
        peer.received(SET_VALUE),
        twice(bytes::Bytes::from_static(&[0x0a, 0x02, 0x08, 0x05]))
    );
    // Both elements of both streams are the empty camera state.
    assert_eq!(peer.received(CAMERA), vec![bytes::Bytes::new(); 4]);
}

#[tokio::test]
async fn enum_numbers_the_protos_do_not_name_reach_octane_unchanged() {
    let (peer, lenient, strict) = both_modes().await;
    for proxy in [&lenient, &strict] {
        // The SDK numbers `ATTR_ID_FLOAT2` 90; 10 names nothing, and 9999 no object type.
        let reply = post(
            proxy.addr,
            "/ApiItem/getValueByAttrID",
            r#"{"objectPtr":{"handle":"5","type":9999},"attribute_id":185,"expected_type":10}"#,
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    assert_eq!(
        peer.received_as::<api_item::GetValueByIdRequest>(GET_VALUE),
        vec![
            api_item::GetValueByIdRequest {
                item_ref: object(5, 9999),
                attribute_id: 185,
                expected_type: 10,
            };
            2
        ]
    );
    // Negative numbers are int32 too; names still read as names.
    post(
        lenient.addr,
        "/ApiItem/getValueByAttrID",
        r#"{"expected_type":-7,"attribute_id":"A_VALUE"}"#,
    )
    .await;
    let last = peer.received_as::<api_item::GetValueByIdRequest>(GET_VALUE);
    assert_eq!(last[2].expected_type, -7);
    assert_eq!(last[2].attribute_id, octaneapi::AttributeId::AValue as i32);

    let calls = peer.call_count();
    for (body, expected) in [
        (
            r#"{"expected_type":2147483648}"#,
            "invalid value: integer `2147483648`",
        ),
        (
            r#"{"expected_type":-2147483649}"#,
            "invalid value: integer `-2147483649`",
        ),
        (
            r#"{"expected_type":"ATTR_ID_FLOAT5"}"#,
            "unknown variant `ATTR_ID_FLOAT5`",
        ),
        (
            r#"{"expected_type":1.5}"#,
            "invalid type: floating point `1.5`",
        ),
        (r#"{"expected_type":true}"#, "invalid type: boolean `true`"),
    ] {
        for proxy in [&lenient, &strict] {
            let reply = post(proxy.addr, "/ApiItem/getValueByAttrID", body).await;
            assert_eq!(reply.status, 400, "{body}");
            assert_eq!(reply.json()["field"], "expected_type", "{body}");
            assert!(
                reply.error().contains(expected),
                "{body}: {}",
                reply.error()
            );
        }
    }
    assert_eq!(peer.call_count(), calls);
}

#[tokio::test]
async fn unknown_keys_are_ignored_at_any_depth_reported_and_never_sent() {
    let (peer, lenient, strict) = both_modes().await;
    let cases = [
        // octaneWebR's `path` beside the real `projectPath`.
        (
            "/ApiProjectManager/loadProject",
            r#"{"path":"/x.orbx","projectPath":"/y.orbx"}"#,
            "path",
        ),
        // Nested messages, a repeated element, and a value that is itself deep.
        (
            "/ApiNodeGraph/groupItems",
            r#"{"objectPtr":{"handle":"1","type":17,"stray":true},"items":{"data":[{"handle":"2","extra":{"deep":[1,{"x":2}]}}],"more":1}}"#,
            "objectPtr.stray, items.data[0].extra, items.more",
        ),
        // Under the `objectPtr` alias, and octaneWebR's `expected_type` on a set request.
        (
            "/ApiItem/setValueByAttrID",
            r#"{"objectPtr":{"handle":"5","type":16,"kind":"x"},"attribute_id":185,"expected_type":"ATTR_ID_FLOAT","float_value":1.5}"#,
            "objectPtr.kind, expected_type",
        ),
        // Client-streaming elements: paths start at the element.
        (
            "/LiveLink/StreamCamera",
            r#"[{},{"stray":1,"position":{"x":1,"junk":2}}]"#,
            "[1].stray, [1].position.junk",
        ),
    ];
    // From octaneWeb's origin, so that the answer carries the CORS headers a page reads.
    let from_octane_web = [
        ("content-type", "application/json"),
        ("origin", OCTANE_WEB_ORIGIN),
    ];
    for (path, body, ignored) in cases {
        let reply = call(lenient.addr, Method::POST, path, &from_octane_web, body).await;
        assert_eq!(reply.status, 200, "{body}: {}", reply.text());
        assert_eq!(reply.headers[IGNORED], ignored, "{body}");
        assert!(
            reply.headers["access-control-expose-headers"]
                .to_str()
                .expect("ASCII")
                .contains("X-Octane-Ignored-Fields")
        );
        assert_eq!(reply.text(), r#"{"success":true,"data":{}}"#, "{body}");
    }
    assert_eq!(
        peer.received_as::<octaneapi::api_project_manager::LoadProjectRequest>(LOAD),
        vec![octaneapi::api_project_manager::LoadProjectRequest {
            project_path: "/y.orbx".into(),
            ..Default::default()
        }]
    );
    assert_eq!(
        peer.received_as::<octaneapi::api_node_graph::GroupItemsRequest>(GROUP),
        vec![octaneapi::api_node_graph::GroupItemsRequest {
            object_ptr: object(1, 17),
            items: Some(ObjectRefArrayT {
                data: vec![ObjectRef {
                    handle: 2,
                    r#type: 0
                }],
            }),
            items_count: 0,
        }]
    );
    assert_eq!(
        peer.received_as::<api_item::SetValueByIdRequest>(SET_VALUE),
        vec![api_item::SetValueByIdRequest {
            item_ref: object(5, 16),
            attribute_id: 185,
            evaluate: None,
            value: Some(api_item::set_value_by_id_request::Value::FloatValue(1.5)),
        }]
    );
    let position = livelinkapi::Vec3 {
        x: 1.0,
        y: 0.0,
        z: 0.0,
    };
    let camera = peer.received(CAMERA);
    assert_eq!(camera.len(), 2);
    assert_eq!(
        <livelinkapi::CameraState as prost::Message>::decode(camera[1].clone()).expect("camera"),
        livelinkapi::CameraState {
            pos_set: Some(camera_state::PosSet::Position(position)),
            ..Default::default()
        }
    );

    // Strict mode refuses the same bodies, naming the key and the valid names.
    let calls = peer.call_count();
    for ((path, body, _), (field, names)) in cases.iter().zip([
        ("path", "`projectPath`"),
        ("objectPtr.stray", "`handle`"),
        ("objectPtr.kind", "`handle`"),
        ("[1].stray", "`position`"),
    ]) {
        let reply = post(strict.addr, path, body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json()["code"], "INVALID_ARGUMENT");
        assert_eq!(reply.json()["field"], field, "{body}");
        let key = field.rsplit('.').next().expect("a key");
        let key = key.rsplit(']').next().expect("a key");
        assert!(
            reply
                .error()
                .contains(&format!("unknown field `{key}`, expected "))
                && reply.error().contains(names),
            "{body}: {}",
            reply.error()
        );
        assert!(reply.headers.get(IGNORED).is_none());
    }
    assert_eq!(peer.call_count(), calls);
}

#[tokio::test]
async fn a_server_stream_request_reports_its_ignored_keys_on_the_stream() {
    let (peer, lenient, strict) = both_modes().await;
    let request = |addr| {
        http::Request::post(format!("http://{addr}/StreamCallback/callbackChannel"))
            .body(http_body_util::Full::new(bytes::Bytes::from_static(
                br#"{"stray":1}"#,
            )))
            .expect("request")
    };
    let response = send(lenient.addr, request(lenient.addr)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[IGNORED], "stray");
    drop(response);
    let refused = send(strict.addr, request(strict.addr)).await;
    assert_eq!(refused.status(), 400);
    support::eventually("the one stream opened", || {
        peer.received("/octaneapi.StreamCallbackService/callbackChannel")
            .len()
            == 1
    })
    .await;
}

#[tokio::test]
async fn each_ignored_key_is_logged_once_per_route_and_counted_per_call() {
    let log = Log::default();
    let _capture = log.capture();
    let (peer, lenient, _strict) = both_modes().await;
    for _ in 0..10 {
        let reply = post(
            lenient.addr,
            "/ApiRenderEngine/getDeviceName",
            r#"{"deviceIndex":1}"#,
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    // The same key on another route is another warning.
    post(
        lenient.addr,
        "/ApiRenderEngine/getMemoryUsage",
        r#"{"deviceIndex":1}"#,
    )
    .await;
    assert_eq!(peer.call_count(), 11);
    let warnings: Vec<String> = log
        .lines()
        .into_iter()
        .filter(|line| line.contains("ignored a key"))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);
    assert!(
        warnings[0].contains("route=ApiRenderEngine/getDeviceName field=deviceIndex"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1].contains("route=ApiRenderEngine/getMemoryUsage field=deviceIndex"),
        "{}",
        warnings[1]
    );
    let metrics = get(lenient.addr, "/metrics").await.text().to_owned();
    assert!(
        metrics.contains(
            "octane_proxy_ignored_fields_total{route=\"ApiRenderEngine/getDeviceName\"} 10"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "octane_proxy_ignored_fields_total{route=\"ApiRenderEngine/getMemoryUsage\"} 1"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn bodies_that_stay_400_in_lenient_mode_never_reach_octane() {
    let (peer, lenient, _strict) = both_modes().await;
    let cases = [
        (
            "/ApiItem/name",
            r#"{"stray":1,"objectPtr":"#,
            "MALFORMED_JSON",
            "",
        ),
        ("/ApiItem/name", r#"[{"stray":1}]"#, "INVALID_ARGUMENT", ""),
        (
            "/ApiItem/name",
            r#"{"stray":1,"objectPtr":{"handle":"12x"}}"#,
            "INVALID_ARGUMENT",
            "objectPtr.handle",
        ),
        (
            "/ApiNode/connectToIx",
            r#"{"pinIdx":{"a":1}}"#,
            "INVALID_ARGUMENT",
            "pinIdx",
        ),
        (
            "/ApiNode/connectToIx",
            r#"{"sourceNode":7}"#,
            "INVALID_ARGUMENT",
            "sourceNode",
        ),
        (
            "/ApiNode/connectToIx",
            r#"{"pinIdx":4294967296}"#,
            "INVALID_ARGUMENT",
            "pinIdx",
        ),
        (
            "/ApiNode/connectToIx",
            r#"{"evaluate":"yes"}"#,
            "INVALID_ARGUMENT",
            "evaluate",
        ),
        (
            "/ApiItem/getValueByAttrID",
            r#"{"expected_type":"NO_SUCH_TYPE"}"#,
            "INVALID_ARGUMENT",
            "expected_type",
        ),
        (
            "/ApiItem/setValueByAttrID",
            r#"{"string_value":"a","bool_value":true}"#,
            "INVALID_ARGUMENT",
            "",
        ),
        (
            "/ApiNode/connectToIx",
            r#"{"objectPtr":{"handle":"1"},"objectPtr":null}"#,
            "INVALID_ARGUMENT",
            "",
        ),
    ];
    for (path, body, code, field) in cases {
        let reply = post(lenient.addr, path, body).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        assert_eq!(reply.json()["code"], code, "{body}");
        if !field.is_empty() {
            assert_eq!(reply.json()["field"], field, "{body}: {}", reply.error());
        }
        assert!(reply.headers.get(IGNORED).is_none());
    }
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn octane_webs_debug_log_lines_are_logged_under_client() {
    let log = Log::default();
    let _capture = log.capture();
    let (peer, proxy, _strict) = both_modes().await;
    let reply = call(
        proxy.addr,
        Method::POST,
        "/debug/append-log",
        &[
            ("content-type", "application/json"),
            ("origin", OCTANE_WEB_ORIGIN),
        ],
        r#"{"sessionId":"s-42","logEntry":"scene loaded\nnext","timestamp":"2024-01-01T00:00:00Z"}"#,
    )
    .await;
    assert_eq!(reply.status, 204);
    assert!(reply.body.is_empty());
    assert_eq!(
        reply.headers["access-control-allow-origin"],
        OCTANE_WEB_ORIGIN
    );
    let preflight = call(proxy.addr, Method::OPTIONS, "/debug/append-log", &[], "").await;
    assert_eq!(preflight.status, 204);

    let lines: Vec<String> = log
        .lines()
        .into_iter()
        .filter(|line| line.contains(" client:"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("INFO"), "{}", lines[0]);
    assert!(lines[0].contains(r#"session_id="s-42""#), "{}", lines[0]);
    assert!(
        lines[0].contains(r#"entry="scene loaded\nnext""#),
        "{}",
        lines[0]
    );

    // A long entry is clipped.
    let long = "x".repeat(5000);
    let body = format!(r#"{{"sessionId":"s","logEntry":"{long}"}}"#);
    assert_eq!(
        post(proxy.addr, "/debug/append-log", &body).await.status,
        204
    );
    let last = log
        .lines()
        .into_iter()
        .rfind(|l| l.contains(" client:"))
        .expect("a line");
    assert!(
        last.contains(&format!("{} [clipped]", "x".repeat(2000))),
        "{}",
        last.len()
    );
    assert!(!last.contains(&"x".repeat(2001)));

    for (method, path, body, status) in [
        (Method::GET, "/debug/append-log", "", 405),
        (Method::POST, "/debug/other", "{}", 404),
        (
            Method::POST,
            "/debug/append-log",
            r#"{"sessionId":"s"}"#,
            400,
        ),
        (Method::POST, "/debug/append-log", r#"{"logEntry":"#, 400),
    ] {
        let reply = call(proxy.addr, method.clone(), path, &[], body).await;
        assert_eq!(
            reply.status,
            status,
            "{method} {path} {body}: {}",
            reply.text()
        );
    }
    let too_large = format!(r#"{{"logEntry":"{}"}}"#, "y".repeat(70 * 1024));
    assert_eq!(
        post(proxy.addr, "/debug/append-log", &too_large)
            .await
            .status,
        413
    );
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn the_debug_log_follows_the_token_rule() {
    let peer = TestPeer::start().expect("start test peer");
    let proxy = proxy_with(peer.addr(), |b| {
        b.access(AccessPolicy::default().token("s3cret"))
    })
    .await;
    let body = r#"{"sessionId":"s","logEntry":"line"}"#;
    let refused = post(proxy.addr, "/debug/append-log", body).await;
    assert_eq!(refused.status, 401);
    let accepted = call(
        proxy.addr,
        Method::POST,
        "/debug/append-log",
        &[("authorization", "Bearer s3cret")],
        body,
    )
    .await;
    assert_eq!(accepted.status, 204);
}

#[tokio::test]
async fn a_body_of_many_stray_keys_reports_a_bounded_list() {
    let (peer, lenient, _strict) = both_modes().await;
    let keys: Vec<String> = (0..5000).map(|i| format!(r#""k{i}":{i}"#)).collect();
    let body = format!("{{{}}}", keys.join(","));
    let reply = post(lenient.addr, "/ApiProjectManager/loadProject", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let header = reply.headers[IGNORED].to_str().expect("ASCII").to_owned();
    let listed: Vec<&str> = header.split(", ").collect();
    assert_eq!(
        listed.len(),
        octane_proxy::MAX_REPORTED_PATHS + 1,
        "{header}"
    );
    assert_eq!(listed[..3], ["k0", "k1", "k2"]);
    assert_eq!(listed.last(), Some(&"..."));
    let metrics = get(lenient.addr, "/metrics").await.text().to_owned();
    assert!(
        metrics.contains(&format!(
            "octane_proxy_ignored_fields_total{{route=\"ApiProjectManager/loadProject\"}} {}",
            octane_proxy::MAX_REPORTED_PATHS
        )),
        "{metrics}"
    );
    assert_eq!(
        peer.received_as::<octaneapi::api_project_manager::LoadProjectRequest>(LOAD),
        vec![Default::default()]
    );
}
