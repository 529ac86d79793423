//! Micro-benchmarks of the JSON mapping on the proxy's hot path: a request body decoded to
//! protobuf, a response encoded to JSON, and a frame-sized `grabRenderResult` response next to a
//! plain base64 encode of its pixels (the floor any JSON form of the frame has to pay).
//!
//! `cargo bench -p octane-proxy`; the whole proxy is measured by `cargo xtask bench`.

use std::hint::black_box;

use base64::Engine as _;
use bytes::Bytes;
use criterion::{Criterion, Throughput};
use octane_api::livelinkapi::{CameraState, Vec3, camera_state};
use octane_api::octaneapi::api_item::NameResponse;
use octane_api::octaneapi::api_render_engine::GrabRenderResultResponse;
use octane_api::octaneapi::{ApiArrayApiRenderImage, ApiRenderImage, Buffer, Uint322};
use octane_proxy::routes::lookup;
use prost::Message;

/// What the web clients send to `ApiItem/name`.
const NAME_REQUEST: &[u8] = br#"{"objectPtr":{"handle":"1000002","type":16}}"#;

fn requests(c: &mut Criterion) {
    let name = lookup("ApiItem", "name").expect("ApiItem/name exists");
    c.bench_function("decode ApiItem/name request", |b| {
        b.iter(|| name.decode_request(black_box(NAME_REQUEST)))
    });
    // Routes whose target field is not called objectPtr take the renaming path.
    let by_attr = lookup("ApiItem", "getValueByAttrID").expect("the route exists");
    let body = br#"{"objectPtr":{"handle":"1000077","type":16},"attribute_id":"A_VALUE","expected_type":"ATTR_ID_FLOAT"}"#;
    assert!(
        by_attr.decode_request(body).is_ok(),
        "the body fits the route"
    );
    c.bench_function(
        "decode ApiItem/getValueByAttrID request (objectPtr alias)",
        |b| b.iter(|| by_attr.decode_request(black_box(body))),
    );
}

fn responses(c: &mut Criterion) {
    let name = lookup("ApiItem", "name").expect("ApiItem/name exists");
    let reply = Bytes::from(
        NameResponse {
            result: "Scene".into(),
        }
        .encode_to_vec(),
    );
    let mut out = Vec::with_capacity(256);
    c.bench_function("encode ApiItem/name response", |b| {
        b.iter(|| {
            out.clear();
            name.encode_response(black_box(reply.clone()), &mut out)
        })
    });

    let camera = lookup("LiveLink", "GetCamera").expect("LiveLink/GetCamera exists");
    let vec3 = |x, y, z| Vec3 { x, y, z };
    let reply = Bytes::from(
        CameraState {
            pos_set: Some(camera_state::PosSet::Position(vec3(1.5, 2.0, 10.25))),
            target_set: Some(camera_state::TargetSet::Target(vec3(0.0, 0.5, 0.0))),
            up_set: Some(camera_state::UpSet::Up(vec3(0.0, 1.0, 0.0))),
            fov_set: Some(camera_state::FovSet::Fov(39.6)),
        }
        .encode_to_vec(),
    );
    c.bench_function("encode LiveLink/GetCamera response", |b| {
        b.iter(|| {
            out.clear();
            camera.encode_response(black_box(reply.clone()), &mut out)
        })
    });
}

/// A `grabRenderResult` answer of one 1024x512 RGBA8 image (2 MiB of pixels).
fn frames(c: &mut Criterion) {
    let (width, height) = (1024u32, 512u32);
    let pixels: Vec<u8> = (0..width * height * 4).map(|i| (i % 251) as u8).collect();
    let reply = Bytes::from(
        GrabRenderResultResponse {
            result: true,
            render_images: Some(ApiArrayApiRenderImage {
                data: vec![ApiRenderImage {
                    size: Some(Uint322 {
                        x: width,
                        y: height,
                    }),
                    pitch: width,
                    buffer: Some(Buffer {
                        size: pixels.len() as u32,
                        data: Bytes::from(pixels.clone()),
                    }),
                    ..Default::default()
                }],
            }),
        }
        .encode_to_vec(),
    );
    let grab = lookup("ApiRenderEngine", "grabRenderResult").expect("the route exists");
    let mut group = c.benchmark_group("grabRenderResult 1024x512 RGBA8");
    group.throughput(Throughput::Bytes(pixels.len() as u64));
    group.sample_size(20);
    let mut out = Vec::with_capacity(pixels.len() * 2);
    group.bench_function("encode response (proto3 JSON)", |b| {
        b.iter(|| {
            out.clear();
            grab.encode_response(black_box(reply.clone()), &mut out)
        })
    });
    let mut text = String::with_capacity(pixels.len() * 2);
    group.bench_function("plain base64 of the pixels (floor)", |b| {
        b.iter(|| {
            text.clear();
            base64::engine::general_purpose::STANDARD.encode_string(black_box(&pixels), &mut text);
        })
    });
    group.finish();
}

// What `criterion_group!` and `criterion_main!` expand to, without the undocumented public
// functions they write.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    requests(&mut criterion);
    responses(&mut criterion);
    frames(&mut criterion);
    criterion.final_summary();
}
