//! `POST /api/grpc/{service}/{method}` (octaneWebR's dialect): each body octaneWebR sends,
//! those that do not match the protos included -> the message protobufjs `fromObject` would
//! have made, asserted where Octane receives it.

mod support;

use octane_api::livelinkapi::{self, camera_state};
use octane_api::octaneapi::{self, ObjectRef};
use octane_api::octaneapi::{
    api_db_material_manager as db, api_item, api_node, api_node_graph, api_node_pin_info_ex,
    api_project_manager, api_render_engine as render,
};
use octane_test_peer::TestPeer;
use pretty_assertions::assert_eq;
use support::{Proxy, peer_and_proxy, post};

fn object(handle: u64, object_type: i32) -> Option<ObjectRef> {
    Some(ObjectRef {
        handle,
        r#type: object_type,
    })
}

/// Sends `body` to `/api/grpc/{name}`, expects a 200, and returns what the peer received at
/// `grpc_path`, decoded.
async fn sent<M: prost::Message + Default>(
    peer: &TestPeer,
    proxy: &Proxy,
    name: &str,
    grpc_path: &str,
    body: &str,
) -> M {
    let reply = post(proxy.addr, &format!("/api/grpc/{name}"), body).await;
    assert_eq!(reply.status, 200, "{name} {body}: {}", reply.text());
    peer.received_as::<M>(grpc_path)
        .pop()
        .expect("the peer received the call")
}

#[tokio::test]
async fn keys_the_protos_lack_are_dropped() {
    let (peer, proxy) = peer_and_proxy().await;
    let (p, x) = (&peer, &proxy);
    let r = "/octaneapi.ApiRenderEngineService/";
    assert_eq!(
        sent::<api_project_manager::LoadProjectRequest>(
            p,
            x,
            "ApiProjectManager/loadProject",
            "/octaneapi.ApiProjectManagerService/loadProject",
            r#"{"path":"/scenes/a b.orbx"}"#
        )
        .await,
        api_project_manager::LoadProjectRequest::default()
    );
    let device = r#"{"deviceIndex":1}"#;
    let path = format!("{r}getDeviceName");
    let got: render::GetDeviceNameRequest =
        sent(p, x, "ApiRenderEngine/getDeviceName", &path, device).await;
    assert_eq!(got, render::GetDeviceNameRequest { index: 0 });
    let path = format!("{r}getMemoryUsage");
    let got: render::GetMemoryUsageRequest =
        sent(p, x, "ApiRenderEngine/getMemoryUsage", &path, device).await;
    assert_eq!(got, render::GetMemoryUsageRequest { device_ix: 0 });
    for method in [
        "getResourceStatistics",
        "getGeometryStatistics",
        "getTexturesStatistics",
    ] {
        let reply = post(
            x.addr,
            &format!("/api/grpc/ApiRenderEngine/{method}"),
            device,
        )
        .await;
        assert_eq!(reply.status, 200, "{method}: {}", reply.text());
        let received = peer.received(&format!("{r}{method}"));
        assert_eq!(received.len(), 1, "{method}");
        assert!(received[0].is_empty(), "{method}: device 0 is all zeros");
    }
    let path = format!("{r}pick");
    let got: render::PickRequest = sent(
        p,
        x,
        "ApiRenderEngine/pick",
        &path,
        r#"{"position":{"x":10,"y":20}}"#,
    )
    .await;
    assert_eq!(got, render::PickRequest::default());
    let path = format!("{r}getRenderStatistics");
    let got: render::GetRenderStatisticsRequest = sent(
        p,
        x,
        "ApiRenderEngine/getRenderStatistics",
        &path,
        r#"{"handle":0}"#,
    )
    .await;
    assert_eq!(got, render::GetRenderStatisticsRequest::default());

    let m = "/octaneapi.ApiDBMaterialManagerService/";
    let got: db::GetCategoriesRequest = sent(
        p,
        x,
        "ApiDBMaterialManager/getCategories",
        &format!("{m}getCategories"),
        r#"{"dbType":1}"#,
    )
    .await;
    assert_eq!(got, db::GetCategoriesRequest::default());
    let got: db::GetMaterialsRequest = sent(
        p,
        x,
        "ApiDBMaterialManager/getMaterials",
        &format!("{m}getMaterials"),
        r#"{"categoryId":5,"dbType":1}"#,
    )
    .await;
    assert_eq!(got, db::GetMaterialsRequest { category_id: 5 });
    let got: db::DownloadMaterialRequest = sent(
        p,
        x,
        "ApiDBMaterialManager/downloadMaterial",
        &format!("{m}downloadMaterial"),
        r#"{"materialId":"7","destinationGraph":{"handle":"1000003","type":"ApiRootNodeGraph"},"dbType":1}"#,
    )
    .await;
    assert_eq!(
        got,
        db::DownloadMaterialRequest {
            material_id: 7,
            destination_graph: object(1_000_003, 18),
        }
    );
    let got: db::api_db_material_manager_db_category_array::GetCategoryRequest = sent(
        p,
        x,
        "ApiDBMaterialManager_DBCategoryArray/getCategory",
        "/octaneapi.ApiDBMaterialManager_DBCategoryArrayService/getCategory",
        r#"{"objectPtr":{"handle":"5","type":55},"index":2}"#,
    )
    .await;
    assert_eq!(got.object_ptr, object(5, 55));
}

