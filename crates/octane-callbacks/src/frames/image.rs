//! One rendered image of a frame: its size and format, and its pixels.
//!
//! The pixels are always there as the base64 of the frame's event. While someone watches a JPEG
//! variant the frame keeps them raw as well, copied as they arrived: decoding the base64 back
//! cost a 1080p frame's encode about 1.5 ms, a sixth of its budget.

use std::borrow::Cow;

use bytes::Bytes;
use octane_api::octaneapi::ApiRenderImage;

/// One rendered image of a frame: what the PNG and MJPEG endpoints need.
#[derive(Debug, Clone)]
pub struct Image {
    /// `octaneapi.ImageType` as a number (0 LDR_RGBA, 1 LDR_MONO, 2 HDR_RGBA, 3 HDR_MONO, ...).
    pub image_type: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row stride in pixels; 0 means tightly packed rows (a stride of `width`).
    pub pitch: u32,
    /// The raw rows as Octane sent them, base64-encoded: the text of the frame's event.
    base64: Bytes,
    /// The raw rows, when the frame keeps them (see the module).
    raw: Option<Bytes>,
    /// The rest of what Octane said of the image (its `buffer` left out): the live views send
    /// it along with their own encodings of the pixels.
    pub(crate) meta: ApiRenderImage,
}

impl Image {
    /// An image of `pixels`, the raw rows.
    #[must_use]
    pub fn new(image_type: i32, width: u32, height: u32, pitch: u32, pixels: &[u8]) -> Self {
        Self {
            image_type,
            width,
            height,
            pitch,
            base64: Bytes::from(base64_simd::STANDARD.encode_type::<Vec<u8>>(pixels)),
            raw: Some(Bytes::copy_from_slice(pixels)),
            meta: ApiRenderImage {
                r#type: image_type,
                size: Some(octane_api::octaneapi::Uint322 {
                    x: width,
                    y: height,
                }),
                pitch,
                ..ApiRenderImage::default()
            },
        }
    }

    /// The raw rows as Octane sent them, base64-encoded, shared (not a copy).
    pub(crate) fn base64(&self) -> &Bytes {
        &self.base64
    }

    /// The raw rows as Octane sent them: a copy of the ones kept, or decoded from the event's
    /// base64 (about a millisecond for 8 MiB).
    pub fn pixels(&self) -> Vec<u8> {
        self.raw_rows().into_owned()
    }

    /// The raw rows as Octane sent them: the ones kept, shared, or decoded from the event's
    /// base64.
    pub(crate) fn raw_rows(&self) -> Cow<'_, [u8]> {
        match &self.raw {
            Some(raw) => Cow::Borrowed(raw),
            None => Cow::Owned(
                base64_simd::STANDARD
                    .decode_to_vec(&self.base64)
                    .expect("the frame's own base64 decodes"),
            ),
        }
    }

    /// The image Octane described in `image` (its pixels not read), its pixels given as their
    /// base64 `base64` and, if kept, as they are (`raw`).
    pub(super) fn of(image: &ApiRenderImage, base64: Bytes, raw: Option<Bytes>) -> Self {
        let size = image.size.unwrap_or_default();
        Self {
            image_type: image.r#type,
            width: size.x,
            height: size.y,
            pitch: image.pitch,
            base64,
            raw,
            meta: ApiRenderImage {
                buffer: None,
                m_private: None,
                ..image.clone()
            },
        }
    }
}
