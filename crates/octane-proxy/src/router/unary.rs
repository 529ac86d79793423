//! A unary call: one message each way, the reply in the `{"success":true,"data":...}` envelope.

use http::Response;

use super::rpc::{Call, envelope};
use crate::ProxyError;
use crate::body::Body;

/// Sends the body's message and answers Octane's reply.
pub(super) async fn call(
    call: &Call<'_>,
    ignored: &mut Vec<String>,
) -> Result<Response<Body>, ProxyError> {
    let message = call.decode(ignored)?;
    let reply = call
        .inner
        .octane
        .unary(call.route.path, message, call.timeout)
        .await
        .map_err(|status| call.failed(status))?;
    envelope(call.route, reply)
}
