//! Decodes a `grabRenderResult` answer while it arrives, handing its pixels on piece by piece.
//!
//! An answer is 2 to 32 MiB, almost all of it the pixels in `renderImages.data[i].buffer.data`.
//! Decoding it whole with prost means buffering it, copying it into one contiguous buffer, and
//! base64-encoding pixels that have long gone cold in cache. [`GrabDecoder`] instead walks the
//! protobuf wire format as the chunks arrive, following only the path to the pixels, and gives
//! each piece of pixels to a [`PixelSink`] as a zero-copy slice of its chunk, still hot. Every
//! other field is copied raw into a small scratch per message and decoded by the generated prost
//! decoder, so fields mean exactly what they mean to prost (groups, which proto3 never sends,
//! are refused); the images come back without pixels. Every length is checked against the
//! message it is in, the outermost being the gRPC message, before it is acted on.

use bytes::{Buf, Bytes};
use octane_api::octaneapi::api_render_engine::GrabRenderResultResponse;
use octane_api::octaneapi::{ApiArrayApiRenderImage, ApiRenderImage};
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};

use crate::frames::frame::PixelSink;

/// The depth of the response, where the path follows `renderImages`.
const RESPONSE: usize = 0;
/// The depth of an `ApiArrayApiRenderImage`, where the path follows `data` (one image each).
const IMAGES: usize = 1;
/// The depth of an `ApiRenderImage`, where the path follows `buffer`.
const IMAGE: usize = 2;
/// The depth of a `Buffer`, where the path ends at `data`, the pixels.
const BUFFER: usize = 3;
/// The field number the path follows at each depth.
const PATH: [u32; 4] = [2, 1, 7, 1];

/// The most images a frame may have. Octane returns one per enabled render pass, a few hundred
/// at most; an empty image is two bytes on the wire but a few hundred in memory and in the SSE
/// event, so an answer of a million of them would make a frame of hundreds of MiB.
pub(crate) const MAX_IMAGES: usize = 4096;

/// A push parser for one `grabRenderResult` answer: [`feed`](Self::feed) its chunks, then
/// [`finish`](Self::finish).
pub(crate) struct GrabDecoder {
    /// The length of the answer, from its gRPC prefix: where the response ends.
    len: usize,
    /// The offset in the answer of the next byte.
    pos: usize,
    /// The end offset of each open message below the response, outermost first: the depth is
    /// its length.
    ends: Vec<usize>,
    /// Where in the innermost message's current field the next byte goes.
    step: Step,
    /// The response's raw fields off the path.
    response: Vec<u8>,
    /// The open image's raw fields off the path, and its buffers without pixels.
    image: Vec<u8>,
    /// The open buffer's raw fields off the path.
    buffer: Vec<u8>,
    /// The decoded images; the open one's index is their count.
    images: Vec<ApiRenderImage>,
    /// Whether `renderImages` occurred, which makes it `Some` even with no image.
    has_images: bool,
}

/// What the next byte of the innermost message is part of.
enum Step {
    /// A varint, and what it is.
    Varint(Varint, VarintIs),
    /// The rest of a field off the path, `left` bytes, copied raw.
    Raw { left: usize },
    /// The rest of the pixels, `left` bytes, passed to the sink.
    Pixels { left: usize },
}

/// What a varint is for.
#[derive(Clone, Copy)]
enum VarintIs {
    /// A field's tag; with no byte yet, the decoder is between fields.
    Tag,
    /// The value of a VARINT field off the path.
    RawValue,
    /// The length of a LEN field off the path.
    RawLen,
    /// The length of the path's field.
    PathLen,
}

/// A varint being read, kept raw so a field off the path is copied exactly as received.
#[derive(Clone, Copy, Default)]
struct Varint {
    /// Its bytes so far.
    bytes: [u8; 10],
    /// How many of `bytes` arrived.
    len: usize,
}

/// A decode failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GrabDecodeError {
    /// The wire format is broken.
    #[error("{problem}, in {path} at byte {offset} of the answer")]
    Wire {
        /// What is broken.
        problem: Malformed,
        /// The innermost message, e.g. `renderImages.data[2].buffer`.
        path: String,
        /// How many bytes of the answer (after the gRPC prefix) were read when it showed.
        offset: usize,
    },
    /// More images than a frame may have ([`MAX_IMAGES`]).
    #[error("more than {MAX_IMAGES} images in renderImages")]
    TooManyImages,
    /// prost rejected a message's fields off the path.
    #[error("cannot decode {path}")]
    Decode {
        /// The message, e.g. `renderImages.data[2]`.
        path: String,
        /// prost's reason.
        #[source]
        source: prost::DecodeError,
    },
}

