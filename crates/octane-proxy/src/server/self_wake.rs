//! A connection future polled again in place when it wakes its own task.
//!
//! hyper's HTTP/1 dispatcher runs the service inside the connection's task. When the service
//! takes the request body, hyper's body channel wakes the waker the dispatcher registered to
//! learn there is room for more: the same task, in the middle of its own poll. tokio takes a
//! wake-up during a task's own poll for a yield. It puts the task at the back of the run
//! queue and wakes a parked worker to steal it. At low load that is one more thread woken per
//! request (a futex, on a VM an interrupt to an idle vCPU), ahead of the h2 task that sends
//! the call to Octane, for a poll that finds nothing to do.
//!
//! [`RepollOnSelfWake`] gives the connection a waker of its own. A wake-up that arrives while
//! the connection is being polled is noted, and the connection is polled once more at once.
//! Any other wake-up goes straight to the task's waker. After [`INLINE_REPOLLS`] polls in a
//! row that each woke the task, it yields through tokio after all, so a future that yields on
//! purpose (hyper does after 16 pipelined requests) still lets other tasks run. tokio's own
//! yields (`yield_now`, the cooperative budget) wake the task only after its poll, so they
//! stay yields.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// How many times in a row a future that woke itself is polled again in place.
const INLINE_REPOLLS: usize = 2;

/// Not being polled: a wake-up goes to the task.
const IDLE: u8 = 0;
/// Being polled: a wake-up is noted.
const POLLING: u8 = 1;
/// Woken while being polled: poll again.
const WOKEN: u8 = 2;

pin_project_lite::pin_project! {
    /// Wraps a future so that wake-ups during its own poll re-poll it in place instead of
    /// rescheduling its task (see the module docs).
    pub(crate) struct RepollOnSelfWake<F> {
        #[pin]
        inner: F,
        signal: Arc<Signal>,
        waker: Waker,
    }
}

/// What the inner future's waker shares with the poller.
struct Signal {
    state: AtomicU8,
    task: AtomicWaker,
}

impl<F> RepollOnSelfWake<F> {
    pub(crate) fn new(inner: F) -> Self {
        let signal = Arc::new(Signal {
            state: AtomicU8::new(IDLE),
            task: AtomicWaker::new(),
        });
        let waker = Waker::from(Arc::clone(&signal));
        Self {
            inner,
            signal,
            waker,
        }
    }
}

impl<F: Future> Future for RepollOnSelfWake<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        this.signal.task.register(cx.waker());
        let mut inner_cx = Context::from_waker(this.waker);
        for _ in 0..=INLINE_REPOLLS {
            // A read-modify-write, as are the wakers' changes: it reads the last wake-up's
            // write, so this poll sees what that waker published before it woke.
            this.signal.state.swap(POLLING, Ordering::AcqRel);
            if let Poll::Ready(output) = this.inner.as_mut().poll(&mut inner_cx) {
                this.signal.state.store(IDLE, Ordering::Release);
                return Poll::Ready(output);
            }
            if this
                .signal
                .state
                .compare_exchange(POLLING, IDLE, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Poll::Pending;
            }
        }
        // Woken during every poll: yield the way tokio would have.
        this.signal.state.swap(IDLE, Ordering::AcqRel);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Being polled: note it by writing WOKEN even when it is WOKEN already. A wake-up that
        // only read WOKEN would not be ordered before the next poll, which could then miss
        // what this waker published (store buffering; found with loom).
        let noted = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                (state != IDLE).then_some(WOKEN)
            });
        if noted.is_err() {
            self.task.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Counts the wake-ups of the task that polls the future under test.
    #[derive(Default)]
    struct TaskWakes(AtomicUsize);

    impl TaskWakes {
        /// A counter and the waker that counts into it.
        fn waker() -> (Arc<Self>, Waker) {
            let task = Arc::new(Self::default());
            let waker = Waker::from(Arc::clone(&task));
            (task, waker)
        }
    }

    impl Wake for TaskWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Pending `pending` times, waking itself during the first `self_wakes` polls, then ready;
    /// keeps the last waker it was polled with.
    struct Script {
        polls: usize,
        pending: usize,
        self_wakes: usize,
        waker: Option<Waker>,
    }

    impl Future for Script {
        type Output = usize;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            self.polls += 1;
            self.waker = Some(cx.waker().clone());
            if self.polls <= self.self_wakes {
                cx.waker().wake_by_ref();
            }
            if self.polls > self.pending {
                Poll::Ready(self.polls)
            } else {
                Poll::Pending
            }
        }
    }

    fn script(pending: usize, self_wakes: usize) -> Pin<Box<RepollOnSelfWake<Script>>> {
        Box::pin(RepollOnSelfWake::new(Script {
            polls: 0,
            pending,
            self_wakes,
            waker: None,
        }))
    }

    #[test]
    fn a_self_wake_polls_again_in_place_without_waking_the_task() {
        let (task, waker) = TaskWakes::waker();
        let mut future = script(5, 1);
        let mut cx = Context::from_waker(&waker);
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(future.inner.polls, 2);
        assert_eq!(task.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_wake_between_polls_reaches_the_task_once() {
        let (task, waker) = TaskWakes::waker();
        let mut future = script(5, 0);
        let mut cx = Context::from_waker(&waker);
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Pending);
        let inner_waker = future.inner.waker.clone().expect("polled");
        inner_waker.wake_by_ref();
        inner_waker.wake_by_ref();
        assert_eq!(
            task.0.load(Ordering::SeqCst),
            1,
            "the task's waker is taken once"
        );
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Pending);
        inner_waker.wake();
        assert_eq!(
            task.0.load(Ordering::SeqCst),
            2,
            "re-registered by the next poll"
        );
    }

    #[test]
    fn a_future_that_keeps_waking_itself_yields_through_the_task() {
        let (task, waker) = TaskWakes::waker();
        let mut future = script(10, 10);
        let mut cx = Context::from_waker(&waker);
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(future.inner.polls, INLINE_REPOLLS + 1);
        assert_eq!(task.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_task_out_of_tokio_budget_still_yields() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let inner_polls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&inner_polls);
        let mut work = Box::pin(async {
            for _ in 0..200 {
                tokio::task::coop::consume_budget().await;
            }
        });
        let future = RepollOnSelfWake::new(std::future::poll_fn(move |cx| {
            counted.fetch_add(1, Ordering::SeqCst);
            work.as_mut().poll(cx)
        }));
        runtime.block_on(async { tokio::spawn(future).await.expect("joined") });
        // tokio's budget is 128 units a task poll and its wake-up comes after the poll: 200
        // units take two task polls, none of them repeated in place.
        assert_eq!(inner_polls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_output_comes_through() {
        let (task, waker) = TaskWakes::waker();
        let mut future = script(1, 1);
        let mut cx = Context::from_waker(&waker);
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(2));
        assert_eq!(task.0.load(Ordering::SeqCst), 0);
    }
}
