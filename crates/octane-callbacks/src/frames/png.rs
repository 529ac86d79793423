//! Render images as PNG: LDR RGBA8 as is, HDR float32 clamped and converted to 8-bit sRGB,
//! rows read at `pitch` (in pixels; 0 means tightly packed), buffer lengths checked before any
//! pixel is read. Alpha is taken as straight (not premultiplied) and `isLinear` is not read;
//! other image types (half floats, mono with alpha, block-compressed) are refused.

use std::borrow::Cow;

use super::image::Image;

/// `octaneapi.ImageType` values this module reads.
const LDR_RGBA: i32 = 0;
const LDR_MONO: i32 = 1;
const HDR_RGBA: i32 = 2;
const HDR_MONO: i32 = 3;

/// Why an image's pixels cannot be read as 8-bit RGBA (for a PNG or a JPEG).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The image has no pixels (size 0, or a shared GPU surface).
    #[error("the image is empty ({width}x{height})")]
    Empty {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The buffer is shorter than its size and pitch say.
    #[error(
        "the image buffer holds {got} bytes, but {width}x{height} at pitch {pitch} needs {needed}"
    )]
    ShortBuffer {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Row stride in pixels (the width for an image of pitch 0).
        pitch: u32,
        /// Bytes needed.
        needed: usize,
        /// Bytes there.
        got: usize,
    },
    /// The size, pitch and pixel format describe more bytes than this machine can address: no
    /// buffer can hold them.
    #[error(
        "{width}x{height} at pitch {pitch} and {bytes_per_pixel} bytes a pixel is more bytes than can be addressed"
    )]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Row stride in pixels (the width for an image of pitch 0).
        pitch: u32,
        /// Bytes per pixel of the image's type.
        bytes_per_pixel: usize,
    },
    /// The pitch is smaller than the width.
    #[error("pitch {pitch} is smaller than the width {width}")]
    PitchTooSmall {
        /// Row stride in pixels.
        pitch: u32,
        /// Width in pixels.
        width: u32,
    },
    /// An image type this module does not convert.
    #[error(
        "image type {0} cannot be shown as PNG (LDR_RGBA, LDR_MONO, HDR_RGBA and HDR_MONO can)"
    )]
    Unsupported(i32),
}

/// Why an image cannot become a PNG.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PngError {
    /// Its pixels cannot be read as 8-bit RGBA.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Encoding(#[from] png::EncodingError),
}

/// The image as tightly packed 8-bit RGBA rows.
pub fn to_rgba8(image: &Image) -> Result<Vec<u8>, ImageError> {
    rgba8(image).map(Cow::into_owned)
}

