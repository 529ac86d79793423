//! octaneWebR's plain endpoints over real loopback against the test peer: `/api/health`,
//! `/api/log`, `/api/system/info`.

mod support;

use http::Method;
use octane_api::octaneapi::api_info::OctaneVersionResponse;
use octane_api::octaneapi::api_render_engine::{
    DeviceUsesHardwareRayTracingRequest, DeviceUsesHardwareRayTracingResponse,
    GetDeviceCountResponse, GetDeviceNameRequest, GetDeviceNameResponse,
    GetGeometryStatisticsResponse, GetMemoryUsageRequest, GetMemoryUsageResponse,
};
use octane_api::octaneapi::{ApiDeviceMemoryUsage, ApiGeometryStatistics};
use octane_proxy::AccessPolicy;
use octane_test_peer::TestPeer;
use pretty_assertions::assert_eq;
use serde_json::json;
use support::{call, get, peer_and_proxy, post, proxy_with};
use tonic::Code;

const VERSION: &str = "/octaneapi.ApiInfoService/octaneVersion";
const COUNT: &str = "/octaneapi.ApiRenderEngineService/getDeviceCount";
const NAME: &str = "/octaneapi.ApiRenderEngineService/getDeviceName";
const RT: &str = "/octaneapi.ApiRenderEngineService/deviceUsesHardwareRayTracing";
const MEMORY: &str = "/octaneapi.ApiRenderEngineService/getMemoryUsage";
const GEOMETRY: &str = "/octaneapi.ApiRenderEngineService/getGeometryStatistics";

#[tokio::test]
async fn api_health_answers_200_with_octanes_state_in_the_body() {
    let peer = TestPeer::start().expect("peer");
    let port = peer.addr();
    let proxy = proxy_with(port, |b| b).await;

    let reply = get(proxy.addr, "/api/health").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/json");
    let mut body = reply.json();
    let timestamp = body["timestamp"].take();
    assert_eq!(
        body,
        json!({"status": "ok", "octane": "connected", "server": "octane-proxy", "timestamp": null})
    );
    let timestamp = timestamp.as_str().expect("a timestamp");
    humantime::parse_rfc3339(timestamp).expect("an RFC 3339 (ISO 8601) UTC timestamp");
    assert!(timestamp.ends_with('Z'), "{timestamp}");

    peer.stop();
    let reply = get(proxy.addr, "/api/health").await;
    assert_eq!(
        reply.status, 200,
        "200 while the proxy is up, whatever Octane does"
    );
    assert_eq!(reply.json()["status"], "unhealthy");
    assert_eq!(reply.json()["octane"], "disconnected");

    let reply = call(proxy.addr, Method::HEAD, "/api/health", &[], "").await;
    assert_eq!(reply.status, 200);
    let reply = post(proxy.addr, "/api/health", "{}").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.headers["allow"], "GET, OPTIONS");
}

