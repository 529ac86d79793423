//! JSON in -> the exact protobuf the peer received; the peer's reply -> the exact JSON out.

mod support;

use bytes::Bytes;
use http::Method;
use octane_api::livelinkapi;
use octane_api::octaneapi::{self, ObjectRef};
use pretty_assertions::assert_eq;
use support::{call, peer_and_proxy, post};

const NAME: &str = "/octaneapi.ApiItemService/name";

fn object(handle: u64, object_type: i32) -> Option<ObjectRef> {
    Some(ObjectRef {
        handle,
        r#type: object_type,
    })
}

#[tokio::test]
async fn handle_as_string_and_as_number_are_the_same_request() {
    let (peer, proxy) = peer_and_proxy().await;
    for body in [
        r#"{"objectPtr":{"handle":"1000002","type":16}}"#,
        r#"{"objectPtr":{"handle":1000002,"type":16}}"#,
        r#"{"objectPtr":{"handle":"1000002","type":"ApiItem"}}"#,
    ] {
        let reply = post(proxy.addr, "/ApiItem/name", body).await;
        assert_eq!(reply.status, 200, "{body}: {}", reply.text());
    }
    let expected = octaneapi::api_item::NameRequest {
        object_ptr: object(1_000_002, 16),
    };
    assert_eq!(
        peer.received_as::<octaneapi::api_item::NameRequest>(NAME),
        vec![expected; 3]
    );
}