/// [`to_rgba8`], without a copy when the image is tightly packed RGBA8 rows kept raw.
pub(crate) fn rgba8(image: &Image) -> Result<Cow<'_, [u8]>, ImageError> {
    let (width, height) = (image.width, image.height);
    if width == 0 || height == 0 {
        return Err(ImageError::Empty { width, height });
    }
    // Pitch 0 is tightly packed rows, as the built-in page reads it (`image.pitch || w`).
    let pitch = if image.pitch == 0 { width } else { image.pitch };
    if pitch < width {
        return Err(ImageError::PitchTooSmall { pitch, width });
    }
    let bytes_per_pixel: usize = match image.image_type {
        LDR_RGBA => 4,
        LDR_MONO => 1,
        HDR_RGBA => 16,
        HDR_MONO => 4,
        other => return Err(ImageError::Unsupported(other)),
    };
    let (w, h, p) = (width as usize, height as usize, pitch as usize);
    // Octane's message sets these numbers: checked, so that a wrapped product cannot pass the
    // length check below and size an allocation.
    let too_large = || ImageError::TooLarge {
        width,
        height,
        pitch,
        bytes_per_pixel,
    };
    // The last row needs only `width` pixels, not the whole pitch.
    let needed = (h - 1)
        .checked_mul(p)
        .and_then(|n| n.checked_add(w))
        .and_then(|n| n.checked_mul(bytes_per_pixel))
        .ok_or_else(too_large)?;
    let data = image.raw_rows();
    if data.len() < needed {
        return Err(ImageError::ShortBuffer {
            width,
            height,
            pitch,
            needed,
            got: data.len(),
        });
    }
    if image.image_type == LDR_RGBA && p == w {
        // Already tightly packed RGBA8: the rows as they are, not copied again (a millisecond
        // or more of a live view's JPEG encode at 1080p).
        return Ok(match data {
            Cow::Borrowed(rows) => Cow::Borrowed(&rows[..needed]),
            Cow::Owned(mut rows) => {
                rows.truncate(needed);
                Cow::Owned(rows)
            }
        });
    }
    // With `pitch >= width` and at least one byte a pixel, the buffer holds `w * h` pixels at
    // least: the output is at most 4 bytes per byte received.
    let mut out = Vec::with_capacity(
        w.checked_mul(h)
            .and_then(|n| n.checked_mul(4))
            .ok_or_else(too_large)?,
    );
    for row in 0..h {
        let start = row * p * bytes_per_pixel;
        let pixels = &data[start..start + w * bytes_per_pixel];
        match image.image_type {
            LDR_RGBA => out.extend_from_slice(pixels),
            LDR_MONO => pixels
                .iter()
                .for_each(|&v| out.extend_from_slice(&[v, v, v, 255])),
            HDR_RGBA => {
                for px in pixels.chunks_exact(16) {
                    let [r, g, b, a] = [0, 4, 8, 12].map(|o| f32_at(px, o));
                    out.extend_from_slice(&[srgb8(r), srgb8(g), srgb8(b), unit8(a)]);
                }
            }
            _ => {
                for px in pixels.chunks_exact(4) {
                    let v = srgb8(f32_at(px, 0));
                    out.extend_from_slice(&[v, v, v, 255]);
                }
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// The image as a PNG file.
pub fn encode(image: &Image) -> Result<Vec<u8>, PngError> {
    let rgba = rgba8(image)?;
    let mut out = Vec::with_capacity(rgba.len() / 2 + 1024);
    let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    // Live preview: speed over size.
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgba)?;
    writer.finish()?;
    Ok(out)
}

fn f32_at(bytes: &[u8], offset: usize) -> f32 {
    f32::from_le_bytes([
        bytes[offset],
        bytes[offset + 1],
        bytes[offset + 2],
        bytes[offset + 3],
    ])
}

/// Linear light in [0, 1] (clamped; NaN is 0) to an 8-bit sRGB value.
fn srgb8(linear: f32) -> u8 {
    let v = if linear.is_nan() {
        0.0
    } else {
        linear.clamp(0.0, 1.0)
    };
    let encoded = if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    };
    (encoded * 255.0).round() as u8
}

/// A value in [0, 1] (clamped) to 8 bits, without a transfer curve (alpha).
fn unit8(v: f32) -> u8 {
    let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    (v * 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(image_type: i32, width: u32, height: u32, pitch: u32, pixels: &[u8]) -> Image {
        Image::new(image_type, width, height, pitch, pixels)
    }

    #[test]
    fn ldr_rows_are_read_at_the_pitch() {
        // 2x2 pixels, pitch 3: the third pixel of each row is padding.
        let mut pixels = Vec::new();
        for row in 0..2u8 {
            for col in 0..3u8 {
                pixels.extend_from_slice(&[row, col, 9, 255]);
            }
        }
        let rgba = to_rgba8(&image(LDR_RGBA, 2, 2, 3, &pixels)).expect("converts");
        assert_eq!(
            rgba,
            vec![0, 0, 9, 255, 0, 1, 9, 255, 1, 0, 9, 255, 1, 1, 9, 255]
        );
    }

    #[test]
    fn pitch_0_is_read_as_tightly_packed_rows() {
        let pixels: Vec<u8> = (0..2 * 2 * 4).collect();
        let rgba = to_rgba8(&image(LDR_RGBA, 2, 2, 0, &pixels)).expect("converts");
        assert_eq!(rgba, pixels);
        let mono = to_rgba8(&image(LDR_MONO, 3, 1, 0, &[1, 2, 3])).expect("converts");
        assert_eq!(mono, vec![1, 1, 1, 255, 2, 2, 2, 255, 3, 3, 3, 255]);
        // A short buffer is measured at the width, and the error says which pitch was used.
        assert_eq!(
            to_rgba8(&image(LDR_RGBA, 2, 2, 0, &[0; 12])),
            Err(ImageError::ShortBuffer {
                width: 2,
                height: 2,
                pitch: 2,
                needed: 16,
                got: 12
            })
        );
    }

    #[test]
    fn hdr_floats_are_clamped_and_srgb_encoded() {
        let mut pixels = Vec::new();
        for v in [0.0f32, 0.5, 1.0, 1.0, 2.0, -1.0, f32::NAN, 0.25] {
            pixels.extend_from_slice(&v.to_le_bytes());
        }
        let rgba = to_rgba8(&image(HDR_RGBA, 2, 1, 2, &pixels)).expect("converts");
        assert_eq!(rgba, vec![0, 188, 255, 255, 255, 0, 0, 64]);
    }

    #[test]
    fn a_short_buffer_is_an_error_not_a_panic() {
        // The SDK's converter sizes HDR buffers at 4 bytes a pixel: a quarter of what they need.
        let err = to_rgba8(&image(HDR_RGBA, 4, 4, 4, &[0; 4 * 4 * 4])).expect_err("too short");
        assert_eq!(
            err,
            ImageError::ShortBuffer {
                width: 4,
                height: 4,
                pitch: 4,
                needed: 256,
                got: 64
            }
        );
        assert!(matches!(
            to_rgba8(&image(LDR_RGBA, 4, 1, 2, &[0; 64])),
            Err(ImageError::PitchTooSmall { .. })
        ));
        assert!(matches!(
            to_rgba8(&image(LDR_RGBA, 0, 0, 0, &[])),
            Err(ImageError::Empty { .. })
        ));
        assert_eq!(
            to_rgba8(&image(9, 1, 1, 1, &[0; 8])),
            Err(ImageError::Unsupported(9))
        );
    }

    #[test]
    fn dimensions_whose_byte_count_overflows_are_an_error_not_a_panic_or_an_allocation() {
        // 2^30 x 2^30 HDR_RGBA needs 2^64 bytes: the unchecked product wrapped to 0 in release.
        let huge = image(HDR_RGBA, 1 << 30, 1 << 30, 1 << 30, &[]);
        assert_eq!(
            to_rgba8(&huge),
            Err(ImageError::TooLarge {
                width: 1 << 30,
                height: 1 << 30,
                pitch: 1 << 30,
                bytes_per_pixel: 16
            })
        );
        assert!(matches!(
            encode(&huge),
            Err(PngError::Image(ImageError::TooLarge { .. }))
        ));
        let widest = image(LDR_RGBA, u32::MAX, u32::MAX, u32::MAX, &[0; 64]);
        assert!(matches!(
            to_rgba8(&widest),
            Err(ImageError::TooLarge { .. })
        ));
    }

    #[test]
    fn dimensions_the_buffer_does_not_hold_are_refused_before_allocating() {
        // 2^44 bytes claimed: no overflow, but far more than the 64 bytes received.
        let Err(PngError::Image(err)) =
            encode(&image(HDR_RGBA, 1 << 20, 1 << 20, 1 << 20, &[0; 64]))
        else {
            panic!("a short buffer is an image error");
        };
        assert_eq!(
            err,
            ImageError::ShortBuffer {
                width: 1 << 20,
                height: 1 << 20,
                pitch: 1 << 20,
                needed: 1 << 44,
                got: 64
            }
        );
        // A single huge row is as short.
        assert!(matches!(
            to_rgba8(&image(LDR_MONO, u32::MAX, 1, u32::MAX, &[0; 64])),
            Err(ImageError::ShortBuffer { .. })
        ));
    }

    #[test]
    fn a_small_hdr_image_still_encodes() {
        let mut pixels = Vec::new();
        for v in [1.0f32, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0] {
            pixels.extend_from_slice(&v.to_le_bytes());
        }
        let png = encode(&image(HDR_RGBA, 1, 2, 1, &pixels)).expect("encodes");
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .expect("decodes");
        let mut decoded = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut decoded).expect("frame");
        assert_eq!((info.width, info.height), (1, 2));
        assert_eq!(
            &decoded[..info.buffer_size()],
            &[255, 0, 0, 255, 0, 255, 0, 255]
        );
    }

    #[test]
    fn png_round_trips_the_pixels() {
        let pixels: Vec<u8> = (0..3 * 2 * 4).map(|i| (i * 7) as u8).collect();
        let png = encode(&image(LDR_RGBA, 3, 2, 3, &pixels)).expect("encodes");
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .expect("decodes");
        let mut decoded = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut decoded).expect("frame");
        assert_eq!((info.width, info.height), (3, 2));
        assert_eq!(&decoded[..info.buffer_size()], &pixels[..]);
    }
}
