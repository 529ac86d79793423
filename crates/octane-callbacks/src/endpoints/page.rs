//! The built-in page at `GET /`: the live render on a canvas, JPEG frames from `/render/ws` (its
//! `quality`, `max_width`, `max_height`, `fps` passed on), or with `?exact` the exact pixels from
//! `/render/stream`; the connection state, the frame rate and the bit rate.

use http::Response;
use http::header::{self, HeaderValue};
use octane_proxy::Body;

const PAGE: &str = include_str!("page.html");

pub(crate) fn response() -> Response<Body> {
    let mut response = Response::new(Body::full(PAGE));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
