//! A frame: the images of one grabbed render result, and its SSE event, encoded once.
//!
//! While a client reads the frames' events (an SSE client of the raw stream, an octaneWebR
//! socket), the event is built as the grab's answer arrives: [`FrameBuilder`] receives each
//! piece of pixels from the answer's decoder and base64-encodes it at once, while the piece is
//! still in the cache from the socket read, into a buffer of the streamer's [`EventBuffers`].
//! Encoding the whole frame once it had arrived read it back from memory, and tonic first
//! copied it out of the HTTP/2 frames into one buffer: together about a quarter of the CPU time
//! per frame. The event stays in the pieces it was made of (JSON text, each image's base64),
//! which clients write one after the other. The frame keeps the pixels as that base64, not the
//! pieces of the answer as well (they would pin the answer's chunks).
//!
//! The builder copies the pixels, as they arrive, into one pooled buffer of raw rows while a
//! JPEG variant is watched (8 MiB more for each 1920x1080 frame in flight, and a copy of hot
//! data, instead of decoding the base64 again for every encode), and whenever no client reads
//! the events. Then it does not encode the event at all: the base64 of a 1080p frame was the
//! largest single cost of the JPEG viewers' frames, for an event nobody read. A client that
//! comes in then gets the frame's event made from the rows the first time it is asked for,
//! and the frames after it built with their events again.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use octane_api::octaneapi::ApiRenderImage;

use super::event_buffers::{EventBuffer, EventBuffers};
use super::event_json::{EventHead, EventImage, write_open_object};
use super::image::Image;
use super::png::{ImageError, PngError};

/// A published frame. Cheap to clone: the pixels and the encoded event are shared.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Increases by one per published frame; subscribers use it to count skipped frames.
    pub sequence: u64,
    /// When the frame was built, in Unix seconds.
    pub timestamp: f64,
    /// The callback id Octane answered the registration with.
    pub callback_id: u32,
    /// The `user_data` of the callback that announced the frame.
    pub user_data: u64,
    /// The images Octane returned, in order.
    pub images: Vec<Image>,
    /// The SSE event in the pieces a client writes: see [`Frame::event_parts`]. Set as the
    /// frame is built if it was built with its event, else when first asked for.
    event: OnceLock<Vec<Bytes>>,
    /// The event's JSON text around the images' base64, and where in it each goes: (offset,
    /// image index), in order.
    text: Bytes,
    inserts: Vec<(usize, usize)>,
    /// The first image as PNG, encoded by whichever client asks first, then shared (its
    /// failure too, behind an `Arc`: the encoder's error is not `Clone`).
    png: OnceLock<Result<Bytes, Arc<PngError>>>,
}

impl Frame {
    /// The complete SSE event (`data: {"type":"newImage",...}\n\n`), shared by every
    /// subscriber, in the pieces a client writes it in, none empty: the JSON text around the
    /// pixels, and each image's base64 (a buffer of the streamer's [`EventBuffers`]), except
    /// the event's last [`EVENT_TAIL`] bytes, copied once into a buffer of their own. A client
    /// whose socket stops taking data just as it finishes an event (so the connection still
    /// holds the event's last bytes) and which then takes up the next frame pins that next
    /// event and only the small tail of this one, not the buffers of two frames.
    ///
    /// CPU-heavy the first time for a frame built without its event (no client read events
    /// as it arrived): its images' base64 is made then, about a millisecond for 8 MiB.
    pub fn event_parts(&self) -> &[Bytes] {
        self.event.get_or_init(|| {
            let mut event = Vec::with_capacity(2 * self.inserts.len() + 2);
            let mut at = 0;
            for &(position, image) in &self.inserts {
                event.push(self.text.slice(at..position));
                event.push(self.images[image].base64().clone());
                at = position;
            }
            event.push(self.text.slice(at..));
            with_own_tail(event)
        })
    }

    /// Whether the event is made: built with the frame, or asked for since.
    #[must_use]
    pub fn has_event(&self) -> bool {
        self.event.get().is_some()
    }

    /// The event's length in bytes (made if it was not: see [`Frame::event_parts`]).
    pub fn event_len(&self) -> usize {
        self.event_parts().iter().map(Bytes::len).sum()
    }

