//! Every failure answers one HTTP status with a clear message, and nothing undecodable reaches
//! Octane.

mod support;

use std::time::Duration;

use http::Method;
use octane_api::octaneapi;
use octane_test_peer::TestPeer;
use pretty_assertions::assert_eq;
use support::{call, get, peer_and_proxy, post, proxy_of, proxy_with};
use tonic::Code;

#[tokio::test]
async fn malformed_json_is_400_and_never_sent() {
    let (peer, proxy) = peer_and_proxy().await;
    for body in [
        r#"{"objectPtr":"#,
        "{'a':1}",
        r#"{"objectPtr":{}} trailing"#,
        "nul",
    ] {
        let reply = post(proxy.addr, "/ApiItem/name", body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json()["code"], "MALFORMED_JSON", "{body}");
        assert_eq!(reply.json()["success"], false);
    }
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn wrong_shapes_name_the_field_and_what_was_expected() {
    let (peer, proxy) = peer_and_proxy().await;
    let cases = [
        (
            r#"{"objectPtr":{"handle":true}}"#,
            "objectPtr.handle",
            "expected a number",
        ),
        (
            r#"{"objectPtr":{"handle":"12x"}}"#,
            "objectPtr.handle",
            "invalid digit",
        ),
        (r#"{"objectPtr":[]}"#, "objectPtr", "expected struct"),
        (
            r#"{"objectPtr":{"type":"NoSuchType"}}"#,
            "objectPtr.type",
            "unknown variant `NoSuchType`",
        ),
        (
            r#"{"objectPtr":{"type":9999}}"#,
            "objectPtr.type",
            "invalid value",
        ),
        (r#"[1,2]"#, "", "expected struct"),
        (r#""text""#, "", "expected struct"),
    ];
    for (body, field, expected) in cases {
        let reply = post(proxy.addr, "/ApiItem/name", body).await;
        assert_eq!(reply.status, 400, "{body}");
        let json = reply.json();
        assert_eq!(json["code"], "INVALID_ARGUMENT", "{body}");
        let error = reply.error();
        assert!(error.contains(expected), "{body}: {error}");
        assert!(
            error.starts_with("invalid request for ApiItem/name (octaneapi.ApiItem.nameRequest)"),
            "{error}"
        );
        if field.is_empty() {
            assert!(json.get("field").is_none(), "{body}");
        } else {
            assert_eq!(json["field"], field, "{body}");
        }
    }
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn unknown_fields_list_the_valid_names() {
    let (peer, proxy) = peer_and_proxy().await;
    // The old proxy dropped such keys and sent a default request: a call meant for one object
    // could act on another.
    let reply = post(
        proxy.addr,
        "/ApiItem/getValueByAttrID",
        r#"{"item_ref":{"handle":"5"},"attrId":185}"#,
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["field"], "attrId");
    let error = reply.error();
    assert!(error.contains("unknown field `attrId`"), "{error}");
    assert!(
        error.contains("`attribute_id`") && error.contains("`item_ref`"),
        "{error}"
    );
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn errors_under_an_object_ptr_alias_point_into_the_body_as_sent() {
    let (peer, proxy) = peer_and_proxy().await;
    // `objectPtr` stands for `item_ref` on this route; an error inside it names the key and the
    // place the client wrote, not the field it stands for.
    let cases = [
        (
            "{\"attribute_id\": 185,\n  \"objectPtr\" : {\"handle\":\"12x\"}}",
            "objectPtr.handle",
            "invalid digit found in string at line 2 column 32",
        ),
        (
            r#"{"objectPtr":{"handle":"1","handel":"2"}}"#,
            "objectPtr.handel",
            "unknown field `handel`",
        ),
        // A second name for the target is refused at the key that repeats it.
        (
            r#"{ "objectPtr":{"handle":"1"}, "item_ref":{"handle":"2"}}"#,
            "item_ref",
            "both `objectPtr` and `item_ref` are set; `objectPtr` is another name for `item_ref` in this request at line 1 column 40",
        ),
        (
            r#"{"itemRef":{"handle":"1"}, "objectPtr":{"handle":"2"}}"#,
            "objectPtr",
            "both `objectPtr` and `item_ref` are set",
        ),
        (
            r#"{"objectPtr":{"handle":"1"},"objectPtr":{"handle":"2"}}"#,
            "objectPtr",
            "duplicate field `objectPtr`",
        ),
        (
            r#"{"objectPtr":{"handle":"1"} ,, }"#,
            "",
            "at line 1 column 30",
        ),
    ];
    // Where `objectPtr` is the field's own name, the same text reports the same place.
    let plain = post(
        proxy.addr,
        "/ApiItem/name",
        "{\n  \"objectPtr\" : {\"handle\":\"12x\"}}",
    )
    .await;
    assert!(
        plain.error().ends_with("at line 2 column 32"),
        "{}",
        plain.error()
    );
    for (body, field, expected) in cases {
        let reply = post(proxy.addr, "/ApiItem/getValueByAttrID", body).await;
        assert_eq!(reply.status, 400, "{body}");
        let json = reply.json();
        let error = reply.error();
        assert!(error.contains(expected), "{body}: {error}");
        if field.is_empty() {
            assert!(json.get("field").is_none(), "{body}: {json}");
        } else {
            assert_eq!(json["field"], field, "{body}");
        }
    }
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn errors_in_a_client_stream_element_point_into_the_body_as_sent() {
    let (peer, proxy) = peer_and_proxy().await;
    let path = "/LiveLink/StreamCamera";
    // The element first in a one-line body, then third on the third line, at the same column.
    let first = post(proxy.addr, path, r#"[{"position":{"x":"left"}}]"#).await;
    let third = post(
        proxy.addr,
        path,
        "[{},\n {},\n {\"position\":{\"x\":\"left\"}}]",
    )
    .await;
    assert_eq!(first.status, 400);
    assert_eq!(first.json()["field"], "[0].position.x");
    assert_eq!(third.json()["field"], "[2].position.x");
    let (message, position) = first
        .error()
        .rsplit_once(" at line 1 column ")
        .map(|(message, column)| (message.to_owned(), column.to_owned()))
        .expect("a position");
    assert_eq!(
        third.error(),
        format!("{message} at line 3 column {position}").replace("[0]", "[2]")
    );
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn unknown_service_and_method_are_404_with_suggestions() {
    let (_peer, proxy) = peer_and_proxy().await;
    let reply = post(proxy.addr, "/ApiItm/name", "").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["code"], "UNKNOWN_SERVICE");
    assert_eq!(
        reply.error(),
        r#"unknown service "ApiItm"; did you mean "ApiItem"?"#
    );

    let reply = post(proxy.addr, "/ApiItem/getValueByAtrID", "").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["code"], "UNKNOWN_METHOD");
    // The best match comes first; how many others follow depends on the protos.
    assert!(
        reply
            .error()
            .starts_with(r#"ApiItemService has no method "getValueByAtrID"; did you mean one of "getValueByAttrID""#),
        "{}",
        reply.error()
    );

    for path in [
        "/",
        "/ApiItem",
        "/ApiItem/name/extra",
        "//name",
        "/nothing/here/at/all",
    ] {
        let reply = post(proxy.addr, path, "").await;
        assert_eq!(reply.status, 404, "{path}");
    }
}

#[tokio::test]
async fn other_http_methods_are_405_with_allow() {
    let (peer, proxy) = peer_and_proxy().await;
    for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
        let reply = call(proxy.addr, method.clone(), "/ApiItem/name", &[], "").await;
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.headers["allow"], "POST, OPTIONS");
        assert_eq!(reply.json()["code"], "METHOD_NOT_ALLOWED");
    }
    let reply = call(proxy.addr, Method::POST, "/health", &[], "").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.headers["allow"], "GET, OPTIONS");
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let peer = TestPeer::start().expect("peer");
    let proxy = proxy_with(peer.addr(), |b| b.body_limit(1024)).await;
    let big = format!(r#"{{"path":"{}"}}"#, "x".repeat(2000));
    let reply = post(proxy.addr, "/ApiProjectManager/saveProjectAs", &big).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.json()["code"], "PAYLOAD_TOO_LARGE");
    let fits = format!(r#"{{"path":"{}"}}"#, "x".repeat(900));
    assert_eq!(
        post(proxy.addr, "/ApiProjectManager/saveProjectAs", &fits)
            .await
            .status,
        200
    );
    assert_eq!(peer.call_count(), 1);
}

/// Messages over `--max-message-size` fail with an error of their own, not as if Octane had
/// answered OUT_OF_RANGE or the connection had broken: a request is not sent (413), an answer is
/// refused as its prefix arrives (502), and Octane counts as reachable.
#[tokio::test]
async fn messages_over_the_message_size_limit_are_413_or_502_and_say_why() {
    let peer = TestPeer::start().expect("peer");
    let octane = octane_proxy::Octane::lazy("127.0.0.1", peer.addr().port())
        .expect("address")
        .max_message_size(1000);
    let proxy = proxy_of(octane, |b| b).await;

    let big_path = format!(r#"{{"path":"{}"}}"#, "x".repeat(1200));
    let reply = post(proxy.addr, "/ApiProjectManager/saveProjectAs", &big_path).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.json()["code"], "MESSAGE_TOO_LARGE");
    assert_eq!(
        reply.error(),
        "ApiProjectManagerService/saveProjectAs: the request is 1203 bytes, over the limit of \
         1000 bytes for one gRPC message (--max-message-size)"
    );
    assert_eq!(peer.call_count(), 0);

    // Octane's answer to ApiItem/name, a name of `len` bytes: the message is `len` + 3 bytes.
    let name_of = |len: usize| {
        peer.reply(
            "/octaneapi.ApiItemService/name",
            &octaneapi::api_item::NameResponse {
                result: "n".repeat(len),
            },
        );
        post(
            proxy.addr,
            "/ApiItem/name",
            r#"{"objectPtr":{"handle":"1","type":16}}"#,
        )
    };
    let reply = name_of(1200).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json()["code"], "MESSAGE_TOO_LARGE");
    assert_eq!(
        reply.error(),
        "ApiItemService/name: Octane's answer is 1203 bytes, over the limit of 1000 bytes for \
         one gRPC message (--max-message-size)"
    );
    assert_eq!(get(proxy.addr, "/health").await.json()["connected"], true);

    let reply = name_of(990).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[tokio::test]
async fn octane_statuses_map_by_the_gateway_table_with_the_message_passed_through() {
    let (peer, proxy) = peer_and_proxy().await;
    let path = "/octaneapi.ApiItemService/name";
    let cases = [
        (Code::InvalidArgument, 400, "INVALID_ARGUMENT"),
        (Code::FailedPrecondition, 400, "FAILED_PRECONDITION"),
        (Code::OutOfRange, 400, "OUT_OF_RANGE"),
        (Code::Unauthenticated, 401, "UNAUTHENTICATED"),
        (Code::PermissionDenied, 403, "PERMISSION_DENIED"),
        (Code::NotFound, 404, "NOT_FOUND"),
        (Code::AlreadyExists, 409, "ALREADY_EXISTS"),
        (Code::Aborted, 409, "ABORTED"),
        (Code::ResourceExhausted, 429, "RESOURCE_EXHAUSTED"),
        (Code::Cancelled, 499, "CANCELLED"),
        (Code::Unimplemented, 501, "UNIMPLEMENTED"),
        (Code::Unavailable, 503, "UNAVAILABLE"),
        (Code::DeadlineExceeded, 504, "DEADLINE_EXCEEDED"),
        (Code::Unknown, 500, "UNKNOWN"),
        (Code::Internal, 500, "INTERNAL"),
        (Code::DataLoss, 500, "DATA_LOSS"),
    ];
    for (code, status, name) in cases {
        peer.reply_status(path, code, "item 1000002 is gone");
        let reply = post(proxy.addr, "/ApiItem/name", "").await;
        assert_eq!(reply.status, status, "{code:?}");
        assert_eq!(reply.json()["code"], name, "{code:?}");
        assert_eq!(
            reply.error(),
            format!("Octane answered ApiItemService/name with {name}: item 1000002 is gone")
        );
    }
}

#[tokio::test]
async fn unreachable_octane_is_503_fast_and_calls_recover_when_it_starts() {
    // A port that was free a moment ago: nothing listens there yet.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr")
    };
    let proxy = proxy_with(port, |b| b).await;
    let started = std::time::Instant::now();
    let reply = post(proxy.addr, "/ApiItem/name", "").await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["code"], "UNAVAILABLE");
    assert_eq!(
        reply.error(),
        format!("Octane LiveLink not reachable at {port}")
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no long hang: {:?}",
        started.elapsed()
    );

    let peer = TestPeer::start_on(port).expect("peer on the same port");
    peer.reply(
        "/octaneapi.ApiItemService/name",
        &octaneapi::api_item::NameResponse {
            result: "up".into(),
        },
    );
    support::eventually_async("the proxy to reach the started peer", || async {
        post(proxy.addr, "/ApiItem/name", "").await.status == 200
    })
    .await;
    assert_eq!(
        post(proxy.addr, "/ApiItem/name", "").await.text(),
        r#"{"success":true,"data":{"result":"up"}}"#
    );
}

#[tokio::test]
async fn an_expired_deadline_is_504_and_other_calls_go_on() {
    let (peer, proxy) = peer_and_proxy().await;
    peer.delay("/octaneapi.ApiItemService/name", Duration::from_secs(5));
    let slow = tokio::spawn({
        let addr = proxy.addr;
        async move {
            call(
                addr,
                Method::POST,
                "/ApiItem/name",
                &[("x-timeout-ms", "300")],
                "",
            )
            .await
        }
    });
    // While that call waits, another route answers.
    assert_eq!(post(proxy.addr, "/ApiItem/isGraph", "").await.status, 200);
    let reply = slow.await.expect("task");
    assert_eq!(reply.status, 504);
    assert_eq!(reply.json()["code"], "DEADLINE_EXCEEDED");
    assert_eq!(
        reply.error(),
        "Octane did not answer ApiItemService/name within 300ms"
    );

    let reply = call(
        proxy.addr,
        Method::POST,
        "/ApiItem/name",
        &[("grpc-timeout", "200m")],
        "",
    )
    .await;
    assert_eq!(reply.status, 504);

    let reply = call(
        proxy.addr,
        Method::POST,
        "/ApiItem/name",
        &[("grpc-timeout", "soon")],
        "",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["code"], "BAD_HEADER");
}

#[tokio::test]
async fn a_deadline_longer_than_grpc_can_carry_is_400() {
    let (peer, proxy) = peer_and_proxy().await;
    for path in ["/ApiItem/name", "/LiveLink/StreamCamera"] {
        let body = if path.contains("Stream") { "[]" } else { "" };
        let reply = call(
            proxy.addr,
            Method::POST,
            path,
            &[("x-timeout-ms", "18446744073709551615")],
            body,
        )
        .await;
        assert_eq!(reply.status, 400, "{path}: {}", reply.text());
        assert_eq!(reply.json()["code"], "BAD_HEADER");
        assert_eq!(
            reply.error(),
            "invalid x-timeout-ms header: 18446744073709551615 ms is longer than the longest \
             deadline gRPC can carry (99999999 hours)"
        );
    }
    assert!(peer.received("/octaneapi.ApiItemService/name").is_empty());
    // The longest one gRPC can carry goes through.
    let reply = call(
        proxy.addr,
        Method::POST,
        "/ApiItem/name",
        &[("x-timeout-ms", "359999996400000")],
        "",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[tokio::test]
async fn errors_carry_cors_and_call_id() {
    let (_peer, proxy) = peer_and_proxy().await;
    let reply = call(
        proxy.addr,
        Method::POST,
        "/Nope/nope",
        &[("x-call-id", "abc-42"), ("origin", "http://localhost:8080")],
        "",
    )
    .await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.headers["access-control-allow-origin"],
        "http://localhost:8080"
    );
    assert_eq!(reply.headers["x-call-id"], "abc-42");
    assert_eq!(reply.headers["content-type"], "application/json");
}

#[tokio::test]
async fn a_malformed_status_details_header_from_octane_is_dropped_and_the_status_kept() {
    const STATUS: &[(&str, &str)] = &[
        ("grpc-status", "5"),
        ("grpc-message", "item 7 is gone"),
        // Undecodable base64: tonic would panic reading it.
        ("grpc-status-details-bin", "not base64!"),
    ];
    let trailers_only = RawAnswer {
        headers: &[
            ("content-type", "application/grpc"),
            ("grpc-status", "5"),
            ("grpc-message", "item 7 is gone"),
            ("grpc-status-details-bin", "not base64!"),
        ],
        ..RawAnswer::GRPC
    };
    let in_trailers = RawAnswer {
        trailers: Some(STATUS),
        ..RawAnswer::GRPC
    };
    for answer in [trailers_only, in_trailers] {
        let reply = call_raw_octane(answer).await;
        assert_eq!(reply.status, 404, "{answer:?}");
        assert_eq!(reply.json()["code"], "NOT_FOUND");
        assert_eq!(
            reply.error(),
            "Octane answered ApiItemService/name with NOT_FOUND: item 7 is gone"
        );
    }
}

#[tokio::test]
async fn streaming_calls_whose_answers_break_grpcs_protocol_are_502_too() {
    let http_404 = RawAnswer {
        http_status: 404,
        headers: &[("content-type", "text/plain")],
        data: b"no such path",
        trailers: None,
        reset: None,
    };
    // Client streaming: the answer is one message, as a unary call's, with the same rules.
    let no_trailers = RawAnswer {
        data: &[0, 0, 0, 0, 0],
        ..RawAnswer::GRPC
    };
    let cases = BROKEN_ONE_MESSAGE_ANSWERS.into_iter().chain([
        (http_404, "Octane answered HTTP 404 Not Found"),
        (no_trailers, "Octane's answer ended without a grpc-status"),
    ]);
    for (answer, what) in cases {
        let (reply, head, body) =
            call_raw_octane_on(answer, "/LiveLink/StreamCamera", "[{},{}]").await;
        assert_eq!(head.uri.path(), "/livelinkapi.LiveLinkService/StreamCamera");
        assert_eq!(
            body,
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "two empty CameraStates"
        );
        assert_eq!(reply.status, 502, "{answer:?}: {}", reply.text());
        assert_eq!(reply.json()["code"], "BAD_RESPONSE", "{answer:?}");
        assert!(
            reply.error().ends_with(what),
            "{answer:?}: {}",
            reply.error()
        );
    }

    // Server streaming: before the stream opens, an HTTP error; after, an `error` event.
    let (reply, ..) = call_raw_octane_on(http_404, "/StreamCallback/callbackChannel", "{}").await;
    assert_eq!(reply.status, 502, "{}", reply.text());
    assert_eq!(reply.json()["code"], "BAD_RESPONSE");
    let cases = [
        (
            RawAnswer {
                data: &[0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
                trailers: STATUS_OK,
                ..RawAnswer::GRPC
            },
            "Octane sent a compressed message, and no compression was offered",
        ),
        (
            RawAnswer {
                data: &[0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 8],
                trailers: STATUS_OK,
                ..RawAnswer::GRPC
            },
            "Octane's answer ended inside a message",
        ),
        (
            RawAnswer {
                data: &[0, 0, 0, 0, 0],
                ..RawAnswer::GRPC
            },
            "Octane's answer ended without a grpc-status",
        ),
    ];
    for (answer, what) in cases {
        let (reply, ..) = call_raw_octane_on(answer, "/StreamCallback/callbackChannel", "{}").await;
        assert_eq!(reply.status, 200, "{answer:?}: {}", reply.text());
        let text = reply.text();
        let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 3, "{answer:?}: {text}");
        assert_eq!(events[0], "data: {}", "the first, empty message");
        assert_eq!(events[2], "event: end\ndata: {}");
        let error = events[1]
            .strip_prefix("event: error\ndata: ")
            .unwrap_or_else(|| panic!("{answer:?}: {text}"));
        let error: serde_json::Value = serde_json::from_str(error).expect("JSON");
        assert_eq!(error["code"], "BAD_RESPONSE", "{answer:?}");
        assert!(
            error["error"].as_str().is_some_and(|e| e.ends_with(what)),
            "{answer:?}: {error}"
        );
    }
}

#[tokio::test]
async fn a_stream_octane_resets_maps_by_its_reason_not_as_a_lost_connection() {
    let cases = [
        (h2::Reason::REFUSED_STREAM, 503, "UNAVAILABLE"),
        (h2::Reason::ENHANCE_YOUR_CALM, 429, "RESOURCE_EXHAUSTED"),
        (h2::Reason::INTERNAL_ERROR, 500, "INTERNAL"),
    ];
    for (reason, status, code) in cases {
        let reply = call_raw_octane(RawAnswer {
            reset: Some(reason),
            ..RawAnswer::GRPC
        })
        .await;
        assert_eq!(reply.status, status, "{reason:?}: {}", reply.text());
        assert_eq!(reply.json()["code"], code, "{reason:?}");
        assert_eq!(
            reply.error(),
            format!(
                "Octane reset its stream of ApiItemService/name ({reason:?}) and sent no answer"
            )
        );
    }
}

#[tokio::test]
async fn answers_that_break_grpcs_protocol_are_502_and_say_how() {
    for (answer, what) in BROKEN_ONE_MESSAGE_ANSWERS {
        let reply = call_raw_octane(answer).await;
        assert_eq!(reply.status, 502, "{answer:?}");
        assert_eq!(reply.json()["code"], "BAD_RESPONSE", "{answer:?}");
        assert_eq!(
            reply.error(),
            format!("Octane's answer to ApiItemService/name broke gRPC's protocol: {what}")
        );
    }
}

/// Answers that break gRPC's rules for an answer of one message (unary and client-streaming
/// calls), and what the proxy says broke.
const BROKEN_ONE_MESSAGE_ANSWERS: [(RawAnswer, &str); 6] = [
    (
        RawAnswer {
            trailers: STATUS_OK,
            ..RawAnswer::GRPC
        },
        "Octane answered OK without a message",
    ),
    (
        RawAnswer {
            data: &[0, 0, 0, 0, 3, 10, 1],
            trailers: STATUS_OK,
            ..RawAnswer::GRPC
        },
        "Octane's answer ended inside a message",
    ),
    (
        RawAnswer {
            data: &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            trailers: STATUS_OK,
            ..RawAnswer::GRPC
        },
        "Octane answered a unary call with more than one message",
    ),
    (
        RawAnswer {
            data: &[1, 0, 0, 0, 0],
            trailers: STATUS_OK,
            ..RawAnswer::GRPC
        },
        "Octane sent a compressed message, and no compression was offered",
    ),
    (
        RawAnswer {
            data: &[0, 0, 0, 0, 0],
            trailers: Some(&[]),
            ..RawAnswer::GRPC
        },
        "Octane's answer ended without a grpc-status",
    ),
    (
        RawAnswer {
            http_status: 503,
            headers: &[("content-type", "text/plain")],
            data: b"no upstream",
            trailers: None,
            reset: None,
        },
        "Octane answered HTTP 503 Service Unavailable",
    ),
];

/// Trailers with grpc-status OK.
const STATUS_OK: Option<&[(&str, &str)]> = Some(&[("grpc-status", "0")]);

/// What an HTTP/2 server standing in for Octane answers: the response head, DATA (none if
/// empty) and trailers (none: the DATA, or the head if there is none, ends the stream).
#[derive(Debug, Clone, Copy)]
struct RawAnswer {
    http_status: u16,
    headers: &'static [(&'static str, &'static str)],
    data: &'static [u8],
    trailers: Option<&'static [(&'static str, &'static str)]>,
    /// Resets the stream (`RST_STREAM`) instead of answering.
    reset: Option<h2::Reason>,
}

impl RawAnswer {
    /// A gRPC answer's head, nothing after it.
    const GRPC: Self = Self {
        http_status: 200,
        headers: &[("content-type", "application/grpc")],
        data: &[],
        trailers: None,
        reset: None,
    };
}

/// Calls `ApiItem/name` through a proxy for an Octane that answers with `answer`, checks the
/// call Octane got, and returns the proxy's reply.
async fn call_raw_octane(answer: RawAnswer) -> support::Reply {
    let (reply, head, body) =
        call_raw_octane_on(answer, "/ApiItem/name", r#"{"objectPtr":{"handle":"7"}}"#).await;
    assert_eq!(head.method, http::Method::POST);
    assert_eq!(head.uri.path(), "/octaneapi.ApiItemService/name");
    let header = |name: &str| head.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("content-type"), Some("application/grpc"));
    assert_eq!(header("te"), Some("trailers"));
    assert_eq!(header("grpc-timeout"), Some("30000m"));
    assert_eq!(body, [0, 0, 0, 0, 4, 10, 2, 8, 7]);
    reply
}

/// POSTs `json` to `path` through a proxy for an Octane that answers with `answer`; returns
/// the proxy's reply, and the head and body of the call Octane got.
async fn call_raw_octane_on(
    answer: RawAnswer,
    path: &str,
    json: &str,
) -> (support::Reply, http::request::Parts, Vec<u8>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (seen, saw) = tokio::sync::oneshot::channel();
    let octane = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let mut connection = h2::server::handshake(tcp).await.expect("handshake");
        let (request, mut respond) = connection
            .accept()
            .await
            .expect("a call")
            .expect("a valid call");
        tokio::spawn(async move { while connection.accept().await.is_some() {} });
        let (head, mut body) = request.into_parts();
        let mut received = Vec::new();
        while let Some(data) = body.data().await {
            let data = data.expect("request data");
            let _ = body.flow_control().release_capacity(data.len());
            received.extend_from_slice(&data);
        }
        let _ = seen.send((head, received));
        if let Some(reason) = answer.reset {
            respond.send_reset(reason);
            std::future::pending::<()>().await;
        }
        let mut response = http::Response::builder().status(answer.http_status);
        for &(name, value) in answer.headers {
            response = response.header(name, value);
        }
        let response = response.body(()).expect("a valid head");
        let nothing_after_head = answer.data.is_empty() && answer.trailers.is_none();
        let mut stream = respond
            .send_response(response, nothing_after_head)
            .expect("head");
        if !answer.data.is_empty() {
            let end = answer.trailers.is_none();
            stream
                .send_data(bytes::Bytes::from_static(answer.data), end)
                .expect("data");
        }
        if let Some(fields) = answer.trailers {
            let mut trailers = http::HeaderMap::new();
            for &(name, value) in fields {
                trailers.insert(name, http::HeaderValue::from_static(value));
            }
            stream.send_trailers(trailers).expect("trailers");
        }
        std::future::pending::<()>().await;
    });
    let proxy = proxy_with(addr, |b| b).await;
    let reply = post(proxy.addr, path, json).await;
    let (head, body) = saw.await.expect("Octane saw the call");
    octane.abort();
    (reply, head, body)
}