#[tokio::test]
async fn graph_edits_lose_top_level_handles_and_array_contents_as_protobufjs_does() {
    let (peer, proxy) = peer_and_proxy().await;
    let (p, x) = (&peer, &proxy);
    let g = "/octaneapi.ApiNodeGraphService/";
    let empty = Some(octaneapi::ObjectRefArrayT { data: vec![] });
    let got: api_node_graph::CopyFrom2Request = sent(
        p,
        x,
        "ApiNodeGraph/copyFrom2",
        &format!("{g}copyFrom2"),
        r#"{"handle":"1000003","type":20,"sourceItems":[{"handle":"1","type":17}],"sourceItemsCount":1,"origItems":[{"handle":"2","type":17}],"origItemsCount":1}"#,
    )
    .await;
    assert_eq!(
        got,
        api_node_graph::CopyFrom2Request {
            object_ptr: None,
            source_items: empty.clone(),
            source_items_count: 1,
            orig_items: empty.clone(),
            orig_items_count: 1,
        }
    );
    let got: api_node_graph::GroupItemsRequest = sent(
        p,
        x,
        "ApiNodeGraph/groupItems",
        &format!("{g}groupItems"),
        r#"{"handle":"1000003","type":20,"items":[{"handle":"1","type":17}],"itemsCount":1}"#,
    )
    .await;
    assert_eq!(
        got,
        api_node_graph::GroupItemsRequest {
            object_ptr: None,
            items: empty,
            items_count: 1,
        }
    );
    let got: api_node_graph::CopyItemTreeRequest = sent(
        p,
        x,
        "ApiNodeGraph/copyItemTree",
        &format!("{g}copyItemTree"),
        r#"{"handle":"1000003","type":20,"rootItem":{"handle":42,"type":17}}"#,
    )
    .await;
    assert_eq!(
        got,
        api_node_graph::CopyItemTreeRequest {
            object_ptr: None,
            root_item: object(42, 17),
        }
    );
    let n = "/octaneapi.ApiNodeService/";
    let got: api_node::CreateRequest = sent(
        p,
        x,
        "ApiNode/create",
        &format!("{n}create"),
        r#"{"type":2,"ownerGraph":{"handle":"1000003","type":"ApiRootNodeGraph"},"configurePins":true}"#,
    )
    .await;
    assert_eq!(
        got,
        api_node::CreateRequest {
            r#type: 2,
            owner_graph: object(1_000_003, 18),
            configure_pins: true,
        }
    );
    let got: api_node::ConnectToIxRequest = sent(
        p,
        x,
        "ApiNode/connectToIx",
        &format!("{n}connectToIx"),
        r#"{"objectPtr":{"handle":"1000010","type":17},"pinIdx":0,"sourceNode":{"handle":1000011,"type":17},"evaluate":true,"doCycleCheck":"false"}"#,
    )
    .await;
    assert_eq!(
        got,
        api_node::ConnectToIxRequest {
            object_ptr: object(1_000_010, 17),
            pin_idx: 0,
            source_node: object(1_000_011, 17),
            evaluate: true,
            // Boolean("false") is true.
            do_cycle_check: true,
        }
    );
}

