//! JPEG frames: the live view's encoder on the reference sequence (`reference`), bytes per frame,
//! CPU per encode and PSNR at the default quality and two others, and the encoders compared.
//!
//! CPU time is the encoding thread's own (`CLOCK_THREAD_CPUTIME_ID`): the encoders are
//! single-threaded, and time other processes held the core is not counted. PSNR is over R, G
//! and B, of the decoded JPEG (by `zune-jpeg`, a decoder of its own) against the frame encoded.

use octane_callbacks::Image;
use octane_callbacks::jpeg::{self, DEFAULT_QUALITY, JpegParams};

use crate::Settings;
use crate::procfs::median_cpu_ms_of;
use crate::reference::{HEIGHT, SPP, Scene, WIDTH, noise_sigma};
use crate::report::{Report, Section, Target, Verdict, decimals_against};

/// The qualities reported: the default between a lower and a higher one.
const QUALITIES: [u8; 3] = [50, DEFAULT_QUALITY, 80];
/// `octaneapi.ImageType` LDR_RGBA.
pub(crate) const LDR_RGBA: i32 = 0;
/// The downscaled variant the bit-rate target names.
const MAX_WIDTH: u32 = 1280;
/// Bytes a converged 1080p frame may take at the default quality (40 Mbit/s at 30 frames/s).
const CONVERGED_LIMIT: usize = 170_000;
/// Bytes the same frame may take at `max_width=1280`.
const DOWNSCALED_LIMIT: usize = 80_000;
/// CPU a 1080p encode at the default quality may take, in ms.
const ENCODE_LIMIT_MS: f64 = 8.0;

/// One encode's figures.
#[derive(Clone, Copy)]
struct Encoded {
    bytes: usize,
    cpu_ms: f64,
    psnr: f64,
}

/// The JPEG encoders compared, each as the live view would call it: RGBA8 in, 4:2:0 baseline.
#[derive(Clone, Copy)]
enum Codec {
    /// The proxy's, through `octane_callbacks::jpeg` (libjpeg-turbo on Linux), from the
    /// image's raw rows as a frame keeps them while a JPEG variant is watched.
    Product,
    /// `jpeg-encoder` alone, on the RGBA8 rows.
    JpegEncoder,
    /// libjpeg-turbo through the `turbojpeg` crate (its bundled C library, SIMD).
    TurboJpeg,
}

impl Codec {
    fn label(self) -> &'static str {
        match self {
            Self::Product => "proxy (`jpeg::encode`: the frame's rows + libjpeg-turbo)",
            Self::JpegEncoder => "jpeg-encoder 0.7 (pure Rust, AVX2)",
            Self::TurboJpeg => "libjpeg-turbo 3.1 (turbojpeg 1.5, SIMD)",
        }
    }

    /// `rgba` (whose `Image` is `image`) encoded at `quality`.
    fn encode(self, rgba: &[u8], image: &Image, params: &JpegParams) -> Vec<u8> {
        match self {
            Self::Product => jpeg::encode(image, params)
                .expect("the reference frame encodes")
                .bytes
                .to_vec(),
            Self::JpegEncoder => {
                let mut out = Vec::new();
                let mut encoder = jpeg_encoder::Encoder::new(&mut out, params.quality());
                encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
                encoder
                    .encode(
                        rgba,
                        WIDTH as u16,
                        HEIGHT as u16,
                        jpeg_encoder::ColorType::Rgba,
                    )
                    .expect("jpeg-encoder encodes");
                out
            }
            Self::TurboJpeg => {
                let mut compressor = turbojpeg::Compressor::new().expect("libjpeg-turbo starts");
                compressor
                    .set_quality(i32::from(params.quality()))
                    .expect("quality");
                compressor
                    .set_subsamp(turbojpeg::Subsamp::Sub2x2)
                    .expect("subsampling");
                compressor
                    .compress_to_vec(turbojpeg::Image {
                        pixels: rgba,
                        width: WIDTH as usize,
                        pitch: WIDTH as usize * 4,
                        height: HEIGHT as usize,
                        format: turbojpeg::PixelFormat::RGBA,
                    })
                    .expect("libjpeg-turbo encodes")
            }
        }
    }
}

