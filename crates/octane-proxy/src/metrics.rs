//! Prometheus metrics of the router, served at `GET /metrics` in the text exposition format.
//!
//! Other parts of an application (the callback streamer) add their own metrics to the same
//! registry with [`RouterBuilder::register_metrics`](crate::RouterBuilder::register_metrics).

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The labels of a request: which route (bounded: `Service/method`, a fixed path, or
/// `unmatched`) and which HTTP status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub(crate) route: String,
    pub(crate) status: u16,
}

/// The route label alone.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabel {
    pub(crate) route: String,
}

/// Adds metrics of another component to the router's registry.
pub(crate) type MetricRegistration = Box<dyn FnOnce(&mut Registry) + Send>;

/// The router's metrics, and the registry that serves them.
pub(crate) struct Metrics {
    pub(crate) registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabel, Histogram>,
    in_flight: Gauge,
    octane_connected: Gauge,
    ignored_fields: Family<RouteLabel, Counter>,
}

impl Metrics {
    pub(crate) fn new(extend: Vec<MetricRegistration>) -> Self {
        let mut registry = Registry::with_prefix("octane_proxy");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabel, Histogram>::new_with_constructor(|| {
            // 100 us .. ~52 s
            Histogram::new(exponential_buckets(0.0001, 2.0, 20))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response head, by route",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "Requests being handled now",
            in_flight.clone(),
        );
        let octane_connected = Gauge::default();
        registry.register(
            "octane_connected",
            "1 if the last call or probe reached Octane, 0 if Octane was not reachable",
            octane_connected.clone(),
        );
        let ignored_fields = Family::<RouteLabel, Counter>::default();
        registry.register(
            "ignored_fields",
            "Request keys ignored as no field of the request message (lenient mode), by route",
            ignored_fields.clone(),
        );
        for f in extend {
            f(&mut registry);
        }
        Self {
            registry,
            requests,
            latency,
            in_flight,
            octane_connected,
            ignored_fields,
        }
    }

    /// Counts a request as in flight until the guard drops.
    pub(crate) fn start(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    pub(crate) fn record(&self, route: String, status: u16, elapsed: Duration) {
        self.latency
            .get_or_create(&RouteLabel {
                route: route.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
    }

    /// Counts `count` keys of one request to `route` that were ignored.
    pub(crate) fn record_ignored(&self, route: String, count: usize) {
        self.ignored_fields
            .get_or_create(&RouteLabel { route })
            .inc_by(count as u64);
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.octane_connected.set(i64::from(connected));
    }

    /// The registry in the Prometheus text format.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Decrements the in-flight gauge when dropped, also when a handler panics.
pub(crate) struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}
