//! How fast one core of this machine runs, sampled through a run.
//!
//! The same fixed work is timed before each part and at the end: the 1 spp frame of the
//! reference sequence through the live view's JPEG encoder at the default quality, in this
//! thread's CPU time. On a shared VM the same code takes longer in some minutes than in others
//! (the host's contention, which the guest does not see as steal time). Absolute figures, such as
//! an encode's milliseconds or the start-up time, move with it. Ratios measured side by side do
//! not.

use std::time::Duration;

use octane_callbacks::Image;
use octane_callbacks::jpeg::JpegParams;

use crate::jpeg::{LDR_RGBA, encode_cpu};
use crate::reference::{HEIGHT, SPP, Scene, WIDTH};
/// Encodes per sample; a sample is their median.
const ENCODES: usize = 3;
/// The pause before a sample, so that the threads and sockets of the part before it are gone
/// and the sample times the core, not their wind-down.
const SETTLE: Duration = Duration::from_millis(250);

/// The probe and what it measured so far.
pub(crate) struct CoreSpeed {
    /// The noisiest reference frame, RGBA8.
    rgba: Vec<u8>,
    /// When each sample was taken (the part it preceded), and its CPU ms.
    samples: Vec<(&'static str, f64)>,
}

impl CoreSpeed {
    /// A probe with its frame made and no samples yet.
    pub(crate) fn new() -> Self {
        Self {
            rgba: Scene::new().frame(SPP[0]),
            samples: Vec::new(),
        }
    }

    /// Times the work now; `when` names the moment in the report.
    pub(crate) fn sample(&mut self, when: &'static str) {
        std::thread::sleep(SETTLE);
        let image = Image::new(LDR_RGBA, WIDTH, HEIGHT, 0, &self.rgba);
        let ms = encode_cpu(&image, &JpegParams::default(), ENCODES);
        self.samples.push((when, ms));
    }

    /// The samples for the report: each with its moment, then the spread.
    pub(crate) fn summary(&self) -> String {
        let ms: Vec<f64> = self.samples.iter().map(|&(_, ms)| ms).collect();
        let (Some(least), Some(most)) = (
            ms.iter().copied().reduce(f64::min),
            ms.iter().copied().reduce(f64::max),
        ) else {
            return "not sampled".to_owned();
        };
        let each: Vec<String> = self
            .samples
            .iter()
            .map(|(when, ms)| format!("{when} {ms:.1}"))
            .collect();
        format!(
            "the 1 spp reference frame's JPEG encode at the default quality, CPU ms on one core \
             (median of {ENCODES}), timed before each part: {} ms; {least:.1} to {most:.1} ms, \
             the slowest {:.0} % over the fastest",
            each.join(", "),
            (most / least - 1.0) * 100.0
        )
    }
}
