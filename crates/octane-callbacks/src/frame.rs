//! A frame: the images of one grabbed render result, and its SSE event, encoded once.

use std::sync::OnceLock;

use bytes::Bytes;
use octane_api::octaneapi::ApiRenderImage;
use serde::Serialize;

use crate::event_buffers::EventBuffers;
use crate::png::ImageError;

/// One rendered image of a frame: what the PNG and MJPEG endpoints need.
#[derive(Debug, Clone)]
pub struct Image {
    /// `octaneapi.ImageType` as a number (0 LDR_RGBA, 1 LDR_MONO, 2 HDR_RGBA, 3 HDR_MONO, ...).
    pub image_type: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row stride in pixels; 0 means tightly packed rows (a stride of `width`).
    pub pitch: u32,
    /// The raw rows as Octane sent them.
    pub pixels: Bytes,
}

/// A published frame. Cheap to clone: the pixels and the encoded event are shared.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Increases by one per published frame; subscribers use it to count skipped frames.
    pub sequence: u64,
    /// When the frame was built, in Unix seconds.
    pub timestamp: f64,
    /// The images Octane returned, in order.
    pub images: Vec<Image>,
    /// The complete SSE event (`data: {"type":"newImage",...}\n\n`), shared by every subscriber.
    pub event: Bytes,
    /// The last [`EVENT_TAIL`] bytes of `event`, copied once into a buffer of their own; see
    /// [`Frame::event_parts`].
    tail: Bytes,
    /// The first image as PNG, encoded by whichever client asks first, then shared.
    png: OnceLock<Result<Bytes, ImageError>>,
}

impl Frame {
    /// Builds the frame and its event from a grab's images. Encoding (base64, JSON) happens here,
    /// once, whatever the number of subscribers, into a buffer of `buffers`.
    pub fn build(
        buffers: &EventBuffers,
        sequence: u64,
        callback_id: u32,
        user_data: u64,
        timestamp: f64,
        images: &[ApiRenderImage],
    ) -> Self {
        let head = EventHead {
            r#type: "newImage",
            callback_id,
            user_data,
            timestamp,
        };
        // Never grown while written (growing copies the event so far). Rounded up to whole
        // pages: the numbers in the head and the images' statistics change the length by a few
        // bytes from frame to frame, and a buffer of exactly one event would be too small for
        // the next, so nearly every frame would allocate afresh.
        let len = event_len(&head, images);
        let mut buffer = buffers.take(len.next_multiple_of(PAGE));
        let out: &mut Vec<u8> = &mut buffer;
        out.extend_from_slice(EVENT_OPEN);
        write_open_object(out, &head);
        out.extend_from_slice(IMAGES_OPEN);
        for (index, image) in images.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_image(out, index, image);
        }
        out.extend_from_slice(EVENT_CLOSE);
        debug_assert_eq!(out.len(), len, "event_len counts what is written");
        let tail = Bytes::copy_from_slice(&out[out.len().saturating_sub(EVENT_TAIL)..]);
        Self {
            sequence,
            timestamp,
            images: images.iter().map(Image::from_api).collect(),
            event: buffer.share(),
            tail,
            png: OnceLock::new(),
        }
    }

    /// The event in the two parts a client writes it in: all but its tail, a slice of the
    /// pooled buffer, then the tail, which is not. A client whose socket stops taking data
    /// just as it finishes an event (so the connection still holds the event's last bytes)
    /// and which then takes up the next frame pins that next event and only the small tail of
    /// this one, not two frame-sized buffers. The first part is empty for events no longer
    /// than the tail.
    pub fn event_parts(&self) -> (Bytes, Bytes) {
        (
            self.event.slice(..self.event.len() - self.tail.len()),
            self.tail.clone(),
        )
    }

    /// The first image as PNG. CPU-heavy the first time: call it off the async workers.
    pub fn png(&self) -> Result<Bytes, ImageError> {
        self.png
            .get_or_init(|| match self.images.first() {
                Some(image) => crate::png::encode(image).map(Bytes::from),
                None => Err(ImageError::Empty {
                    width: 0,
                    height: 0,
                }),
            })
            .clone()
    }
}

impl Image {
    fn from_api(image: &ApiRenderImage) -> Self {
        let size = image.size.unwrap_or_default();
        Self {
            image_type: image.r#type,
            width: size.x,
            height: size.y,
            pitch: image.pitch,
            pixels: image
                .buffer
                .as_ref()
                .map(|b| b.data.clone())
                .unwrap_or_default(),
        }
    }
}

/// How much of the end of an event is copied out of the pooled buffer (once per frame). It must
/// exceed what a connection can still hold of an event when it asks for the next data: hyper's
/// HTTP/1 writer asks only while less than its write buffer limit is queued, 408 KiB by default.
pub const EVENT_TAIL: usize = 512 * 1024;