/// The median of `rounds` encodes of `rgba` by `codec`, and the quality of the result
/// against `reference` (the frame itself, or its downscaled copy).
fn measure(
    codec: Codec,
    rgba: &[u8],
    image: &Image,
    params: &JpegParams,
    reference: &[u8],
    rounds: usize,
) -> Encoded {
    let (jpeg, cpu_ms) = median_cpu_ms_of(rounds, || codec.encode(rgba, image, params));
    Encoded {
        bytes: jpeg.len(),
        cpu_ms,
        psnr: psnr(&jpeg, reference),
    }
}

/// The median CPU of `rounds` encodes of `image` by the proxy's encoder, ms.
pub(crate) fn encode_cpu(image: &Image, params: &JpegParams, rounds: usize) -> f64 {
    median_cpu_ms_of(rounds, || {
        jpeg::encode(image, params).expect("the reference frame encodes")
    })
    .1
}

/// PSNR in dB of `jpeg`, decoded, against RGBA8 `reference`, over R, G and B.
fn psnr(jpeg: &[u8], reference: &[u8]) -> f64 {
    let mut decoder = zune_jpeg::JpegDecoder::new(jpeg);
    let rgb = decoder.decode().expect("the encoded frame decodes");
    assert_eq!(rgb.len() / 3, reference.len() / 4, "decoded size");
    let mut squares = 0u64;
    for (decoded, source) in rgb.chunks_exact(3).zip(reference.chunks_exact(4)) {
        for c in 0..3 {
            let d = u64::from(decoded[c].abs_diff(source[c]));
            squares += d * d;
        }
    }
    let mse = squares as f64 / rgb.len() as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

/// `rgba` (the full-size frame) downscaled as the proxy downscales it for `max_width`.
fn downscaled(rgba: &[u8], params: &JpegParams) -> Vec<u8> {
    use fast_image_resize::images::{Image as Resized, ImageRef};
    use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
    let (width, height) = params.output_size(WIDTH, HEIGHT);
    let source = ImageRef::new(WIDTH, HEIGHT, rgba, PixelType::U8x4).expect("frame size");
    let mut target = Resized::new(width, height, PixelType::U8x4);
    Resizer::new()
        .resize(
            &source,
            &mut target,
            &ResizeOptions::new()
                .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
                .use_alpha(false),
        )
        .expect("downscales");
    target.into_vec()
}

fn kb(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1000.0)
}

