//! A server stream ended at the deadline its request asked for, with this side's
//! `DEADLINE_EXCEEDED` even when Octane ends it at the same moment.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

/// Ends `stream` with a deadline error at `deadline`.
pub(super) fn until(
    stream: BoxStream<'static, Result<Bytes, tonic::Status>>,
    deadline: tokio::time::Instant,
) -> impl futures_util::Stream<Item = Result<Bytes, tonic::Status>> + Send {
    let deadline = tokio::time::sleep_until(deadline);
    futures_util::stream::unfold(
        (stream, Box::pin(deadline), false),
        |(mut stream, mut deadline, done)| async move {
            if done {
                return None;
            }
            tokio::select! {
                biased;
                () = &mut deadline => Some((
                    Err(octane_grpc::status::timeout_status()),
                    (stream, deadline, true),
                )),
                item = stream.next() => match item {
                    // Octane ending the stream for the same deadline: this side's verdict.
                    Some(Err(_)) if deadline.is_elapsed() => Some((
                        Err(octane_grpc::status::timeout_status()),
                        (stream, deadline, true),
                    )),
                    item => item.map(|item| (item, (stream, deadline, false))),
                },
            }
        },
    )
}
