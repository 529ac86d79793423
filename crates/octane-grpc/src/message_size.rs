//! The limit on one gRPC message either way, enforced with an error of its own.
//!
//! tonic enforces its message limits too, but reports an answer over the limit as an
//! OUT_OF_RANGE status with no source, which reads exactly like an OUT_OF_RANGE sent by
//! Octane, and a request over the limit as a reset stream. So the proxy checks first: requests
//! before they are sent ([`Octane`](crate::Octane)), answers as their 5-byte gRPC message
//! prefixes stream by ([`MessagePrefixes`], in the channel's response body), before a byte of
//! the message is buffered. The status it fails a call with has a [`MessageTooLarge`] as its
//! source, which the router maps to 413 or 502.

use std::sync::Arc;

use bytes::Bytes;
use tonic::Status;

use crate::grpc_framing::{GrpcFraming, GrpcPiece};

/// Which way a message over the limit was going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A request for Octane: it was not sent.
    Request,
    /// Octane's answer: refused as its prefix arrived.
    Answer,
}

/// A message over the limit for one gRPC message ([`Octane::max_message_size`]); the source of
/// the failed call's status.
///
/// [`Octane::max_message_size`]: crate::Octane::max_message_size
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} is {size} bytes, over the limit of {limit} bytes for one gRPC message (--max-message-size)",
    match .direction { Direction::Request => "the request", Direction::Answer => "Octane's answer" }
)]
#[non_exhaustive]
pub struct MessageTooLarge {
    /// Which way it was going.
    pub direction: Direction,
    /// The message's size in bytes.
    pub size: usize,
    /// The limit in bytes.
    pub limit: usize,
}

impl MessageTooLarge {
    /// The status a call fails with: RESOURCE_EXHAUSTED, with `self` as its source.
    pub(crate) fn into_status(self) -> Status {
        let mut status = Status::resource_exhausted(self.to_string());
        status.set_source(Arc::new(self));
        status
    }

    /// Checks a request of `size` bytes against `limit`.
    pub(crate) fn check_request(size: usize, limit: usize) -> Result<(), Status> {
        if size > limit {
            return Err(Self {
                direction: Direction::Request,
                size,
                limit,
            }
            .into_status());
        }
        Ok(())
    }
}

/// Follows the gRPC messages of a response body chunk by chunk, checking the length each
/// message's prefix announces.
#[derive(Debug)]
pub(crate) struct MessagePrefixes {
    limit: usize,
    framing: GrpcFraming,
}

impl MessagePrefixes {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            framing: GrpcFraming::new(),
        }
    }

    /// Reads the next chunk; fails on the first message announced over the limit.
    pub(crate) fn read(&mut self, chunk: &Bytes) -> Result<(), MessageTooLarge> {
        let mut chunk = chunk.clone();
        while let Some(piece) = self.framing.next(&mut chunk) {
            if let GrpcPiece::Prefix { len, .. } = piece
                && len > self.limit
            {
                return Err(MessageTooLarge {
                    direction: Direction::Answer,
                    size: len,
                    limit: self.limit,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: usize) -> Vec<u8> {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&u32::try_from(len).expect("small").to_be_bytes());
        bytes.resize(5 + len, 7);
        bytes
    }

    #[test]
    fn messages_within_the_limit_pass_however_the_chunks_fall() {
        let body: Vec<u8> = [message(10), message(0), message(3), message(10)].concat();
        for chunk_size in 1..=body.len() {
            let mut prefixes = MessagePrefixes::new(10);
            for chunk in body.chunks(chunk_size) {
                assert_eq!(
                    prefixes.read(&Bytes::copy_from_slice(chunk)),
                    Ok(()),
                    "chunks of {chunk_size}"
                );
            }
        }
    }

    #[test]
    fn a_message_over_the_limit_fails_at_its_prefix_however_the_chunks_fall() {
        let body: Vec<u8> = [message(10), message(11)].concat();
        for chunk_size in 1..=body.len() {
            let mut prefixes = MessagePrefixes::new(10);
            let failure = body
                .chunks(chunk_size)
                .find_map(|chunk| prefixes.read(&Bytes::copy_from_slice(chunk)).err());
            assert_eq!(
                failure,
                Some(MessageTooLarge {
                    direction: Direction::Answer,
                    size: 11,
                    limit: 10
                }),
                "chunks of {chunk_size}"
            );
        }
    }

    #[test]
    fn the_status_names_the_sizes_and_carries_the_error() {
        let status = MessageTooLarge::check_request(11, 10).expect_err("over");
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert_eq!(
            status.message(),
            "the request is 11 bytes, over the limit of 10 bytes for one gRPC message \
             (--max-message-size)"
        );
        let source = std::error::Error::source(&status).expect("source");
        assert!(source.is::<MessageTooLarge>());
        assert!(MessageTooLarge::check_request(10, 10).is_ok());
    }
}
