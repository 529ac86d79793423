//! Render images as JPEG for viewers beyond the workstation: converted to 8-bit sRGB exactly as
//! the PNG endpoint converts them ([`crate::png::to_rgba8`]: HDR clamped and sRGB-encoded),
//! downscaled to fit the viewer's `max_width` / `max_height` (aspect kept, Lanczos3), then
//! encoded at the viewer's quality with 4:2:0 chroma subsampling.
//!
//! The encoder is libjpeg-turbo on Linux (through `turbojpeg`, built from its bundled source)
//! and `jpeg-encoder` (pure Rust, AVX2 where the CPU has it) elsewhere: libjpeg-turbo encodes
//! about three times faster (`docs/benchmarks.md`, *encoders compared*), but needs CMake, NASM
//! and a C compiler for each target, which Windows and macOS builds of the proxy are not asked
//! to have. Both use the IJG quantisation tables and make files of the same size and quality
//! within a few percent. Alpha is not kept: JPEG has none, and the colour channels are encoded
//! as they are (not composited over a background).
//!
//! [`encode`] is synchronous CPU work (milliseconds for a 1080p frame): callers run it off the
//! async workers that serve calls.

use std::borrow::Cow;

use bytes::Bytes;
use fast_image_resize::images::{Image as ResizedImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::image::Image;
use super::png::{ImageError, rgba8};

/// The quality a viewer gets when it does not ask for one, chosen by measurement
/// (`cargo xtask bench --only jpeg`, section *the default quality*): the highest whose
/// converged 1080p reference frame stays within both bit-rate targets (170 KB full size, 80 KB
/// at 1280 wide).
pub const DEFAULT_QUALITY: u8 = 60;

/// The largest width or height a JPEG file can state.
const MAX_JPEG_SIDE: u32 = u16::MAX as u32;

/// What a viewer asked for: quality and the box the image must fit in. Validated on
/// construction, so an encode never fails for its parameters; equal parameters make the same
/// bytes from the same image, so they key an encoded variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JpegParams {
    quality: u8,
    max_width: Option<u32>,
    max_height: Option<u32>,
}

/// Why a viewer's JPEG parameters are refused (a 400 at the endpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JpegParamsError {
    /// `quality` outside 1 to 100.
    #[error("quality must be from 1 to 100, got {0}")]
    Quality(u32),
    /// `max_width` or `max_height` of 0.
    #[error("{field} must be at least 1")]
    ZeroSize {
        /// The query parameter: `max_width` or `max_height`.
        field: &'static str,
    },
}

impl Default for JpegParams {
    fn default() -> Self {
        Self {
            quality: DEFAULT_QUALITY,
            max_width: None,
            max_height: None,
        }
    }
}

impl JpegParams {
    /// The parameters a viewer asked for: `quality` 1 to 100 ([`DEFAULT_QUALITY`] if `None`),
    /// and the largest width and height it wants (at least 1; `None` for no limit). Images are
    /// only ever made smaller, never larger.
    pub fn new(
        quality: Option<u32>,
        max_width: Option<u32>,
        max_height: Option<u32>,
    ) -> Result<Self, JpegParamsError> {
        let quality = match quality {
            None => DEFAULT_QUALITY,
            Some(q @ 1..=100) => q as u8,
            Some(q) => return Err(JpegParamsError::Quality(q)),
        };
        if max_width == Some(0) {
            return Err(JpegParamsError::ZeroSize { field: "max_width" });
        }
        if max_height == Some(0) {
            return Err(JpegParamsError::ZeroSize {
                field: "max_height",
            });
        }
        Ok(Self {
            quality,
            max_width,
            max_height,
        })
    }

    /// The JPEG quality, 1 to 100.
    #[must_use]
    pub fn quality(&self) -> u8 {
        self.quality
    }

    /// The largest width asked for, if any.
    #[must_use]
    pub fn max_width(&self) -> Option<u32> {
        self.max_width
    }

    /// The largest height asked for, if any.
    #[must_use]
    pub fn max_height(&self) -> Option<u32> {
        self.max_height
    }

    /// The size an image of `width` x `height` is encoded at: itself if it fits the box;
    /// otherwise scaled down to fit it, aspect kept, the constrained side exactly at its limit
    /// and the other rounded to the nearest pixel (at least 1).
    pub fn output_size(&self, width: u32, height: u32) -> (u32, u32) {
        let (w, h) = (u64::from(width), u64::from(height));
        let (mut out_w, mut out_h) = (w, h);
        // Scaled from the original size each time, so two limits do not compound rounding.
        if let Some(max) = self.max_width.map(u64::from)
            && out_w > max
        {
            out_w = max;
            out_h = ((h * max + w / 2) / w).max(1);
        }
        if let Some(max) = self.max_height.map(u64::from)
            && out_h > max
        {
            out_h = max;
            out_w = ((w * max + h / 2) / h).max(1);
        }
        // Never larger than the original, so both fit in u32.
        (out_w as u32, out_h as u32)
    }
}

