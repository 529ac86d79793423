//! `GET /api/health`: octaneWebR's one connection check, answered 200 whenever the proxy is up.
//!
//! The client asks once, on page load, and gives up for good on anything but a 2xx with a JSON
//! body; it does not read the fields. So Octane's reachability goes in the body only, probed as
//! `/health` probes it.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Serialize;

use octane_grpc::Octane;

/// The reply, in the shape of octaneWebR's own backends.
#[derive(Serialize)]
struct ApiHealth {
    /// `ok` when Octane answered the probe, else `unhealthy`.
    status: &'static str,
    /// `connected` or `disconnected`.
    octane: &'static str,
    /// Which backend answers.
    server: &'static str,
    /// When the probe ended, RFC 3339 (ISO 8601) in UTC with milliseconds.
    timestamp: String,
}

/// The JSON body: Octane probed on the shared channel within `probe_timeout`.
pub(crate) async fn body(octane: &Octane, probe_timeout: Duration) -> Bytes {
    let connected = octane.probe(probe_timeout).await;
    let health = ApiHealth {
        status: if connected { "ok" } else { "unhealthy" },
        octane: if connected {
            "connected"
        } else {
            "disconnected"
        },
        server: "octane-proxy",
        timestamp: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
    };
    Bytes::from(serde_json::to_vec(&health).expect("a struct of plain fields serializes"))
}
