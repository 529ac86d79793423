//! The upstream task, run again should it panic.
//!
//! The streamer's one task holds the callback stream for every client. A bug in handling one
//! callback would otherwise end it for good while the process goes on serving: clients connected,
//! `/render/status` frozen, no frames ever again. Restarted, the task reconnects and registers
//! as after any broken stream, and the panic is reported as the stream's last error.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

/// Runs `task()` to its end; each time it panics, hands `on_panic` the panic's message (a panic
/// in `on_panic` is caught too), waits `pause` (a task that panics at once must not spin) and
/// runs a new `task()`.
pub(crate) async fn restart_on_panic<Task, Run, OnPanic, Report>(
    mut task: Task,
    pause: Duration,
    mut on_panic: OnPanic,
) where
    Task: FnMut() -> Run,
    Run: Future<Output = ()>,
    OnPanic: FnMut(String) -> Report,
    Report: Future<Output = ()>,
{
    // Unwind safety: the task's shared state is atomics, async mutexes (not poisoned by a
    // panic) and std mutexes read past poisoning, each left consistent by every single update.
    while let Err(panic) = AssertUnwindSafe(task()).catch_unwind().await {
        // A panic while reporting one must not end the restarts either.
        let _ = AssertUnwindSafe(on_panic(message(&*panic)))
            .catch_unwind()
            .await;
        tokio::time::sleep(pause).await;
    }
}

/// The text a panic was raised with, as the panic hook prints it.
fn message(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_run_again_after_the_pause_until_it_ends() {
        let runs = AtomicUsize::new(0);
        let mut panics = Vec::new();
        let started = tokio::time::Instant::now();
        restart_on_panic(
            || async {
                match runs.fetch_add(1, Ordering::Relaxed) {
                    0 => panic!("callback {} broke", 7),
                    1 => std::panic::panic_any("static text"),
                    2 => std::panic::panic_any(42_u8),
                    _ => {}
                }
            },
            Duration::from_secs(5),
            |message| {
                panics.push(message);
                async {}
            },
        )
        .await;
        assert_eq!(runs.load(Ordering::Relaxed), 4);
        assert_eq!(
            panics,
            [
                "callback 7 broke",
                "static text",
                "a panic without a message"
            ]
        );
        assert_eq!(started.elapsed(), Duration::from_secs(15));
    }
}
