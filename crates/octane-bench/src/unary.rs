//! Sections 1 and 2: unary calls direct vs through the proxy, and the proxy's throughput.

use std::time::Duration;

use crate::Settings;
use crate::load::{Client, Round, Rpc, round};
use crate::procfs::thread_cpu_ns;
use crate::report::{Report, Section, Target, Verdict, decimals_against, thousands};
use crate::rig::{LOAD_THREADS, PEER_THREADS, PROXY_THREADS, Rig};
use crate::stats::{median, quantile, range};

/// CPU time spent by each thread group during a round, in nanoseconds.
#[derive(Clone, Copy, Default)]
pub(crate) struct Cpu {
    pub(crate) proxy: u64,
    peer: u64,
    load: u64,
}

impl Cpu {
    fn now() -> Self {
        Self {
            proxy: thread_cpu_ns(PROXY_THREADS),
            peer: thread_cpu_ns(PEER_THREADS),
            load: thread_cpu_ns(LOAD_THREADS),
        }
    }

    fn since(self, before: Self) -> Self {
        Self {
            proxy: self.proxy.saturating_sub(before.proxy),
            peer: self.peer.saturating_sub(before.peer),
            load: self.load.saturating_sub(before.load),
        }
    }

    fn total(self) -> u64 {
        self.proxy + self.peer + self.load
    }
}

/// One round and the CPU time it took.
pub(crate) struct Measured {
    pub(crate) round: Round,
    pub(crate) cpu: Cpu,
}

impl Measured {
    pub(crate) fn p50_us(&self) -> f64 {
        quantile(&self.round.latencies_ns, 0.50) as f64 / 1e3
    }

    pub(crate) fn p99_us(&self) -> f64 {
        quantile(&self.round.latencies_ns, 0.99) as f64 / 1e3
    }

    /// CPU microseconds per call of the chosen thread groups.
    fn cpu_us_per_call(&self, pick: impl Fn(Cpu) -> u64) -> f64 {
        pick(self.cpu) as f64 / 1e3 / self.round.calls.max(1) as f64
    }

    /// How much of the machine the three runtimes kept busy, in percent of all cores.
    fn busy_percent(&self) -> f64 {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as f64;
        self.cpu.total() as f64 / (self.round.elapsed.as_nanos() as f64 * cores) * 100.0
    }
}

pub(crate) async fn measure(clients: Vec<Client>, duration: Duration) -> (Vec<Client>, Measured) {
    let before = Cpu::now();
    let (clients, round) = round(clients, duration).await;
    let cpu = Cpu::now().since(before);
    (clients, Measured { round, cpu })
}

/// The ways a call is made, measured side by side.
struct Trio {
    direct: Measured,
    proxied: Measured,
    /// A plain HTTP/1.1 server that answers a fixed body: what HTTP alone costs.
    floor: Measured,
}

/// Rounds of `rpc` at `concurrency` made directly, through the proxy, and against the HTTP
/// floor, interleaved, the order rotating from round to round so a drift in machine speed
/// favours none.
fn compare(rig: &Rig, rpc: Rpc, concurrency: usize, settings: &Settings) -> Vec<Trio> {
    rig.load.block_on(async {
        let mut sides = [
            Client::direct(rpc, rig.peer.addr(), concurrency).await,
            Client::http(rpc, rig.proxy_addr, concurrency).await,
            Client::http(rpc, rig.floor_addr, concurrency).await,
        ];
        for side in &mut sides {
            let clients = std::mem::take(side);
            (*side, _) = round(clients, settings.warmup).await;
        }
        let mut trios = Vec::with_capacity(settings.rounds);
        for i in 0..settings.rounds {
            let mut measured: [Option<Measured>; 3] = [None, None, None];
            for k in 0..3 {
                let side = (i + k) % 3;
                let clients = std::mem::take(&mut sides[side]);
                let (clients, m) = measure(clients, settings.round).await;
                sides[side] = clients;
                measured[side] = Some(m);
            }
            let [direct, proxied, floor] = measured.map(|m| m.expect("every side ran"));
            trios.push(Trio {
                direct,
                proxied,
                floor,
            });
        }
        trios
    })
}