/// How the wire format is broken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Malformed {
    /// More than 10 bytes, or a value above 64 bits (prost rejects both).
    #[error("invalid varint")]
    Varint,
    /// Field number 0, or a tag above 32 bits.
    #[error("invalid tag {0}")]
    Tag(u64),
    /// Groups (3, 4) and the undefined 6 and 7.
    #[error("unsupported wire type {0}")]
    WireType(u32),
    /// A field on the path to the pixels is not length-delimited.
    #[error("field {field} has wire type {wire_type}, not LEN")]
    NotLen {
        /// Its field number.
        field: u32,
        /// Its wire type.
        wire_type: u32,
    },
    /// A field or length runs past the end of its enclosing message.
    #[error("a field runs past the end of its message")]
    PastEnd,
    /// The answer ended inside a field or a nested message.
    #[error("the answer is truncated")]
    Truncated,
}

impl GrabDecoder {
    /// A decoder at the start of an answer of `len` bytes. Every length in the answer is checked
    /// against it before it is acted on, so a few bytes cannot announce gigabytes of pixels.
    pub(crate) fn new(len: usize) -> Self {
        Self {
            len,
            pos: 0,
            ends: Vec::new(),
            step: Step::tag(),
            response: Vec::new(),
            image: Vec::new(),
            buffer: Vec::new(),
            images: Vec::new(),
            has_images: false,
        }
    }

    /// The next bytes of the protobuf message (the gRPC 5-byte prefix is already stripped by the
    /// caller).
    pub(crate) fn feed(
        &mut self,
        mut chunk: Bytes,
        sink: &mut impl PixelSink,
    ) -> Result<(), GrabDecodeError> {
        loop {
            self.close_ended()?;
            if chunk.is_empty() {
                return Ok(());
            }
            // Lengths were checked against their message, so only a varint can hit its end.
            let room = self.end() - self.pos;
            if room == 0 {
                return Err(self.malformed(Malformed::PastEnd));
            }
            let here = chunk.len().min(room);
            match &mut self.step {
                Step::Pixels { left } => {
                    let n = here.min(*left);
                    *left -= n;
                    let done = *left == 0;
                    self.pos += n;
                    sink.pixels(self.images.len(), chunk.split_to(n));
                    if done {
                        self.step = Step::tag();
                    }
                }
                Step::Raw { left } => {
                    let n = here.min(*left);
                    *left -= n;
                    let done = *left == 0;
                    self.pos += n;
                    self.keep(&chunk[..n]);
                    chunk.advance(n);
                    if done {
                        self.step = Step::tag();
                    }
                }
                Step::Varint(varint, is) => {
                    let is = *is;
                    let value = varint.push(chunk.get_u8());
                    let varint = *varint;
                    self.pos += 1;
                    match value {
                        Ok(Some(value)) => self.on_varint(is, value, varint.raw(), sink)?,
                        Ok(None) => {}
                        Err(problem) => return Err(self.malformed(problem)),
                    }
                }
            }
        }
    }

    /// The message ended: the answer without pixel bytes.
    pub(crate) fn finish(mut self) -> Result<GrabRenderResultResponse, GrabDecodeError> {
        self.close_ended()?;
        if !self.ends.is_empty() || !self.between_fields() || self.pos != self.len {
            // A field cut off by its message's end, or by the answer's.
            let problem = if self.pos == self.end() {
                Malformed::PastEnd
            } else {
                Malformed::Truncated
            };
            return Err(self.malformed(problem));
        }
        let mut response = GrabRenderResultResponse::decode(self.response.as_slice())
            .map_err(|source| decode_error(RESPONSE, 0, source))?;
        if self.has_images {
            response.render_images = Some(ApiArrayApiRenderImage { data: self.images });
        }
        Ok(response)
    }

