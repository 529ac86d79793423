//! WebSocket upgrades of the render endpoints (RFC 6455 on hyper's HTTP/1.1 upgrade).
//!
//! The handshake is checked and answered here, and the socket is handed to the endpoint's task
//! once hyper gives up the connection. Origins are not checked here: the router checks the
//! `Origin` of every request, upgrades included, before any endpoint sees it.

use std::future::Future;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use octane_proxy::{Body, RequestBody};
use sha1::{Digest, Sha1};

pub(crate) use super::websocket_connection::{Incoming, WebSocket};
use crate::error::RenderError;

/// What RFC 6455 appends to the client's key before hashing it into the accept value.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Answers a WebSocket handshake: the `101 Switching Protocols` response to send now, and
/// `serve` spawned on the socket once hyper hands the connection over.
///
/// A request that is not a WebSocket handshake is a [`RenderError::NotWebSocket`].
pub(crate) fn upgrade<F, Fut>(
    mut request: Request<RequestBody>,
    serve: F,
) -> Result<Response<Body>, RenderError>
where
    F: FnOnce(WebSocket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let accept = handshake_accept(request.method(), request.headers())?;
    let on_upgrade = hyper::upgrade::on(&mut request);
    let path = request.uri().path().to_owned();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => serve(WebSocket::new(TokioIo::new(upgraded))).await,
            Err(err) => tracing::debug!(%path, %err, "WebSocket upgrade did not complete"),
        }
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    Ok(response)
}

/// The `Sec-WebSocket-Accept` value for a valid handshake request, or why it is not one.
fn handshake_accept(method: &Method, headers: &HeaderMap) -> Result<HeaderValue, RenderError> {
    if method != Method::GET {
        return Err(RenderError::NotWebSocket("a WebSocket handshake is a GET"));
    }
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value
                .to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err(RenderError::NotWebSocket(
            "this endpoint is a WebSocket: send `Connection: Upgrade` and `Upgrade: websocket`",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(RenderError::NotWebSocket(
            "only WebSocket version 13 is spoken: send `Sec-WebSocket-Version: 13`",
        ));
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or(RenderError::NotWebSocket(
            "the handshake has no `Sec-WebSocket-Key`",
        ))?;
    let mut hash = Sha1::new();
    hash.update(key.as_bytes());
    hash.update(ACCEPT_GUID);
    let accept = base64_simd::STANDARD.encode_to_string(hash.finalize());
    Ok(HeaderValue::from_str(&accept).expect("base64 is a valid header value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        headers
    }

    #[test]
    fn accepts_the_rfc_example_key() {
        // RFC 6455 section 1.3 gives this key and its accept value.
        let accept = handshake_accept(&Method::GET, &handshake()).unwrap();
        assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn refuses_what_is_not_a_handshake() {
        assert!(handshake_accept(&Method::POST, &handshake()).is_err());
        for missing in [
            header::CONNECTION,
            header::UPGRADE,
            header::SEC_WEBSOCKET_VERSION,
            header::SEC_WEBSOCKET_KEY,
        ] {
            let mut headers = handshake();
            headers.remove(&missing);
            let err = handshake_accept(&Method::GET, &headers).unwrap_err();
            assert_eq!(err.status(), StatusCode::UPGRADE_REQUIRED, "{missing}");
        }
    }
}
