//! One rendered image of a frame: its size and format, and its pixels.
//!
//! The pixels are kept in the forms the frame's readers asked for while it arrived: as the
//! base64 of the frame's event while an SSE or octaneWebR client reads events, raw while a JPEG
//! variant is watched or nothing reads the event (a copy costs less than a base64 encode).
//! Whichever form is missing is made from the other the first time it is asked for: decoding
//! the base64 back cost a 1080p frame's encode about 1.5 ms, a sixth of its budget.

use std::borrow::Cow;
use std::sync::OnceLock;

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
    /// The raw rows as Octane sent them, base64-encoded: the text of the frame's event. Set
    /// when the frame was built with its event, else made from `raw` when first asked for.
    base64: OnceLock<Bytes>,
    /// The raw rows, when the frame keeps them (see the module); always when `base64` was not
    /// set as the frame was built.
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
            base64: OnceLock::new(),
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

    /// The raw rows as Octane sent them, base64-encoded, shared (not a copy). CPU-heavy the
    /// first time when the frame was built without its event (about a millisecond for 8 MiB).
    pub(crate) fn base64(&self) -> &Bytes {
        self.base64.get_or_init(|| {
            let raw = self.raw.as_deref().unwrap_or_default();
            Bytes::from(base64_simd::STANDARD.encode_type::<Vec<u8>>(raw))
        })
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
                    .decode_to_vec(self.base64())
                    .expect("the frame's own base64 decodes"),
            ),
        }
    }

    /// The image Octane described in `image` (its pixels not read), its pixels given as their
    /// base64 `base64` and as they are (`raw`), each if kept; with neither, it has none.
    pub(super) fn of(image: &ApiRenderImage, base64: Option<Bytes>, raw: Option<Bytes>) -> Self {
        let size = image.size.unwrap_or_default();
        Self {
            image_type: image.r#type,
            width: size.x,
            height: size.y,
            pitch: image.pitch,
            base64: base64.map(OnceLock::from).unwrap_or_default(),
            raw,
            meta: ApiRenderImage {
                buffer: None,
                m_private: None,
                ..image.clone()
            },
        }
    }
}
