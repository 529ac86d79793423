//! The results: printed as tables, written as `docs/benchmarks.md`.

use std::fmt::Write as _;
use std::path::Path;

/// One table of figures and what they mean.
pub(crate) struct Section {
    /// Heading.
    pub title: String,
    /// What each number means and how it was measured (Markdown).
    pub about: String,
    /// Column headings.
    pub head: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// Remarks on this run's figures (Markdown), e.g. what bounded them.
    pub notes: Vec<String>,
}

impl Section {
    /// A section with `head` for columns and no rows yet.
    pub(crate) fn new(title: &str, about: &str, head: &[&str]) -> Self {
        Self {
            title: title.to_owned(),
            about: about.to_owned(),
            head: head.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a row.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// Whether a target of the issue holds in this run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Measured, and within the target.
    Holds,
    /// Measured, and outside the target.
    Misses,
    /// Not measured in this run.
    NotMeasured,
}

/// How many decimals to print `value` with, beside a target's `limit`: `decimals`, or more
/// where fewer would print the limit itself (50.04 us against 50 us, 2.003x against 2x), so
/// that a figure never reads as the limit when its verdict says it is over or under.
pub(crate) fn decimals_against(value: f64, limit: f64, decimals: usize) -> usize {
    (decimals..decimals + 3)
        .find(|&d| value == limit || format!("{value:.d$}") != format!("{limit:.d$}"))
        .unwrap_or(decimals + 3)
}

impl Verdict {
    /// `Holds` when `ok`, else `Misses`.
    pub(crate) fn of(ok: bool) -> Self {
        if ok { Self::Holds } else { Self::Misses }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Holds => "holds",
            Self::Misses => "MISSES",
            Self::NotMeasured => "not measured",
        }
    }
}

/// A target of the issue, what this run measured, and why it holds or not.
pub(crate) struct Target {
    /// The target as the issue states it.
    pub target: String,
    /// The figure it is judged on.
    pub measured: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why it misses, or what bounds it (Markdown); may be empty when it holds.
    pub why: String,
}

/// Everything one run measured.
#[derive(Default)]
pub(crate) struct Report {
    /// The figures, section by section.
    pub sections: Vec<Section>,
    /// The targets.
    pub targets: Vec<Target>,
}

/// Facts about the run written at the top of the document.
pub(crate) struct RunInfo {
    /// The command that produced the figures.
    pub command: String,
    /// `quick` or `full`.
    pub mode: &'static str,
    /// CPU model.
    pub cpu: String,
    /// Logical CPUs.
    pub cores: usize,
    /// How an idle CPU waits for work ([`crate::procfs::cpu_idle`]).
    pub cpu_idle: String,
    /// Total memory in bytes.
    pub memory: u64,
    /// UTC date and time.
    pub date: String,
    /// Load averages when measuring started.
    pub load_before: [f64; 3],
    /// Load averages when it ended.
    pub load_after: [f64; 3],
    /// How long the run took, in seconds.
    pub seconds: f64,
    /// How fast a core ran through the run ([`crate::core_speed::CoreSpeed::summary`]).
    pub core_speed: String,
}

/// Marks the start of the hand-written analysis, kept when the document is rewritten.
const ANALYSIS_BEGIN: &str = "<!-- analysis: hand-written, kept by octane-bench -->";
/// Marks its end.
const ANALYSIS_END: &str = "<!-- end of analysis -->";

impl Report {
    /// The tables as plain text for the terminal.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        for section in &self.sections {
            let _ = writeln!(out, "\n== {} ==", section.title);
            out.push_str(&text_table(&section.head, &section.rows));
            for note in &section.notes {
                let _ = writeln!(out, "  note: {note}");
            }
        }
        let _ = writeln!(out, "\n== Targets ==");
        let rows: Vec<Vec<String>> = self
            .targets
            .iter()
            .map(|t| {
                vec![
                    t.target.clone(),
                    t.measured.clone(),
                    t.verdict.label().to_owned(),
                ]
            })
            .collect();
        out.push_str(&text_table(
            &["target".into(), "measured".into(), "verdict".into()],
            &rows,
        ));
        out
    }

    /// The whole document; `analysis` is the hand-written part kept from the previous version.
    pub(crate) fn to_markdown(&self, info: &RunInfo, analysis: &str) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Generated by `octane-bench` ({} mode); do not edit the figures by hand: rerun \
             `{}`. Only the analysis section between the markers is hand-written and survives \
             a rerun. For experiments, `cargo xtask bench --quick` (under 2 minutes) and \
             `--only PART` (repeatable: unary, throughput, memory, frames, startup, \
             streaming-calls, jpeg, live-view) write to `target/` and leave this file alone.\n",
            info.mode, info.command
        );
        let _ = writeln!(md, "| | |\n|---|---|");
        let _ = writeln!(md, "| date (UTC) | {} |", info.date);
        let _ = writeln!(md, "| command | `{}` |", info.command);
        let _ = writeln!(
            md,
            "| machine | {} logical CPUs, {}, {:.1} GiB RAM |",
            info.cores,
            info.cpu,
            info.memory as f64 / (1u64 << 30) as f64
        );
        let _ = writeln!(md, "| CPU idle | {} |", info.cpu_idle);
        let _ = writeln!(
            md,
            "| load average (1/5/15 min) | {:.2} / {:.2} / {:.2} at the start, {:.2} / {:.2} / {:.2} at the end |",
            info.load_before[0],
            info.load_before[1],
            info.load_before[2],
            info.load_after[0],
            info.load_after[1],
            info.load_after[2]
        );
        let _ = writeln!(md, "| core speed | {} |", info.core_speed);
        let _ = writeln!(md, "| duration | {:.0} s |\n", info.seconds);
        md.push_str(SETUP);

        let _ = writeln!(md, "\n## Targets\n");
        let _ = writeln!(md, "| target | measured | verdict | why / what bounds it |");
        let _ = writeln!(md, "|---|---|---|---|");
        for t in &self.targets {
            let _ = writeln!(
                md,
                "| {} | {} | **{}** | {} |",
                t.target,
                t.measured,
                t.verdict.label(),
                t.why.replace('\n', " ")
            );
        }
        for section in &self.sections {
            let _ = writeln!(md, "\n## {}\n", section.title);
            let _ = writeln!(md, "{}\n", section.about.trim());
            md.push_str(&markdown_table(&section.head, &section.rows));
            for note in &section.notes {
                let _ = writeln!(md, "\n{note}");
            }
        }
        let _ = writeln!(
            md,
            "\n{ANALYSIS_BEGIN}\n{}\n{ANALYSIS_END}",
            analysis.trim()
        );
        md
    }
}

