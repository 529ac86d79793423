//! `CallbackStreamer`: the handle of one callback stream from Octane, and what it shares with
//! its upstream task.
//!
//! Registers with `ApiRenderEngineService/setOnNewImageCallback`, opens
//! `StreamCallbackService/callbackChannel`, and for every `newImage` grabs the render result once
//! (not once per client), releases it, builds one frame and publishes it to the [`FrameHub`].
//! When the stream ends or Octane goes away it reconnects with capped exponential backoff,
//! registers again and resumes; subscribers stay connected and get `status` events. A
//! registration Octane refused is retried with backoff while the stream is open, and at once
//! when `register-callback` asks again. Octane sends the stream's headers with its first
//! callback, so a stream that stays silent a short while after it was sent counts as open.
//! The task is in `stream_loop`, the calls it makes in `calls`, what it does with each callback
//! in `callback_events`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use octane_proxy::{AccessPolicy, Octane, ProxyError};
use tokio::sync::{Mutex, Notify, oneshot, watch};

use super::restart::restart_on_panic;
use super::status::{Counters, Status};
use super::stream_loop::run;
use crate::fan_out::FrameHub;
use crate::fan_out::Variants;
use crate::fan_out::jpeg_variant::JpegVariant;
use crate::fan_out::webr_feed::WebrFeed;
use crate::frames::EventBuffers;

/// How the streamer behaves.
#[derive(Debug, Clone)]
pub struct StreamerConfig {
    /// First wait before reconnecting; doubles per failure.
    pub backoff_min: Duration,
    /// Longest wait before reconnecting.
    pub backoff_max: Duration,
    /// How often each SSE client gets a `ping` event.
    pub ping_interval: Duration,
    /// `callbackSource` sent with the registration.
    pub callback_source: String,
    /// How long `register-callback` waits for the first registration (once streaming, for a
    /// registration it asked to retry) before it answers.
    pub register_wait: Duration,
    /// How long each unary call to Octane (registration, grab, release, statistics) may take
    /// before it counts as failed; long enough for the largest frame's transfer. Callbacks are
    /// read between these calls, so this also bounds how long a hung call can keep a stream end
    /// unnoticed.
    pub call_timeout: Duration,
    /// The proxy's allow and deny rules, applied to the calls the streamer makes ([`CALLS`]):
    /// if they refuse any, `register-callback` answers their 403 and starts nothing, so a
    /// refused RPC never reaches Octane through the render routes either. The default lets
    /// everything through.
    pub access: AccessPolicy,
    /// How long a client may take to send the body of a render endpoint's request
    /// (`ping-client`); then 408, as the router's [`body_timeout`] for its own routes.
    ///
    /// [`body_timeout`]: octane_proxy::RouterBuilder::body_timeout
    pub body_timeout: Duration,
}

/// The RPCs the streamer calls on Octane, as `Service/method`.
pub const CALLS: [(&str, &str); 5] = [
    ("ApiRenderEngine", "setOnNewImageCallback"),
    ("StreamCallback", "callbackChannel"),
    ("ApiRenderEngine", "grabRenderResult"),
    ("ApiRenderEngine", "releaseRenderResult"),
    ("ApiRenderEngine", "getRenderStatistics"),
];

impl Default for StreamerConfig {
    fn default() -> Self {
        Self {
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            ping_interval: Duration::from_secs(30),
            callback_source: "octane-proxy".to_owned(),
            register_wait: Duration::from_secs(5),
            call_timeout: Duration::from_secs(10),
            access: AccessPolicy::default(),
            body_timeout: octane_proxy::DEFAULT_BODY_TIMEOUT,
        }
    }
}

/// The live render stream of one Octane. Cheap to clone; the upstream task stops when the last
/// clone is dropped.
#[derive(Clone)]
pub struct CallbackStreamer {
    pub(crate) shared: Arc<Shared>,
    _task: Arc<TaskGuard>,
}

/// What the handles and the upstream task share.
pub(crate) struct Shared {
    pub(super) octane: Octane,
    pub(crate) hub: FrameHub,
    /// What `/api/callbacks` sockets get.
    pub(crate) webr: WebrFeed,
    /// The JPEG variants the live views watch.
    pub(crate) jpeg: Variants<JpegVariant>,
    pub(crate) counters: Counters,
    pub(crate) config: StreamerConfig,
    pub(super) sequence: AtomicU64,
    /// The buffers frames' events are built in.
    pub(crate) buffers: EventBuffers,
    /// Set once the upstream task runs; holds the waiters of the first registration.
    pub(super) start: Mutex<Start>,
    /// Asks the upstream task for a registration attempt now (`register-callback` while Octane
    /// has not accepted one).
    pub(super) register_now: Notify,
    /// Registration attempts finished, for `register-callback` to wait for the one it asked for.
    pub(super) registrations: watch::Sender<u64>,
    /// Whether a stream was ever open: only opening one again is a reconnect, also after the
    /// task was restarted.
    pub(super) was_open: AtomicBool,
}

