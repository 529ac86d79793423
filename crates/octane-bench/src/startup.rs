//! Section 5: from spawning the release binary to a served `/health`.

use std::path::Path;

use crate::Settings;
use crate::report::{Report, Section, Target, Verdict, decimals_against};
use crate::spawned::Spawned;
use crate::stats::{median, range};

/// Section 5: spawns the binary several times and times it to its first `/health`.
pub(crate) fn run(settings: &Settings, binary: &Path, report: &mut Report) {
    let peer = octane_test_peer::TestPeer::start().expect("start the test peer");
    let runs = if settings.quick { 7 } else { 21 };
    let mut listening = Vec::with_capacity(runs);
    let mut healthy = Vec::with_capacity(runs);
    for _ in 0..runs {
        let proxy = Spawned::start(binary, peer.addr());
        listening.push(proxy.listening_after.as_secs_f64() * 1e3);
        healthy.push(proxy.healthy_after.as_secs_f64() * 1e3);
    }
    let mut section = Section::new(
        "5. Start-up",
        "The release `octane-proxy` binary spawned with `--host 127.0.0.1 --port P --octane-host \
         127.0.0.1 --octane-port <peer>`, default logging. *listening*: from the spawn call until \
         its port accepts a connection (polled every 0.1 ms); *first /health*: until `GET \
         /health` answered 200, which includes the probe of Octane over the freshly connected \
         gRPC channel. Milliseconds over several spawns.",
        &["figure", "median ms", "min ms", "max ms"],
    );
    for (name, values) in [("listening", &listening), ("first /health", &healthy)] {
        let (least, most) = range(values.iter().copied()).expect("at least one spawn");
        section.row(vec![
            name.to_owned(),
            format!("{:.1}", median(values)),
            format!("{least:.1}"),
            format!("{most:.1}"),
        ]);
    }
    let start_up = median(&healthy);
    report.targets.push(Target {
        target: "start-up (process start to a served /health) < 50 ms".into(),
        measured: format!(
            "{start_up:.*} ms median of {runs}",
            decimals_against(start_up, 50.0, 1)
        ),
        verdict: Verdict::of(start_up < 50.0),
        why: String::new(),
    });
    report.sections.push(section);
}
