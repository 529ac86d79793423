//! `CallbackStreamer`: one callback stream from Octane, and the frames and events it yields.
//!
//! Registers with `ApiRenderEngineService/setOnNewImageCallback`, opens
//! `StreamCallbackService/callbackChannel`, and for every `newImage` grabs the render result once
//! (not once per client), releases it, builds one frame and publishes it to the [`FrameHub`].
//! When the stream ends or Octane goes away it reconnects with capped exponential backoff,
//! registers again and resumes; subscribers stay connected and get `status` events. A
//! registration Octane refused is retried with backoff while the stream is open, and at once
//! when `register-callback` asks again. Octane sends the stream's headers with its first
//! callback, so a stream that stays silent a short while after it was sent counts as open.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::TryFutureExt;
use octane_api::google::protobuf::Empty;
use octane_api::octaneapi::api_render_engine::{
    GetRenderStatisticsRequest, ReleaseRenderResultRequest, SetOnNewImageCallbackRequest,
};
use octane_api::octaneapi::api_render_engine_service_client::ApiRenderEngineServiceClient;
use octane_api::octaneapi::stream_callback_request::Payload;
use octane_api::octaneapi::stream_callback_service_client::StreamCallbackServiceClient;
use octane_api::octaneapi::{OnNewImageCallbackT, RenderResultStatistics, StreamCallbackRequest};
use octane_proxy::octane::Channel;
use octane_proxy::{AccessPolicy, Octane, ProxyError};
use serde::Serialize;
use tokio::sync::{Mutex, Notify, oneshot, watch};
use tokio::time::Instant;

use crate::endpoints::webr_callbacks::WebrFeed;
use crate::fan_out::Variants;
use crate::fan_out::hub::FrameHub;
use crate::fan_out::jpeg_variant::JpegVariant;
use crate::frames::event_buffers::EventBuffers;
use crate::frames::frame::FrameBuilder;
use crate::upstream::grab::grab_render_result;
use crate::upstream::restart::restart_on_panic;
use crate::upstream::status::{Counters, Status};

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

/// Why a unary call to Octane failed.
#[derive(Debug, thiserror::Error)]
enum CallError {
    /// No answer within [`StreamerConfig::call_timeout`].
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The call ended with a status, Octane's or this side's (transport, decoding): its
    /// message, or its code's name when it has none.
    #[error("{}", status_text(.0))]
    Status(tonic::Status),
}

/// A status as the streamer reports it: its message, or its code's name when it has none.
fn status_text(status: &tonic::Status) -> &str {
    match status.message() {
        "" => octane_proxy::error::code_name(status.code()),
        message => message,
    }
}

impl CallError {
    /// Whether the request certainly never reached Octane: no connection could be made.
    fn never_sent(&self) -> bool {
        matches!(self, Self::Status(status) if octane_proxy::octane::is_connect_error(status))
    }

    /// Whether Octane itself answered with the status. A status made on this side (no
    /// connection, a broken one) carries the error behind it as its source; one Octane sent has
    /// none.
    fn answered_by_octane(&self) -> bool {
        matches!(self, Self::Status(status) if std::error::Error::source(status).is_none())
    }
}

/// The live render stream of one Octane. Cheap to clone; the upstream task stops when the last
/// clone is dropped.
#[derive(Clone)]
pub struct CallbackStreamer {
    pub(crate) shared: Arc<Shared>,
    _task: Arc<TaskGuard>,
}

pub(crate) struct Shared {
    octane: Octane,
    pub(crate) hub: FrameHub,
    /// What `/api/callbacks` sockets get.
    pub(crate) webr: WebrFeed,
    /// The JPEG variants the live views watch.
    pub(crate) jpeg: Variants<JpegVariant>,
    pub(crate) counters: Counters,
    pub(crate) config: StreamerConfig,
    sequence: AtomicU64,
    /// The buffers frames' events are built in.
    pub(crate) buffers: EventBuffers,
    /// Set once the upstream task runs; holds the waiters of the first registration.
    start: Mutex<Start>,
    /// Asks the upstream task for a registration attempt now (`register-callback` while Octane
    /// has not accepted one).
    register_now: Notify,
    /// Registration attempts finished, for `register-callback` to wait for the one it asked for.
    registrations: watch::Sender<u64>,
    /// Whether a stream was ever open: only opening one again is a reconnect, also after the
    /// task was restarted.
    was_open: AtomicBool,
}

