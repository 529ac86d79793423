//! What the upstream task does with each callback: grab, release and publish a new image as a
//! frame, fetch and publish statistics, pass on the other events.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::TryFutureExt;
use octane_api::octaneapi::api_render_engine::{
    GetRenderStatisticsRequest, GrabRenderResultResponse,
};
use octane_api::octaneapi::stream_callback_request::Payload;
use octane_api::octaneapi::{RenderResultStatistics, StreamCallbackRequest};
use serde::Serialize;

use super::grab::grab_render_result;
use super::status::Counters;
use super::streamer::Shared;
use crate::frames::event_json::{now, sse_event, try_sse_event};
use crate::frames::frame::FrameBuilder;

impl Shared {
    /// Acts on one callback from the stream.
    pub(super) async fn handle(self: &Arc<Self>, message: StreamCallbackRequest) {
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
        // The pixels are encoded into the frame's event while the answer arrives if a client
        // reads events, and kept raw if a JPEG encoder runs or none does: a client that comes
        // in mid-grab gets this frame's missing form made from the other.
        let events_read = self.hub.events_read() || self.webr.images.watched();
        let mut builder =
            FrameBuilder::new(self.buffers.clone()).for_readers(events_read, self.jpeg.watched());
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
        let release = self.release();
        let Some(grabbed) = grabbed else {
            release.await;
            return unreleased.disarm();
        };
        // The release is polled first, so its request is on its way before the frame is
        // published; the frame does not wait for Octane's answer (a round trip per frame).
        let publish = async { self.publish_grabbed(grabbed, user_data, builder) };
        tokio::join!(release, publish);
        unreleased.disarm();
    }

    /// Builds the frame of a grab's images and publishes it to every reader.
    fn publish_grabbed(
        &self,
        grabbed: GrabRenderResultResponse,
        user_data: u64,
        builder: FrameBuilder,
    ) {
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
