//! The JPEG module against an independent decoder (`zune-jpeg`).
//!
//! Tolerance: JPEG is lossy, so decoded pixels are compared with the source by their mean and
//! largest absolute difference per channel (of 255): at most 3 on average and 16 at any
//! pixel, for smooth images at quality 90, where 4:2:0 chroma and quantisation move a pixel by
//! a few levels.

use super::*;
use crate::frames::Image;

const LDR_RGBA: i32 = 0;
const LDR_MONO: i32 = 1;
const HDR_RGBA: i32 = 2;

/// Smooth shading in every channel: what a converged render mostly is.
fn gradient(width: u32, height: u32) -> Vec<u8> {
    let mut pixels = Vec::new();
    for y in 0..height {
        for x in 0..width {
            pixels.extend_from_slice(&[
                (40 + x * 160 / width) as u8,
                (60 + y * 120 / height) as u8,
                (200 - (x + y) * 100 / (width + height)) as u8,
                255,
            ]);
        }
    }
    pixels
}

/// The JPEG decoded to tightly packed RGB rows, and its size.
fn decode(jpeg: &[u8]) -> (Vec<u8>, usize, usize) {
    let mut decoder = zune_jpeg::JpegDecoder::new(jpeg);
    let pixels = decoder.decode().expect("an independent decoder reads it");
    let (width, height) = decoder.dimensions().expect("dimensions after decoding");
    assert_eq!(pixels.len(), width * height * 3, "RGB output");
    (pixels, width, height)
}

/// Mean and largest absolute difference between RGB `decoded` and the RGB of RGBA `source`.
fn difference(decoded: &[u8], source: &[u8]) -> (f64, u8) {
    assert_eq!(decoded.len() / 3, source.len() / 4, "same pixel count");
    let mut sum = 0u64;
    let mut max = 0u8;
    for (rgb, rgba) in decoded.chunks_exact(3).zip(source.chunks_exact(4)) {
        for c in 0..3 {
            let d = rgb[c].abs_diff(rgba[c]);
            sum += u64::from(d);
            max = max.max(d);
        }
    }
    (sum as f64 / decoded.len() as f64, max)
}

fn params(quality: u32, max_width: Option<u32>, max_height: Option<u32>) -> JpegParams {
    JpegParams::new(Some(quality), max_width, max_height).expect("valid params")
}

#[test]
fn params_are_validated() {
    let default = JpegParams::new(None, None, None).expect("valid");
    assert_eq!(default, JpegParams::default());
    assert_eq!(default.quality(), DEFAULT_QUALITY);
    assert_eq!(params(1, None, None).quality(), 1);
    assert_eq!(params(100, Some(1), Some(1)).quality(), 100);
    assert_eq!(
        JpegParams::new(Some(0), None, None),
        Err(JpegParamsError::Quality(0))
    );
    assert_eq!(
        JpegParams::new(Some(101), None, None),
        Err(JpegParamsError::Quality(101))
    );
    assert_eq!(
        JpegParams::new(None, Some(0), None),
        Err(JpegParamsError::ZeroSize { field: "max_width" })
    );
    assert_eq!(
        JpegParams::new(None, Some(640), Some(0)),
        Err(JpegParamsError::ZeroSize {
            field: "max_height"
        })
    );
    assert_eq!(
        JpegParams::new(Some(101), None, None)
            .expect_err("refused")
            .to_string(),
        "quality must be from 1 to 100, got 101"
    );
}

#[test]
fn output_size_fits_the_box_keeps_the_aspect_and_never_upscales() {
    let size = |w, h, max_w, max_h| params(80, max_w, max_h).output_size(w, h);
    assert_eq!(size(1920, 1080, None, None), (1920, 1080));
    assert_eq!(size(1920, 1080, Some(1280), None), (1280, 720));
    assert_eq!(size(1920, 1080, Some(4000), Some(4000)), (1920, 1080));
    // 1920 * 100 / 1080 = 177.8: rounded to the nearest pixel.
    assert_eq!(size(1920, 1080, None, Some(100)), (178, 100));
    // Both limits: the tighter one decides, the other side is scaled from the original.
    assert_eq!(size(1920, 1080, Some(1280), Some(360)), (640, 360));
    assert_eq!(size(1920, 1080, Some(640), Some(720)), (640, 360));
    // A sliver keeps at least one pixel.
    assert_eq!(size(10_000, 1, Some(3), None), (3, 1));
    assert_eq!(size(1, 10_000, None, Some(3)), (1, 3));
}

#[test]
fn an_ldr_image_decodes_to_its_pixels_within_tolerance() {
    let (width, height) = (64, 48);
    let pixels = gradient(width, height);
    let image = Image::new(LDR_RGBA, width, height, 0, &pixels);
    let jpeg = encode(&image, &params(90, None, None)).expect("encodes");
    assert_eq!((jpeg.width, jpeg.height), (width, height));
    let (decoded, w, h) = decode(&jpeg.bytes);
    assert_eq!((w, h), (64, 48));
    let (mean, max) = difference(&decoded, &pixels);
    assert!(mean <= 3.0 && max <= 16, "mean {mean}, max {max}");
}