    /// The first image as PNG. CPU-heavy the first time: call it off the async workers.
    pub fn png(&self) -> Result<Bytes, Arc<PngError>> {
        self.png
            .get_or_init(|| match self.images.first() {
                Some(image) => super::png::encode(image).map(Bytes::from).map_err(Arc::new),
                None => Err(Arc::new(PngError::Image(ImageError::Empty {
                    width: 0,
                    height: 0,
                }))),
            })
            .clone()
    }

    /// The frame of `images`, with their pixels given whole: what [`FrameBuilder`] makes of
    /// them when they arrive in one piece each.
    #[cfg(test)]
    pub(crate) fn build(
        buffers: &EventBuffers,
        sequence: u64,
        callback_id: u32,
        user_data: u64,
        timestamp: f64,
        images: &[ApiRenderImage],
    ) -> Self {
        let mut builder = FrameBuilder::new(buffers.clone());
        for (index, image) in images.iter().enumerate() {
            if let Some(buffer) = &image.buffer {
                builder.begin(index, buffer.data.len());
                builder.pixels(index, buffer.data.clone());
            }
        }
        builder.finish(sequence, callback_id, user_data, timestamp, images)
    }
}

/// Receives the pixel bytes of each image while they arrive.
pub(crate) trait PixelSink {
    /// Image `image`'s pixels start, `len` bytes of them; pixels it had before are superseded
    /// (a repeated `bytes` field: the last one wins).
    fn begin(&mut self, image: usize, len: usize);
    /// The next piece of image `image`'s pixels, a slice of the chunk it arrived in.
    fn pixels(&mut self, image: usize, piece: Bytes);
}

/// Builds a frame while its grab arrives: the decoder of the answer hands it each image's
/// pixels piece by piece ([`PixelSink`]), and it encodes them into the event at once, keeps
/// them raw, or both (see the module).
pub(crate) struct FrameBuilder {
    buffers: EventBuffers,
    /// Whether the event is encoded as the pixels arrive.
    encode_event: bool,
    /// Whether the images' raw rows are kept.
    keep_rows: bool,
    /// By image, in the answer's order.
    images: Vec<ImagePixels>,
}

/// One image's pixels as they arrive, and their base64 so far.
#[derive(Default)]
struct ImagePixels {
    /// Bytes received.
    len: usize,
    /// Their base64; `None` until the image's pixels begin, or if the event is not encoded.
    text: Option<EventBuffer>,
    /// The last bytes received and not encoded yet (up to two): base64 encodes whole groups
    /// of three, and pieces end anywhere.
    carry: [u8; 3],
    carried: usize,
    /// The raw rows, when the builder keeps them; `None` until the image's pixels begin.
    rows: Option<EventBuffer>,
}

impl PixelSink for FrameBuilder {
    fn begin(&mut self, image: usize, len: usize) {
        if self.images.len() <= image {
            self.images.resize_with(image + 1, ImagePixels::default);
        }
        let pixels = &mut self.images[image];
        // Rounded up to whole pages: the spares of the pool then fit the next frame's images
        // even when their lengths differ by a few bytes.
        let capacity = base64_simd::STANDARD
            .encoded_length(len)
            .next_multiple_of(PAGE);
        pixels.len = 0;
        pixels.carried = 0;
        if len == 0 {
            // Nothing to encode: no buffer of the pool (any spare would fit, and be held).
            pixels.text = None;
            pixels.rows = None;
            return;
        }
        if self.encode_event {
            match &mut pixels.text {
                Some(text) if text.capacity() >= capacity => text.clear(),
                text => *text = Some(self.buffers.take(capacity)),
            }
        } else {
            pixels.text = None;
        }
        if self.keep_rows {
            let capacity = len.next_multiple_of(PAGE);
            match &mut pixels.rows {
                Some(rows) if rows.capacity() >= capacity => rows.clear(),
                rows => *rows = Some(self.buffers.take(capacity)),
            }
        }
    }