/// Runs the part: the sequence through the proxy's encoder, then the encoders compared on its
/// first and last frame.
pub(crate) fn run(settings: &Settings, report: &mut Report) {
    let rounds = if settings.quick { 1 } else { 5 };
    let scene = Scene::new();
    let frames: Vec<(u32, Vec<u8>, Image)> = SPP
        .iter()
        .map(|&spp| {
            let rgba = scene.frame(spp);
            let image = Image::new(LDR_RGBA, WIDTH, HEIGHT, 0, &rgba);
            (spp, rgba, image)
        })
        .collect();
    let params = QUALITIES
        .map(|q| JpegParams::new(Some(u32::from(q)), None, None).expect("a valid quality"));
    let default_at = QUALITIES
        .iter()
        .position(|&q| q == DEFAULT_QUALITY)
        .expect("the default is reported");
    let small = JpegParams::new(None, Some(MAX_WIDTH), None).expect("valid params");

    let mut head = vec!["spp".to_owned(), "noise σ (levels)".to_owned()];
    for q in QUALITIES {
        let mark = if q == DEFAULT_QUALITY {
            " (default)"
        } else {
            ""
        };
        head.push(format!("q{q}{mark} KB"));
        head.push(format!("q{q} PSNR dB"));
    }
    head.push(format!("q{DEFAULT_QUALITY} CPU ms"));
    head.push(format!("q{DEFAULT_QUALITY} at {MAX_WIDTH} wide KB"));
    head.push(format!("at {MAX_WIDTH} wide PSNR dB"));
    head.push(format!("at {MAX_WIDTH} wide CPU ms"));
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut sequence = Section::new(
        "JPEG frames: the reference sequence",
        &format!(
            "The live view's JPEG encoder (`octane_callbacks::jpeg::encode`, as the endpoints \
             call it: from the frame's raw rows, kept while a JPEG variant is watched, encoded \
             by libjpeg-turbo with 4:2:0 chroma) on the reference sequence: a fixed {WIDTH}x{HEIGHT} scene \
             (smooth shading, hard edges, texture, one-pixel lines) plus per-pixel Gaussian \
             noise of {:.0} levels at 1 sample per pixel, falling as 1/sqrt(spp) to 1024 spp, \
             from a fixed seed. KB is 1000 bytes of JPEG per frame; PSNR is of the decoded \
             frame against the frame encoded (noise included), over R, G and B; CPU is the \
             encoding thread's, median of {rounds} encodes. The {MAX_WIDTH}-wide columns are \
             the default quality at `max_width={MAX_WIDTH}` (Lanczos3 downscale included in \
             the CPU), PSNR against the source downscaled the same way.",
            noise_sigma(1)
        ),
        &head,
    );
    let mut worst_encode = (0.0f64, 0u32);
    let mut converged = None;
    let mut converged_small = None;
    for (spp, rgba, image) in &frames {
        let mut row = vec![spp.to_string(), format!("{:.1}", noise_sigma(*spp))];
        let mut default_ms = 0.0;
        for (i, p) in params.iter().enumerate() {
            let r = measure(Codec::Product, rgba, image, p, rgba, rounds);
            row.push(kb(r.bytes));
            row.push(format!("{:.1}", r.psnr));
            if i == default_at {
                default_ms = r.cpu_ms;
                if *spp == SPP[SPP.len() - 1] {
                    converged = Some(r);
                }
            }
        }
        row.push(format!("{default_ms:.1}"));
        if default_ms > worst_encode.0 {
            worst_encode = (default_ms, *spp);
        }
        let reference = downscaled(rgba, &small);
        let r = measure(Codec::Product, rgba, image, &small, &reference, rounds);
        row.push(kb(r.bytes));
        row.push(format!("{:.1}", r.psnr));
        row.push(format!("{:.1}", r.cpu_ms));
        if *spp == SPP[SPP.len() - 1] {
            converged_small = Some(r);
        }
        sequence.row(row);
    }
    report.sections.push(sequence);

    let mut compared = Section::new(
        "JPEG frames: encoders compared",
        &format!(
            "Each encoder as the live view would call it (RGBA8 rows in, baseline JPEG with \
             4:2:0 chroma out) on the first (1 spp) and last (1024 spp) frames of the reference \
             sequence, at each reported quality. CPU is the encoding thread's, median of \
             {rounds} encodes. The proxy's row is the endpoints' path from a frame's \
             image: its raw rows as the frame keeps them (tightly packed RGBA8 here, so used \
             as they are), the parameters checked, then the encoder."
        ),
        &[
            "encoder",
            "quality",
            "1 spp CPU ms",
            "1024 spp CPU ms",
            "1 spp KB",
            "1024 spp KB",
            "1 spp PSNR dB",
            "1024 spp PSNR dB",
        ],
    );
    let ends = [&frames[0], &frames[frames.len() - 1]];
    let mut pure_rust = (0.0, 0.0);
    for codec in [Codec::Product, Codec::JpegEncoder, Codec::TurboJpeg] {
        for p in &params {
            let [first, last] =
                ends.map(|(_, rgba, image)| measure(codec, rgba, image, p, rgba, rounds));
            if matches!(codec, Codec::JpegEncoder) && p.quality() == DEFAULT_QUALITY {
                pure_rust = (first.cpu_ms, last.cpu_ms);
            }
            compared.row(vec![
                codec.label().to_owned(),
                p.quality().to_string(),
                format!("{:.1}", first.cpu_ms),
                format!("{:.1}", last.cpu_ms),
                kb(first.bytes),
                kb(last.bytes),
                format!("{:.1}", first.psnr),
                format!("{:.1}", last.psnr),
            ]);
        }
    }
    report.sections.push(compared);
    report
        .sections
        .push(quality_sweep(&frames[frames.len() - 1], rounds));

    if let (Some(full), Some(small)) = (converged, converged_small) {
        targets(full, small, worst_encode, pure_rust, report);
    }
}