#[tokio::test]
async fn object_ptr_is_remapped_for_exactly_the_plugins_methods() {
    let (peer, proxy) = peer_and_proxy().await;
    let (p, x) = (&peer, &proxy);
    let got: api_item::GetValueByIdRequest = sent(
        p,
        x,
        "ApiItem/getValueByAttrID",
        "/octaneapi.ApiItemService/getValueByAttrID",
        r#"{"objectPtr":{"handle":"1000003","type":17},"attribute_id":185,"expected_type":1}"#,
    )
    .await;
    assert_eq!(
        got,
        api_item::GetValueByIdRequest {
            item_ref: object(1_000_003, 17),
            attribute_id: 185,
            expected_type: 1,
        }
    );
    let got: api_item::SetValueByIdRequest = sent(
        p,
        x,
        "ApiItem/setValueByAttrID",
        "/octaneapi.ApiItemService/setValueByAttrID",
        r#"{"objectPtr":{"handle":"1000003","type":17},"attribute_id":185,"expected_type":2,"bool_value":true,"evaluate":false}"#,
    )
    .await;
    assert_eq!(
        got,
        api_item::SetValueByIdRequest {
            item_ref: object(1_000_003, 17),
            attribute_id: 185,
            evaluate: Some(false),
            value: Some(api_item::set_value_by_id_request::Value::BoolValue(true)),
        }
    );
    let got: api_node::GetPinValueByIdRequest = sent(
        p,
        x,
        "ApiNode/getPinValueByPinID",
        "/octaneapi.ApiNodeService/getPinValueByPinID",
        r#"{"item_ref":{"handle":"1000010","type":17},"pin_id":2672,"expected_type":1}"#,
    )
    .await;
    assert_eq!(
        (got.item_ref, got.pin_id, got.expected_type),
        (object(1_000_010, 17), 2672, 1)
    );
    let got: api_node::SetPinValueByIdRequest = sent(
        p,
        x,
        "ApiNode/setPinValueByPinID",
        "/octaneapi.ApiNodeService/setPinValueByPinID",
        r#"{"objectPtr":{"handle":"1000010","type":17},"pin_id":2672,"bool_value":false}"#,
    )
    .await;
    assert_eq!(
        got,
        api_node::SetPinValueByIdRequest {
            item_ref: object(1_000_010, 17),
            pin_id: 2672,
            evaluate: None,
            value: Some(api_node::set_pin_value_by_id_request::Value::BoolValue(
                false
            )),
        }
    );
    let got: api_node_pin_info_ex::GetNodePinInfoRequest = sent(
        p,
        x,
        "ApiNodePinInfoEx/getApiNodePinInfo",
        "/octaneapi.ApiNodePinInfoExService/getApiNodePinInfo",
        r#"{"objectPtr":{"handle":"7","type":44},"nodePinInfoRef":{"handle":"8","type":44}}"#,
    )
    .await;
    assert_eq!(got.node_pin_info_ref, object(7, 44));
    // Elsewhere `objectPtr` is a key like any other: ApiItem/name has a field of that name.
    let got: api_item::NameRequest = sent(
        p,
        x,
        "ApiItem/name",
        "/octaneapi.ApiItemService/name",
        r#"{"objectPtr":{"handle":1000002,"type":16}}"#,
    )
    .await;
    assert_eq!(got.object_ptr, object(1_000_002, 16));
}

