//! The reference sequence of the JPEG figures: what Octane sends while a render converges.
//!
//! One fixed 1920x1080 scene (smooth shading, hard edges, texture) plus per-pixel noise whose
//! standard deviation falls as 1/sqrt(spp) from 1 to 1024 samples per pixel, from a fixed seed:
//! the same frames every run, on every machine. Frames are LDR RGBA8 (Octane's live-view
//! format), alpha 255.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};

/// Width of a reference frame.
pub(crate) const WIDTH: u32 = 1920;
/// Height of a reference frame.
pub(crate) const HEIGHT: u32 = 1080;
/// The samples per pixel of the sequence: 1, 2, 4, ... 1024; the last is the converged frame.
pub(crate) const SPP: [u32; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/// Noise at 1 spp, in 8-bit levels: a noisy first pass, as a path tracer's is.
pub(crate) const NOISE_AT_1_SPP: f32 = 48.0;
/// The seed of the noise, so every run encodes the same frames.
const SEED: u64 = 0x0C7A_0E28;

/// The standard deviation of the noise at `spp`, in 8-bit levels.
pub(crate) fn noise_sigma(spp: u32) -> f32 {
    NOISE_AT_1_SPP / (spp as f32).sqrt()
}

/// The scene without noise, as RGB in 8-bit levels (floats, so that noise is added before
/// rounding).
pub(crate) struct Scene {
    rgb: Vec<f32>,
}

impl Scene {
    /// Renders the scene: a sky gradient over a checkered floor, a shaded sphere with a hard
    /// silhouette, a panel of wood-like grain and a grid of fine lines.
    pub(crate) fn new() -> Self {
        let (w, h) = (WIDTH as usize, HEIGHT as usize);
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                rgb.extend_from_slice(&shade(x as f32, y as f32));
            }
        }
        Self { rgb }
    }

    /// The frame at `spp`: the scene plus its noise, RGBA8 tightly packed.
    pub(crate) fn frame(&self, spp: u32) -> Vec<u8> {
        let sigma = noise_sigma(spp);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED ^ u64::from(spp));
        let mut out = Vec::with_capacity(self.rgb.len() / 3 * 4);
        for pixel in self.rgb.chunks_exact(3) {
            for &v in pixel {
                let noise: f32 = StandardNormal.sample(&mut rng);
                out.push((v + sigma * noise).round().clamp(0.0, 255.0) as u8);
            }
            out.push(255);
        }
        out
    }
}

/// The scene's colour at pixel (`x`, `y`), in 8-bit levels.
fn shade(x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (WIDTH as f32, HEIGHT as f32);
    let horizon = 0.55 * h;
    // A sphere, lit from the upper left: smooth shading inside, a hard edge outside.
    let (cx, cy, r) = (0.3 * w, 0.52 * h, 0.2 * h);
    let (dx, dy) = ((x - cx) / r, (y - cy) / r);
    let d2 = dx * dx + dy * dy;
    if d2 < 1.0 {
        let nz = (1.0 - d2).sqrt();
        let lambert = (-0.5 * dx - 0.6 * dy + 0.62 * nz).max(0.0);
        let specular = lambert.powi(40);
        let lit = 0.12 + 0.88 * lambert;
        return [
            255.0 * (0.85 * lit + specular).min(1.0),
            255.0 * (0.32 * lit + specular).min(1.0),
            255.0 * (0.22 * lit + specular).min(1.0),
        ];
    }
    // A panel of grain: texture of every frequency, framed by hard edges.
    if (0.58 * w..0.86 * w).contains(&x) && (0.2 * h..0.75 * h).contains(&y) {
        let u = x / w;
        let v = y / h;
        let grain = (u * 90.0 + 6.0 * (v * 11.0).sin() + 2.5 * (u * 37.0 + v * 23.0).sin()).sin();
        let fine = (x * 0.9 + 3.0 * (y * 0.05).sin()).sin();
        let t = 0.5 + 0.35 * grain + 0.1 * fine;
        return [
            255.0 * (0.35 + 0.35 * t),
            255.0 * (0.22 + 0.25 * t),
            255.0 * (0.1 + 0.12 * t),
        ];
    }
    // A grid of one-pixel lines on a light plate: the sharpest detail there is.
    if (0.05 * w..0.2 * w).contains(&x) && (0.08 * h..0.3 * h).contains(&y) {
        let line = (x as u32).is_multiple_of(6) || (y as u32).is_multiple_of(9);
        return if line {
            [30.0, 30.0, 40.0]
        } else {
            [225.0, 228.0, 220.0]
        };
    }
    if y < horizon {
        // Sky: smooth from deep blue to a pale horizon.
        let t = y / horizon;
        return [
            255.0 * (0.3 + 0.55 * t),
            255.0 * (0.45 + 0.4 * t),
            255.0 * (0.78 + 0.12 * t),
        ];
    }
    // Floor: a checkerboard whose squares shrink with distance, darker far away, and the
    // sphere's soft shadow.
    let depth = (y - horizon) / (h - horizon);
    let scale = 8.0 + 120.0 * depth;
    let checker = (((x - 0.5 * w) / scale).floor() as i64
        + ((1.0 / (depth + 0.05)) * 4.0).floor() as i64)
        .rem_euclid(2);
    let base = if checker == 0 { 0.75 } else { 0.3 };
    let (sx, sy) = ((x - cx) / (1.3 * r), (y - (cy + 0.95 * r)) / (0.35 * r));
    let shadow = 1.0 - 0.6 * (-(sx * sx + sy * sy)).exp();
    let light = (0.45 + 0.55 * depth) * shadow;
    [
        255.0 * base * light,
        255.0 * base * light * 0.97,
        255.0 * base * light * 0.9,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_the_same_every_run_and_its_noise_falls_as_one_over_root_spp() {
        let scene = Scene::new();
        let noisy = scene.frame(1);
        assert_eq!(noisy.len(), (WIDTH * HEIGHT * 4) as usize);
        assert_eq!(noisy, scene.frame(1), "fixed seed");
        let converged = scene.frame(1024);
        // The measured deviation from the scene, over pixels away from the 0/255 clamps.
        let deviation = |frame: &[u8]| {
            let (mut sum, mut n) = (0.0f64, 0u64);
            for (rgba, rgb) in frame.chunks_exact(4).zip(scene.rgb.chunks_exact(3)) {
                for c in 0..3 {
                    if (100.0..155.0).contains(&rgb[c]) {
                        let d = f64::from(rgba[c]) - f64::from(rgb[c]);
                        sum += d * d;
                        n += 1;
                    }
                }
            }
            (sum / n as f64).sqrt()
        };
        let (at_1, at_1024) = (deviation(&noisy), deviation(&converged));
        assert!((at_1 - 48.0).abs() < 1.0, "{at_1}");
        // 48 / 32 = 1.5 levels, plus the rounding to 8 bits.
        assert!((at_1024 - 1.52).abs() < 0.1, "{at_1024}");
    }
}
