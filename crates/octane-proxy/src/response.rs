//! The JSON responses the proxy's routes and the render endpoints (`octane-callbacks`) write,
//! built in one place so both crates answer alike: a JSON body with its status, a call's
//! `{"success":true,"data":...}`, and a failure
//! as `{"success":false,"error":"...","code":"..."}` with its status and, on a `405`, the
//! `Allow` header RFC 9110 (15.5.6) requires.
//!
//! Server-Sent Events responses have their one constructor on the body,
//! [`Body::into_event_stream`].

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use serde::Serialize;

use crate::{Body, ProxyError};

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A response of JSON already encoded, with `Content-Type: application/json`.
pub fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Body::full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    response
}

/// A response of `value` encoded as JSON: a reply struct of plain fields.
///
/// # Panics
///
/// If `value` does not serialize (a map with non-string keys, a failing `Serialize` impl): the
/// replies this is for are structs the program builds, never input from the network.
pub fn json_of(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    json(
        status,
        serde_json::to_vec(value).expect("a reply of plain fields serializes"),
    )
}

/// `200 {"success":true,"data":...}`, the answer of a call, its `data` written by `write_data`
/// into the same buffer (`capacity` bytes reserved for it), so a reply is copied once.
pub fn success<E>(
    capacity: usize,
    write_data: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<Response<Body>, E> {
    const HEAD: &[u8] = br#"{"success":true,"data":"#;
    let mut out = Vec::with_capacity(HEAD.len() + capacity + 1);
    out.extend_from_slice(HEAD);
    write_data(&mut out)?;
    out.push(b'}');
    Ok(json(StatusCode::OK, out))
}

/// A response with a status and no body.
#[must_use]
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// The body of every failure: `{"success":false,"error":"...","code":"..."}`, with `field`
/// (the path of the request field at fault) when one is known.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    success: bool,
    error: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl<'a> ErrorBody<'a> {
    /// The body of a failure that says `error`, named `code` (`NOT_FOUND`).
    #[must_use]
    pub fn new(error: &'a str, code: &'a str) -> Self {
        Self {
            success: false,
            error,
            code,
            field: None,
        }
    }

    /// The same body naming the request field at fault, if any.
    #[must_use]
    pub fn field(self, field: Option<&'a str>) -> Self {
        Self { field, ..self }
    }

    /// The body as JSON.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a struct of strings serializes")
    }
}

/// A failure's response: `body` (an [`ErrorBody`] as JSON) with `status`, and `Allow: allow`
/// when the method was not allowed.
pub fn error(
    status: StatusCode,
    body: impl Into<Bytes>,
    allow: Option<&'static str>,
) -> Response<Body> {
    let mut response = json(status, body);
    if let Some(allow) = allow {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

/// The response to a [`ProxyError`]: its body, its status, and `Allow` on a `405`.
#[must_use]
pub fn proxy_error(err: &ProxyError) -> Response<Body> {
    let allow = match err {
        ProxyError::MethodNotAllowed { allow, .. } => Some(*allow),
        _ => None,
    };
    error(err.status(), err.to_json(), allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_names_its_field_only_when_known() {
        assert_eq!(
            ErrorBody::new("no route", "NOT_FOUND").to_json(),
            br#"{"success":false,"error":"no route","code":"NOT_FOUND"}"#
        );
        assert_eq!(
            ErrorBody::new("bad", "INVALID_ARGUMENT")
                .field(Some("objectPtr.handle"))
                .to_json(),
            br#"{"success":false,"error":"bad","code":"INVALID_ARGUMENT","field":"objectPtr.handle"}"#
        );
    }

    #[test]
    fn a_405_carries_allow() {
        let response = proxy_error(&ProxyError::MethodNotAllowed {
            method: http::Method::PUT,
            path: "/health".to_owned(),
            allow: "GET, OPTIONS",
        });
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET, OPTIONS");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }
}
