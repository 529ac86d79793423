//! A frame: the images of one grabbed render result, and its SSE event, encoded once.

use std::sync::OnceLock;

use base64::Engine;
use bytes::Bytes;
use octane_api::octaneapi::ApiRenderImage;
use serde::Serialize;

use crate::png::ImageError;

/// One rendered image of a frame: what the PNG and MJPEG endpoints need.
#[derive(Debug, Clone)]
pub struct Image {
    /// `octaneapi.ImageType` as a number (0 LDR_RGBA, 1 LDR_MONO, 2 HDR_RGBA, 3 HDR_MONO, ...).
    pub image_type: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row stride in pixels.
    pub pitch: u32,
    /// The raw rows as Octane sent them.
    pub pixels: Bytes,
}

/// A published frame. Cheap to clone: the pixels and the encoded event are shared.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Increases by one per published frame; subscribers use it to count skipped frames.
    pub sequence: u64,
    /// When the frame was built, in Unix seconds.
    pub timestamp: f64,
    /// The images Octane returned, in order.
    pub images: Vec<Image>,
    /// The complete SSE event (`data: {"type":"newImage",...}\n\n`), shared by every subscriber.
    pub event: Bytes,
    /// The first image as PNG, encoded by whichever client asks first, then shared.
    png: OnceLock<Result<Bytes, ImageError>>,
}

impl Frame {
    /// Builds the frame and its event from a grab's images. Encoding (base64, JSON) happens here,
    /// once, whatever the number of subscribers.
    pub fn build(
        sequence: u64,
        callback_id: u32,
        user_data: u64,
        timestamp: f64,
        images: &[ApiRenderImage],
    ) -> Self {
        let data: Vec<EventImage> = images
            .iter()
            .enumerate()
            .map(|(index, image)| EventImage::new(index, image))
            .collect();
        let event = NewImageEvent {
            r#type: "newImage",
            callback_id,
            user_data,
            timestamp,
            render_images: RenderImages { data },
        };
        let mut out = Vec::with_capacity(
            64 + images
                .iter()
                .map(|i| i.buffer.as_ref().map_or(0, |b| b.data.len()) * 4 / 3 + 600)
                .sum::<usize>(),
        );
        out.extend_from_slice(b"data: ");
        serde_json::to_writer(&mut out, &event).expect("an event of plain fields serializes");
        out.extend_from_slice(b"\n\n");
        Self {
            sequence,
            timestamp,
            images: images.iter().map(Image::from_api).collect(),
            event: Bytes::from(out),
            png: OnceLock::new(),
        }
    }

    /// The first image as PNG. CPU-heavy the first time: call it off the async workers.
    pub fn png(&self) -> Result<Bytes, ImageError> {
        self.png
            .get_or_init(|| match self.images.first() {
                Some(image) => crate::png::encode(image).map(Bytes::from),
                None => Err(ImageError::Empty {
                    width: 0,
                    height: 0,
                }),
            })
            .clone()
    }
}

impl Image {
    fn from_api(image: &ApiRenderImage) -> Self {
        let size = image.size.unwrap_or_default();
        Self {
            image_type: image.r#type,
            width: size.x,
            height: size.y,
            pitch: image.pitch,
            pixels: image
                .buffer
                .as_ref()
                .map(|b| b.data.clone())
                .unwrap_or_default(),
        }
    }
}

/// The `newImage` event as the old Python proxy's viewers read it (enum values as numbers).
#[derive(Serialize)]
struct NewImageEvent {
    r#type: &'static str,
    callback_id: u32,
    user_data: u64,
    timestamp: f64,
    render_images: RenderImages,
}

#[derive(Serialize)]
struct RenderImages {
    data: Vec<EventImage>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventImage {
    index: usize,
    r#type: i32,
    color_space: i32,
    is_linear: bool,
    size: Size,
    pitch: u32,
    render_pass_id: i32,
    tonemapped_samples_per_pixel: f32,
    calculated_samples_per_pixel: f32,
    samples_per_second: f32,
    render_time: f32,
    change_level: ChangeLevel,
    has_pending_updates: bool,
    has_alpha: bool,
    buffer: EventBuffer,
}

#[derive(Serialize)]
struct Size {
    x: u32,
    y: u32,
}

#[derive(Serialize)]
struct ChangeLevel {
    level: u64,
}

#[derive(Serialize)]
struct EventBuffer {
    data: String,
    size: usize,
    encoding: &'static str,
}

impl EventImage {
    fn new(index: usize, image: &ApiRenderImage) -> Self {
        let size = image.size.unwrap_or_default();
        let pixels = image
            .buffer
            .as_ref()
            .map(|b| b.data.as_ref())
            .unwrap_or_default();
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
            buffer: EventBuffer {
                data: base64::engine::general_purpose::STANDARD.encode(pixels),
                size: pixels.len(),
                encoding: "base64",
            },
        }
    }
}

/// The viewers read these as numbers; JSON has no NaN.
fn finite(value: f32) -> f32 {
    if value.is_finite() { value } else { 0.0 }
}
