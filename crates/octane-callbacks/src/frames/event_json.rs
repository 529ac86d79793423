//! The JSON text of the SSE events (`data: <json>\n\n`): the fields of a `newImage` event's
//! head and images, which the raw and the JPEG events share, and the timestamp events carry.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use octane_api::octaneapi::ApiRenderImage;
use serde::Serialize;

/// `data: <json>\n\n`
pub(crate) fn sse_event(event: &impl Serialize) -> Bytes {
    try_sse_event(event).expect("an event of plain fields serializes")
}

/// [`sse_event`] of an event holding values from Octane.
pub(crate) fn try_sse_event(event: &impl Serialize) -> Result<Bytes, serde_json::Error> {
    let mut out = b"data: ".to_vec();
    serde_json::to_writer(&mut out, event)?;
    out.extend_from_slice(b"\n\n");
    Ok(Bytes::from(out))
}

/// Unix time in seconds, as the viewers expect `timestamp`.
pub(crate) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Writes `value`, a struct, as a JSON object left open for more fields (no closing `}`).
pub(crate) fn write_open_object(out: &mut Vec<u8>, value: &impl Serialize) {
    serde_json::to_writer(&mut *out, value).expect("a struct of plain fields serializes");
    debug_assert_eq!(out.last(), Some(&b'}'));
    out.pop();
}

/// The fields of the `newImage` event before its images, as the old Python proxy's viewers read
/// them; `render_images` follows.
#[derive(Serialize)]
pub(crate) struct EventHead {
    /// Always `newImage`.
    pub(crate) r#type: &'static str,
    /// The callback id Octane answered the registration with.
    pub(crate) callback_id: u32,
    /// The `user_data` of the callback that announced the frame.
    pub(crate) user_data: u64,
    /// When the frame was built, in Unix seconds.
    pub(crate) timestamp: f64,
}

/// The fields of one image before its `buffer` (enum values as numbers, as the viewers expect);
/// `buffer` follows: the raw pixels in the frame's event, a JPEG in the live view's.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventImage {
    index: usize,
    r#type: i32,
    color_space: i32,
    is_linear: bool,
    /// The size of the pixels in `buffer`.
    pub(crate) size: Size,
    /// Their row stride in pixels.
    pub(crate) pitch: u32,
    render_pass_id: i32,
    tonemapped_samples_per_pixel: f32,
    calculated_samples_per_pixel: f32,
    samples_per_second: f32,
    render_time: f32,
    change_level: ChangeLevel,
    has_pending_updates: bool,
    /// Whether the pixels in `buffer` have an alpha channel.
    pub(crate) has_alpha: bool,
}

/// An image's size in pixels.
#[derive(Serialize)]
pub(crate) struct Size {
    /// Width.
    pub(crate) x: u32,
    /// Height.
    pub(crate) y: u32,
}

#[derive(Serialize)]
struct ChangeLevel {
    level: u64,
}

impl EventImage {
    /// The fields of `image`, the `index`th of its frame, as Octane described it.
    pub(crate) fn new(index: usize, image: &ApiRenderImage) -> Self {
        let size = image.size.unwrap_or_default();
        Self {
            index,
            r#type: image.r#type,
            color_space: image.color_space,
            is_linear: image.is_linear,
            size: Size {
                x: size.x,
                y: size.y,
            },
            pitch: image.pitch,
            render_pass_id: image.render_pass_id,
            tonemapped_samples_per_pixel: finite(image.tonemapped_samples_per_pixel),
            calculated_samples_per_pixel: finite(image.calculated_samples_per_pixel),
            samples_per_second: finite(image.samples_per_second),
            render_time: finite(image.render_time),
            // The old proxy read a field that does not exist here and always sent 0.
            change_level: ChangeLevel {
                level: image.change_level.map_or(0, |c| c.value),
            },
            has_pending_updates: image.has_pending_updates,
            has_alpha: image.has_alpha,
        }
    }
}

/// The viewers read these as numbers; JSON has no NaN.
fn finite(value: f32) -> f32 {
    if value.is_finite() { value } else { 0.0 }
}
