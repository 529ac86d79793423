//! `POST /api/grpc/{service}/{method}` (octaneWebR's dialect): the peer's reply -> the exact
//! JSON of proto-loader's `toObject` with octaneWebR's options; and every failure in the
//! dialect's shape.

mod support;

use http::Method;
use octane_api::livelinkapi::{self, camera_state};
use octane_api::octaneapi::{self, ObjectRef, api_item::get_value_response};
use octane_proxy::AccessPolicy;
use pretty_assertions::assert_eq;
use support::{call, peer_and_proxy, post, proxy_with};
use tonic::Code;

/// Calls `/api/grpc/{name}` with `body` and returns status and body text.
async fn grpc(addr: std::net::SocketAddr, name: &str, body: &str) -> (u16, String) {
    let reply = post(addr, &format!("/api/grpc/{name}"), body).await;
    (reply.status.as_u16(), reply.text().to_owned())
}

#[tokio::test]
async fn a_render_result_has_every_field_with_its_default() {
    let (peer, proxy) = peer_and_proxy().await;
    let image = octaneapi::ApiRenderImage {
        r#type: 2,
        size: Some(octaneapi::Uint322 { x: 2, y: 1 }),
        pitch: 2,
        buffer: Some(octaneapi::Buffer {
            data: vec![1, 2, 3, 255].into(),
            size: 4,
        }),
        tonemapped_samples_per_pixel: 16.0,
        calculated_samples_per_pixel: 0.5,
        region_samples_per_pixel: f32::NAN,
        max_samples_per_pixel: f32::INFINITY,
        samples_per_second: 0.1,
        has_pending_updates: true,
        premultiplied_alpha_type: 9999,
        ..Default::default()
    };
    peer.reply(
        "/octaneapi.ApiRenderEngineService/grabRenderResult",
        &octaneapi::api_render_engine::GrabRenderResultResponse {
            result: true,
            render_images: Some(octaneapi::ApiArrayApiRenderImage { data: vec![image] }),
        },
    );
    let (status, body) = grpc(proxy.addr, "ApiRenderEngine/grabRenderResult", "{}").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        concat!(
            r#"{"result":true,"renderImages":{"data":[{"type":"IMAGE_TYPE_HDR_RGBA","#,
            r#""colorSpace":"NAMED_COLOR_SPACE_OTHER","isLinear":false,"sharedSurface":null,"#,
            r#""size":{"x":2,"y":1},"pitch":2,"#,
            r#""buffer":{"data":{"type":"Buffer","data":[1,2,3,255]},"size":4},"#,
            r#""renderPassId":"RENDER_PASS_BEAUTY","tonemappedSamplesPerPixel":16,"#,
            r#""calculatedSamplesPerPixel":0.5,"regionSamplesPerPixel":null,"#,
            r#""maxSamplesPerPixel":null,"samplesPerSecond":0.10000000149011612,"renderTime":0,"#,
            r#""changeLevel":null,"hasPendingUpdates":true,"#,
            r#""subSampling":"SubSampleMode_UNSPECIFIED","hasAlpha":false,"#,
            r#""premultipliedAlphaType":9999,"keepEnvironment":false,"_mPrivate":null}]}}"#
        )
    );

    peer.reply(
        "/octaneapi.ApiRenderEngineService/grabRenderResult",
        &octaneapi::api_render_engine::GrabRenderResultResponse::default(),
    );
    let (_, body) = grpc(proxy.addr, "ApiRenderEngine/grabRenderResult", "").await;
    assert_eq!(body, r#"{"result":false,"renderImages":null}"#);
}

#[tokio::test]
async fn repeated_fields_come_first_then_the_others_by_number() {
    let (peer, proxy) = peer_and_proxy().await;
    peer.reply(
        "/livelinkapi.LiveLinkService/GetMesh",
        &livelinkapi::MeshData {
            name: "a \"cube\"\n\u{1}é".to_owned(),
            positions: vec![livelinkapi::Vec3 {
                x: 1.0,
                y: -2.5,
                z: 3.0,
            }],
            verts_per_poly: vec![3, 4],
            poly_normal_indices: vec![u32::MAX],
            winding_order: -1,
            ..Default::default()
        },
    );
    let (status, body) = grpc(proxy.addr, "LiveLink/GetMesh", r#"{"objecthandle":3}"#).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        concat!(
            r#"{"positions":[{"x":1,"y":-2.5,"z":3}],"normals":[],"vertsPerPoly":[3,4],"#,
            r#""polyVertIndices":[],"polyNormalIndices":[4294967295],"#,
            r#""name":"a \"cube\"\n\u0001é","windingOrder":-1,"worldMatrix":null}"#
        )
    );
}

