//! The JPEG variant of a frame: its first image encoded once at one (quality, size), and the
//! forms the live-view endpoints send it in, each made once by the first viewer that needs it
//! and then shared: the binary WebSocket message and the SSE event. The MJPEG stream and
//! `latest.jpg` send the JPEG bytes as they are.
//!
//! The binary WebSocket message is a header of [`WS_HEADER_LEN`] bytes, then the JPEG file.
//! The header, little-endian:
//!
//! | offset | type | field |
//! |---|---|---|
//! | 0 | 4 bytes | `OJPG` |
//! | 4 | u16 | header length in bytes (40; a reader skips what it does not know) |
//! | 6 | u16 | version (1) |
//! | 8 | u64 | the frame's sequence number (increases by one per frame Octane sent) |
//! | 16 | u32 | width of the JPEG, pixels |
//! | 20 | u32 | height of the JPEG, pixels |
//! | 24 | f32 | `tonemappedSamplesPerPixel` of the image |
//! | 28 | f32 | `samplesPerSecond` |
//! | 32 | f32 | `renderTime`, seconds |
//! | 36 | u32 | length of the JPEG that follows, bytes |

use std::sync::{Arc, OnceLock};

use bytes::{BufMut, Bytes, BytesMut};
use octane_api::octaneapi::ApiRenderImage;
use serde::Serialize;

use crate::error::RenderError;
use crate::fan_out::Encoding;
use crate::frames::Frame;
use crate::frames::event_json::{EventHead, EventImage, Size, sse_event};
use crate::jpeg::{self, Jpeg, JpegError, JpegParams};

/// Length of the binary WebSocket message's header.
pub(crate) const WS_HEADER_LEN: usize = 40;

/// The variant of frames as JPEG at some params.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct JpegVariant(pub(crate) JpegParams);

impl Encoding for JpegVariant {
    type Output = Result<JpegFrame, EncodeFailure>;

    fn encode(&self, frame: &Frame) -> Self::Output {
        let Some(image) = frame.images.first() else {
            return Err(EncodeFailure::NoImage);
        };
        match jpeg::encode(image, &self.0) {
            Ok(jpeg) => Ok(JpegFrame {
                jpeg,
                sequence: frame.sequence,
                callback_id: frame.callback_id,
                user_data: frame.user_data,
                timestamp: frame.timestamp,
                meta: image.meta.clone(),
                ws_message: OnceLock::new(),
                sse_event: OnceLock::new(),
            }),
            Err(err) => Err(EncodeFailure::Jpeg(Arc::new(err))),
        }
    }

    fn label(&self) -> String {
        let side = |side: Option<u32>| side.map_or_else(|| "any".to_owned(), |s| s.to_string());
        format!(
            "jpeg q{} max {}x{}",
            self.0.quality(),
            side(self.0.max_width()),
            side(self.0.max_height())
        )
    }
}

/// Why a frame has no JPEG. Shared by every viewer of the variant, so the encoder's error is
/// behind an `Arc`.
#[derive(Debug, Clone)]
pub(crate) enum EncodeFailure {
    /// The frame has no image.
    NoImage,
    /// Its image cannot be read as 8-bit pixels, or the encoder failed.
    Jpeg(Arc<JpegError>),
}

impl From<&EncodeFailure> for RenderError {
    fn from(failure: &EncodeFailure) -> Self {
        match failure {
            EncodeFailure::NoImage => RenderError::NoImage,
            EncodeFailure::Jpeg(err) => match &**err {
                JpegError::Image(image) => RenderError::Image(image.clone()),
                _ => RenderError::Encoding(Arc::clone(err)),
            },
        }
    }
}

/// One frame as JPEG, with what the endpoints send along.
#[derive(Debug)]
pub(crate) struct JpegFrame {
    /// The JPEG file and its size.
    pub(crate) jpeg: Jpeg,
    sequence: u64,
    callback_id: u32,
    user_data: u64,
    timestamp: f64,
    /// The image as Octane described it (its buffer left out).
    meta: ApiRenderImage,
    ws_message: OnceLock<Bytes>,
    sse_event: OnceLock<Bytes>,
}

impl JpegFrame {
    /// The binary WebSocket message: the header (see the module), then the JPEG.
    pub(crate) fn ws_message(&self) -> Bytes {
        self.ws_message
            .get_or_init(|| {
                let jpeg = &self.jpeg.bytes;
                let mut message = BytesMut::with_capacity(WS_HEADER_LEN + jpeg.len());
                message.put_slice(b"OJPG");
                message.put_u16_le(WS_HEADER_LEN as u16);
                message.put_u16_le(1);
                message.put_u64_le(self.sequence);
                message.put_u32_le(self.jpeg.width);
                message.put_u32_le(self.jpeg.height);
                message.put_f32_le(self.meta.tonemapped_samples_per_pixel);
                message.put_f32_le(self.meta.samples_per_second);
                message.put_f32_le(self.meta.render_time);
                message.put_u32_le(u32::try_from(jpeg.len()).unwrap_or(u32::MAX));
                message.put_slice(jpeg);
                message.freeze()
            })
            .clone()
    }

    /// The SSE `newImage` event of `/render/stream?format=jpeg`: the fields of the raw stream's
    /// event, for the first image only, with `size` and `pitch` those of the JPEG and
    /// `buffer: {"data": <base64 JPEG>, "size": <JPEG bytes>, "encoding": "jpeg"}`.
    pub(crate) fn sse_event(&self) -> Bytes {
        self.sse_event
            .get_or_init(|| {
                let mut image = EventImage::new(0, &self.meta);
                image.size = Size {
                    x: self.jpeg.width,
                    y: self.jpeg.height,
                };
                image.pitch = self.jpeg.width;
                image.has_alpha = false;
                sse_event(&Event {
                    head: EventHead {
                        r#type: "newImage",
                        callback_id: self.callback_id,
                        user_data: self.user_data,
                        timestamp: self.timestamp,
                    },
                    render_images: Images {
                        data: [JpegImage {
                            image,
                            buffer: Buffer {
                                data: base64_simd::STANDARD.encode_to_string(&self.jpeg.bytes),
                                size: self.jpeg.bytes.len(),
                                encoding: "jpeg",
                            },
                        }],
                    },
                })
            })
            .clone()
    }
}

/// The JPEG `newImage` event: the raw event's head and image fields, the image's buffer a JPEG.
#[derive(Serialize)]
struct Event {
    #[serde(flatten)]
    head: EventHead,
    render_images: Images,
}

#[derive(Serialize)]
struct Images {
    data: [JpegImage; 1],
}

#[derive(Serialize)]
struct JpegImage {
    #[serde(flatten)]
    image: EventImage,
    buffer: Buffer,
}

#[derive(Serialize)]
struct Buffer {
    data: String,
    size: usize,
    encoding: &'static str,
}