    fn pixels(&mut self, image: usize, piece: Bytes) {
        let Some(pixels) = self
            .images
            .get_mut(image)
            .filter(|pixels| pixels.text.is_some() || pixels.rows.is_some())
        else {
            debug_assert!(false, "pixels of image {image} before they began");
            return;
        };
        pixels.len += piece.len();
        if let Some(rows) = &mut pixels.rows {
            rows.extend_from_slice(&piece);
        }
        let ImagePixels {
            text: Some(text),
            carry,
            carried,
            ..
        } = pixels
        else {
            return;
        };
        let text: &mut Vec<u8> = text;
        let mut rest = &piece[..];
        if *carried > 0 {
            let take = (3 - *carried).min(rest.len());
            carry[*carried..*carried + take].copy_from_slice(&rest[..take]);
            *carried += take;
            rest = &rest[take..];
            if *carried == 3 {
                base64_simd::STANDARD.encode_append(&carry[..], text);
                *carried = 0;
            }
        }
        let whole = rest.len() - rest.len() % 3;
        base64_simd::STANDARD.encode_append(&rest[..whole], text);
        let left = &rest[whole..];
        carry[*carried..*carried + left.len()].copy_from_slice(left);
        *carried += left.len();
    }
}

impl FrameBuilder {
    /// A builder whose events go into buffers of `buffers`, encoding the event and keeping no
    /// rows.
    pub(crate) fn new(buffers: EventBuffers) -> Self {
        Self {
            buffers,
            encode_event: true,
            keep_rows: false,
            images: Vec::new(),
        }
    }

    /// The builder for a frame whose event is read as it arrives (`events_read`) or not, and
    /// whose rows a JPEG encoder reads (`rows_read`) or not: it encodes the event only in the
    /// first case, and keeps the rows in the second or when it does not encode the event (a
    /// frame always has its pixels in one form or the other).
    #[must_use]
    pub(crate) fn for_readers(mut self, events_read: bool, rows_read: bool) -> Self {
        self.encode_event = events_read;
        self.keep_rows = rows_read || !events_read;
        self
    }

    /// The frame of `images`, the grab's images (their pixel bytes, if any, are not read: the
    /// pixels are the ones this builder received for the image of the same index).
    pub(crate) fn finish(
        mut self,
        sequence: u64,
        callback_id: u32,
        user_data: u64,
        timestamp: f64,
        images: &[ApiRenderImage],
    ) -> Frame {
        let head = EventHead {
            r#type: "newImage",
            callback_id,
            user_data,
            timestamp,
        };
        // The JSON text of the event, and where in it each image's base64 goes.
        let mut text = Vec::with_capacity(512 * (images.len() + 1));
        let mut inserts = Vec::with_capacity(images.len());
        let mut frame_images = Vec::with_capacity(images.len());
        let mut pooled = 0;
        text.extend_from_slice(EVENT_OPEN);
        write_open_object(&mut text, &head);
        text.extend_from_slice(IMAGES_OPEN);
        for (index, image) in images.iter().enumerate() {
            if index > 0 {
                text.push(b',');
            }
            write_open_object(&mut text, &EventImage::new(index, image));
            text.extend_from_slice(BUFFER_OPEN);
            let mut pixels = self
                .images
                .get_mut(index)
                .map(std::mem::take)
                .unwrap_or_default();
            if pixels.len > 0 {
                inserts.push((text.len(), index));
            }
            text.extend_from_slice(BUFFER_SIZE);
            text.extend_from_slice(pixels.len.to_string().as_bytes());
            text.extend_from_slice(IMAGE_CLOSE);
            let encoded = pixels.encoded();
            let rows = pixels.rows.take().map(EventBuffer::share);
            pooled += usize::from(encoded.is_some()) + usize::from(rows.is_some());
            frame_images.push(Image::of(image, encoded, rows));
        }
        text.extend_from_slice(EVENT_CLOSE);
        // One pooled buffer for each image's base64 and for its rows, each if made.
        self.buffers.keep_for_images(pooled);
        let frame = Frame {
            sequence,
            timestamp,
            callback_id,
            user_data,
            images: frame_images,
            event: OnceLock::new(),
            text: Bytes::from(text),
            inserts,
            png: OnceLock::new(),
        };
        if self.encode_event {
            // Its base64 is made: the event is slices of it, cut here rather than by a client.
            frame.event_parts();
        }
        frame
    }
}