// The event's pieces around its JSON objects and pixels: one copy for the code that writes them
// and the code that counts them.
const EVENT_OPEN: &[u8] = b"data: ";
const IMAGES_OPEN: &[u8] = br#","render_images":{"data":["#;
const EVENT_CLOSE: &[u8] = b"]}}\n\n";
const BUFFER_OPEN: &[u8] = br#","buffer":{"data":""#;
const BUFFER_SIZE: &[u8] = br#"","size":"#;
const IMAGE_CLOSE: &[u8] = br#","encoding":"base64"}}"#;

/// Event buffers are requested in multiples of this many bytes.
const PAGE: usize = 4096;

/// The length of the event [`Frame::build`] writes for `head` and `images`, byte for byte.
fn event_len(head: &EventHead, images: &[ApiRenderImage]) -> usize {
    let images_len: usize = images
        .iter()
        .enumerate()
        .map(|(index, image)| {
            let pixels = pixels_of(image).len();
            open_object_len(&EventImage::new(index, image))
                + BUFFER_OPEN.len()
                + base64_simd::STANDARD.encoded_length(pixels)
                + BUFFER_SIZE.len()
                + pixels
                    .checked_ilog10()
                    .map_or(1, |digits| digits as usize + 1)
                + IMAGE_CLOSE.len()
        })
        .sum();
    let commas = images.len().saturating_sub(1);
    EVENT_OPEN.len()
        + open_object_len(head)
        + IMAGES_OPEN.len()
        + images_len
        + commas
        + EVENT_CLOSE.len()
}

/// Writes `value`, a struct, as a JSON object left open for more fields (no closing `}`).
fn write_open_object(out: &mut Vec<u8>, value: &impl Serialize) {
    serde_json::to_writer(&mut *out, value).expect("a struct of plain fields serializes");
    debug_assert_eq!(out.last(), Some(&b'}'));
    out.pop();
}

/// The length of what [`write_open_object`] writes for `value`, counted without storing it.
fn open_object_len(value: &impl Serialize) -> usize {
    /// Counts the bytes written to it.
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value).expect("a struct of plain fields serializes");
    // Without the closing `}`.
    counter.0 - 1
}

/// The image's raw pixels; none if it has no buffer.
fn pixels_of(image: &ApiRenderImage) -> &[u8] {
    image
        .buffer
        .as_ref()
        .map(|b| b.data.as_ref())
        .unwrap_or_default()
}

/// Pixels base64-encoded between two yields of the encoding thread: 192 KiB, about 25 us of work
/// with SIMD, a multiple of 3 so that only the last piece can end in padding.
const ENCODE_SLICE: usize = 192 * 1024;

/// Writes one entry of `render_images.data`. The pixels' base64 goes straight into `out`:
/// serde_json would build it as a string first and then scan every byte of it for characters
/// to escape, which base64 never has; for a frame of several MiB that was most of the cost.
fn write_image(out: &mut Vec<u8>, index: usize, image: &ApiRenderImage) {
    let pixels = pixels_of(image);
    write_open_object(out, &EventImage::new(index, image));
    out.extend_from_slice(BUFFER_OPEN);
    for piece in pixels.chunks(ENCODE_SLICE) {
        // Appends into the room `Frame::build` reserved, without zeroing it first.
        base64_simd::STANDARD.encode_append(piece, out);
        // A frame takes milliseconds to encode. Without a yield the scheduler lets this thread
        // finish its time slice while a woken RPC thread queued on the same core waits: calls
        // made during frames had 4x their idle p99. A yield with nothing waiting is ~1 us.
        std::thread::yield_now();
    }
    out.extend_from_slice(BUFFER_SIZE);
    out.extend_from_slice(pixels.len().to_string().as_bytes());
    out.extend_from_slice(IMAGE_CLOSE);
}

/// The fields of the `newImage` event before its images, as the old Python proxy's viewers read
/// them; `render_images` follows.
#[derive(Serialize)]
struct EventHead {
    r#type: &'static str,
    callback_id: u32,
    user_data: u64,
    timestamp: f64,
}

/// The fields of one image before its `buffer` (enum values as numbers, as the viewers expect);
/// `buffer` follows, written by [`write_image`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventImage {
    index: usize,
    r#type: i32,
    color_space: i32,
    is_linear: bool,
    size: Size,
    pitch: u32,
    render_pass_id: i32,
    tonemapped_samples_per_pixel: f32,
    calculated_samples_per_pixel: f32,
    samples_per_second: f32,
    render_time: f32,
    change_level: ChangeLevel,
    has_pending_updates: bool,
    has_alpha: bool,
}

#[derive(Serialize)]
struct Size {
    x: u32,
    y: u32,
}

#[derive(Serialize)]
struct ChangeLevel {
    level: u64,
}

