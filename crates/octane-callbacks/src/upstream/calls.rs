//! The unary calls the streamer makes to Octane (registration, release), each bounded by the
//! call deadline, and why one failed.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use octane_api::octaneapi::OnNewImageCallbackT;
use octane_api::octaneapi::api_render_engine::{
    ReleaseRenderResultRequest, SetOnNewImageCallbackRequest,
};
use octane_api::octaneapi::api_render_engine_service_client::ApiRenderEngineServiceClient;
use octane_grpc::Channel;

use super::status::Counters;
use super::streamer::Shared;

/// Why a unary call to Octane failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum CallError {
    /// No answer within [`StreamerConfig::call_timeout`].
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The call ended with a status, Octane's or this side's (transport, decoding): its
    /// message, or its code's name when it has none.
    #[error("{}", status_text(.0))]
    Status(tonic::Status),
}

/// A status as the streamer reports it: its message, or its code's name when it has none.
pub(super) fn status_text(status: &tonic::Status) -> &str {
    match status.message() {
        "" => octane_proxy::error::code_name(status.code()),
        message => message,
    }
}

impl CallError {
    /// Whether the request certainly never reached Octane: no connection could be made.
    pub(super) fn never_sent(&self) -> bool {
        matches!(self, Self::Status(status) if octane_grpc::status::is_connect_error(status))
    }

    /// Whether Octane itself answered with the status. A status made on this side (no
    /// connection, a broken one) carries the error behind it as its source; one Octane sent has
    /// none.
    fn answered_by_octane(&self) -> bool {
        matches!(self, Self::Status(status) if std::error::Error::source(status).is_none())
    }
}

impl Shared {
    /// The streamer's own connection to Octane.
    pub(super) fn channel(&self) -> Channel {
        self.octane.channel().clone()
    }

    /// A client of `ApiRenderEngineService` on it, with the proxy's message size limit.
    pub(super) fn render_engine(&self) -> ApiRenderEngineServiceClient<Channel> {
        let limit = self.octane.message_size_limit();
        ApiRenderEngineServiceClient::new(self.channel())
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit)
    }

    /// `message` as a request that tells Octane the call's deadline (`grpc-timeout`).
    pub(super) fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.config.call_timeout);
        request
    }

    /// Awaits a unary call for at most the call deadline. Enforced here too: the channel does
    /// not act on `grpc-timeout`, and a hung Octane would not either.
    pub(super) async fn within<T>(
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

    /// Registers for new-image callbacks. A failure is logged and reported, not fatal: the
    /// stream is opened anyway, as the existing clients do, and the registration retried.
    /// Answers whether Octane answered, accepting or refusing: the connection works.
    pub(super) async fn register(&self) -> bool {
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

    /// Releases Octane's render result; a failure is the status's last error. Counted either
    /// way: `releases` is the calls made, to set against `grabs`.
    pub(super) async fn release(&self) {
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
}