    /// Acts on a complete varint whose bytes are `raw`.
    fn on_varint(
        &mut self,
        is: VarintIs,
        value: u64,
        raw: &[u8],
        sink: &mut impl PixelSink,
    ) -> Result<(), GrabDecodeError> {
        let depth = self.ends.len();
        self.step = match is {
            VarintIs::Tag => {
                let tag = u32::try_from(value)
                    .ok()
                    .filter(|tag| tag >> 3 != 0)
                    .ok_or_else(|| self.malformed(Malformed::Tag(value)))?;
                let (field, wire_type) = (tag >> 3, tag & 7);
                if field == PATH[depth] {
                    if wire_type != WireType::LengthDelimited as u32 {
                        return Err(self.malformed(Malformed::NotLen { field, wire_type }));
                    }
                    Step::Varint(Varint::default(), VarintIs::PathLen)
                } else {
                    let step = match wire_type {
                        0 => Step::Varint(Varint::default(), VarintIs::RawValue),
                        1 => self.raw(8)?,
                        2 => Step::Varint(Varint::default(), VarintIs::RawLen),
                        5 => self.raw(4)?,
                        _ => return Err(self.malformed(Malformed::WireType(wire_type))),
                    };
                    self.keep(raw);
                    step
                }
            }
            VarintIs::RawValue => {
                self.keep(raw);
                Step::tag()
            }
            VarintIs::RawLen => {
                self.keep(raw);
                self.raw(value)?
            }
            VarintIs::PathLen => {
                let len = self.fits(value)?;
                if depth == BUFFER {
                    sink.begin(self.images.len(), len);
                    if len == 0 {
                        Step::tag()
                    } else {
                        Step::Pixels { left: len }
                    }
                } else {
                    self.has_images |= depth == RESPONSE;
                    self.ends.push(self.pos + len);
                    Step::tag()
                }
            }
        };
        Ok(())
    }