#[tokio::test]
async fn oneofs_show_only_the_set_member_and_its_name() {
    let (peer, proxy) = peer_and_proxy().await;
    let vec3 = |x, y, z| livelinkapi::Vec3 { x, y, z };
    let camera = "/livelinkapi.LiveLinkService/GetCamera";
    peer.reply(
        camera,
        &livelinkapi::CameraState {
            pos_set: Some(camera_state::PosSet::Position(vec3(0.0, 1.0, 10.0))),
            fov_set: Some(camera_state::FovSet::Fov(45.0)),
            ..Default::default()
        },
    );
    let (_, body) = grpc(proxy.addr, "LiveLink/GetCamera", "{}").await;
    assert_eq!(
        body,
        r#"{"position":{"x":0,"y":1,"z":10},"pos_set":"position","fov":45,"fov_set":"fov"}"#
    );
    peer.reply(camera, &livelinkapi::CameraState::default());
    assert_eq!(grpc(proxy.addr, "LiveLink/GetCamera", "{}").await.1, "{}");

    let value = "/octaneapi.ApiItemService/getValueByAttrID";
    let cases = [
        (
            get_value_response::Value::LongValue(9_007_199_254_740_993),
            r#"{"long_value":"9007199254740993","value":"long_value"}"#,
        ),
        (
            get_value_response::Value::BoolValue(false),
            r#"{"bool_value":false,"value":"bool_value"}"#,
        ),
        (
            get_value_response::Value::Float3Value(octaneapi::Float3 {
                x: 1.0,
                y: 0.5,
                z: 0.0,
            }),
            r#"{"float3_value":{"x":1,"y":0.5,"z":0},"value":"float3_value"}"#,
        ),
        (
            get_value_response::Value::StringValue(String::new()),
            r#"{"string_value":"","value":"string_value"}"#,
        ),
    ];
    for (set, expected) in cases {
        peer.reply(
            value,
            &octaneapi::api_item::GetValueResponse { value: Some(set) },
        );
        let body = r#"{"objectPtr":{"handle":"1000003","type":16},"attribute_id":185}"#;
        let (status, reply) = grpc(proxy.addr, "ApiItem/getValueByAttrID", body).await;
        assert_eq!((status, reply.as_str()), (200, expected));
    }
}

#[tokio::test]
async fn sixty_four_bit_integers_are_decimal_strings_and_bytes_node_buffers() {
    let (peer, proxy) = peer_and_proxy().await;
    peer.reply(
        "/octaneapi.ApiProjectManagerService/rootNodeGraph",
        &octaneapi::api_project_manager::RootNodeGraphResponse {
            result: Some(ObjectRef {
                handle: u64::MAX - 1,
                r#type: 18,
            }),
        },
    );
    assert_eq!(
        grpc(proxy.addr, "ApiProjectManager/rootNodeGraph", "{}")
            .await
            .1,
        r#"{"result":{"handle":"18446744073709551614","type":"ApiRootNodeGraph"}}"#
    );
    peer.reply(
        "/octaneapi.ApiRenderEngineService/getMemoryUsage",
        &octaneapi::api_render_engine::GetMemoryUsageResponse {
            mem_usage: Some(octaneapi::ApiDeviceMemoryUsage {
                used_device_memory: 1024,
                total_device_memory: 25_769_803_776,
                ..Default::default()
            }),
        },
    );
    assert_eq!(
        grpc(proxy.addr, "ApiRenderEngine/getMemoryUsage", "{}")
            .await
            .1,
        concat!(
            r#"{"memUsage":{"usedDeviceMemory":"1024","freeDeviceMemory":"0","#,
            r#""totalDeviceMemory":"25769803776","outOfCoreMemory":"0","peerToPeerBytesUsed":"0"}}"#
        )
    );
    peer.reply(
        "/livelinkapi.LiveLinkService/GetFile",
        &livelinkapi::FileResponse {
            filedata: vec![0, 255, 10].into(),
        },
    );
    assert_eq!(
        grpc(proxy.addr, "LiveLink/GetFile", "{}").await.1,
        r#"{"filedata":{"type":"Buffer","data":[0,255,10]}}"#
    );
    peer.reply(
        "/livelinkapi.LiveLinkService/GetFile",
        &livelinkapi::FileResponse::default(),
    );
    assert_eq!(
        grpc(proxy.addr, "LiveLink/GetFile", "{}").await.1,
        r#"{"filedata":{"type":"Buffer","data":[]}}"#
    );
}

#[tokio::test]
async fn an_empty_reply_is_an_empty_object_and_names_resolve_as_grpc_js_does() {
    let (peer, proxy) = peer_and_proxy().await;
    for name in [
        "ApiRenderEngine/setRenderPriority",
        "octaneapi.ApiRenderEngineService/setRenderPriority",
        "ApiRenderEngineService/setRenderPriority",
    ] {
        let reply = post(
            proxy.addr,
            &format!("/api/grpc/{name}"),
            r#"{"priority":2}"#,
        )
        .await;
        assert_eq!(reply.status, 200, "{name}");
        assert_eq!(reply.text(), "{}");
        assert_eq!(reply.headers["content-type"], "application/json");
    }
    // grpc-js's lowerCamel alias of every RPC name.
    assert_eq!(
        grpc(proxy.addr, "LiveLink/getCamera", "{}").await,
        (200, "{}".into())
    );
    assert_eq!(
        peer.received("/livelinkapi.LiveLinkService/GetCamera")
            .len(),
        1
    );
}