/// An encoded JPEG file and the size of the image in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jpeg {
    /// The JPEG file (JFIF, baseline).
    pub bytes: Bytes,
    /// Width of the encoded image in pixels.
    pub width: u32,
    /// Height of the encoded image in pixels.
    pub height: u32,
}

/// What the JPEG encoder of this target fails with: libjpeg-turbo's on Linux.
#[cfg(target_os = "linux")]
pub type EncoderError = turbojpeg::Error;

/// What the JPEG encoder of this target fails with: `jpeg-encoder`'s outside Linux.
#[cfg(not(target_os = "linux"))]
pub type EncoderError = jpeg_encoder::EncodingError;

/// Why the downscaler failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownscaleError {
    /// The pixels do not fit the image they were given as.
    #[error(transparent)]
    Source(#[from] fast_image_resize::ImageBufferError),
    /// The resampling itself failed.
    #[error(transparent)]
    Resample(#[from] fast_image_resize::ResizeError),
}

/// Why an image cannot become a JPEG.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JpegError {
    /// The image cannot be read as 8-bit RGBA (empty, short, unsupported type).
    #[error(transparent)]
    Image(#[from] ImageError),
    /// Larger, after downscaling, than a JPEG file can state (65535 on a side).
    #[error(
        "{width}x{height} is larger than JPEG allows (65535 on a side); ask for max_width / max_height"
    )]
    TooLarge {
        /// Width to encode, in pixels.
        width: u32,
        /// Height to encode, in pixels.
        height: u32,
    },
    /// The downscaler failed.
    #[error("downscaling failed: {0}")]
    Resize(#[source] DownscaleError),
    /// The JPEG encoder failed.
    #[error("JPEG encoding failed: {0}")]
    Encoding(#[source] EncoderError),
}

/// `image` as a JPEG at `params`: 8-bit sRGB as the PNG endpoint makes it, downscaled to
/// [`JpegParams::output_size`], encoded at the params' quality. CPU-heavy: call it off the
/// async workers.
pub fn encode(image: &Image, params: &JpegParams) -> Result<Jpeg, JpegError> {
    let rgba = rgba8(image)?;
    let (width, height) = params.output_size(image.width, image.height);
    if width > MAX_JPEG_SIDE || height > MAX_JPEG_SIDE {
        return Err(JpegError::TooLarge { width, height });
    }
    let rgba = if (width, height) == (image.width, image.height) {
        rgba
    } else {
        Cow::Owned(downscale(&rgba, image.width, image.height, width, height)?)
    };
    let bytes = encode_rgba(&rgba, width, height, params.quality)?;
    Ok(Jpeg {
        bytes: Bytes::from(bytes),
        width,
        height,
    })
}

/// Tightly packed RGBA8 rows of `width` x `height` resampled to `to_width` x `to_height`.
fn downscale(
    rgba: &[u8],
    width: u32,
    height: u32,
    to_width: u32,
    to_height: u32,
) -> Result<Vec<u8>, JpegError> {
    let source = ImageRef::new(width, height, rgba, PixelType::U8x4)
        .map_err(|err| JpegError::Resize(err.into()))?;
    let mut target = ResizedImage::new(to_width, to_height, PixelType::U8x4);
    // Alpha is dropped when encoding: colours are resampled as they are, not weighted by it.
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .use_alpha(false);
    Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(|err| JpegError::Resize(err.into()))?;
    Ok(target.into_vec())
}

/// Tightly packed RGBA8 rows as a baseline JPEG with 4:2:0 chroma (at every quality: the live
/// view favours bytes on the wire over chroma detail), by libjpeg-turbo.
#[cfg(target_os = "linux")]
fn encode_rgba(rgba: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, JpegError> {
    let encoding = JpegError::Encoding;
    let mut compressor = turbojpeg::Compressor::new().map_err(encoding)?;
    compressor
        .set_quality(i32::from(quality))
        .map_err(encoding)?;
    compressor
        .set_subsamp(turbojpeg::Subsamp::Sub2x2)
        .map_err(encoding)?;
    let (width, height) = (width as usize, height as usize);
    compressor
        .compress_to_vec(turbojpeg::Image {
            pixels: rgba,
            width,
            pitch: width * 4,
            height,
            format: turbojpeg::PixelFormat::RGBA,
        })
        .map_err(encoding)
}

/// Tightly packed RGBA8 rows as a baseline JPEG with 4:2:0 chroma (at every quality: the live
/// view favours bytes on the wire over chroma detail), by `jpeg-encoder`.
#[cfg(not(target_os = "linux"))]
fn encode_rgba(rgba: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, JpegError> {
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
    let too_large = || JpegError::TooLarge { width, height };
    let w = u16::try_from(width).map_err(|_| too_large())?;
    let h = u16::try_from(height).map_err(|_| too_large())?;
    // About a tenth of the raw size at the qualities a live view uses: one allocation mostly.
    let mut out = Vec::with_capacity(rgba.len() / 10 + 1024);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::F_2_2);
    encoder
        .encode(rgba, w, h, ColorType::Rgba)
        .map_err(JpegError::Encoding)?;
    Ok(out)
}

#[cfg(test)]
mod tests;