    /// Closes the nested messages that end here, unless a field is still open.
    fn close_ended(&mut self) -> Result<(), GrabDecodeError> {
        while self.between_fields() && self.ends.last() == Some(&self.pos) {
            self.ends.pop();
            match self.ends.len() + 1 {
                BUFFER => {
                    // The buffer's other fields become one occurrence of the image's field 7, so
                    // prost merges repeated occurrences as it would have.
                    encode_key(PATH[IMAGE], WireType::LengthDelimited, &mut self.image);
                    encode_varint(self.buffer.len() as u64, &mut self.image);
                    self.image.extend_from_slice(&self.buffer);
                    self.buffer.clear();
                }
                IMAGE => {
                    if self.images.len() == MAX_IMAGES {
                        return Err(GrabDecodeError::TooManyImages);
                    }
                    let image = ApiRenderImage::decode(self.image.as_slice())
                        .map_err(|source| decode_error(IMAGE, self.images.len(), source))?;
                    self.images.push(image);
                    self.image.clear();
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether the decoder is between two fields of the innermost message.
    fn between_fields(&self) -> bool {
        matches!(
            self.step,
            Step::Varint(Varint { len: 0, .. }, VarintIs::Tag)
        )
    }

    /// The end offset of the innermost message.
    fn end(&self) -> usize {
        self.ends.last().copied().unwrap_or(self.len)
    }

    /// `len` as a length that fits in the rest of the innermost message.
    fn fits(&self, len: u64) -> Result<usize, GrabDecodeError> {
        usize::try_from(len)
            .ok()
            .filter(|&len| len <= self.end() - self.pos)
            .ok_or_else(|| self.malformed(Malformed::PastEnd))
    }

    /// The step that copies the next `len` bytes raw.
    fn raw(&self, len: u64) -> Result<Step, GrabDecodeError> {
        Ok(match self.fits(len)? {
            0 => Step::tag(),
            left => Step::Raw { left },
        })
    }

    /// Copies raw bytes of a field off the path into the innermost message's scratch.
    fn keep(&mut self, raw: &[u8]) {
        match self.ends.len() {
            RESPONSE => self.response.extend_from_slice(raw),
            IMAGE => self.image.extend_from_slice(raw),
            BUFFER => self.buffer.extend_from_slice(raw),
            // `ApiArrayApiRenderImage` has no other field; prost would skip unknown ones.
            _ => {}
        }
    }

    /// A wire format error in the innermost message, at the current offset.
    fn malformed(&self, problem: Malformed) -> GrabDecodeError {
        GrabDecodeError::Wire {
            problem,
            path: path(self.ends.len(), self.images.len()),
            offset: self.pos,
        }
    }
}

impl Step {
    /// The step at the start of a field.
    fn tag() -> Self {
        Step::Varint(Varint::default(), VarintIs::Tag)
    }
}

impl Varint {
    /// Adds the next byte; the value if it was the last.
    fn push(&mut self, byte: u8) -> Result<Option<u64>, Malformed> {
        let slot = self.bytes.get_mut(self.len).ok_or(Malformed::Varint)?;
        *slot = byte;
        self.len += 1;
        if byte & 0x80 != 0 {
            return Ok(None);
        }
        // A tenth byte holds only bit 63.
        if self.len == self.bytes.len() && byte > 1 {
            return Err(Malformed::Varint);
        }
        let value = self.raw().iter().rev();
        Ok(Some(value.fold(0, |value, byte| {
            value << 7 | u64::from(byte & 0x7f)
        })))
    }

    /// Its bytes so far.
    fn raw(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A prost error decoding the message at `depth`, in image `image`.
fn decode_error(depth: usize, image: usize, source: prost::DecodeError) -> GrabDecodeError {
    GrabDecodeError::Decode {
        path: path(depth, image),
        source,
    }
}

/// The field path of the message at `depth`, in image `image`.
fn path(depth: usize, image: usize) -> String {
    match depth {
        RESPONSE => "grabRenderResultResponse".to_owned(),
        IMAGES => "renderImages".to_owned(),
        IMAGE => format!("renderImages.data[{image}]"),
        _ => format!("renderImages.data[{image}].buffer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use octane_api::octaneapi::{Buffer, CLevelT, ObjectRef, Uint322};
    use std::collections::BTreeMap;

    /// Records each image's pixels, checking the sink's contract as it goes.
    #[derive(Default, Debug, PartialEq)]
    struct Recorder {
        /// Each image's announced length and pixels.
        images: BTreeMap<usize, (usize, Vec<u8>)>,
        /// The image `begin` was last called for.
        open: Option<usize>,
        /// The number of `begin` calls.
        begins: usize,
    }

    impl PixelSink for Recorder {
        fn begin(&mut self, image: usize, len: usize) {
            assert!(
                self.open.is_none_or(|open| open <= image),
                "images out of order"
            );
            self.open = Some(image);
            self.begins += 1;
            self.images.insert(image, (len, Vec::new()));
        }

        fn pixels(&mut self, image: usize, piece: Bytes) {
            assert_eq!(self.open, Some(image), "pixels for an image not begun");
            assert!(!piece.is_empty(), "empty piece");
            let (len, got) = self.images.get_mut(&image).expect("begun");
            got.extend_from_slice(&piece);
            assert!(got.len() <= *len, "more pixels than announced");
        }
    }

    impl Recorder {
        /// Image `image`'s pixels, empty if it had none.
        fn pixels_of(&self, image: usize) -> &[u8] {
            self.images.get(&image).map_or(&[], |(_, got)| got)
        }
    }

    /// Decodes `chunks` in order.
    fn decode(
        chunks: impl IntoIterator<Item = Bytes>,
    ) -> Result<(GrabRenderResultResponse, Recorder), GrabDecodeError> {
        let chunks: Vec<Bytes> = chunks.into_iter().collect();
        let mut decoder = GrabDecoder::new(chunks.iter().map(Bytes::len).sum());
        let mut sink = Recorder::default();
        for chunk in chunks {
            decoder.feed(chunk, &mut sink)?;
        }
        let response = decoder.finish()?;
        for (len, got) in sink.images.values() {
            assert_eq!(got.len(), *len, "fewer pixels than announced");
        }
        Ok((response, sink))
    }

    /// Every way of cutting `wire` this test suite uses: two chunks at every offset, one byte
    /// at a time, and one byte at a time with empty chunks between and around.
    fn splits(wire: &Bytes) -> Vec<Vec<Bytes>> {
        let mut splits: Vec<Vec<Bytes>> = (0..=wire.len())
            .map(|at| vec![wire.slice(..at), wire.slice(at..)])
            .collect();
        let bytes = (0..wire.len()).map(|i| wire.slice(i..=i));
        splits.push(bytes.clone().collect());
        let mut with_empty = vec![Bytes::new()];
        for byte in bytes {
            with_empty.extend([byte, Bytes::new(), Bytes::new()]);
        }
        splits.push(with_empty);
        splits
    }

    /// Decodes `wire` cut in every way, checks each against prost's decode of the whole, and
    /// returns the result.
    fn check(wire: &[u8]) -> (GrabRenderResultResponse, Recorder) {
        let wire = Bytes::copy_from_slice(wire);
        let whole = GrabRenderResultResponse::decode(wire.clone()).expect("valid test input");
        let mut expected = whole.clone();
        let images = expected.render_images.iter_mut().flat_map(|i| &mut i.data);
        for buffer in images.filter_map(|image| image.buffer.as_mut()) {
            buffer.data = Bytes::new();
        }
        let first = decode([wire.clone()]).expect("decodes");
        for chunks in splits(&wire) {
            let (response, sink) = decode(chunks).expect("decodes");
            assert_eq!(response, expected);
            assert_eq!(sink, first.1, "pixels depend on the chunking");
        }
        let originals = whole.render_images.map(|i| i.data).unwrap_or_default();
        for (i, original) in originals.iter().enumerate() {
            let data = original
                .buffer
                .as_ref()
                .map(|b| &b.data[..])
                .unwrap_or_default();
            assert_eq!(first.1.pixels_of(i), data, "pixels of image {i}");
        }
        assert!(first.1.images.keys().all(|&i| i < originals.len()));
        first
    }

    /// The error decoding `wire` in one chunk, which every other cut must also give.
    /// How the wire format of a decode error is broken.
    fn problem(error: GrabDecodeError) -> Malformed {
        match error {
            GrabDecodeError::Wire { problem, .. } => problem,
            other => panic!("not a wire-format error: {other:?}"),
        }
    }

    fn error(wire: &[u8]) -> GrabDecodeError {
        let wire = Bytes::copy_from_slice(wire);
        assert!(
            GrabRenderResultResponse::decode(wire.clone()).is_err(),
            "prost accepts it"
        );
        for chunks in splits(&wire) {
            assert!(decode(chunks).is_err());
        }
        decode([wire]).expect_err("invalid")
    }

    /// A key.
    fn key(field: u32, wire_type: WireType) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key(field, wire_type, &mut out);
        out
    }

    /// A LEN field.
    fn len_field(field: u32, body: &[u8]) -> Vec<u8> {
        let mut out = key(field, WireType::LengthDelimited);
        encode_varint(body.len() as u64, &mut out);
        out.extend_from_slice(body);
        out
    }

    /// A VARINT field.
    fn varint_field(field: u32, value: u64) -> Vec<u8> {
        let mut out = key(field, WireType::Varint);
        encode_varint(value, &mut out);
        out
    }

    /// An unknown field `field` of each wire type, the varint 10 bytes long.
    fn unknowns(field: u32) -> Vec<u8> {
        let mut out = varint_field(field, u64::MAX);
        out.extend(key(field, WireType::SixtyFourBit));
        out.extend(1u64.to_le_bytes());
        out.extend(len_field(field, b"unknown"));
        out.extend(key(field, WireType::ThirtyTwoBit));
        out.extend(2u32.to_le_bytes());
        out
    }

    /// An answer with the raw fields `fields`, concatenated.
    fn cat(fields: &[&[u8]]) -> Vec<u8> {
        fields.concat()
    }

    /// An image with every field set and `pixels` bytes of pixels.
    fn image(seed: u8, pixels: usize) -> ApiRenderImage {
        let data: Vec<u8> = (0..pixels)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect();
        ApiRenderImage {
            r#type: 1,
            color_space: 2,
            is_linear: true,
            shared_surface: Some(ObjectRef {
                handle: 0x1234_5678_9abc,
                r#type: 11,
            }),
            size: Some(Uint322 { x: 640, y: 480 }),
            pitch: 640,
            buffer: Some(Buffer {
                data: data.into(),
                size: pixels as u32,
            }),
            render_pass_id: 3,
            tonemapped_samples_per_pixel: 12.5,
            calculated_samples_per_pixel: 13.0,
            region_samples_per_pixel: 14.0,
            max_samples_per_pixel: 1000.0,
            samples_per_second: 1.5e6,
            render_time: 2.25,
            change_level: Some(CLevelT { value: 77 }),
            has_pending_updates: true,
            sub_sampling: 1,
            has_alpha: true,
            premultiplied_alpha_type: 1,
            keep_environment: true,
            m_private: Some(Buffer {
                data: Bytes::from_static(b"private, not pixels"),
                size: 19,
            }),
        }
    }

    /// A realistic answer: two images, pixels of a few hundred bytes.
    fn answer() -> Vec<u8> {
        GrabRenderResultResponse {
            result: true,
            render_images: Some(ApiArrayApiRenderImage {
                data: vec![image(1, 300), image(2, 257)],
            }),
        }
        .encode_to_vec()
    }

    #[test]
    fn realistic_answer_in_any_chunks() {
        let (response, sink) = check(&answer());
        assert!(response.result);
        assert_eq!(response.render_images.expect("images").data.len(), 2);
        assert_eq!(sink.begins, 2);
    }

    #[test]
    fn pixels_are_slices_of_the_chunk() {
        struct Pointers(Vec<(usize, usize)>);
        impl PixelSink for Pointers {
            fn begin(&mut self, _: usize, _: usize) {}
            fn pixels(&mut self, _: usize, piece: Bytes) {
                self.0.push((piece.as_ptr() as usize, piece.len()));
            }
        }
        let wire = Bytes::from(answer());
        let (start, end) = (wire.as_ptr() as usize, wire.as_ptr() as usize + wire.len());
        let mut sink = Pointers(Vec::new());
        let mut decoder = GrabDecoder::new(wire.len());
        decoder.feed(wire, &mut sink).expect("valid");
        assert_eq!(sink.0.len(), 2);
        for (at, len) in sink.0 {
            assert!(start <= at && at + len <= end);
        }
    }

    #[test]
    fn unknown_fields_at_every_level() {
        let buffer = cat(&[&unknowns(3), &len_field(1, b"pixels"), &unknowns(9)]);
        let image = cat(&[
            &unknowns(1000),
            &len_field(7, &buffer),
            &varint_field(6, 64),
        ]);
        let images = cat(&[&unknowns(2), &len_field(1, &image), &unknowns(5)]);
        let wire = cat(&[&unknowns(15), &varint_field(1, 1), &len_field(2, &images)]);
        let (response, sink) = check(&wire);
        let images = response.render_images.expect("images").data;
        assert_eq!(images[0].pitch, 64);
        assert_eq!(sink.pixels_of(0), b"pixels");
    }

    /// The first image's buffer, which the test's answer has.
    fn first_buffer(response: GrabRenderResultResponse) -> Buffer {
        let images = response.render_images.expect("images").data;
        images
            .into_iter()
            .next()
            .and_then(|image| image.buffer)
            .expect("buffer")
    }

    #[test]
    fn size_before_data() {
        let buffer = cat(&[&varint_field(2, 3), &len_field(1, b"abc")]);
        let wire = len_field(2, &len_field(1, &len_field(7, &buffer)));
        let (response, sink) = check(&wire);
        assert_eq!(first_buffer(response).size, 3);
        assert_eq!(sink.pixels_of(0), b"abc");
    }

    #[test]
    fn buffer_twice_without_data_keeps_the_pixels() {
        let first = cat(&[&len_field(1, b"first"), &varint_field(2, 5)]);
        let second = varint_field(2, 6);
        let image = cat(&[&len_field(7, &first), &len_field(7, &second)]);
        let (response, sink) = check(&len_field(2, &len_field(1, &image)));
        assert_eq!(first_buffer(response).size, 6);
        assert_eq!(sink.pixels_of(0), b"first");
        assert_eq!(sink.begins, 1);
    }

    #[test]
    fn buffer_twice_with_data_the_last_pixels_win() {
        let first = cat(&[&len_field(1, b"first"), &varint_field(2, 5)]);
        let second = len_field(1, b"second");
        let image = cat(&[&len_field(7, &first), &len_field(7, &second)]);
        let (response, sink) = check(&len_field(2, &len_field(1, &image)));
        assert_eq!(first_buffer(response).size, 5);
        assert_eq!(sink.pixels_of(0), b"second");
        assert_eq!(sink.begins, 2);
    }

    #[test]
    fn data_twice_in_one_buffer_the_last_wins() {
        let buffer = cat(&[&len_field(1, b"first"), &len_field(1, b"second")]);
        let (_, sink) = check(&len_field(2, &len_field(1, &len_field(7, &buffer))));
        assert_eq!(sink.pixels_of(0), b"second");
        assert_eq!(sink.begins, 2);
    }

    #[test]
    fn render_images_twice_concatenate() {
        let one = len_field(1, &len_field(7, &len_field(1, b"one")));
        let two = len_field(1, &len_field(7, &len_field(1, b"two")));
        let wire = cat(&[
            &len_field(2, &one),
            &varint_field(1, 1),
            &len_field(2, &two),
        ]);
        let (response, sink) = check(&wire);
        assert!(response.result);
        assert_eq!(response.render_images.expect("images").data.len(), 2);
        assert_eq!(
            (sink.pixels_of(0), sink.pixels_of(1)),
            (&b"one"[..], &b"two"[..])
        );
    }

    #[test]
    fn image_without_buffer_and_buffer_without_pixels() {
        let images = cat(&[
            &len_field(1, &varint_field(6, 8)),
            &len_field(1, &len_field(7, &len_field(1, b""))),
            &len_field(1, &len_field(7, b"")),
            &len_field(1, b""),
        ]);
        let (response, sink) = check(&len_field(2, &images));
        let images = response.render_images.expect("images").data;
        let buffers: Vec<bool> = images.iter().map(|i| i.buffer.is_some()).collect();
        assert_eq!(buffers, [false, true, true, false]);
        assert_eq!(sink.images, BTreeMap::from([(1, (0, Vec::new()))]));
    }

    #[test]
    fn empty_render_images_is_some() {
        let (response, _) = check(&len_field(2, b""));
        assert_eq!(
            response.render_images,
            Some(ApiArrayApiRenderImage::default())
        );
    }

    #[test]
    fn result_false_alone() {
        let (response, sink) = check(&varint_field(1, 0));
        assert_eq!(response, GrabRenderResultResponse::default());
        assert_eq!(sink.begins, 0);
    }

    #[test]
    fn empty_message() {
        let (response, _) = check(b"");
        assert_eq!(response, GrabRenderResultResponse::default());
    }

    #[test]
    fn every_prefix_is_truncated_unless_it_ends_between_top_level_fields() {
        let wire = Bytes::from(answer());
        for at in 0..wire.len() {
            let prefix = wire.slice(..at);
            let prost = GrabRenderResultResponse::decode(prefix.clone());
            for chunks in [vec![prefix.clone()], splits(&prefix).pop().expect("bytes")] {
                match (decode(chunks), &prost) {
                    (Ok((response, _)), Ok(prost)) => assert_eq!(&response, prost),
                    (Err(_), Err(_)) => {}
                    (ours, _) => panic!("prefix of {at} bytes: {ours:?} but prost {prost:?}"),
                }
            }
            assert_eq!(prost.is_ok(), at == 0 || at == 2, "prefix of {at} bytes");
        }
    }

    #[test]
    fn a_cut_answer_fails_where_the_first_length_runs_past_it() {
        let image = len_field(1, &len_field(7, &len_field(1, b"pixels")));
        let mut wire = len_field(2, &cat(&[&len_field(1, b""), &image]));
        wire.truncate(wire.len() - 2);
        let error = error(&wire).to_string();
        assert!(error.contains("past the end"), "{error}");
        assert!(
            error.contains("in grabRenderResultResponse at byte 2"),
            "{error}"
        );
    }

    #[test]
    fn an_answer_that_ends_early_is_truncated_and_says_where() {
        let image = len_field(1, &len_field(7, &len_field(1, b"pixels")));
        let wire = len_field(2, &cat(&[&len_field(1, b""), &image]));
        let mut decoder = GrabDecoder::new(wire.len());
        let fed = Bytes::copy_from_slice(&wire[..wire.len() - 2]);
        decoder
            .feed(fed, &mut Recorder::default())
            .expect("so far valid");
        let error = decoder.finish().expect_err("ends early").to_string();
        assert!(error.contains("truncated"), "{error}");
        assert!(error.contains("renderImages.data[1].buffer"), "{error}");
    }

    #[test]
    fn pixel_length_past_its_buffer_is_checked_before_begin() {
        let mut buffer = key(1, WireType::LengthDelimited);
        encode_varint(100, &mut buffer);
        buffer.extend_from_slice(b"short");
        let wire = len_field(2, &len_field(1, &len_field(7, &buffer)));
        let mut sink = Recorder::default();
        let error = GrabDecoder::new(wire.len())
            .feed(wire.into(), &mut sink)
            .expect_err("past end");
        assert!(matches!(problem(error), Malformed::PastEnd));
        assert_eq!(sink.begins, 0);
    }

    #[test]
    fn lengths_past_the_answer_are_refused_before_begin() {
        // Every level announces far more than the answer has: a few bytes must not make the
        // sink reserve room for gigabytes of pixels.
        let huge = 1u64 << 40;
        let mut wire = Vec::new();
        for field in PATH {
            wire.extend_from_slice(&key(field, WireType::LengthDelimited));
            encode_varint(huge, &mut wire);
        }
        wire.extend_from_slice(b"pixels");
        let mut sink = Recorder::default();
        let error = GrabDecoder::new(wire.len())
            .feed(wire.into(), &mut sink)
            .expect_err("past the answer");
        assert!(matches!(
            error,
            GrabDecodeError::Wire {
                problem: Malformed::PastEnd,
                offset: 7,
                ..
            }
        ));
        assert_eq!(sink.begins, 0);
    }

    #[test]
    fn bytes_past_the_answer_are_refused() {
        let wire = Bytes::from_static(&[0x08, 0x01, 0x08, 0x01]);
        let mut sink = Recorder::default();
        let mut decoder = GrabDecoder::new(2);
        let error = decoder.feed(wire, &mut sink).expect_err("past the answer");
        assert!(matches!(problem(error), Malformed::PastEnd));
    }

    #[test]
    fn length_past_its_message() {
        let mut image = key(4, WireType::LengthDelimited);
        encode_varint(3, &mut image);
        image.push(0x08);
        let error = error(&len_field(2, &len_field(1, &image)));
        assert!(matches!(problem(error), Malformed::PastEnd));
    }

    #[test]
    fn varint_past_its_message() {
        let image = [0x30, 0x80];
        let error = error(&len_field(2, &len_field(1, &image)));
        assert!(matches!(problem(error), Malformed::PastEnd));
    }

    #[test]
    fn fixed_field_past_its_message() {
        let image = cat(&[&key(9, WireType::ThirtyTwoBit), &[0, 0]]);
        let error = error(&len_field(2, &len_field(1, &image)));
        assert!(matches!(problem(error), Malformed::PastEnd));
    }

    #[test]
    fn path_field_must_be_len() {
        let error = error(&len_field(2, &len_field(1, &varint_field(7, 1))));
        let expected = Malformed::NotLen {
            field: 7,
            wire_type: 0,
        };
        assert_eq!(
            error.to_string(),
            format!("{expected}, in renderImages.data[0] at byte 5 of the answer")
        );
    }

    #[test]
    fn groups_are_rejected() {
        for wire_type in [WireType::StartGroup, WireType::EndGroup] {
            let error = error(&cat(&[&key(5, wire_type), &varint_field(1, 1)]));
            assert!(matches!(problem(error), Malformed::WireType(_)));
        }
    }

    #[test]
    fn eleven_byte_varints_are_rejected() {
        let long = [0xff; 10];
        for wire in [
            cat(&[&[0x08], &long, &[0x01]]),
            cat(&[&[0x88], &[0x80; 9], &[0x00]]),
            cat(&[&[0x12], &long, &[0x01]]),
        ] {
            let error = error(&wire);
            assert!(matches!(problem(error), Malformed::Varint));
        }
    }

    #[test]
    fn ten_byte_varint_above_64_bits_is_rejected() {
        let wire = cat(&[&[0x08], &[0xff; 9], &[0x02]]);
        let error = error(&wire);
        assert!(matches!(problem(error), Malformed::Varint));
    }

    #[test]
    fn field_number_zero_is_rejected() {
        for wire in [vec![0x00, 0x01], len_field(2, &len_field(1, &[0x02, 0x00]))] {
            let error = error(&wire);
            assert!(matches!(problem(error), Malformed::Tag(_)));
        }
    }

    #[test]
    fn an_answer_of_more_images_than_a_frame_may_have_is_refused() {
        let images = |count: usize| {
            let empty = len_field(1, &[]);
            Bytes::from(len_field(2, &empty.repeat(count)))
        };
        let (response, _) = decode([images(MAX_IMAGES)]).expect("the most a frame may have");
        assert_eq!(
            response.render_images.map(|images| images.data.len()),
            Some(MAX_IMAGES)
        );
        assert!(matches!(
            decode([images(MAX_IMAGES + 1)]),
            Err(GrabDecodeError::TooManyImages)
        ));
    }

    #[test]
    fn prost_errors_off_the_path_are_reported() {
        let wire = len_field(2, &len_field(1, &key(6, WireType::LengthDelimited)));
        assert!(matches!(error(&wire), GrabDecodeError::Wire { .. }));
        let wire = len_field(2, &len_field(1, &len_field(6, b"x")));
        let error = error(&wire);
        assert!(
            matches!(&error, GrabDecodeError::Decode { path, .. } if path == "renderImages.data[0]")
        );
    }
}
