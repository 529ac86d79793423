//! How fast one core of this machine runs, sampled through a run.
//!
//! The same fixed work is timed before each part and at the end: the 1 spp frame of the
//! reference sequence through the live view's JPEG encoder at the default quality, in this
//! thread's CPU time. On a shared VM the same code takes longer in some minutes than in others
//! (the host's contention, which the guest does not see as steal time). Absolute figures, such as
//! an encode's milliseconds or the start-up time, move with it. Ratios measured side by side do
//! not.
//!
//! Beside the encode each sample times adds whose cycles are known, to say why: the clock, and
//! how many adds a cycle this hardware thread retires. On this VM the clock stays put while the
//! adds per cycle drop whenever the other hardware thread of the same physical core runs other
//! work (the host's, or this VM's other vCPU when the host places them so); the encode then takes
//! more cycles at the same clock.

use std::time::Duration;

use octane_callbacks::Image;
use octane_callbacks::jpeg::JpegParams;

use crate::jpeg::{LDR_RGBA, encode_cpu};
use crate::reference::{HEIGHT, SPP, Scene, WIDTH};
use crate::stats::{median, range};

/// Encodes per sample, each after one run of each add loop; a sample is their medians.
const ENCODES: usize = 3;
/// The pause before a sample, so that the threads and sockets of the part before it are gone
/// and the sample times the core, not their wind-down.
const SETTLE: Duration = Duration::from_millis(250);

/// The probe and what it measured so far.
pub(crate) struct CoreSpeed {
    /// The noisiest reference frame, RGBA8.
    rgba: Vec<u8>,
    /// What each sample measured, in the order taken.
    samples: Vec<Sample>,
}

/// One sample.
struct Sample {
    /// The part it preceded.
    when: &'static str,
    /// The encode's CPU ms.
    encode_ms: f64,
    /// The core's state beside the encodes, where the add loops exist.
    pipeline: Option<Pipeline>,
}

/// The clock, and the integer adds this hardware thread retired per cycle.
#[derive(Clone, Copy)]
struct Pipeline {
    ghz: f64,
    adds_per_cycle: f64,
}

impl Pipeline {
    /// Times the add loops once each on this thread: the dependent chain gives the clock (one
    /// add a cycle whatever else runs), the independent chains how many of the core's integer
    /// units this thread got.
    #[cfg(target_arch = "x86_64")]
    fn measure() -> Option<Self> {
        use crate::procfs::median_cpu_ms_of;
        let ((), dependent_ms) = median_cpu_ms_of(1, adds::dependent);
        let ((), independent_ms) = median_cpu_ms_of(1, adds::independent);
        let ghz = adds::ADDS as f64 / (dependent_ms * 1e6);
        Some(Self {
            ghz,
            adds_per_cycle: adds::ADDS as f64 / (independent_ms * 1e6) / ghz,
        })
    }