pub(super) enum Start {
    Idle,
    Starting(Vec<oneshot::Sender<()>>),
    Running,
}

/// Aborts the upstream task when the last streamer handle goes.
struct TaskGuard(std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if let Some(task) = self.0.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for CallbackStreamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackStreamer")
            .field("octane", &self.shared.octane.address())
            .finish_non_exhaustive()
    }
}

impl CallbackStreamer {
    /// A streamer for `octane`; nothing happens until [`CallbackStreamer::start`]. It talks to
    /// Octane on a connection of its own ([`Octane::own_connection`]), so grabbing frames never
    /// delays the router's calls.
    #[must_use]
    pub fn new(octane: &Octane, config: StreamerConfig) -> Self {
        let hub = FrameHub::new();
        let webr = WebrFeed::new(Variants::new(hub.frames()));
        let jpeg = Variants::new(hub.frames());
        Self {
            shared: Arc::new(Shared {
                octane: octane.own_connection(),
                hub,
                webr,
                jpeg,
                counters: Counters::default(),
                config,
                sequence: AtomicU64::new(0),
                buffers: EventBuffers::new(),
                start: Mutex::new(Start::Idle),
                register_now: Notify::new(),
                registrations: watch::Sender::new(0),
                was_open: AtomicBool::new(false),
            }),
            _task: Arc::new(TaskGuard(std::sync::Mutex::new(None))),
        }
    }

    /// Starts streaming if it has not started (a second call never opens a second upstream
    /// stream), and waits for the first registration to finish, or for the configured time.
    /// Once streaming, if Octane has not accepted the registration, asks for an attempt now and
    /// waits for it the same way.
    pub async fn start(&self) -> Status {
        let waiter = {
            let mut start = self.shared.start.lock().await;
            match &mut *start {
                Start::Running => None,
                Start::Starting(waiters) => {
                    let (tx, rx) = oneshot::channel();
                    waiters.push(tx);
                    Some(rx)
                }
                Start::Idle => {
                    let (tx, rx) = oneshot::channel();
                    *start = Start::Starting(vec![tx]);
                    self.shared.counters.started.store(true, Ordering::Relaxed);
                    let (running, reporting) = (self.shared.clone(), self.shared.clone());
                    let task = tokio::spawn(restart_on_panic(
                        move || run(running.clone()),
                        self.shared.config.backoff_max,
                        move |panic| {
                            tracing::error!(%panic, "the render stream's task panicked; restarting it");
                            let shared = reporting.clone();
                            async move {
                                let why =
                                    format!("internal error, the stream was restarted: {panic}");
                                shared.stream_ended(why).await;
                            }
                        },
                    ));
                    *self._task.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
                    Some(rx)
                }
            }
        };
        let wait = self.shared.config.register_wait;
        match waiter {
            Some(waiter) => {
                let _ = tokio::time::timeout(wait, waiter).await;
            }
            None => {
                // Subscribed before `registered` is read: an attempt that succeeds in between
                // either shows in `registered` or wakes `changed`, never neither.
                let mut attempts = self.shared.registrations.subscribe();
                if !self.shared.counters.registered.load(Ordering::Relaxed) {
                    self.shared.register_now.notify_one();
                    let _ = tokio::time::timeout(wait, attempts.changed()).await;
                }
            }
        }
        self.status()
    }

    /// Whether [`StreamerConfig::access`] lets through every call the streamer makes; the
    /// refusal of the first it does not.
    pub fn authorize(&self) -> Result<(), ProxyError> {
        let access = &self.shared.config.access;
        CALLS
            .iter()
            .filter_map(|&(service, method)| octane_proxy::routes::lookup(service, method).ok())
            .try_for_each(|route| access.authorize(route))
    }

    /// The streamer's state and counters.
    #[must_use]
    pub fn status(&self) -> Status {
        self.shared.counters.snapshot()
    }

    /// The fan-out of frames and events.
    #[must_use]
    pub fn hub(&self) -> &FrameHub {
        &self.shared.hub
    }
}

impl Shared {
    /// Every live variant's metrics label and counters.
    pub(crate) fn variant_stats(&self) -> Vec<(String, crate::fan_out::StatsSnapshot)> {
        let mut stats = self.jpeg.stats();
        stats.extend(self.webr.images.stats());
        stats
    }

    /// The first attempt opened the stream or failed: `start` need wait no longer.
    pub(super) async fn finish_start(&self) {
        let mut start = self.start.lock().await;
        if let Start::Starting(waiters) = std::mem::replace(&mut *start, Start::Running) {
            for waiter in waiters {
                let _ = waiter.send(());
            }
        }
    }
}