#[tokio::test]
async fn the_token_rule_spares_api_health_only() {
    let peer = TestPeer::start().expect("peer");
    let proxy = proxy_with(peer.addr(), |b| {
        b.access(AccessPolicy::default().token("sesame"))
    })
    .await;
    assert_eq!(get(proxy.addr, "/api/health").await.status, 200);
    let log = r#"{"level":"info","message":"x"}"#;
    assert_eq!(post(proxy.addr, "/api/log", log).await.status, 401);
    assert_eq!(get(proxy.addr, "/api/system/info").await.status, 401);
    let with_token = call(
        proxy.addr,
        Method::POST,
        "/api/log",
        &[("authorization", "Bearer sesame")],
        log,
    )
    .await;
    assert_eq!(with_token.status, 200);
    assert_eq!(
        get(proxy.addr, "/api/system/info?token=sesame")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn api_log_takes_the_clients_posts_and_refuses_other_shapes() {
    let (_peer, proxy) = peer_and_proxy().await;
    let reply = post(
        proxy.addr,
        "/api/log",
        r#"{"level":"warn","message":"[WARN] one\n[WARN] two"}"#,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), r#"{"success":true}"#);
    // A level the client's logger does not use is logged at info, not refused.
    let reply = post(
        proxy.addr,
        "/api/log",
        r#"{"level":"notice","message":"x"}"#,
    )
    .await;
    assert_eq!(reply.status, 200);

    for body in ["", "[]", r#"{"message":"no level"}"#, r#"{"level":"info"}"#] {
        let reply = post(proxy.addr, "/api/log", body).await;
        assert_eq!(reply.status, 400, "{body:?}: {}", reply.text());
        assert_eq!(reply.json()["code"], "INVALID_ARGUMENT", "{body:?}");
        assert_eq!(reply.json()["success"], false, "{body:?}");
    }
    let huge = format!(
        r#"{{"level":"info","message":"{}"}}"#,
        "x".repeat(300 * 1024)
    );
    assert_eq!(post(proxy.addr, "/api/log", &huge).await.status, 413);
    let reply = get(proxy.addr, "/api/log").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.headers["allow"], "POST, OPTIONS");
}

/// The peer answers every figure's RPC.
fn script_figures(peer: &TestPeer) {
    peer.reply(VERSION, &OctaneVersionResponse { result: 15_000_004 });
    peer.reply(COUNT, &GetDeviceCountResponse { result: 2 });
    peer.reply(
        NAME,
        &GetDeviceNameResponse {
            result: "NVIDIA GeForce RTX 4090".into(),
        },
    );
    peer.reply(RT, &DeviceUsesHardwareRayTracingResponse { result: true });
    peer.reply(
        MEMORY,
        &GetMemoryUsageResponse {
            mem_usage: Some(ApiDeviceMemoryUsage {
                used_device_memory: 1024,
                total_device_memory: 25_769_803_776,
                ..Default::default()
            }),
        },
    );
    peer.reply(
        GEOMETRY,
        &GetGeometryStatisticsResponse {
            stats: Some(ApiGeometryStatistics {
                tri_count: 1_000_000,
                disp_tri_count: 20,
                hair_seg_count: 300,
                sphere_count: 4,
                voxel_count: 5_000_000_000,
                gaussian_splat_count: 6,
                instance_count: 77,
                ..Default::default()
            }),
        },
    );
}

#[tokio::test]
async fn system_info_is_built_from_octanes_answers_and_readable_cross_origin() {
    let (peer, proxy) = peer_and_proxy().await;
    script_figures(&peer);
    let reply = call(
        proxy.addr,
        Method::GET,
        "/api/system/info",
        &[("origin", "http://127.0.0.1:51023")],
        "",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.headers["access-control-allow-origin"],
        "http://127.0.0.1:51023"
    );
    assert_eq!(
        reply.text(),
        r#"{"primitiveCount":5001000330,"meshCount":null,"gpuName":"NVIDIA GeForce RTX 4090","hasHardwareRT":true,"totalMemoryGB":24.0,"octaneVersion":"15000004"}"#
    );
    // Each figure of the first device asked for device 0.
    assert_eq!(
        peer.received_as::<GetDeviceNameRequest>(NAME),
        [GetDeviceNameRequest { index: 0 }]
    );
    assert_eq!(
        peer.received_as::<DeviceUsesHardwareRayTracingRequest>(RT),
        [DeviceUsesHardwareRayTracingRequest { index: 0 }]
    );
    assert_eq!(
        peer.received_as::<GetMemoryUsageRequest>(MEMORY),
        [GetMemoryUsageRequest { device_ix: 0 }]
    );
    for path in [VERSION, COUNT, GEOMETRY] {
        assert_eq!(peer.received(path), [bytes::Bytes::new()], "{path}");
    }
}

#[tokio::test]
async fn system_info_leaves_out_what_octane_cannot_give() {
    let (peer, proxy) = peer_and_proxy().await;
    script_figures(&peer);
    // No device: what Octane says of device 0 describes nothing. An older Octane without the
    // ray-tracing RPC, and no geometry statistics in the answer.
    peer.reply(COUNT, &GetDeviceCountResponse { result: 0 });
    peer.reply_status(VERSION, Code::Unimplemented, "no such method");
    peer.reply(GEOMETRY, &GetGeometryStatisticsResponse { stats: None });
    let reply = get(proxy.addr, "/api/system/info").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({
            "primitiveCount": null,
            "meshCount": null,
            "gpuName": null,
            "hasHardwareRT": null,
            "totalMemoryGB": null,
            "octaneVersion": null,
        })
    );
}

#[tokio::test]
async fn system_info_fails_as_calls_fail_and_follows_the_access_rules() {
    let peer = TestPeer::start().expect("peer");
    let port = peer.addr();
    let denying = proxy_with(port, |b| {
        b.access(
            AccessPolicy::default()
                .deny(["ApiRenderEngine/getMemoryUsage"])
                .expect("a pattern"),
        )
    })
    .await;
    let reply = get(denying.addr, "/api/system/info").await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(reply.json()["code"], "PERMISSION_DENIED");
    assert_eq!(peer.call_count(), 0, "a refused call lets no other out");

    let proxy = proxy_with(port, |b| b).await;
    peer.stop();
    let reply = get(proxy.addr, "/api/system/info").await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.json()["code"], "UNAVAILABLE");
    assert_eq!(
        reply.error(),
        format!("Octane LiveLink not reachable at {port}")
    );
    assert_eq!(post(proxy.addr, "/api/system/info", "").await.status, 405);
}
