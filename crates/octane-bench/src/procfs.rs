//! What the harness reads from `/proc` and `/sys`: CPU time per thread group, resident memory, the
//! machine.

use std::fs;

use crate::stats::median;

/// Nanoseconds of CPU time used so far by the threads of this process whose name starts with
/// `prefix`: the runtimes of the proxy, the peer and the load generator are named apart, so one
/// process can account for each separately.
///
/// Reads `/proc/self/task/*/schedstat` (nanosecond resolution; `stat` counts 10 ms ticks).
/// Threads that exited are not counted: the runtimes keep theirs for the whole run.
pub(crate) fn thread_cpu_ns(prefix: &str) -> u64 {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| {
            fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.starts_with(prefix))
        })
        .filter_map(|task| fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Clock ticks of CPU time spent in user space and in the kernel by the threads of this process
/// whose name starts with `prefix`, from `/proc/self/task/*/stat` (`utime`, `stime`).
///
/// Ticks are coarse (10 ms); over a window of seconds their ratio tells how a thread group's
/// [`thread_cpu_ns`] splits between its own code and the system calls it makes.
pub(crate) fn thread_ticks(prefix: &str) -> Ticks {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return Ticks::default();
    };
    tasks
        .flatten()
        .filter(|task| {
            fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.starts_with(prefix))
        })
        .filter_map(|task| fs::read_to_string(task.path().join("stat")).ok())
        .filter_map(|stat| {
            // The fields after the command name, which is in parentheses and may hold spaces:
            // state is field 3, utime 14 and stime 15.
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
            Some(Ticks {
                user: fields.next()?.parse().ok()?,
                system: fields.next()?.parse().ok()?,
            })
        })
        .fold(Ticks::default(), |sum, ticks| Ticks {
            user: sum.user + ticks.user,
            system: sum.system + ticks.system,
        })
}

/// CPU time in clock ticks, split as the kernel accounts it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ticks {
    /// In user space.
    pub user: u64,
    /// In the kernel, on behalf of the threads (system calls, faults).
    pub system: u64,
}

impl Ticks {
    /// The share of user space in the CPU time between `self` and a later reading `then`; `None`
    /// without a tick in between.
    pub(crate) fn user_share_until(self, then: Ticks) -> Option<f64> {
        let user = then.user.saturating_sub(self.user);
        let system = then.system.saturating_sub(self.system);
        (user + system > 0).then(|| user as f64 / (user + system) as f64)
    }
}

/// Nanoseconds of CPU time the calling thread has used: unlike wall time, it does not count
/// the time other processes held the core. `CLOCK_THREAD_CPUTIME_ID` is exact; the thread's own
/// `schedstat` only advances at scheduler ticks while it runs.
#[allow(unsafe_code)] // system calls libc alone offers; see the SAFETY comments
pub(crate) fn own_thread_cpu_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given and nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if rc != 0 {
        return 0;
    }
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

/// The result of the last of `runs` runs of `work` on this thread (at least one run), and the
/// median CPU time of one run, ms.
pub(crate) fn median_cpu_ms_of<T>(runs: usize, mut work: impl FnMut() -> T) -> (T, f64) {
    let mut timed = || {
        let start = own_thread_cpu_ns();
        let out = work();
        (out, own_thread_cpu_ns().saturating_sub(start) as f64 / 1e6)
    };
    let (mut last, first) = timed();
    let mut times = vec![first];
    for _ in 1..runs {
        let (out, ms) = timed();
        last = out;
        times.push(ms);
    }
    (last, median(&times))
}

/// Resident set size of process `pid` in bytes (`VmRSS` of `/proc/<pid>/status`).
pub(crate) fn rss_bytes(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:") * 1024
}

/// Peak resident set size of process `pid` in bytes (`VmHWM`).
pub(crate) fn peak_rss_bytes(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:") * 1024
}

fn status_kib(pid: u32, key: &str) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .and_then(|value| value.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The CPU model from `/proc/cpuinfo`.
pub(crate) fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// How an idle CPU waits for work: the `cpuidle` driver and, for `haltpoll` (KVM guests), how
/// long a vCPU with nothing to run polls before it halts. Waking a halted vCPU takes a trip
/// through the hypervisor, which is most of what waking a parked thread costs on such a VM, and
/// the latency figures follow it, so the report records it beside the CPU model.
pub(crate) fn cpu_idle() -> String {
    let read = |path: &str| {
        fs::read_to_string(path)
            .ok()
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    match read("/sys/devices/system/cpu/cpuidle/current_driver").as_deref() {
        None => "unknown".to_owned(),
        Some("haltpoll") => match read("/sys/module/haltpoll/parameters/guest_halt_poll_ns") {
            Some(ns) if ns == "0" => {
                "`haltpoll` driver, `guest_halt_poll_ns` 0: an idle vCPU halts at once".to_owned()
            }
            Some(ns) => format!(
                "`haltpoll` driver, `guest_halt_poll_ns` {ns}: an idle vCPU polls for up to \
                 {ns} ns before it halts"
            ),
            None => "`haltpoll` driver".to_owned(),
        },
        Some(driver) => format!("`{driver}` driver"),
    }
}

/// The 1-, 5- and 15-minute load averages.
pub(crate) fn loadavg() -> [f64; 3] {
    let text = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut fields = text
        .split_whitespace()
        .map(|f| f.parse::<f64>().unwrap_or(f64::NAN));
    [(); 3].map(|()| fields.next().unwrap_or(f64::NAN))
}

/// Total memory of the machine in bytes (`MemTotal` of `/proc/meminfo`).
pub(crate) fn mem_total_bytes() -> u64 {
    fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_a_cpu_model() {
        assert!(rss_bytes(std::process::id()) > 0);
        assert!(!cpu_model().is_empty());
        assert!(!cpu_idle().is_empty());
        assert!(loadavg()[0] >= 0.0);
    }
}