enum Start {
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
    pub fn new(octane: Octane, config: StreamerConfig) -> Self {
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
    pub fn status(&self) -> Status {
        self.shared.counters.snapshot()
    }

    /// The fan-out of frames and events.
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

    fn channel(&self) -> Channel {
        self.octane.channel().clone()
    }

    fn render_engine(&self) -> ApiRenderEngineServiceClient<Channel> {
        let limit = self.octane.message_size_limit();
        ApiRenderEngineServiceClient::new(self.channel())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit)
    }

    /// `message` as a request that tells Octane the call's deadline (`grpc-timeout`).
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.config.call_timeout);
        request
    }

    /// Awaits a unary call for at most the call deadline. Enforced here too: the channel does
    /// not act on `grpc-timeout`, and a hung Octane would not either.
    async fn within<T>(
        &self,
        call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, CallError> {
        let deadline = self.config.call_timeout;
        match tokio::time::timeout(deadline, call).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(CallError::Status(status)),
            Err(_) => Err(CallError::Timeout(deadline)),
        }
    }

    async fn finish_start(&self) {
        let mut start = self.start.lock().await;
        if let Start::Starting(waiters) = std::mem::replace(&mut *start, Start::Running) {
            for waiter in waiters {
                let _ = waiter.send(());
            }
        }
    }

    /// Registers for new-image callbacks. A failure is logged and reported, not fatal: the
    /// stream is opened anyway, as the existing clients do, and the registration retried.
    /// Answers whether Octane answered, accepting or refusing: the connection works.
    async fn register(&self) -> bool {
        let request = SetOnNewImageCallbackRequest {
            callback: Some(OnNewImageCallbackT {
                callback_source: self.config.callback_source.clone(),
                callback_id: 1,
            }),
            user_data: 0,
        };
        let mut engine = self.render_engine();
        let answered = match self
            .within(engine.set_on_new_image_callback(self.request(request)))
            .await
        {
            Ok(response) => {
                self.counters
                    .callback_id
                    .store(response.callback_id, Ordering::Relaxed);
                self.counters.registered.store(true, Ordering::Relaxed);
                true
            }
            Err(err) => {
                self.counters.registered.store(false, Ordering::Relaxed);
                self.counters
                    .set_error(format!("setOnNewImageCallback failed: {err}"));
                tracing::warn!(error = %err, "registration failed; retried while the callback stream is open");
                err.answered_by_octane()
            }
        };
        self.registrations.send_modify(|attempts| *attempts += 1);
        answered
    }

    /// The stream ended for `why`: reported as the last error, and the stream no longer taken
    /// as connected.
    async fn stream_ended(&self, why: String) {
        self.counters.set_error(why);
        // If the first attempt failed before it was open, `start` has waited long enough.
        self.finish_start().await;
        Counters::bump(&self.counters.stream_errors);
        if self.counters.connected.load(Ordering::Relaxed) {
            // The last frame is of an Octane that may have restarted with another scene: it is
            // not served as live again, before or after the reconnect. Emptied before
            // `connected` turns false, so a frame in the hub always comes from the open stream.
            self.hub.clear_frame();
            self.counters.connected.store(false, Ordering::Relaxed);
            self.publish_state();
        }
    }

    /// The callback stream is open (or taken as open): tell the subscribers, end `start`.
    async fn opened(&self) {
        if self.was_open.swap(true, Ordering::Relaxed) {
            Counters::bump(&self.counters.reconnects);
        }
        self.counters.connected.store(true, Ordering::Relaxed);
        self.publish_state();
        tracing::info!("render callback stream open");
        self.finish_start().await;
    }

    fn publish_state(&self) {
        #[derive(Serialize)]
        struct StateEvent {
            r#type: &'static str,
            connected: bool,
            timestamp: f64,
            status: Status,
        }
        let status = self.counters.snapshot();
        self.hub.publish_event(sse_event(&StateEvent {
            r#type: "status",
            connected: status.connected,
            timestamp: now(),
            status,
        }));
    }

    async fn handle(self: &Arc<Self>, message: StreamCallbackRequest) {
        Counters::bump(&self.counters.callbacks);
        match message.payload {
            Some(Payload::NewImage(data)) => self.grab_and_publish(data.user_data).await,
            Some(Payload::NewStatistics(data)) => self.publish_statistics(data.user_data).await,
            Some(Payload::RenderFailure(data)) => {
                self.publish_simple("renderFailure", data.user_data)
            }
            Some(Payload::ProjectManagerChanged(data)) => {
                self.publish_simple("projectManagerChanged", data.user_data)
            }
            None => tracing::debug!("callback without payload"),
        }
    }

    async fn grab_and_publish(self: &Arc<Self>, user_data: u64) {
        // Octane keeps a grabbed result until it is released: armed before the grab, so that
        // however this future ends, a grab sent is followed by a release.
        let unreleased = UnreleasedGrab(Some(Arc::clone(self)));
        // The pixels are encoded into the frame's event while the answer arrives.
        let mut builder = FrameBuilder::new(self.buffers.clone());
        let grab = grab_render_result(self.channel(), self.config.call_timeout, &mut builder);
        let grabbed = match self.within(grab.map_ok(tonic::Response::new)).await {
            // Octane answered that it grabbed nothing: nothing to release.
            Ok(grabbed) if !grabbed.result => return unreleased.disarm(),
            Ok(grabbed) => {
                Counters::bump(&self.counters.grabs);
                tracing::debug!(user_data, "render result grabbed");
                Some(grabbed)
            }
            Err(err) => {
                self.counters
                    .set_error(format!("grabRenderResult failed: {err}"));
                if err.never_sent() {
                    return unreleased.disarm();
                }
                None
            }
        };
        // After a grab that worked the pixels are ours (received into this process): give the
        // buffers back at once, whatever happens to the frame. After one that failed past
        // sending (Octane's error, a frame over the size limit, a reset mid-response, no answer
        // in time) Octane may hold a result all the same, and a release with nothing grabbed is
        // harmless.
        self.release().await;
        unreleased.disarm();
        let Some(grabbed) = grabbed else {
            return;
        };
        let images = grabbed.render_images.map(|a| a.data).unwrap_or_default();
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let callback_id = self.counters.callback_id.load(Ordering::Relaxed);
        let frame = builder.finish(sequence, callback_id, user_data, now(), &images);
        self.hub.publish_frame(frame);
        self.counters
            .published_sequence
            .store(sequence, Ordering::Relaxed);
        Counters::bump(&self.counters.frames_published);
    }

    /// Releases Octane's render result; a failure is the status's last error. Counted either
    /// way: `releases` is the calls made, to set against `grabs`.
    async fn release(&self) {
        let mut engine = self.render_engine();
        let released = self
            .within(engine.release_render_result(self.request(ReleaseRenderResultRequest {})))
            .await;
        Counters::bump(&self.counters.releases);
        if let Err(err) = released {
            self.counters
                .set_error(format!("releaseRenderResult failed: {err}"));
        }
    }

    async fn publish_statistics(&self, user_data: u64) {
        let mut engine = self.render_engine();
        let statistics = match self
            .within(engine.get_render_statistics(self.request(GetRenderStatisticsRequest {})))
            .await
        {
            Ok(response) => response.statistics,
            Err(err) => {
                self.counters
                    .set_error(format!("getRenderStatistics failed: {err}"));
                None
            }
        };
        #[derive(Serialize)]
        struct StatisticsEvent {
            r#type: &'static str,
            callback_id: u32,
            user_data: u64,
            timestamp: f64,
            // Written by its generated serde impl, as `POST /ApiRenderEngine/getRenderStatistics`
            // answers it: the fields in proto order, 32-bit floats as such.
            statistics: Option<RenderResultStatistics>,
        }
        let timestamp = now();
        self.webr
            .statistics(user_data, timestamp, statistics.as_ref());
        let mut event = StatisticsEvent {
            r#type: "newStatistics",
            callback_id: self.counters.callback_id.load(Ordering::Relaxed),
            user_data,
            timestamp,
            statistics,
        };
        // Octane's values pass through the generated impl, which writes every value it can
        // get (unknown enum numbers as numbers, non-finite floats as strings); should one
        // still fail, the event goes out without them rather than not at all.
        let encoded = match try_sse_event(&event) {
            Ok(encoded) => encoded,
            Err(err) => {
                self.counters.set_error(format!(
                    "getRenderStatistics answer not written as JSON: {err}"
                ));
                event.statistics = None;
                sse_event(&event)
            }
        };
        self.hub.publish_event(encoded);
    }

    fn publish_simple(&self, kind: &'static str, user_data: u64) {
        #[derive(Serialize)]
        struct Event {
            r#type: &'static str,
            callback_id: u32,
            user_data: u64,
            timestamp: f64,
        }
        let timestamp = now();
        self.webr.plain(kind, user_data, timestamp);
        self.hub.publish_event(sse_event(&Event {
            r#type: kind,
            callback_id: self.counters.callback_id.load(Ordering::Relaxed),
            user_data,
            timestamp,
        }));
    }
}