#[tokio::test]
async fn handles_above_2_pow_53_keep_every_bit() {
    let (peer, proxy) = peer_and_proxy().await;
    let handle = u64::MAX - 1;
    peer.reply(
        "/octaneapi.ApiProjectManagerService/rootNodeGraph",
        &octaneapi::api_project_manager::RootNodeGraphResponse {
            result: object(handle, 18),
        },
    );
    let reply = post(proxy.addr, "/ApiProjectManager/rootNodeGraph", "{}").await;
    assert_eq!(
        reply.text(),
        r#"{"success":true,"data":{"result":{"handle":"18446744073709551614","type":"ApiRootNodeGraph"}}}"#
    );

    let body = format!(r#"{{"objectPtr":{{"handle":"{handle}","type":16}}}}"#);
    post(proxy.addr, "/ApiItem/name", &body).await;
    assert_eq!(
        peer.received_as::<octaneapi::api_item::NameRequest>(NAME)[0].object_ptr,
        object(handle, 16)
    );
}

#[tokio::test]
async fn enums_as_name_and_as_number() {
    let (peer, proxy) = peer_and_proxy().await;
    let path = "/octaneapi.ApiRenderEngineService/setRenderPriority";
    for body in [r#"{"priority":"PRIORITY_HIGH"}"#, r#"{"priority":2}"#] {
        let reply = post(proxy.addr, "/ApiRenderEngine/setRenderPriority", body).await;
        assert_eq!(reply.text(), r#"{"success":true,"data":{}}"#, "{body}");
    }
    let received = peer.received_as::<octaneapi::api_render_engine::SetRenderPriorityRequest>(path);
    assert_eq!(
        received.iter().map(|r| r.priority).collect::<Vec<_>>(),
        vec![2, 2]
    );
}

/// `RenderPassId` has `allow_alias` names: every name of a number is accepted, and replies use
/// the first one (as prost and `MessageToDict` do).
#[tokio::test]
async fn enum_alias_names_decode_to_their_number_and_replies_use_the_first_name() {
    let (peer, proxy) = peer_and_proxy().await;
    let names = [
        ("RENDER_PASS_CUSTOM_LAST", 520),
        ("RENDER_PASS_CUSTOM_20", 520),
        ("RENDER_PASS_INFO_OFFSET", 1000),
        ("RENDER_PASS_GEOMETRIC_NORMAL", 1000),
        ("RENDER_PASS_SMOOTH_NORMAL", 1008),
        ("RENDER_PASS_VERTEX_NORMAL", 1008),
        ("RENDER_PASS_GLOBAL_TEX_20", 1120),
        ("RENDER_PASS_GLOBAL_TEX_LAST", 1120),
    ];
    for (name, _) in names {
        let body = format!(r#"{{"renderPassId":"{name}"}}"#);
        let reply = post(proxy.addr, "/ApiRenderEngine/saveImage1", &body).await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.text());
    }
    let received = peer.received_as::<octaneapi::api_render_engine::SaveImage1Request>(
        "/octaneapi.ApiRenderEngineService/saveImage1",
    );
    assert_eq!(
        received
            .iter()
            .map(|r| r.render_pass_id)
            .collect::<Vec<_>>(),
        names.iter().map(|(_, number)| *number).collect::<Vec<_>>()
    );

    // An unknown name is refused with every accepted name, aliases included.
    let reply = post(
        proxy.addr,
        "/ApiRenderEngine/saveImage1",
        r#"{"renderPassId":"RENDER_PASS_NORMAL"}"#,
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.error().contains("`RENDER_PASS_GEOMETRIC_NORMAL`"),
        "{}",
        reply.error()
    );

    let image = |render_pass_id| octaneapi::ApiRenderImage {
        render_pass_id,
        ..Default::default()
    };
    peer.reply(
        "/octaneapi.ApiRenderEngineService/grabRenderResult",
        &octaneapi::api_render_engine::GrabRenderResultResponse {
            result: true,
            render_images: Some(octaneapi::ApiArrayApiRenderImage {
                data: [520, 1000, 1008, 1120].map(image).to_vec(),
            }),
        },
    );
    assert_eq!(
        post(proxy.addr, "/ApiRenderEngine/grabRenderResult", "")
            .await
            .text(),
        r#"{"success":true,"data":{"result":true,"renderImages":{"data":[{"renderPassId":"RENDER_PASS_CUSTOM_LAST"},{"renderPassId":"RENDER_PASS_INFO_OFFSET"},{"renderPassId":"RENDER_PASS_SMOOTH_NORMAL"},{"renderPassId":"RENDER_PASS_GLOBAL_TEX_20"}]}}}"#
    );
}

#[tokio::test]
async fn object_ptr_stands_for_the_target_field_of_requests_that_name_it_otherwise() {
    let (peer, proxy) = peer_and_proxy().await;
    let body = r#"{"objectPtr":{"handle":"1000077","type":16},"attribute_id":"A_VALUE","expected_type":"ATTR_ID_FLOAT"}"#;
    let reply = post(proxy.addr, "/ApiItem/getValueByAttrID", body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let camel = r#"{"itemRef":{"handle":"1000077","type":16},"attributeId":185,"expectedType":9}"#;
    post(proxy.addr, "/ApiItem/getValueByAttrID", camel).await;

    let expected = octaneapi::api_item::GetValueByIdRequest {
        item_ref: object(1_000_077, 16),
        attribute_id: 185,
        expected_type: 9,
    };
    assert_eq!(
        peer.received_as::<octaneapi::api_item::GetValueByIdRequest>(
            "/octaneapi.ApiItemService/getValueByAttrID"
        ),
        vec![expected, expected]
    );

    let pin_info = r#"{"objectPtr":{"handle":"55","type":44}}"#;
    post(proxy.addr, "/ApiNodePinInfoEx/getApiNodePinInfo", pin_info).await;
    let received = peer.received_as::<octaneapi::api_node_pin_info_ex::GetNodePinInfoRequest>(
        "/octaneapi.ApiNodePinInfoExService/getApiNodePinInfo",
    );
    assert_eq!(received[0].node_pin_info_ref, object(55, 44));
}

#[tokio::test]
async fn object_ptr_next_to_its_target_field_is_refused() {
    let (peer, proxy) = peer_and_proxy().await;
    let body = r#"{"objectPtr":{"handle":"1"},"item_ref":{"handle":"2"}}"#;
    let reply = post(proxy.addr, "/ApiItem/getValueByAttrID", body).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.error().contains("both `objectPtr` and `item_ref`"),
        "{}",
        reply.error()
    );
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn nested_oneof_and_repeated_fields() {
    let (peer, proxy) = peer_and_proxy().await;
    let body = r#"{"position":{"x":1.5,"y":-2,"z":0},"target":{"x":0,"y":0,"z":0},"fov":45}"#;
    post(proxy.addr, "/LiveLink/SetCamera", body).await;
    let camera =
        &peer.received_as::<livelinkapi::CameraState>("/livelinkapi.LiveLinkService/SetCamera")[0];
    use livelinkapi::camera_state::{FovSet, PosSet, TargetSet};
    let zero = livelinkapi::Vec3 {
        x: 0.0,
        y: 0.0,
        z: 0.0,
    };
    assert_eq!(
        camera.pos_set,
        Some(PosSet::Position(livelinkapi::Vec3 {
            x: 1.5,
            y: -2.0,
            z: 0.0
        }))
    );
    assert_eq!(camera.target_set, Some(TargetSet::Target(zero)));
    assert_eq!(camera.up_set, None);
    assert_eq!(camera.fov_set, Some(FovSet::Fov(45.0)));

    let body = r#"{"objectPtr":{"handle":"9","type":"ApiNodeGraph"},"sourceItems":{"data":[{"handle":"1"},{"handle":"2","type":17}]},"sourceItemsCount":2}"#;
    let reply = post(proxy.addr, "/ApiNodeGraph/copyFrom2", body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let copy = &peer.received_as::<octaneapi::api_node_graph::CopyFrom2Request>(
        "/octaneapi.ApiNodeGraphService/copyFrom2",
    )[0];
    assert_eq!(
        copy.source_items.as_ref().map(|a| a.data.clone()),
        Some(vec![
            ObjectRef {
                handle: 1,
                r#type: 0
            },
            ObjectRef {
                handle: 2,
                r#type: 17
            }
        ])
    );
    assert_eq!(copy.source_items_count, 2);
}

#[tokio::test]
async fn empty_body_and_empty_object_are_the_default_request() {
    let (peer, proxy) = peer_and_proxy().await;
    for body in ["", "{}", "  \n"] {
        let reply = post(proxy.addr, "/ApiItem/name", body).await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(peer.received(NAME), vec![Bytes::new(); 3]);
}

#[tokio::test]
async fn replies_use_proto_names_string_int64_enum_names_and_omit_defaults() {
    let (peer, proxy) = peer_and_proxy().await;
    peer.reply(
        NAME,
        &octaneapi::api_item::NameResponse {
            result: "Teapot".into(),
        },
    );
    assert_eq!(
        post(proxy.addr, "/ApiItem/name", "").await.text(),
        r#"{"success":true,"data":{"result":"Teapot"}}"#
    );

    // false and zero are defaults: omitted, as MessageToDict does.
    peer.reply(
        "/octaneapi.ApiItemService/isGraph",
        &octaneapi::api_item::IsGraphResponse { result: false },
    );
    assert_eq!(
        post(proxy.addr, "/ApiItem/isGraph", "").await.text(),
        r#"{"success":true,"data":{}}"#
    );

    use octaneapi::api_item::get_value_response::Value;
    peer.reply(
        "/octaneapi.ApiItemService/getValueByAttrID",
        &octaneapi::api_item::GetValueResponse {
            value: Some(Value::LongValue(-9_007_199_254_740_993)),
        },
    );
    assert_eq!(
        post(proxy.addr, "/ApiItem/getValueByAttrID", "")
            .await
            .text(),
        r#"{"success":true,"data":{"long_value":"-9007199254740993"}}"#
    );

    let mesh = livelinkapi::MeshData {
        name: "cube".into(),
        positions: vec![livelinkapi::Vec3 {
            x: 1.0,
            y: 0.0,
            z: 0.25,
        }],
        verts_per_poly: vec![3, 4],
        world_matrix: None,
        ..Default::default()
    };
    peer.reply("/livelinkapi.LiveLinkService/GetMesh", &mesh);
    assert_eq!(
        post(proxy.addr, "/LiveLink/GetMesh", r#"{"objecthandle":3}"#)
            .await
            .text(),
        r#"{"success":true,"data":{"name":"cube","positions":[{"x":1.0,"z":0.25}],"vertsPerPoly":[3,4]}}"#
    );
}

#[tokio::test]
async fn bytes_are_base64_both_ways() {
    let (peer, proxy) = peer_and_proxy().await;
    peer.reply(
        "/livelinkapi.LiveLinkService/GetFile",
        &livelinkapi::FileResponse {
            filedata: Bytes::from_static(b"\x00\xffOctane"),
        },
    );
    let reply = post(
        proxy.addr,
        "/LiveLink/GetFile",
        r#"{"filepath":"C:\\scenes\\a.orbx"}"#,
    )
    .await;
    assert_eq!(
        reply.text(),
        r#"{"success":true,"data":{"filedata":"AP9PY3RhbmU="}}"#
    );
    assert_eq!(
        peer.received_as::<livelinkapi::FileRequest>("/livelinkapi.LiveLinkService/GetFile")[0]
            .filepath,
        "C:\\scenes\\a.orbx"
    );
}

#[tokio::test]
async fn enum_values_the_protos_do_not_know_arrive_as_numbers() {
    let (peer, proxy) = peer_and_proxy().await;
    peer.reply(
        "/octaneapi.ApiProjectManagerService/rootNodeGraph",
        &octaneapi::api_project_manager::RootNodeGraphResponse {
            result: object(7, 4242),
        },
    );
    let reply = post(proxy.addr, "/ApiProjectManager/rootNodeGraph", "").await;
    assert_eq!(
        reply.text(),
        r#"{"success":true,"data":{"result":{"handle":"7","type":4242}}}"#
    );
}

#[tokio::test]
async fn service_names_resolve_in_every_accepted_form() {
    let (peer, proxy) = peer_and_proxy().await;
    for path in [
        "/ApiItem/name",
        "/octaneapi.ApiItem/name",
        "/ApiItemService/name",
        "/octaneapi.ApiItemService/name",
    ] {
        assert_eq!(post(proxy.addr, path, "").await.status, 200, "{path}");
    }
    assert_eq!(peer.received(NAME).len(), 4);
}

#[tokio::test]
async fn livelink_js_calls_with_a_grpc_web_content_type_and_a_json_body() {
    // livelink.js labels its JSON bodies `application/grpc-web+proto`; the Python proxy read
    // them as JSON whatever the label, and so does this one.
    let (peer, proxy) = peer_and_proxy().await;
    for path in ["/LiveLink/SetCamera", "/livelinkapi.LiveLink/SetCamera"] {
        let reply = call(
            proxy.addr,
            Method::POST,
            path,
            &[("content-type", "application/grpc-web+proto")],
            r#"{"fov":45}"#,
        )
        .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        assert_eq!(reply.text(), r#"{"success":true,"data":{}}"#, "{path}");
    }
    let received =
        peer.received_as::<livelinkapi::CameraState>("/livelinkapi.LiveLinkService/SetCamera");
    assert_eq!(received.len(), 2);
    for camera in received {
        assert_eq!(
            camera.fov_set,
            Some(livelinkapi::camera_state::FovSet::Fov(45.0))
        );
    }
}

#[tokio::test]
async fn a_number_beyond_doubles_range_is_a_field_error_not_malformed_json() {
    let (peer, proxy) = peer_and_proxy().await;
    let reply = post(proxy.addr, "/LiveLink/SetCamera", r#"{"fov":1e400}"#).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()["code"], "INVALID_ARGUMENT");
    assert_eq!(reply.json()["field"], "fov");
    let reply = post(proxy.addr, "/LiveLink/SetCamera", r#"{"fov":}"#).await;
    assert_eq!(
        reply.json()["code"],
        "MALFORMED_JSON",
        "cut short: not JSON"
    );
    assert_eq!(peer.call_count(), 0);
}

#[tokio::test]
async fn documented_edge_cases_of_the_json_mapping() {
    let (peer, proxy) = peer_and_proxy().await;
    // Two members of one oneof.
    let reply = post(
        proxy.addr,
        "/ApiItem/setValueByAttrID",
        r#"{"bool_value":true,"int_value":3}"#,
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    // A bare array where an ObjectRefArrayT is expected.
    let reply = post(
        proxy.addr,
        "/ApiNodeGraph/groupItems",
        r#"{"items":[{"handle":"1"}]}"#,
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["field"], "items");
    // null leaves a proto3 optional unset; false sets it, and it is sent.
    post(
        proxy.addr,
        "/ApiItem/setValueByAttrID",
        r#"{"evaluate":null}"#,
    )
    .await;
    post(
        proxy.addr,
        "/ApiItem/setValueByAttrID",
        r#"{"evaluate":false}"#,
    )
    .await;
    let received = peer.received_as::<octaneapi::api_item::SetValueByIdRequest>(
        "/octaneapi.ApiItemService/setValueByAttrID",
    );
    assert_eq!(
        received.iter().map(|r| r.evaluate).collect::<Vec<_>>(),
        vec![None, Some(false)]
    );
    // A set optional at its default is written out; unset is omitted.
    peer.reply(
        "/octaneapi.ApiItemService/getValueByAttrID",
        &octaneapi::api_item::GetValueResponse {
            value: Some(octaneapi::api_item::get_value_response::Value::BoolValue(
                false,
            )),
        },
    );
    assert_eq!(
        post(proxy.addr, "/ApiItem/getValueByAttrID", "")
            .await
            .text(),
        r#"{"success":true,"data":{"bool_value":false}}"#
    );
}

#[tokio::test]
async fn non_finite_floats_are_written_as_proto3_json_strings() {
    let (peer, proxy) = peer_and_proxy().await;
    peer.reply(
        "/livelinkapi.LiveLinkService/GetMesh",
        &livelinkapi::MeshData {
            positions: vec![livelinkapi::Vec3 {
                x: f32::NAN,
                y: f32::INFINITY,
                z: f32::NEG_INFINITY,
            }],
            world_matrix: Some(livelinkapi::MatrixD {
                row0: Some(livelinkapi::Vec4D {
                    x: f64::NAN,
                    y: 0.5,
                    z: 0.0,
                    w: f64::INFINITY,
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    assert_eq!(
        post(proxy.addr, "/LiveLink/GetMesh", "").await.text(),
        r#"{"success":true,"data":{"positions":[{"x":"NaN","y":"Infinity","z":"-Infinity"}],"worldMatrix":{"row0":{"x":"NaN","y":0.5,"w":"Infinity"}}}}"#
    );
}
