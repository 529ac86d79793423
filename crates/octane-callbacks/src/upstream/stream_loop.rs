//! The upstream loop: register, open the callback stream, handle every callback; when the stream
//! ends, report it, back off and start again.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use octane_api::google::protobuf::Empty;
use octane_api::octaneapi::StreamCallbackRequest;
use octane_api::octaneapi::stream_callback_service_client::StreamCallbackServiceClient;
use serde::Serialize;
use tokio::time::Instant;

use super::calls::status_text;
use super::status::{Counters, Status};
use super::streamer::Shared;
use crate::frames::event_json::{now, sse_event};

impl Shared {
    /// The stream ended for `why`: reported as the last error, and the stream no longer taken
    /// as connected.
    pub(super) async fn stream_ended(&self, why: String) {
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

    /// Tells the subscribers whether the stream is connected, with the counters.
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

/// The upstream loop: register, stream, handle every callback; on failure back off and resume.
pub(super) async fn run(shared: Arc<Shared>) {
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