/// How long a callback stream that has neither failed nor answered counts as still opening. gRPC
/// C++ servers (Octane) send a server stream's response headers with its first message, so the
/// stream of an idle Octane answers nothing until it renders; a refused or failed one answers at
/// once. Some round trips on a LAN, and short enough that `register-callback` answers promptly.
const OPEN_GRACE: Duration = Duration::from_millis(300);

/// One step of an attempt's stream.
enum Step {
    /// Octane answered the stream's request: its headers, or a status. Boxed: a stream's state
    /// is large, and every step would be as large as the largest.
    Opened(Result<Box<tonic::Streaming<StreamCallbackRequest>>, tonic::Status>),
    /// [`OPEN_GRACE`] passed without an answer.
    Grace,
    /// The call deadline passed with no answer from Octane to anything: a hung Octane.
    Silent,
    /// Time to retry the registration, or `register-callback` asked for it.
    Register,
    /// The stream's next message, or its end.
    Message(Result<Option<StreamCallbackRequest>, tonic::Status>),
}

/// A grab sent to Octane and not yet followed by its release. Dropped armed (the grab's future
/// dropped in between: a panic unwinding the task, the streamer dropped mid-grab), it sends the
/// release from a task of its own, or Octane would keep the result grabbed.
struct UnreleasedGrab(Option<Arc<Shared>>);

