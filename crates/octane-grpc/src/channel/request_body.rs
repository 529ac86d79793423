//! The request body of a call, written to its h2 stream.

use bytes::Bytes;
use futures_util::FutureExt;
use http_body::Frame;
use http_body_util::BodyExt;
use tonic::Status;

/// Writes the request body to the stream: inline as far as the body is ready (a unary request
/// is ready at once), the rest from a task of its own so a streaming body never blocks the wait
/// for the response.
pub(super) fn send_body(mut body: tonic::body::Body, mut stream: h2::SendStream<Bytes>) {
    loop {
        match body.frame().now_or_never() {
            Some(frame) => match forward(frame, &mut stream) {
                Forwarded::More => {}
                Forwarded::Done => return,
            },
            None => {
                tokio::spawn(async move {
                    while let Forwarded::More = forward(body.frame().await, &mut stream) {}
                });
                return;
            }
        }
    }
}

enum Forwarded {
    More,
    Done,
}

fn forward(
    frame: Option<Result<Frame<Bytes>, Status>>,
    stream: &mut h2::SendStream<Bytes>,
) -> Forwarded {
    // A failed write means the stream is already gone; the response reports why.
    match frame {
        Some(Ok(frame)) => match frame.into_data() {
            Ok(data) => match stream.send_data(data, false) {
                Ok(()) => Forwarded::More,
                Err(_) => Forwarded::Done,
            },
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    let _ = stream.send_trailers(trailers);
                }
                Forwarded::Done
            }
        },
        None => {
            let _ = stream.send_data(Bytes::new(), true);
            Forwarded::Done
        }
        Some(Err(status)) => {
            tracing::debug!(%status, "request body failed; resetting the stream");
            stream.send_reset(h2::Reason::CANCEL);
            Forwarded::Done
        }
    }
}
