//! The streamer's counters as Prometheus metrics, read from its status at each scrape.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use octane_proxy::prometheus_client::collector::Collector;
use octane_proxy::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use octane_proxy::prometheus_client::metrics::MetricType;
use octane_proxy::prometheus_client::metrics::counter::ConstCounter;
use octane_proxy::prometheus_client::metrics::gauge::ConstGauge;
use octane_proxy::prometheus_client::registry::Registry;

use crate::fan_out::StatsSnapshot;

use crate::upstream::streamer::{CallbackStreamer, Shared};

impl CallbackStreamer {
    /// Adds the streamer's metrics to `registry`; pass it to
    /// `octane_proxy::RouterBuilder::register_metrics` to serve them at `/metrics`.
    pub fn register_metrics(&self, registry: &mut Registry) {
        registry.register_collector(Box::new(StreamerMetrics(self.shared.clone())));
    }
}

struct StreamerMetrics(Arc<Shared>);

impl std::fmt::Debug for StreamerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamerMetrics")
    }
}

impl Collector for StreamerMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let status = self.0.counters.snapshot();
        let counters = [
            (
                "render_callbacks",
                "Callbacks received on Octane's callback stream",
                status.callbacks_received,
            ),
            (
                "render_frames_published",
                "Frames built and published to subscribers",
                status.frames_published,
            ),
            (
                "render_frames_skipped",
                "Frames subscribers skipped (latest-frame-wins), counted when the subscriber gets a newer frame or leaves",
                self.0.counters.frames_skipped_total.load(Ordering::Relaxed),
            ),
            (
                "render_grabs",
                "grabRenderResult calls that returned images",
                status.grabs,
            ),
            (
                "render_releases",
                "releaseRenderResult calls",
                status.releases,
            ),
            (
                "render_stream_errors",
                "Times the callback stream failed or ended, failed attempts to open it included",
                status.stream_errors,
            ),
            (
                "render_reconnects",
                "Times the callback stream was opened again after an open one failed or ended",
                status.reconnects,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let gauges = [
            (
                "render_sse_clients",
                "Open /render/stream clients",
                status.subscribers as i64,
            ),
            (
                "render_stream_connected",
                "1 while the callback stream to Octane is open",
                i64::from(status.connected),
            ),
            (
                "render_event_buffer_bytes",
                "Bytes of the buffers frames' SSE events are built in: in flight and spare",
                i64::try_from(self.0.buffers.allocated_bytes()).unwrap_or(i64::MAX),
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        encode_variants(&mut encoder, &self.0.variant_stats())
    }
}

/// The live variants' counters, one series per variant (`variant` label). A variant's counters
/// start at 0 when its first viewer comes and go with its last, a reset Prometheus' `rate`
/// takes in its stride.
fn encode_variants(
    encoder: &mut DescriptorEncoder,
    variants: &[(String, StatsSnapshot)],
) -> Result<(), std::fmt::Error> {
    type Count = fn(&StatsSnapshot) -> u64;
    let counts: [(&str, &str, Count); 2] = [
        (
            "render_variant_frames_encoded",
            "Frames encoded into a live-view variant (once per frame, whatever its viewers)",
            |s| s.frames_encoded,
        ),
        (
            "render_variant_bytes_sent",
            "Bytes of a live-view variant's frames handed to its viewers' connections",
            |s| s.bytes_sent,
        ),
    ];
    for (name, help, field) in counts {
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
        for (label, stats) in variants {
            ConstCounter::new(field(stats))
                .encode(family.encode_family(&[("variant", label.as_str())])?)?;
        }
    }
    let mut family = encoder.encode_descriptor(
        "render_variant_encode_seconds",
        "Time spent encoding frames into a live-view variant",
        None,
        MetricType::Counter,
    )?;
    for (label, stats) in variants {
        ConstCounter::new(stats.encode_time.as_secs_f64())
            .encode(family.encode_family(&[("variant", label.as_str())])?)?;
    }
    let mut family = encoder.encode_descriptor(
        "render_variant_viewers",
        "Viewers of a live-view variant",
        None,
        MetricType::Gauge,
    )?;
    for (label, stats) in variants {
        ConstGauge::new(stats.viewers as i64)
            .encode(family.encode_family(&[("variant", label.as_str())])?)?;
    }
    Ok(())
}
