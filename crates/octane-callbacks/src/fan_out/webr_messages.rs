//! The text messages of octaneWebR's `/api/callbacks` WebSocket: `{"type":...,"data":{...}}`,
//! one JSON object each, in the JSON shape of Node's `@grpc/proto-loader` that the client reads
//! (proto field names as written, 64-bit integers as decimal strings, enums as names, a message
//! field that is not set as `null`, non-finite floats as `null`), except the pixels: base64
//! text rather than a Node `Buffer`'s JSON, which the client accepts and which is a third of
//! the size. Each is UTF-8 kept as `Bytes`, so that every socket writes the same buffer.

use std::fmt::Write as _;

use bytes::Bytes;
use octane_api::octaneapi::object_ref::ObjectType;
use octane_api::octaneapi::{
    ApiRenderImage, ImageType, NamedColorSpace, PremultipliedAlphaType, RenderPassId,
    RenderResultStatistics, RenderState, SubSampleMode,
};
use serde::Serialize;

use crate::frames::Frame;

/// The `newImage` message of `frame`: every image, with its pixels as base64.
pub(crate) fn new_image(frame: &Frame) -> Bytes {
    let head = serde_json::to_string(&Message {
        r#type: "newImage",
        data: ImageHead {
            callback_id: frame.callback_id,
            user_data: frame.user_data.to_string(),
            timestamp: timestamp_ms(frame.timestamp),
        },
    })
    .expect("plain fields serialize");
    let base64_len: usize = frame.images.iter().map(|image| image.base64().len()).sum();
    let mut text = String::with_capacity(head.len() + base64_len + 1024 * (frame.images.len() + 1));
    // The message with its `data` left open for `render_images`.
    text.push_str(&head[..head.len() - 2]);
    text.push_str(r#","render_images":{"data":["#);
    for (index, image) in frame.images.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        let fields =
            serde_json::to_string(&ImageFields::new(&image.meta)).expect("plain fields serialize");
        text.push_str(&fields[..fields.len() - 1]);
        text.push_str(r#","buffer":{"data":""#);
        // The frame's own base64 is ASCII; should it ever not be, the image goes without pixels.
        text.push_str(std::str::from_utf8(image.base64()).unwrap_or_default());
        let _ = write!(text, r#"","size":{}}}}}"#, decoded_len(image.base64()));
    }
    text.push_str("]}}}");
    Bytes::from(text)
}

/// The length of what padded base64 `text` decodes to.
fn decoded_len(text: &[u8]) -> usize {
    let padding = text.iter().rev().take_while(|&&c| c == b'=').count();
    (text.len() / 4 * 3).saturating_sub(padding)
}

/// `newStatistics`, with the render statistics Octane answered (absent if it did not).
pub(crate) fn new_statistics(
    user_data: u64,
    timestamp: f64,
    statistics: Option<&RenderResultStatistics>,
) -> Bytes {
    message(&Message {
        r#type: "newStatistics",
        data: StatisticsData {
            statistics: statistics.map(Statistics::new),
            user_data: user_data.to_string(),
            timestamp: timestamp_ms(timestamp),
        },
    })
}

/// A callback that carries nothing but its `user_data`: `renderFailure`,
/// `projectManagerChanged`.
pub(crate) fn plain(kind: &'static str, user_data: u64, timestamp: f64) -> Bytes {
    message(&Message {
        r#type: kind,
        data: PlainData {
            user_data: user_data.to_string(),
            timestamp: timestamp_ms(timestamp),
        },
    })
}

/// The answer to the client's `{"type":"ping"}`.
pub(crate) fn pong() -> Bytes {
    Bytes::from_static(br#"{"type":"pong"}"#)
}

fn message(message: &impl Serialize) -> Bytes {
    Bytes::from(serde_json::to_string(message).expect("plain fields serialize"))
}

/// Milliseconds since the Unix epoch, as JavaScript's `Date.now()` gives them.
fn timestamp_ms(seconds: f64) -> u64 {
    (seconds * 1000.0).round() as u64
}

#[derive(Serialize)]
struct Message<D> {
    r#type: &'static str,
    data: D,
}

/// The `data` of `newImage` before its images.
#[derive(Serialize)]
struct ImageHead {
    callback_id: u32,
    user_data: String,
    timestamp: u64,
}

#[derive(Serialize)]
struct StatisticsData {
    #[serde(skip_serializing_if = "Option::is_none")]
    statistics: Option<Statistics>,
    user_data: String,
    timestamp: u64,
}

#[derive(Serialize)]
struct PlainData {
    user_data: String,
    timestamp: u64,
}

/// The statistics the client reads (`RenderToolbar`), named as in the proto.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Statistics {
    beauty_samples_per_pixel: u32,
    beauty_max_samples_per_pixel: u32,
    beauty_samples_per_second: f64,
    denoised_samples_per_pixel: u32,
    state: EnumValue,
    render_time: f64,
    estimated_render_time: f64,
}

impl Statistics {
    fn new(statistics: &RenderResultStatistics) -> Self {
        Self {
            beauty_samples_per_pixel: statistics.beauty_samples_per_pixel,
            beauty_max_samples_per_pixel: statistics.beauty_max_samples_per_pixel,
            beauty_samples_per_second: statistics.beauty_samples_per_second,
            denoised_samples_per_pixel: statistics.denoised_samples_per_pixel,
            state: EnumValue::of(statistics.state, |v| {
                RenderState::try_from(v).ok().map(|e| e.as_str_name())
            }),
            render_time: statistics.render_time,
            estimated_render_time: statistics.estimated_render_time,
        }
    }
}

/// An enum value as proto-loader writes it: its name, or the number when the proto has none.
#[derive(Serialize)]
#[serde(untagged)]
enum EnumValue {
    Name(&'static str),
    Number(i32),
}

impl EnumValue {
    fn of(value: i32, name: impl Fn(i32) -> Option<&'static str>) -> Self {
        name(value).map_or(Self::Number(value), Self::Name)
    }
}

/// An `ApiRenderImage` but its `buffer`, every field in proto order, left open for `buffer`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageFields {
    r#type: EnumValue,
    color_space: EnumValue,
    is_linear: bool,
    shared_surface: Option<ObjectRefFields>,
    size: SizeFields,
    pitch: u32,
    render_pass_id: EnumValue,
    tonemapped_samples_per_pixel: f32,
    calculated_samples_per_pixel: f32,
    region_samples_per_pixel: f32,
    max_samples_per_pixel: f32,
    samples_per_second: f32,
    render_time: f32,
    change_level: Option<ChangeLevel>,
    has_pending_updates: bool,
    sub_sampling: EnumValue,
    has_alpha: bool,
    premultiplied_alpha_type: EnumValue,
    keep_environment: bool,
    #[serde(rename = "_mPrivate")]
    m_private: Option<()>,
}

#[derive(Serialize)]
struct ObjectRefFields {
    handle: String,
    r#type: EnumValue,
}

#[derive(Serialize)]
struct SizeFields {
    x: u32,
    y: u32,
}

#[derive(Serialize)]
struct ChangeLevel {
    value: String,
}

impl ImageFields {
    fn new(image: &ApiRenderImage) -> Self {
        let size = image.size.unwrap_or_default();
        Self {
            r#type: EnumValue::of(image.r#type, |v| {
                ImageType::try_from(v).ok().map(|e| e.as_str_name())
            }),
            color_space: EnumValue::of(image.color_space, |v| {
                NamedColorSpace::try_from(v).ok().map(|e| e.as_str_name())
            }),
            is_linear: image.is_linear,
            shared_surface: image
                .shared_surface
                .as_ref()
                .map(|surface| ObjectRefFields {
                    handle: surface.handle.to_string(),
                    r#type: EnumValue::of(surface.r#type, |v| {
                        ObjectType::try_from(v).ok().map(|e| e.as_str_name())
                    }),
                }),
            size: SizeFields {
                x: size.x,
                y: size.y,
            },
            pitch: image.pitch,
            render_pass_id: EnumValue::of(image.render_pass_id, |v| {
                RenderPassId::try_from(v).ok().map(|e| e.as_str_name())
            }),
            tonemapped_samples_per_pixel: image.tonemapped_samples_per_pixel,
            calculated_samples_per_pixel: image.calculated_samples_per_pixel,
            region_samples_per_pixel: image.region_samples_per_pixel,
            max_samples_per_pixel: image.max_samples_per_pixel,
            samples_per_second: image.samples_per_second,
            render_time: image.render_time,
            change_level: image.change_level.map(|level| ChangeLevel {
                value: level.value.to_string(),
            }),
            has_pending_updates: image.has_pending_updates,
            sub_sampling: EnumValue::of(image.sub_sampling, |v| {
                SubSampleMode::try_from(v).ok().map(|e| e.as_str_name())
            }),
            has_alpha: image.has_alpha,
            premultiplied_alpha_type: EnumValue::of(image.premultiplied_alpha_type, |v| {
                PremultipliedAlphaType::try_from(v)
                    .ok()
                    .map(|e| e.as_str_name())
            }),
            keep_environment: image.keep_environment,
            m_private: None,
        }
    }
}