#[test]
fn rows_are_read_at_the_pitch_and_mono_is_grey() {
    // Pitch 40 for 32 pixels: the padding (bright red) must not show.
    let (width, height, pitch) = (32u32, 16u32, 40u32);
    let source = gradient(width, height);
    let mut padded = Vec::new();
    for row in source.chunks_exact(width as usize * 4) {
        padded.extend_from_slice(row);
        for _ in width..pitch {
            padded.extend_from_slice(&[255, 0, 0, 255]);
        }
    }
    let image = Image::new(LDR_RGBA, width, height, pitch, &padded);
    let (decoded, w, h) = decode(
        &encode(&image, &params(90, None, None))
            .expect("encodes")
            .bytes,
    );
    assert_eq!((w, h), (32, 16));
    let (mean, max) = difference(&decoded, &source);
    assert!(mean <= 3.0 && max <= 16, "mean {mean}, max {max}");

    let mono = Image::new(LDR_MONO, 16, 16, 0, &[128; 256]);
    let (decoded, _, _) = decode(
        &encode(&mono, &params(90, None, None))
            .expect("encodes")
            .bytes,
    );
    assert!(decoded.iter().all(|&v| v.abs_diff(128) <= 1), "flat grey");
}

#[test]
fn hdr_is_tone_mapped_exactly_as_the_png_endpoint_does() {
    let (width, height) = (48u32, 32u32);
    let mut floats = Vec::new();
    for y in 0..height {
        for x in 0..width {
            // Over-range, negative and NaN values too, clamped as the PNG converts them: in
            // regions on 16-pixel block edges, so that each block stays smooth.
            let r = 0.1 + x as f32 / 40.0;
            let g = if y < 16 {
                -0.5
            } else {
                0.2 + (y - 16) as f32 / 40.0
            };
            let b = if x < 16 { f32::NAN } else { 0.3 };
            let a = if x < 8 { -1.0 } else { 1.0 };
            for v in [r, g, b, a] {
                floats.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    let hdr = Image::new(HDR_RGBA, width, height, 0, &floats);
    let srgb = crate::png::to_rgba8(&hdr).expect("converts");
    let ldr = Image::new(LDR_RGBA, width, height, 0, &srgb);
    let p = params(90, None, None);
    // The same 8-bit pixels, so the same file: the conversion is the PNG's, not another.
    assert_eq!(
        encode(&hdr, &p).expect("encodes"),
        encode(&ldr, &p).expect("encodes")
    );
    let (decoded, w, h) = decode(&encode(&hdr, &p).expect("encodes").bytes);
    assert_eq!((w, h), (48, 32));
    // Decoders interpolate 4:2:0 chroma across the regions' hard colour edges: the largest
    // difference there is looser than in smooth images (measured 51).
    let (mean, max) = difference(&decoded, &srgb);
    assert!(mean <= 3.0 && max <= 64, "mean {mean}, max {max}");
}

#[test]
fn a_downscaled_image_has_the_asked_size_and_the_sources_pixels() {
    let (width, height) = (128u32, 96u32);
    let pixels = gradient(width, height);
    let image = Image::new(LDR_RGBA, width, height, 0, &pixels);
    let jpeg = encode(&image, &params(90, Some(64), None)).expect("encodes");
    assert_eq!((jpeg.width, jpeg.height), (64, 48));
    let (decoded, w, h) = decode(&jpeg.bytes);
    assert_eq!((w, h), (64, 48));
    // Against the source sampled 2:1 (a gradient: the filter's average is the centre value,
    // within a level of either neighbour).
    let mut sampled = Vec::new();
    for y in 0..48usize {
        for x in 0..64usize {
            let at = ((2 * y) * width as usize + 2 * x) * 4;
            sampled.extend_from_slice(&pixels[at..at + 4]);
        }
    }
    let (mean, max) = difference(&decoded, &sampled);
    assert!(mean <= 3.0 && max <= 16, "mean {mean}, max {max}");

    let jpeg = encode(&image, &params(90, Some(1000), Some(30))).expect("encodes");
    assert_eq!((jpeg.width, jpeg.height), (40, 30));
    assert_eq!(decode(&jpeg.bytes).1, 40);
}

#[test]
fn quality_changes_the_size_and_the_same_input_gives_the_same_bytes() {
    let pixels: Vec<u8> = (0..96u32 * 64 * 4)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let image = Image::new(LDR_RGBA, 96, 64, 0, &pixels);
    let low = encode(&image, &params(20, None, None)).expect("encodes");
    let high = encode(&image, &params(95, None, None)).expect("encodes");
    assert!(low.bytes.len() < high.bytes.len());
    assert_eq!(
        low,
        encode(&image, &params(20, None, None)).expect("encodes")
    );
}

#[test]
fn images_that_cannot_be_encoded_are_errors() {
    assert!(matches!(
        encode(&Image::new(LDR_RGBA, 0, 0, 0, &[]), &JpegParams::default()),
        Err(JpegError::Image(ImageError::Empty { .. }))
    ));
    assert!(matches!(
        encode(
            &Image::new(LDR_RGBA, 4, 4, 0, &[0; 8]),
            &JpegParams::default()
        ),
        Err(JpegError::Image(ImageError::ShortBuffer { .. }))
    ));
    // Wider than JPEG allows, unless scaled down to fit.
    let wide = Image::new(LDR_MONO, 70_000, 1, 0, &vec![7; 70_000]);
    assert!(matches!(
        encode(&wide, &JpegParams::default()),
        Err(JpegError::TooLarge {
            width: 70_000,
            height: 1
        })
    ));
    let fitted = encode(&wide, &params(80, Some(700), None)).expect("encodes");
    assert_eq!((fitted.width, fitted.height), (700, 1));
}