impl ImagePixels {
    /// The base64 of all the pieces, padded, shared; `None` if it was not made.
    fn encoded(&mut self) -> Option<Bytes> {
        let mut text = self.text.take()?;
        base64_simd::STANDARD.encode_append(&self.carry[..self.carried], &mut *text);
        Some(text.share())
    }
}

/// `parts` with their last [`EVENT_TAIL`] bytes copied into one buffer of their own, and no
/// empty part: see [`Frame::event_parts`].
fn with_own_tail(mut parts: Vec<Bytes>) -> Vec<Bytes> {
    let mut tail = Vec::new();
    let mut tail_len = 0;
    while let Some(mut last) = parts.pop() {
        let wanted = EVENT_TAIL - tail_len;
        if last.len() > wanted {
            tail.push(last.split_off(last.len() - wanted));
            parts.push(last);
            break;
        }
        tail_len += last.len();
        tail.push(last);
    }
    tail.reverse();
    parts.push(Bytes::from(tail.concat()));
    parts.retain(|part| !part.is_empty());
    parts
}

/// How much of the end of an event is copied out of the pooled buffer (once per frame). It must
/// exceed what a connection can still hold of an event when it asks for the next data: hyper's
/// HTTP/1 writer asks only while less than its write buffer limit is queued, 408 KiB by default.
pub const EVENT_TAIL: usize = 512 * 1024;

// The event's JSON text around its objects and pixels.
const EVENT_OPEN: &[u8] = b"data: ";
const IMAGES_OPEN: &[u8] = br#","render_images":{"data":["#;
const EVENT_CLOSE: &[u8] = b"]}}\n\n";
const BUFFER_OPEN: &[u8] = br#","buffer":{"data":""#;
const BUFFER_SIZE: &[u8] = br#"","size":"#;
const IMAGE_CLOSE: &[u8] = br#","encoding":"base64"}}"#;