impl EventImage {
    fn new(index: usize, image: &ApiRenderImage) -> Self {
        let size = image.size.unwrap_or_default();
        Self {
            index,
            r#type: image.r#type,
            color_space: image.color_space,
            is_linear: image.is_linear,
            size: Size {
                x: size.x,
                y: size.y,
            },
            pitch: image.pitch,
            render_pass_id: image.render_pass_id,
            tonemapped_samples_per_pixel: finite(image.tonemapped_samples_per_pixel),
            calculated_samples_per_pixel: finite(image.calculated_samples_per_pixel),
            samples_per_second: finite(image.samples_per_second),
            render_time: finite(image.render_time),
            // The old proxy read a field that does not exist here and always sent 0.
            change_level: ChangeLevel {
                level: image.change_level.map_or(0, |c| c.value),
            },
            has_pending_updates: image.has_pending_updates,
            has_alpha: image.has_alpha,
        }
    }
}

/// The viewers read these as numbers; JSON has no NaN.
fn finite(value: f32) -> f32 {
    if value.is_finite() { value } else { 0.0 }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(std::str::from_utf8(&frame.event).unwrap(), expected);
    }

    #[test]
    fn pixels_encoded_in_slices_are_one_base64_string() {
        use base64::Engine as _;
        // Several slices and a tail that needs padding.
        let pixels: Vec<u8> = (0..ENCODE_SLICE * 2 + 100)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut one = image(b"", 0);
        one.buffer = Some(Buffer {
            size: pixels.len() as u32,
            data: Bytes::from(pixels.clone()),
        });
        let frame = Frame::build(&EventBuffers::new(), 1, 7, 9, 1.0, &[one]);
        let expected = format!(
            r#""buffer":{{"data":"{}","size":{},"encoding":"base64"}}"#,
            base64::engine::general_purpose::STANDARD.encode(&pixels),
            pixels.len()
        );
        let event = std::str::from_utf8(&frame.event).unwrap();
        assert!(event.contains(&expected), "{}", &event[..200]);
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
        let (head, tail) = frame.event_parts();
        assert_eq!(tail.len(), EVENT_TAIL);
        assert_eq!([&head[..], &tail[..]].concat(), frame.event);
        drop((frame, head));
        assert_eq!(
            buffers.kept(),
            1,
            "the tail alone does not hold the event's buffer"
        );
        assert_eq!(&tail[tail.len() - 4..], b"}}\n\n");

        let small = Frame::build(&buffers, 2, 7, 9, 1.0, &[]);
        let (head, tail) = small.event_parts();
        assert!(head.is_empty());
        assert_eq!(tail, small.event);
    }

    #[test]
    fn the_buffer_gauge_counts_the_events_exactly_and_then_only_the_spares() {
        let buffers = EventBuffers::new();
        let mut large = image(b"", 3);
        large.buffer = Some(Buffer {
            size: 100_000,
            data: Bytes::from(vec![5u8; 100_000]),
        });
        let mut no_buffer = image(b"", 1);
        no_buffer.buffer = None;
        // Heads and images at their longest: the widest numbers each field can hold.
        let (id, data, time) = (u32::MAX, u64::MAX, -1.234_567_890_123_456_7e-300);
        let frames = vec![
            Frame::build(&buffers, 1, 7, 9, 1.5, &[image(b"\x00\xff\x10", 0)]),
            Frame::build(&buffers, 2, id, data, time, &[]),
            Frame::build(&buffers, 3, id, data, time, &[large.clone(), no_buffer]),
            Frame::build(&buffers, 4, 7, 9, 1.0, &[large.clone(), large]),
        ];
        // All in flight at once, so each has a buffer of its own, allocated at the event's
        // length rounded up to whole pages and not grown since.
        assert_eq!(
            buffers.allocated_bytes(),
            frames
                .iter()
                .map(|f| f.event.len().next_multiple_of(PAGE))
                .sum::<usize>()
        );
        drop(frames);
        assert_eq!(buffers.kept(), 2);
        assert_eq!(buffers.allocated_bytes(), buffers.kept_bytes());

        // Built in a spare, larger than it needs: counted at the spare's size throughout.
        let small = Frame::build(&buffers, 5, 7, 9, 1.0, &[]);
        assert_eq!(buffers.kept(), 1);
        assert!(buffers.allocated_bytes() > buffers.kept_bytes() + small.event.len());
        drop(small);
        assert_eq!(buffers.kept(), 2);
        assert_eq!(buffers.allocated_bytes(), buffers.kept_bytes());
    }

    #[test]
    fn a_frame_without_images_has_an_empty_list() {
        let frame = Frame::build(&EventBuffers::new(), 1, 7, 9, 2.0, &[]);
        assert_eq!(
            &frame.event[..],
            br#"data: {"type":"newImage","callback_id":7,"user_data":9,"timestamp":2.0,"render_images":{"data":[]}}"#
                .iter()
                .chain(b"\n\n")
                .copied()
                .collect::<Vec<u8>>()
        );
    }
}