impl UnreleasedGrab {
    /// The release was sent, or none is needed.
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for UnreleasedGrab {
    fn drop(&mut self) {
        let Some(shared) = self.0.take() else {
            return;
        };
        // Without a runtime (the process is ending) no call can be sent any more.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            tracing::warn!(
                "a grab was interrupted before its release; releasing the render result"
            );
            runtime.spawn(async move { shared.release().await });
        }
    }
}

/// The upstream loop: register, stream, handle every callback; on failure back off and resume.
async fn run(shared: Arc<Shared>) {
    let config = shared.config.clone();
    let mut backoff = config.backoff_min;
    loop {
        // Without it the stream of a hung Octane would wait for the channel's PING (minutes),
        // and the first `register-callback` with it. Counted from the registration, the call
        // that may be the one left waiting.
        let silent_by = Instant::now() + config.call_timeout;
        let mut answered = shared.register().await;
        let limit = shared.octane.message_size_limit();
        let mut client = StreamCallbackServiceClient::new(shared.channel())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let mut opening = std::pin::pin!(client.callback_channel(Empty {}));
        let grace_over = Instant::now() + OPEN_GRACE;
        let mut stream = None;
        let mut open = false;
        // Without a registration Octane sends no newImage: retried with a backoff of its own,
        // since other callbacks arriving meanwhile reset the stream's.
        let mut retry_in = config.backoff_min;
        let mut retry_at = Instant::now() + retry_in;
        let ended = loop {
            let registered = shared.counters.registered.load(Ordering::Relaxed);
            let step = tokio::select! {
                opened = &mut opening, if stream.is_none() => {
                    Step::Opened(opened.map(|response| Box::new(response.into_inner())))
                }
                message = next_message(&mut stream) => Step::Message(message),
                // Only once Octane answered the registration: a connect still under way is
                // not an open stream.
                () = tokio::time::sleep_until(grace_over), if !open && answered => Step::Grace,
                () = tokio::time::sleep_until(silent_by), if !open && !answered => Step::Silent,
                () = tokio::time::sleep_until(retry_at), if !registered => Step::Register,
                () = shared.register_now.notified(), if !registered => Step::Register,
            };
            match step {
                Step::Opened(Ok(opened)) => {
                    stream = Some(*opened);
                    if !open {
                        open = true;
                        shared.opened().await;
                    }
                }
                Step::Opened(Err(status)) => {
                    break format!(
                        "opening the callback stream failed: {}",
                        status_text(&status)
                    );
                }
                Step::Silent => {
                    break format!(
                        "Octane answered neither the registration nor the callback stream \
                         within {:?}",
                        config.call_timeout
                    );
                }
                Step::Grace => {
                    tracing::debug!(
                        "no answer to the callback stream yet: taken as open (Octane sends \
                         the headers with the first callback)"
                    );
                    open = true;
                    shared.opened().await;
                }
                Step::Register => {
                    // While nothing has answered, a retry waits no longer than the silence.
                    let register = shared.register();
                    answered |= if answered || open {
                        register.await
                    } else {
                        match tokio::time::timeout_at(silent_by, register).await {
                            Ok(answered) => answered,
                            Err(_elapsed) => continue,
                        }
                    };
                    if shared.counters.registered.load(Ordering::Relaxed) {
                        // Octane took a call: a reconnect need not wait long.
                        backoff = config.backoff_min;
                    } else {
                        retry_in = (retry_in * 2).min(config.backoff_max);
                        retry_at = Instant::now() + retry_in;
                    }
                }
                Step::Message(Ok(Some(message))) => {
                    backoff = config.backoff_min;
                    shared.handle(message).await;
                }
                Step::Message(Ok(None)) => break "Octane ended the callback stream".to_owned(),
                Step::Message(Err(status)) => {
                    break format!("callback stream failed: {}", status_text(&status));
                }
            }
        };
        shared.stream_ended(ended).await;
        tracing::info!(retry_in = ?backoff, "render callback stream closed");
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            // `register-callback` asked for a registration: reconnecting registers first.
            () = shared.register_now.notified() => {}
        }
        backoff = (backoff * 2).min(config.backoff_max);
    }
}

/// The stream's next message once it is open; never ready before.
async fn next_message(
    stream: &mut Option<tonic::Streaming<StreamCallbackRequest>>,
) -> Result<Option<StreamCallbackRequest>, tonic::Status> {
    match stream {
        Some(stream) => stream.message().await,
        None => std::future::pending().await,
    }
}

/// `data: <json>\n\n`
pub(crate) fn sse_event(event: &impl Serialize) -> Bytes {
    try_sse_event(event).expect("an event of plain fields serializes")
}

/// [`sse_event`] of an event holding values from Octane.
fn try_sse_event(event: &impl Serialize) -> Result<Bytes, serde_json::Error> {
    let mut out = b"data: ".to_vec();
    serde_json::to_writer(&mut out, event)?;
    out.extend_from_slice(b"\n\n");
    Ok(Bytes::from(out))
}

/// Unix time in seconds, as the viewers expect `timestamp`.
pub(crate) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