/// The hand-written analysis of the document at `path`, if it has one.
pub(crate) fn kept_analysis(path: &Path) -> String {
    let Ok(old) = std::fs::read_to_string(path) else {
        return DEFAULT_ANALYSIS.to_owned();
    };
    match (old.find(ANALYSIS_BEGIN), old.find(ANALYSIS_END)) {
        (Some(begin), Some(end)) if begin < end => {
            old[begin + ANALYSIS_BEGIN.len()..end].trim().to_owned()
        }
        _ => DEFAULT_ANALYSIS.to_owned(),
    }
}

const DEFAULT_ANALYSIS: &str = "## Analysis\n\n(none yet)";

/// How every figure is taken; the same for every run.
const SETUP: &str = "\
## How it is measured

Everything runs in one process tree on loopback (127.0.0.1):

- the **test peer** (`octane-test-peer`, the tonic stand-in for Octane the tests use) on a tokio \
runtime of one worker thread;
- the **proxy** (`octane_proxy::Router` served by `octane_proxy::serve`, exactly as the \
`octane-proxy` binary builds it, without its log subscriber) in the same process on a runtime of \
its own with as many workers as the binary would have (one per CPU);
- the **load generator** on a third runtime of two workers: tonic clients of `octane_api` for the \
direct calls (one shared HTTP/2 connection, as the proxy has), hyper HTTP/1.1 keep-alive \
connections (one per concurrent task) for the calls through the proxy.

All three share the machine's cores, as they would on a developer's machine. The start-up and \
memory figures spawn the real release `octane-proxy` binary instead and read its \
`/proc/<pid>/status`. CPU time per call or frame is read per thread group from \
`/proc/self/task/*/schedstat` (nanoseconds), so the proxy's own share is told apart from the peer's \
and the load generator's. Every figure is the median of several rounds; a comparison (proxy vs \
direct) is the median of per-round ratios, the two sides run back to back in alternating order, \
because the machine is shared and its speed drifts.
";

fn text_table(head: &[String], rows: &[Vec<String>]) -> String {
    let columns = head.len();
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        for (i, cell) in cells.iter().enumerate().take(columns) {
            let pad = widths[i] - cell.chars().count();
            if i == 0 {
                let _ = write!(out, "{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(out, "  {}{cell}", " ".repeat(pad));
            }
        }
        out.push('\n');
    };
    line(head, &mut out);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&rule, &mut out);
    for row in rows {
        line(row, &mut out);
    }
    out
}

fn markdown_table(head: &[String], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", head.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        head.iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
            .collect::<String>()
    );
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

/// Today's UTC date and time as `YYYY-MM-DD HH:MM`.
pub(crate) fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `n` with thousands separated by commas, rounded.
pub(crate) fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_beside_its_limit_never_prints_as_the_limit() {
        assert_eq!(decimals_against(2.003, 2.0, 2), 3);
        assert_eq!(decimals_against(1.9996, 2.0, 2), 4);
        assert_eq!(decimals_against(50.04, 50.0, 1), 2);
        assert_eq!(decimals_against(59.6, 60.0, 0), 1);
        // Far from the limit, or on it exactly: the usual decimals.
        assert_eq!(decimals_against(1.84, 2.0, 2), 2);
        assert_eq!(decimals_against(2.0, 2.0, 2), 2);
        assert_eq!(decimals_against(f64::NAN, 2.0, 2), 2);
    }

    #[test]
    fn dates_and_numbers_format() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }

    #[test]
    fn analysis_survives_a_rewrite() {
        let dir = std::env::temp_dir().join(format!("octane-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("b.md");
        let info = RunInfo {
            command: "x".into(),
            mode: "quick",
            cpu: "c".into(),
            cores: 2,
            cpu_idle: "i".into(),
            memory: 0,
            date: "d".into(),
            load_before: [0.0; 3],
            load_after: [0.0; 3],
            seconds: 1.0,
            core_speed: "s".into(),
        };
        let md = Report::default().to_markdown(&info, "## Analysis\n\nkept");
        std::fs::write(&path, md).expect("write");
        assert_eq!(kept_analysis(&path), "## Analysis\n\nkept");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