/// Event buffers are requested in multiples of this many bytes.
const PAGE: usize = 4096;

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use octane_api::octaneapi::{Buffer, CLevelT, Uint322};

    fn image(pixels: &'static [u8], render_pass_id: i32) -> ApiRenderImage {
        ApiRenderImage {
            r#type: 2,
            size: Some(Uint322 { x: 1, y: 1 }),
            pitch: 1,
            render_pass_id,
            samples_per_second: f32::NAN,
            change_level: Some(CLevelT { value: 3 }),
            has_alpha: true,
            buffer: Some(Buffer {
                data: Bytes::from_static(pixels),
                size: pixels.len() as u32,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_event_is_the_json_the_viewers_read() {
        let frame = Frame::build(
            &EventBuffers::new(),
            1,
            7,
            9,
            1.5,
            &[image(b"\x00\xff\x10", 0), image(b"ab", 5)],
        );
        let expected = concat!(
            r#"data: {"type":"newImage","callback_id":7,"user_data":9,"timestamp":1.5,"#,
            r#""render_images":{"data":[{"index":0,"type":2,"colorSpace":0,"isLinear":false,"#,
            r#""size":{"x":1,"y":1},"pitch":1,"renderPassId":0,"tonemappedSamplesPerPixel":0.0,"#,
            r#""calculatedSamplesPerPixel":0.0,"samplesPerSecond":0.0,"renderTime":0.0,"#,
            r#""changeLevel":{"level":3},"hasPendingUpdates":false,"hasAlpha":true,"#,
            r#""buffer":{"data":"AP8Q","size":3,"encoding":"base64"}},{"index":1,"type":2,"#,
            r#""colorSpace":0,"isLinear":false,"size":{"x":1,"y":1},"pitch":1,"renderPassId":5,"#,
            r#""tonemappedSamplesPerPixel":0.0,"calculatedSamplesPerPixel":0.0,"#,
            r#""samplesPerSecond":0.0,"renderTime":0.0,"changeLevel":{"level":3},"#,
            r#""hasPendingUpdates":false,"hasAlpha":true,"#,
            r#""buffer":{"data":"YWI=","size":2,"encoding":"base64"}}]}}"#,
            "\n\n"
        );
        assert_eq!(event_of(&frame), expected);
    }

    fn event_of(frame: &Frame) -> String {
        String::from_utf8(frame.event_parts().concat()).expect("events are UTF-8")
    }

    #[test]
    fn pixels_arriving_in_pieces_of_any_length_are_one_base64_string() {
        use base64::Engine as _;
        let pixels: Vec<u8> = (0..1000).map(|i| (i * 7 % 251) as u8).collect();
        let expected = format!(
            r#""buffer":{{"data":"{}","size":{},"encoding":"base64"}}"#,
            base64::engine::general_purpose::STANDARD.encode(&pixels),
            pixels.len()
        );
        let whole = Bytes::from(pixels);
        // Every piece length from 1 to 7, so that pieces end at every offset of a group of
        // three; and a first piece of every length from 0 to 5.
        for piece in 1..=7 {
            for first in 0..=5 {
                let mut builder = FrameBuilder::new(EventBuffers::new());
                builder.begin(0, whole.len());
                builder.pixels(0, whole.slice(..first));
                let mut at = first;
                while at < whole.len() {
                    let end = (at + piece).min(whole.len());
                    builder.pixels(0, whole.slice(at..end));
                    at = end;
                }
                let frame = builder.finish(1, 7, 9, 1.0, &[image(b"", 0)]);
                let event = event_of(&frame);
                assert!(event.contains(&expected), "pieces of {piece} after {first}");
                assert_eq!(frame.images[0].pixels(), whole);
            }
        }
    }

    #[test]
    fn whichever_forms_the_readers_want_the_event_and_the_rows_are_the_same() {
        let pixels: Vec<u8> = (0..1000).map(|i| (i * 7 % 251) as u8).collect();
        let whole = Bytes::from(pixels);
        let buffers = EventBuffers::new();
        let build = |events_read: bool, rows_read: bool| {
            let mut builder =
                FrameBuilder::new(buffers.clone()).for_readers(events_read, rows_read);
            builder.begin(0, 3);
            builder.pixels(0, Bytes::from_static(b"old"));
            builder.begin(0, whole.len());
            for at in (0..whole.len()).step_by(64) {
                builder.pixels(0, whole.slice(at..(at + 64).min(whole.len())));
            }
            builder.finish(1, 7, 9, 1.0, &[image(b"", 0), image(b"", 5)])
        };
        let plain = build(true, false);
        assert!(plain.has_event());
        assert!(matches!(plain.images[0].raw_rows(), Cow::Owned(rows) if rows == whole));
        let expected = event_of(&plain);
        let both = build(true, true);
        assert!(both.has_event());
        assert_eq!(event_of(&both), expected);
        assert!(matches!(both.images[0].raw_rows(), Cow::Borrowed(rows) if rows == whole));
        // Nobody read events as these arrived: no base64 until a client asks for the event.
        for rows_read in [false, true] {
            let rows_only = build(false, rows_read);
            assert!(!rows_only.has_event());
            assert!(matches!(rows_only.images[0].raw_rows(), Cow::Borrowed(rows) if rows == whole));
            assert_eq!(event_of(&rows_only), expected);
            assert!(rows_only.has_event());
            assert_eq!(rows_only.event_parts(), rows_only.event_parts());
        }
    }

    #[test]
    fn pixels_that_begin_again_replace_the_ones_before() {
        let mut builder = FrameBuilder::new(EventBuffers::new());
        builder.begin(1, 4);
        builder.pixels(1, Bytes::from_static(b"abcd"));
        builder.begin(1, 2);
        builder.pixels(1, Bytes::from_static(b"a"));
        builder.pixels(1, Bytes::from_static(b"b"));
        let frame = builder.finish(1, 7, 9, 1.0, &[image(b"", 0), image(b"", 5)]);
        let event = event_of(&frame);
        assert!(
            event.contains(r#""buffer":{"data":"","size":0,"#),
            "{event}"
        );
        assert!(
            event.contains(r#""buffer":{"data":"YWI=","size":2,"#),
            "{event}"
        );
        assert_eq!(frame.images[1].pixels(), b"ab");
        assert!(frame.images[0].pixels().is_empty());
    }

    #[test]
    fn the_events_tail_is_its_own_buffer_and_leaves_the_pooled_one_to_the_pool() {
        let pixels = vec![7u8; EVENT_TAIL];
        let mut one = image(b"", 0);
        one.buffer = Some(Buffer {
            size: pixels.len() as u32,
            data: Bytes::from(pixels),
        });
        let buffers = EventBuffers::new();
        let frame = Frame::build(&buffers, 1, 7, 9, 1.0, &[one]);
        let parts = frame.event_parts();
        // The text before the pixels, the pixels' base64 but its end, the tail.
        assert_eq!(parts.len(), 3);
        let tail = parts[2].clone();
        assert_eq!(tail.len(), EVENT_TAIL);
        assert!(event_of(&frame).ends_with(std::str::from_utf8(&tail).unwrap()));
        drop(frame);
        assert_eq!(
            buffers.kept(),
            1,
            "the tail alone does not hold the event's buffer"
        );
        assert_eq!(&tail[tail.len() - 4..], b"}}\n\n");

        let small = Frame::build(&buffers, 2, 7, 9, 1.0, &[]);
        assert_eq!(small.event_parts().len(), 1);
        assert_eq!(small.event_len(), event_of(&small).len());
    }

    #[test]
    fn the_buffer_gauge_counts_the_events_exactly_and_then_only_the_spares() {
        let buffers = EventBuffers::new();
        let with_pixels = |len: usize| {
            let mut image = image(b"", 3);
            image.buffer = Some(Buffer {
                size: len as u32,
                data: Bytes::from(vec![5u8; len]),
            });
            image
        };
        let (large, medium) = (with_pixels(600_000), with_pixels(450_000));
        let mut no_buffer = image(b"", 1);
        no_buffer.buffer = None;
        let (id, data, time) = (u32::MAX, u64::MAX, -1.234_567_890_123_456_7e-300);
        let frames = vec![
            Frame::build(&buffers, 1, id, data, time, &[]),
            Frame::build(&buffers, 2, id, data, time, &[large.clone(), no_buffer]),
            Frame::build(&buffers, 3, 7, 9, 1.0, &[large.clone(), large]),
        ];
        // All in flight at once, so each image with pixels has a buffer of its own, allocated
        // at its base64's length rounded up to whole pages and not grown since.
        let base64 = |len: usize| base64_simd::STANDARD.encoded_length(len);
        assert_eq!(
            buffers.allocated_bytes(),
            3 * base64(600_000).next_multiple_of(PAGE)
        );
        // The last frame had two images: the pool keeps up to four spares.
        drop(frames);
        assert_eq!(buffers.kept(), 3);
        assert_eq!(buffers.allocated_bytes(), buffers.kept_bytes());

        // Built in a spare, larger than it needs: counted at the spare's size throughout.
        let smaller = Frame::build(&buffers, 4, 7, 9, 1.0, &[medium]);
        assert_eq!(buffers.kept(), 2);
        assert!(buffers.allocated_bytes() > buffers.kept_bytes() + smaller.event_len());
        // Frames of one image now: two spares, and the third buffer freed.
        drop(smaller);
        assert_eq!(buffers.kept(), 2);
        assert_eq!(buffers.allocated_bytes(), buffers.kept_bytes());
    }

    #[test]
    fn empty_pixels_take_no_buffer_of_the_pool() {
        let buffers = EventBuffers::new();
        drop(Frame::build(&buffers, 1, 7, 9, 1.0, &[image(b"abc", 0)]));
        assert_eq!(buffers.kept(), 1);
        let mut builder = FrameBuilder::new(buffers.clone());
        builder.begin(0, 0);
        let frame = builder.finish(2, 7, 9, 1.0, &[image(b"", 0)]);
        assert_eq!(buffers.kept(), 1, "the spare stays spare");
        assert!(event_of(&frame).contains(r#""buffer":{"data":"","size":0,"#));
    }

    #[test]
    fn a_frame_without_images_has_an_empty_list() {
        let frame = Frame::build(&EventBuffers::new(), 1, 7, 9, 2.0, &[]);
        assert_eq!(
            frame.event_parts().concat(),
            br#"data: {"type":"newImage","callback_id":7,"user_data":9,"timestamp":2.0,"render_images":{"data":[]}}"#
                .iter()
                .chain(b"\n\n")
                .copied()
                .collect::<Vec<u8>>()
        );
    }
}