    /// The loops are x86-64 assembly; elsewhere the samples have the encode alone.
    #[cfg(not(target_arch = "x86_64"))]
    fn measure() -> Option<Self> {
        None
    }
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
        // Interleaved, so that the adds and the encodes see the core in the same state: it can
        // change from one encode to the next.
        let mut encodes = Vec::with_capacity(ENCODES);
        let mut pipelines = Vec::with_capacity(ENCODES);
        for _ in 0..ENCODES {
            pipelines.extend(Pipeline::measure());
            encodes.push(encode_cpu(&image, &JpegParams::default(), 1));
        }
        let pipeline = (!pipelines.is_empty()).then(|| Pipeline {
            ghz: median(&pipelines.iter().map(|p| p.ghz).collect::<Vec<_>>()),
            adds_per_cycle: median(
                &pipelines
                    .iter()
                    .map(|p| p.adds_per_cycle)
                    .collect::<Vec<_>>(),
            ),
        });
        self.samples.push(Sample {
            when,
            encode_ms: median(&encodes),
            pipeline,
        });
    }

    /// The samples for the report: each with its moment, then the spread.
    pub(crate) fn summary(&self) -> String {
        let Some((least, most)) = range(self.samples.iter().map(|s| s.encode_ms)) else {
            return "not sampled".to_owned();
        };
        let each: Vec<String> = self
            .samples
            .iter()
            .map(|s| match s.pipeline {
                Some(p) => format!(
                    "{} {:.1} ms ({:.2} GHz, {:.1} adds/cycle)",
                    s.when, s.encode_ms, p.ghz, p.adds_per_cycle
                ),
                None => format!("{} {:.1} ms", s.when, s.encode_ms),
            })
            .collect();
        let mut summary = format!(
            "the 1 spp reference frame's JPEG encode at the default quality, CPU ms on one core \
             (median of {ENCODES}), timed before each part: {}; {least:.1} to {most:.1} ms, \
             the slowest {:.0} % over the fastest",
            each.join(", "),
            (most / least - 1.0) * 100.0
        );
        let pipelines: Vec<Pipeline> = self.samples.iter().filter_map(|s| s.pipeline).collect();
        if let (Some(clock), Some(per_cycle)) = (
            range(pipelines.iter().map(|p| p.ghz)),
            range(pipelines.iter().map(|p| p.adds_per_cycle)),
        ) {
            summary.push_str(&format!(
                ". Beside each encode, integer adds in one dependent chain (one a cycle: the \
                 clock) and in four independent ones (up to four a cycle, fewer while the \
                 physical core's other hardware thread takes its units): the clock {:.2} to \
                 {:.2} GHz, {:.1} to {:.1} adds per cycle",
                clock.0, clock.1, per_cycle.0, per_cycle.1
            ));
        }
        summary
    }
}

/// Loops of register adds whose cycle counts are known.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)] // inline assembly; see the SAFETY comments
mod adds {
    use std::arch::asm;

    /// Adds in one run of either loop.
    pub(super) const ADDS: u64 = 16 << 20;
    /// Adds in one pass of either loop's body, as `add_loop!` writes it.
    const BODY: u64 = 16;

    /// The assembly of a loop whose body adds 1 to each of the four registers named (`asm!`
    /// operand names; one name four times makes a single chain), four rounds over, then counts
    /// `{n}` down to zero.
    macro_rules! add_loop {
        ($($register:literal),+) => {
            concat!(
                "2:\n",
                $("add {", $register, "}, 1\n",)+
                $("add {", $register, "}, 1\n",)+
                $("add {", $register, "}, 1\n",)+
                $("add {", $register, "}, 1\n",)+
                "dec {n}\n",
                "jnz 2b",
            )
        };
    }

    /// [`ADDS`] adds, each on the result of the one before, so one a cycle on any core.
    pub(super) fn dependent() {
        // SAFETY: the loop touches only the two registers given to it and the flags.
        unsafe {
            asm!(
                add_loop!("x", "x", "x", "x"),
                x = inout(reg) 0u64 => _,
                n = inout(reg) ADDS / BODY => _,
                options(nomem, nostack),
            );
        }
    }

    /// [`ADDS`] adds in four independent chains: up to four a cycle, as many as the core's
    /// integer units left to this thread allow.
    pub(super) fn independent() {
        // SAFETY: the loop touches only the five registers given to it and the flags.
        unsafe {
            asm!(
                add_loop!("a", "b", "c", "d"),
                a = inout(reg) 0u64 => _,
                b = inout(reg) 0u64 => _,
                c = inout(reg) 0u64 => _,
                d = inout(reg) 0u64 => _,
                n = inout(reg) ADDS / BODY => _,
                options(nomem, nostack),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Not a timing target: bounds no core leaves (no x86-64 core runs at 6.5 GHz, and four
    /// chains retire at most four adds a cycle). A loop body with half the adds counted would
    /// read twice the clock, past the first bound on this machine.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_add_loops_give_a_clock_and_at_most_four_adds_a_cycle() {
        let p = Pipeline::measure().expect("measured on x86-64");
        assert!((0.2..6.5).contains(&p.ghz), "{} GHz", p.ghz);
        assert!(
            (0.1..4.5).contains(&p.adds_per_cycle),
            "{} adds per cycle",
            p.adds_per_cycle
        );
    }
}