/// Median over pairs of `f`.
pub(crate) fn med<T>(pairs: &[T], f: impl Fn(&T) -> f64) -> f64 {
    median(&pairs.iter().map(f).collect::<Vec<_>>())
}

/// Section 1: `LiveLink/GetCamera` and `ApiItem/name`, direct vs proxied, at concurrency 1 and 64.
pub(crate) fn overhead(settings: &Settings, report: &mut Report) {
    let mut latency = Section::new(
        "1. Unary overhead, concurrency 1 (latency)",
        "One task calls back to back. *direct*: the generated tonic client straight to the peer. \
         *proxy*: HTTP/1.1 `POST /{Service}/{method}` with the web clients' JSON body through the \
         proxy, which decodes the JSON, makes the same gRPC call on its shared channel and \
         answers the JSON envelope. Latencies in microseconds per call (p50, p99 of one round; \
         median over rounds). *overhead* is proxy p50 minus direct p50, *ratio* proxy p50 / \
         direct p50, both per round and then the median. *proxy CPU* is the CPU time the \
         proxy's threads spent per call. *HTTP floor*: the same HTTP/1.1 call to the proxy's \
         server (`octane_proxy::serve`) with a service that answers a fixed JSON body at once, \
         no gRPC: what HTTP alone costs on this machine.",
        &[
            "RPC",
            "direct p50 us",
            "direct p99 us",
            "proxy p50 us",
            "proxy p99 us",
            "overhead p50 us",
            "ratio p50",
            "proxy CPU us/call",
            "HTTP floor p50 us",
        ],
    );
    let mut throughput = Section::new(
        "1. Unary overhead, concurrency 64 (throughput)",
        "64 tasks call back to back: 64 keep-alive HTTP/1.1 connections to the proxy, or 64 \
         tonic clients multiplexed on one HTTP/2 connection to the peer (as the proxy's own \
         channel). Calls per second (median over rounds) and the median per-round ratio \
         proxy/direct. *CPU us/call* adds up all three runtimes (load generator, proxy, peer) \
         per call; with the cores saturated (*busy*), calls/s is about cores / CPU per call, so \
         the CPU ratio predicts the throughput ratio. *HTTP floor* as above: HTTP/1.1 client and \
         server with nothing behind them.",
        &[
            "RPC",
            "direct req/s",
            "proxy req/s",
            "ratio",
            "CPU us/call direct",
            "CPU us/call proxied",
            "of which proxy",
            "busy direct/proxied",
            "HTTP floor req/s",
            "HTTP floor CPU us/call",
        ],
    );
    let mut overheads = Vec::new();
    let mut ratios = Vec::new();
    let mut cpu_notes = Vec::new();
    let mut busy_direct = Vec::new();
    for rpc in [Rpc::GetCamera, Rpc::ItemName] {
        let rig = Rig::plain();
        let pairs: Vec<_> = compare(&rig, rpc, 1, settings)
            .into_iter()
            .map(|t| (t.direct, t.proxied, t.floor))
            .collect();
        let overhead = med(&pairs, |(d, p, _)| p.p50_us() - d.p50_us());
        latency.row(vec![
            rpc.label().to_owned(),
            format!("{:.1}", med(&pairs, |(d, _, _)| d.p50_us())),
            format!("{:.1}", med(&pairs, |(d, _, _)| d.p99_us())),
            format!("{:.1}", med(&pairs, |(_, p, _)| p.p50_us())),
            format!("{:.1}", med(&pairs, |(_, p, _)| p.p99_us())),
            format!("{overhead:+.1}"),
            format!("{:.2}", med(&pairs, |(d, p, _)| p.p50_us() / d.p50_us())),
            format!(
                "{:.1}",
                med(&pairs, |(_, p, _)| p.cpu_us_per_call(|c| c.proxy))
            ),
            format!("{:.1}", med(&pairs, |(_, _, f)| f.p50_us())),
        ]);
        overheads.push((rpc, overhead, med(&pairs, |(_, _, f)| f.p50_us())));

        let pairs: Vec<_> = compare(&rig, rpc, 64, settings)
            .into_iter()
            .map(|t| (t.direct, t.proxied, t.floor))
            .collect();
        let ratio = med(&pairs, |(d, p, _)| p.round.rate() / d.round.rate());
        let cpu_direct = med(&pairs, |(d, _, _)| d.cpu_us_per_call(Cpu::total));
        let cpu_proxied = med(&pairs, |(_, p, _)| p.cpu_us_per_call(Cpu::total));
        let cpu_proxy = med(&pairs, |(_, p, _)| p.cpu_us_per_call(|c| c.proxy));
        let cpu_floor = med(&pairs, |(_, _, f)| f.cpu_us_per_call(Cpu::total));
        throughput.row(vec![
            rpc.label().to_owned(),
            thousands(med(&pairs, |(d, _, _)| d.round.rate())),
            thousands(med(&pairs, |(_, p, _)| p.round.rate())),
            format!("{ratio:.2}"),
            format!("{cpu_direct:.1}"),
            format!("{cpu_proxied:.1}"),
            format!("{cpu_proxy:.1}"),
            format!(
                "{:.0}% / {:.0}%",
                med(&pairs, |(d, _, _)| d.busy_percent()),
                med(&pairs, |(_, p, _)| p.busy_percent())
            ),
            thousands(med(&pairs, |(_, _, f)| f.round.rate())),
            format!("{cpu_floor:.1}"),
        ]);
        ratios.push((rpc, ratio));
        let busy = (
            med(&pairs, |(d, _, _)| d.busy_percent()),
            med(&pairs, |(_, p, _)| p.busy_percent()),
        );
        busy_direct.push(busy.0);
        // Calls/s is busy CPU over CPU per call, so the sides' busy shares scale the bound.
        cpu_notes.push(format!(
            "{}: a proxied call costs {cpu_proxied:.1} us of CPU in all, a direct one \
             {cpu_direct:.1} us (the proxy's own share {cpu_proxy:.1} us), so with the cores \
             as busy on both sides the ratio cannot exceed {:.2} ({:.2} with this run's busy \
             shares, {:.0}% direct and {:.0}% proxied); HTTP/1.1 alone (client + a server \
             answering a fixed body) costs {cpu_floor:.1} us, so even a proxy that did nothing \
             but HTTP in front of the direct call would reach only {:.2}",
            rpc.label(),
            cpu_direct / cpu_proxied,
            cpu_direct / cpu_proxied * busy.1 / busy.0,
            busy.0,
            busy.1,
            cpu_direct / (cpu_direct + cpu_floor)
        ));
    }

    let worst_overhead = overheads
        .iter()
        .map(|(_, o, _)| *o)
        .fold(f64::MIN, f64::max);
    let (floor_low, floor_high) =
        range(overheads.iter().map(|(_, _, f)| *f)).expect("at least one RPC measured");
    // The RPCs' floors are measured in rounds of their own and can differ by a factor when the
    // scheduler happens to put client and server on one CPU (no wake-up of an idle one).
    let floor_p50 = if floor_high - floor_low < 1.0 {
        format!("{floor_high:.0} us")
    } else {
        format!("{floor_low:.0} to {floor_high:.0} us")
    };
    report.targets.push(Target {
        target: "unary p50 added latency at concurrency 1 <= 50 us over direct tonic".into(),
        measured: overheads
            .iter()
            .map(|(rpc, o, _)| {
                let d = decimals_against(*o, 50.0, 1);
                format!("{} {o:+.d$} us", rpc.label())
            })
            .collect::<Vec<_>>()
            .join(", "),
        verdict: Verdict::of(worst_overhead <= 50.0),
        why: format!(
            "At concurrency 1 latency is mostly the wake-ups of parked threads: an HTTP/1.1 \
             round trip to a server answering a fixed body (the HTTP floor: two wake-ups and a \
             few microseconds of work) takes {floor_p50} p50 here. A proxied call has two \
             wake-ups more than a direct one (the proxy's thread on the request, and again on \
             Octane's answer), plus the JSON mapping and the hand-off to h2's connection task. \
             What a wake-up costs is the machine's: on a VM, mostly how its idle vCPUs wait (the \
             *CPU idle* row above), which the analysis measures both ways."
        ),
    });
    let worst_ratio = ratios.iter().map(|(_, r)| *r).fold(f64::MAX, f64::min);
    report.targets.push(Target {
        target: "unary req/s at concurrency 64 >= 60% of direct".into(),
        measured: ratios
            .iter()
            .map(|(rpc, r)| {
                let d = decimals_against(r * 100.0, 60.0, 0);
                format!("{} {:.d$}%", rpc.label(), r * 100.0)
            })
            .collect::<Vec<_>>()
            .join(", "),
        verdict: Verdict::of(worst_ratio >= 0.6),
        why: format!(
            "All three runtimes share the cores, so throughput is CPU per call: {}.",
            cpu_notes.join("; ")
        ),
    });
    if busy_direct.iter().any(|busy| *busy < 75.0) {
        throughput.notes.push(format!(
            "The direct side kept only {} of the cores busy: something else ran on the machine, \
             the benchmark was not CPU-bound, and the ratio reads higher than on a quiet \
             machine (more threads on the proxied side get more of a contended CPU).",
            busy_direct
                .iter()
                .map(|b| format!("{b:.0}%"))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    report.sections.push(latency);
    report.sections.push(throughput);
}

/// Section 2: the most calls per second the proxy serves, over a sweep of concurrency.
pub(crate) fn throughput(settings: &Settings, report: &mut Report) {
    let concurrencies: &[usize] = if settings.quick {
        &[16, 64, 256]
    } else {
        &[1, 4, 16, 64, 128, 256]
    };
    let mut section = Section::new(
        "2. Throughput through the proxy",
        "`ApiItem/name` through the proxy at increasing concurrency (keep-alive HTTP/1.1 \
         connections, one per task), load generator, proxy and peer sharing the cores. Median \
         over rounds of calls/s and of each round's p50/p99 latency; *proxy CPU* per call; \
         *busy* is the CPU time of all three runtimes over wall time x cores.",
        &[
            "concurrency",
            "req/s",
            "p50 us",
            "p99 us",
            "proxy CPU us/call",
            "busy",
        ],
    );
    let rig = Rig::plain();
    let mut best = (0usize, 0.0f64);
    for &concurrency in concurrencies {
        let runs = rig.load.block_on(async {
            let mut clients = Client::http(Rpc::ItemName, rig.proxy_addr, concurrency).await;
            (clients, _) = round(clients, settings.warmup).await;
            let mut runs = Vec::with_capacity(settings.rounds);
            for _ in 0..settings.rounds {
                let run;
                (clients, run) = measure(clients, settings.round).await;
                runs.push(run);
            }
            runs
        });
        let rate = med(&runs, |m| m.round.rate());
        if rate > best.1 {
            best = (concurrency, rate);
        }
        section.row(vec![
            concurrency.to_string(),
            thousands(rate),
            format!("{:.0}", med(&runs, Measured::p50_us)),
            format!("{:.0}", med(&runs, Measured::p99_us)),
            format!("{:.1}", med(&runs, |m| m.cpu_us_per_call(|c| c.proxy))),
            format!("{:.0}%", med(&runs, Measured::busy_percent)),
        ]);
    }
    section.notes.push(format!(
        "Most: **{} req/s** at concurrency {}.",
        thousands(best.1),
        best.0
    ));
    report.sections.push(section);
}