/// Where the default quality comes from: the converged frame at every fifth quality, full size
/// and at `max_width`, against the bit-rate targets.
fn quality_sweep((_, rgba, image): &(u32, Vec<u8>, Image), rounds: usize) -> Section {
    let mut section = Section::new(
        "JPEG frames: the default quality",
        &format!(
            "The converged (1024 spp) frame of the reference sequence through the proxy's \
             encoder at qualities 50 to 95, at full size and at `max_width={MAX_WIDTH}`: the \
             default is the highest quality whose frames meet both bit-rate targets ({} KB \
             and {} KB).",
            CONVERGED_LIMIT / 1000,
            DOWNSCALED_LIMIT / 1000
        ),
        &[
            "quality",
            "KB",
            "PSNR dB",
            "CPU ms",
            "at 1280 wide KB",
            "at 1280 wide PSNR dB",
        ],
    );
    for quality in (50..=95).step_by(5) {
        let full = JpegParams::new(Some(quality), None, None).expect("valid quality");
        let small = JpegParams::new(Some(quality), Some(MAX_WIDTH), None).expect("valid params");
        let f = measure(Codec::Product, rgba, image, &full, rgba, rounds);
        let s = measure(
            Codec::Product,
            rgba,
            image,
            &small,
            &downscaled(rgba, &small),
            rounds,
        );
        let mark = if quality == u32::from(DEFAULT_QUALITY) {
            " (default)"
        } else {
            ""
        };
        section.row(vec![
            format!("{quality}{mark}"),
            kb(f.bytes),
            format!("{:.1}", f.psnr),
            format!("{:.1}", f.cpu_ms),
            kb(s.bytes),
            format!("{:.1}", s.psnr),
        ]);
    }
    section
}

/// The bit-rate and encode targets.
fn targets(
    full: Encoded,
    small: Encoded,
    worst_encode: (f64, u32),
    (pure_rust_worst, pure_rust_converged): (f64, f64),
    report: &mut Report,
) {
    let mbits = |bytes: usize| bytes as f64 * 8.0 * 30.0 / 1e6;
    report.targets.push(Target {
        target: format!(
            "jpeg: a converged 1920x1080 frame at the default quality (q{DEFAULT_QUALITY}) <= \
             170 KB (<= 40 Mbit/s at 30 frames/s)"
        ),
        measured: format!(
            "{} KB ({:.1} Mbit/s at 30 frames/s), PSNR {:.1} dB",
            kb(full.bytes),
            mbits(full.bytes),
            full.psnr
        ),
        verdict: Verdict::of(full.bytes <= CONVERGED_LIMIT),
        why: "The 1024-spp frame of the reference sequence; noisier frames take more bytes \
              (the section *the reference sequence*)."
            .into(),
    });
    report.targets.push(Target {
        target: format!("jpeg: the same frame with max_width={MAX_WIDTH} <= 80 KB"),
        measured: format!(
            "{} KB ({:.1} Mbit/s at 30 frames/s), PSNR {:.1} dB",
            kb(small.bytes),
            mbits(small.bytes),
            small.psnr
        ),
        verdict: Verdict::of(small.bytes <= DOWNSCALED_LIMIT),
        why: String::new(),
    });
    let (worst_ms, worst_spp) = worst_encode;
    report.targets.push(Target {
        target: format!(
            "jpeg: <= 8 ms of CPU per 1920x1080 frame at the default quality (q{DEFAULT_QUALITY}, \
             one core)"
        ),
        measured: format!(
            "{worst_ms:.*} ms at worst over the sequence (at {worst_spp} spp), {:.1} ms for \
             the converged frame",
            decimals_against(worst_ms, ENCODE_LIMIT_MS, 1),
            full.cpu_ms
        ),
        verdict: Verdict::of(worst_ms <= ENCODE_LIMIT_MS),
        why: format!(
            "The proxy's whole path per frame and variant on Linux: the frame's raw rows \
             (kept while a JPEG variant is watched), encoded by libjpeg-turbo. Noise costs: the more coefficients survive \
             quantisation, the more the entropy coder writes. Builds for other systems use \
             the pure-Rust jpeg-encoder, which takes {pure_rust_worst:.1} ms (1 spp) and \
             {pure_rust_converged:.1} ms (1024 spp) for the encode alone (the section \
             *encoders compared*). The same 1 spp encode is timed before each part of the run \
             (the *core speed* row at the top): it takes more cycles, at the same clock, \
             while the physical core's other hardware thread runs other work, and this \
             target's verdict moves with it."
        ),
    });
}