/// Asserts a failure in the dialect's shape: status, `code`, and words of `error`.
fn assert_failure(
    reply: (u16, String),
    status: u16,
    code: &serde_json::Value,
    service: &str,
    method: &str,
    words: &[&str],
) {
    let (got_status, body) = reply;
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
    assert_eq!(got_status, status, "{body}");
    assert_eq!(&json["code"], code, "{body}");
    assert_eq!(json["service"], service, "{body}");
    assert_eq!(json["method"], method, "{body}");
    let error = json["error"].as_str().expect("error text");
    for word in words {
        assert!(error.contains(word), "{word:?} not in {error:?}");
    }
    assert_eq!(json.as_object().map(|o| o.len()), Some(4), "{body}");
}

#[tokio::test]
async fn failures_are_500_with_error_service_method_and_code() {
    let (peer, proxy) = peer_and_proxy().await;
    let addr = proxy.addr;
    peer.reply_status(
        "/octaneapi.ApiItemService/name",
        Code::NotFound,
        "no item 7",
    );
    let body = r#"{"objectPtr":{"handle":"7","type":16}}"#;
    assert_failure(
        grpc(addr, "ApiItem/name", body).await,
        500,
        &5.into(),
        "ApiItem",
        "name",
        &["no item 7"],
    );
    assert_failure(
        grpc(addr, "ApiItem/name", r#"{"objectPtr":"7"}"#).await,
        500,
        &13.into(),
        "ApiItem",
        "name",
        &["objectPtr", "object expected"],
    );
    assert_failure(
        grpc(addr, "ApiNodeGraph/groupItems", r#"{"items":{"data":5}}"#).await,
        500,
        &13.into(),
        "ApiNodeGraph",
        "groupItems",
        &["items.data", "array expected"],
    );
    assert_failure(
        grpc(addr, "ApiItem/name", r#"[{"objectPtr":{"handle":"7"}}]"#).await,
        500,
        &13.into(),
        "ApiItem",
        "name",
        &["array"],
    );
    assert_failure(
        grpc(addr, "ApiItem/name", "{nope").await,
        500,
        &"UNKNOWN".into(),
        "ApiItem",
        "name",
        &["not JSON"],
    );
    assert_failure(
        grpc(addr, "ApiSceneOutliner/setNodeVisibility", "{}").await,
        500,
        &"UNKNOWN".into(),
        "ApiSceneOutliner",
        "setNodeVisibility",
        &["ApiSceneOutliner"],
    );
    assert_failure(
        grpc(addr, "ApiItm/name", "{}").await,
        500,
        &"UNKNOWN".into(),
        "ApiItm",
        "name",
        &["ApiItem"],
    );
    assert_failure(
        grpc(addr, "StreamCallback/callbackChannel", "{}").await,
        500,
        &"UNKNOWN".into(),
        "StreamCallback",
        "callbackChannel",
        &["unary"],
    );
    let get = call(addr, Method::GET, "/api/grpc/ApiItem/name", &[], "").await;
    assert_eq!(get.status, 405);
    assert_eq!(get.headers["allow"], "POST, OPTIONS");
    // Nothing that failed before the call reached Octane.
    assert_eq!(peer.received("/octaneapi.ApiItemService/name").len(), 1);
}

#[tokio::test]
async fn access_rules_body_limits_and_an_unreachable_octane_answer_in_the_same_shape() {
    let peer = octane_test_peer::TestPeer::start().expect("peer");
    let proxy = proxy_with(peer.addr(), |b| {
        b.access(AccessPolicy::default().token("s3cret"))
            .body_limit(64)
    })
    .await;
    let addr = proxy.addr;
    assert_failure(
        grpc(addr, "ApiItem/name", "{}").await,
        500,
        &16.into(),
        "ApiItem",
        "name",
        &["Bearer"],
    );
    let auth = [
        ("authorization", "Bearer s3cret"),
        ("content-type", "application/json"),
    ];
    let ok = call(addr, Method::POST, "/api/grpc/ApiItem/name", &auth, "{}").await;
    assert_eq!((ok.status.as_u16(), ok.text()), (200, r#"{"result":""}"#));
    let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(100));
    let reply = call(addr, Method::POST, "/api/grpc/ApiItem/name", &auth, &big).await;
    assert_failure(
        (reply.status.as_u16(), reply.text().to_owned()),
        500,
        &8.into(),
        "ApiItem",
        "name",
        &["limit"],
    );

    let policy = AccessPolicy::default()
        .deny(["ApiItem/destroy"])
        .expect("patterns");
    let denying = proxy_with(peer.addr(), |b| b.access(policy)).await;
    assert_failure(
        grpc(denying.addr, "ApiItem/destroy", "{}").await,
        500,
        &7.into(),
        "ApiItem",
        "destroy",
        &["--deny"],
    );
    assert!(
        peer.received("/octaneapi.ApiItemService/destroy")
            .is_empty()
    );

    let octane = peer.addr();
    peer.stop();
    let down = proxy_with(octane, |b| b).await;
    assert_failure(
        grpc(down.addr, "ApiItem/name", "{}").await,
        500,
        &14.into(),
        "ApiItem",
        "name",
        &["not reachable"],
    );
}
