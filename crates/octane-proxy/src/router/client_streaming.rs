//! A client-streaming call (`LiveLink/StreamCamera`): the body is a JSON array, each element a
//! message of the stream; the one reply comes back in the envelope.

use http::Response;
use serde_json::value::RawValue;

use super::lenient_json::report_element;
use super::rpc::{Call, envelope};
use crate::ProxyError;
use crate::body::Body;
use crate::transcode::JsonError;

/// Sends the body's array as the stream and answers Octane's reply.
pub(super) async fn call(
    call: &Call<'_>,
    ignored: &mut Vec<String>,
) -> Result<Response<Body>, ProxyError> {
    let (route, body) = (call.route, &call.body);
    let items: Vec<&RawValue> = serde_json::from_slice(body).map_err(|err| {
        let error = JsonError::from_json(err, body);
        let empty = body.iter().all(u8::is_ascii_whitespace);
        if empty || !error.syntax {
            ProxyError::ExpectedArray {
                service: call.service.clone(),
                method: route.method.to_owned(),
                request_type: route.request_type,
            }
        } else {
            ProxyError::MalformedJson {
                service: call.service.clone(),
                method: route.method.to_owned(),
                error,
            }
        }
    })?;
    let messages = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let element = item.get().as_bytes();
            // Each element is decoded on its own; its errors point into the body.
            let offset = element.as_ptr() as usize - body.as_ptr() as usize;
            let decoded = route
                .decode_element_in(
                    body,
                    offset..offset + element.len(),
                    index,
                    call.inner.json_mode,
                )
                .map_err(|error| call.request_error(error))?;
            report_element(ignored, index, decoded.ignored);
            Ok(decoded.message)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let reply = call
        .inner
        .octane
        .client_streaming(route.path, messages, call.timeout)
        .await
        .map_err(|status| call.failed(status))?;
    envelope(route, reply)
}
