//! gRPC's message framing, read as a body arrives: each message goes behind a 5-byte prefix (a
//! compressed flag, then its length as a big-endian `u32`), and HTTP/2 may cut prefixes and
//! messages anywhere between DATA frames.
//!
//! One reader for the channel, which checks each answer's announced length against the message
//! limit before a byte of the message is buffered, and for callers that decode a message while
//! it arrives (the callback streamer's frame grabs).

use bytes::{Buf, Bytes};

/// The next bytes of a gRPC body, as [`UnaryFraming::next`](crate::UnaryFraming::next) reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrpcPiece {
    /// A message's prefix, read whole: the message's bytes follow (none if `len` is 0).
    Prefix {
        /// The compressed flag.
        compressed: bool,
        /// The message's length in bytes.
        len: usize,
    },
    /// Bytes of the current message: a slice of the chunk read, not a copy.
    Message(Bytes),
}

/// Where a body is in gRPC's framing, carried from one chunk to the next.
#[derive(Debug, Default)]
pub(crate) struct GrpcFraming {
    prefix: [u8; 5],
    /// Bytes of `prefix` read so far.
    prefix_len: usize,
    /// Bytes of the current message still to come.
    message_left: usize,
}

impl GrpcFraming {
    /// Framing at the start of a body.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Takes the next piece off the front of `chunk`: a prefix once its last byte is read, or
    /// the current message's bytes in `chunk`. `None` once `chunk` is used up.
    pub(crate) fn next(&mut self, chunk: &mut Bytes) -> Option<GrpcPiece> {
        while !chunk.is_empty() {
            if self.message_left > 0 {
                let bytes = chunk.split_to(self.message_left.min(chunk.len()));
                self.message_left -= bytes.len();
                return Some(GrpcPiece::Message(bytes));
            }
            let take = (self.prefix.len() - self.prefix_len).min(chunk.len());
            chunk.copy_to_slice(&mut self.prefix[self.prefix_len..self.prefix_len + take]);
            self.prefix_len += take;
            if self.prefix_len == self.prefix.len() {
                self.prefix_len = 0;
                let [flag, a, b, c, d] = self.prefix;
                let len = u32::from_be_bytes([a, b, c, d]) as usize;
                self.message_left = len;
                return Some(GrpcPiece::Prefix {
                    compressed: flag != 0,
                    len,
                });
            }
        }
        None
    }

    /// Whether the body read so far ends between two messages, not inside a prefix or a
    /// message: where a body may end.
    pub(crate) fn between_messages(&self) -> bool {
        self.prefix_len == 0 && self.message_left == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(flag: u8, message: &[u8]) -> Vec<u8> {
        let mut out = vec![flag];
        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
        out.extend_from_slice(message);
        out
    }

    /// Every piece of `body` fed in chunks of `size`, messages joined back together.
    fn pieces(body: &[u8], size: usize) -> (Vec<GrpcPiece>, bool) {
        let mut framing = GrpcFraming::new();
        let mut out: Vec<GrpcPiece> = Vec::new();
        for chunk in body.chunks(size) {
            let mut chunk = Bytes::copy_from_slice(chunk);
            while let Some(piece) = framing.next(&mut chunk) {
                match (out.last_mut(), piece) {
                    (Some(GrpcPiece::Message(joined)), GrpcPiece::Message(more)) => {
                        *joined = [&joined[..], &more[..]].concat().into();
                    }
                    (_, piece) => out.push(piece),
                }
            }
            assert!(
                chunk.is_empty(),
                "chunks of {size}: a chunk was left unread"
            );
        }
        (out, framing.between_messages())
    }

    #[test]
    fn prefixes_and_messages_come_out_whole_however_the_chunks_fall() {
        let body = [framed(0, b"abc"), framed(0, b""), framed(1, b"de")].concat();
        for size in 1..=body.len() {
            assert_eq!(
                pieces(&body, size),
                (
                    vec![
                        GrpcPiece::Prefix {
                            compressed: false,
                            len: 3
                        },
                        GrpcPiece::Message(Bytes::from_static(b"abc")),
                        GrpcPiece::Prefix {
                            compressed: false,
                            len: 0
                        },
                        GrpcPiece::Prefix {
                            compressed: true,
                            len: 2
                        },
                        GrpcPiece::Message(Bytes::from_static(b"de")),
                    ],
                    true
                ),
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn a_body_cut_inside_a_prefix_or_a_message_is_not_between_messages() {
        let body = framed(0, b"abc");
        for end in 1..body.len() {
            assert!(!pieces(&body[..end], 1).1, "cut after {end} bytes");
        }
        assert!(pieces(&[], 1).1);
    }
}