#[tokio::test]
async fn render_settings_coerce_numbers_enums_and_strings() {
    let (peer, proxy) = peer_and_proxy().await;
    let (p, x) = (&peer, &proxy);
    let r = "/octaneapi.ApiRenderEngineService/";
    let got: render::SaveRenderPasses1Request = sent(
        p,
        x,
        "ApiRenderEngine/saveRenderPasses1",
        &format!("{r}saveRenderPasses1"),
        r#"{"outputDirectory":"/tmp/out","filenamePrefix":"render","imageSaveFormat":1,"colorSpace":1,"premultipliedAlphaType":0,"exrCompressionType":2,"exrCompressionLevel":4.5,"asynchronous":false}"#,
    )
    .await;
    assert_eq!(
        got,
        render::SaveRenderPasses1Request {
            output_directory: "/tmp/out".into(),
            image_save_format: 1,
            color_space: 1,
            exr_compression_type: 2,
            exr_compression_level: 4.5,
            ..Default::default()
        }
    );
    let got: render::SaveImage1Request = sent(
        p,
        x,
        "ApiRenderEngine/saveImage1",
        &format!("{r}saveImage1"),
        r#"{"renderPassId":9999,"fullPath":42,"imageSaveFormat":"16","colorSpace":"NAMED_COLOR_SPACE_SRGB","premultipliedAlphaType":"NOPE","exrCompressionType":null,"exrCompressionLevel":"4.5","asynchronous":[]}"#,
    )
    .await;
    assert_eq!(
        got,
        render::SaveImage1Request {
            // Unknown enum numbers pass; numeric strings and unknown names are ignored.
            render_pass_id: 9999,
            full_path: "42".into(),
            image_save_format: 0,
            color_space: 1,
            premultiplied_alpha_type: 0,
            exr_compression_type: 0,
            exr_compression_level: 4.5,
            asynchronous: true,
        }
    );
    let got: render::PickWhitePointRequest = sent(
        p,
        x,
        "ApiRenderEngine/pickWhitePoint",
        &format!("{r}pickWhitePoint"),
        r#"{"x":12.9,"y":"7"}"#,
    )
    .await;
    assert_eq!(got, render::PickWhitePointRequest { x: 12, y: 7 });
    let got: render::SetRenderRegionRequest = sent(
        p,
        x,
        "ApiRenderEngine/setRenderRegion",
        &format!("{r}setRenderRegion"),
        r#"{"active":1,"regionMin":{"x":0,"y":0},"regionMax":{"x":100.7,"y":-1},"featherWidth":null}"#,
    )
    .await;
    assert_eq!(
        got,
        render::SetRenderRegionRequest {
            active: true,
            region_min: Some(octaneapi::Uint322 { x: 0, y: 0 }),
            region_max: Some(octaneapi::Uint322 {
                x: 100,
                y: u32::MAX
            }),
            feather_width: 0,
        }
    );
    for body in [r#"{"priority":2}"#, r#"{"priority":"PRIORITY_HIGH"}"#] {
        let got: render::SetRenderPriorityRequest = sent(
            p,
            x,
            "ApiRenderEngine/setRenderPriority",
            &format!("{r}setRenderPriority"),
            body,
        )
        .await;
        assert_eq!(got.priority, 2, "{body}");
    }
}

#[tokio::test]
async fn a_camera_reply_sent_back_sets_the_camera() {
    let (peer, proxy) = peer_and_proxy().await;
    let vec3 = |x, y, z| livelinkapi::Vec3 { x, y, z };
    let got: livelinkapi::CameraState = sent(
        &peer,
        &proxy,
        "LiveLink/SetCamera",
        "/livelinkapi.LiveLinkService/SetCamera",
        r#"{"position":{"x":0,"y":1,"z":10},"pos_set":"position","target":{"x":0,"y":0,"z":0},"target_set":"target","up":{"x":0,"y":1,"z":0},"up_set":"up","fov":45,"fov_set":"fov"}"#,
    )
    .await;
    assert_eq!(
        got,
        livelinkapi::CameraState {
            pos_set: Some(camera_state::PosSet::Position(vec3(0.0, 1.0, 10.0))),
            target_set: Some(camera_state::TargetSet::Target(vec3(0.0, 0.0, 0.0))),
            up_set: Some(camera_state::UpSet::Up(vec3(0.0, 1.0, 0.0))),
            fov_set: Some(camera_state::FovSet::Fov(45.0)),
        }
    );
    let got: livelinkapi::CameraState = sent(
        &peer,
        &proxy,
        "LiveLink/SetCamera",
        "/livelinkapi.LiveLinkService/SetCamera",
        r#"{"position":{"x":"1.5","y":null,"z":true}}"#,
    )
    .await;
    assert_eq!(
        got.pos_set,
        Some(camera_state::PosSet::Position(vec3(1.5, 0.0, 1.0)))
    );
}
