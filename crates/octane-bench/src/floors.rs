//! The physical floors the proxy's frame path is judged against, each timed on this machine as
//! CPU time of one thread: a base64 encode of the pixels, a copy of the event, and a relay that
//! only moves a frame's bytes over loopback TCP (by plain writes, or by the kernel's sends
//! without a copy, see [`crate::zero_copy`]).

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::procfs::own_thread_cpu_ns;
use crate::stats::median;
use crate::zero_copy::{SplicedEvent, enable_zero_copy, send_zero_copy};

/// A base64 encoder to time: the `base64` crate's scalar engine (the floor of the targets) or
/// the SIMD one the callback streamer uses.
#[derive(Clone, Copy)]
pub(crate) enum Encoder {
    /// The `base64` crate's standard engine.
    Scalar,
    /// `base64-simd`, as the streamer encodes.
    Simd,
}

/// Milliseconds of CPU time a plain base64 encode of `pixels` takes on this machine, one thread
/// (CPU time, as the proxy's cost is measured).
pub(crate) fn base64_floor_ms(pixels: &[u8], encoder: Encoder, budget: Duration) -> f64 {
    let mut text = vec![0; base64_simd::STANDARD.encoded_length(pixels.len())];
    median_cpu_ms(budget, || {
        match encoder {
            Encoder::Simd => {
                std::hint::black_box(
                    base64_simd::STANDARD.encode(pixels, base64_simd::Out::from_slice(&mut text)),
                );
            }
            Encoder::Scalar => {
                base64::engine::general_purpose::STANDARD
                    .encode_slice(pixels, &mut text)
                    .expect("the buffer is sized for the encoding");
            }
        }
        std::hint::black_box(&text);
    })
}

/// Milliseconds of CPU time one copy of `len` bytes into an already faulted-in buffer takes on
/// this machine, one thread: the least a per-client copy of an event would add per frame.
pub(crate) fn copy_floor_ms(len: usize, budget: Duration) -> f64 {
    let from = vec![b'A'; len];
    let mut to = vec![0; len];
    median_cpu_ms(budget, || {
        to.copy_from_slice(std::hint::black_box(&from));
        std::hint::black_box(&to);
    })
}

/// The median CPU time of this thread per run of `work`, in milliseconds, over enough runs to
/// fill `budget` (at least 5, at most 200).
fn median_cpu_ms(budget: Duration, mut work: impl FnMut()) -> f64 {
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 5 || (started.elapsed() < budget && times.len() < 200) {
        let t0 = own_thread_cpu_ns();
        work();
        times.push(own_thread_cpu_ns().saturating_sub(t0) as f64 / 1e6);
    }
    median(&times)
}

/// What a relay does to a frame between reading and writing it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relay {
    /// Nothing: it reads the frame and writes an event-sized buffer prepared beforehand.
    Move,
    /// Base64-encodes each piece of the frame (SIMD, as the streamer) into the event as the
    /// piece arrives, while it is in the cache, then writes the event.
    EncodeOnArrival,
}

/// How a relay hands an event to each client's socket.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SendPath {
    /// `write(2)` of 1 MiB pieces: the kernel copies them into the socket, as for hyper's
    /// writes.
    Write,
    /// `splice(2)` of the event's pages from a memfd, through a pipe: no copy by the sender
    /// ([`SplicedEvent`]).
    Splice,
    /// `send(2)` with `MSG_ZEROCOPY`: the socket pins the event's pages instead of copying them.
    ZeroCopy,
}

/// Pieces the encoding relay reads and encodes: about an HTTP/2 DATA frame of the proxy's
/// channel (512 KiB), a multiple of 3 so that the pieces' base64 joins without seams.
const RELAY_PIECE: usize = 510 * 1024;

/// Milliseconds of CPU time per frame of a relay thread that does nothing but move a frame's
/// bytes over loopback TCP (and, with [`Relay::EncodeOnArrival`], encode them), the transport
/// under the proxy's SSE path: it reads `frame_len` bytes from one socket (fed by a thread of
/// its own, as Octane feeds the proxy) and sends `base64(frame_len)` bytes to each of `clients`
/// sockets (each drained by a thread of its own, as browsers read the proxy) the way `send`
/// says. Blocking std sockets, pieces of up to 1 MiB: no HTTP, no HTTP/2, no JSON, no async
/// runtime. Only the relay thread is timed; as for the proxy, its sends include the receiving
/// side's network stack, which loopback runs in the sending thread.
///
/// Fails if this kernel refuses the send path (the first frames try it before any is timed).
///
/// # Panics
///
/// With [`Relay::EncodeOnArrival`] and a send path other than [`SendPath::Write`]: the
/// encoding relay writes into plain memory.
pub(crate) fn relay_floor_ms(
    frame_len: usize,
    clients: usize,
    relay: Relay,
    send: SendPath,
    budget: Duration,
) -> io::Result<f64> {
    let event_len = base64_simd::STANDARD.encoded_length(frame_len);
    relay_event_floor_ms(frame_len, event_len, clients, relay, send, budget)
}

/// [`relay_floor_ms`] with an event of `event_len` bytes instead of the frame's base64: the
/// transport under a delivery whose event is not the frame's size (a JPEG of it).
///
/// # Panics
///
/// As [`relay_floor_ms`], and with [`Relay::EncodeOnArrival`] when `event_len` is not the
/// frame's base64 length.
pub(crate) fn relay_event_floor_ms(
    frame_len: usize,
    event_len: usize,
    clients: usize,
    relay: Relay,
    send: SendPath,
    budget: Duration,
) -> io::Result<f64> {
    assert!(
        relay == Relay::Move || send == SendPath::Write,
        "the encoding relay sends by writes"
    );
    assert!(
        relay == Relay::Move || event_len == base64_simd::STANDARD.encoded_length(frame_len),
        "the encoding relay writes the frame's base64"
    );
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let connection = || {
        let near = TcpStream::connect(addr).expect("connect over loopback");
        let (far, _) = listener.accept().expect("accept over loopback");
        for stream in [&near, &far] {
            stream.set_nodelay(true).expect("set TCP_NODELAY");
        }
        (near, far)
    };
    let (mut feed, mut input) = connection();
    let (mut outputs, readers): (Vec<TcpStream>, Vec<TcpStream>) =
        (0..clients).map(|_| connection()).unzip();
    // Moved in: however the closure returns, the relay's sockets close before the scope joins
    // the threads reading and writing their other ends.
    std::thread::scope(move |scope| {
        scope.spawn(move || {
            let frame = vec![0x5a; frame_len];
            // Ends when the relay closes its side.
            while feed.write_all(&frame).is_ok() {}
        });
        for mut reader in readers {
            scope.spawn(move || {
                let mut sink = vec![0; 1 << 20];
                while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
            });
        }
        // Three events in turn, as the streamer's pool of event buffers: each frame is
        // encoded into memory the previous frames left cold.
        let mut events = vec![vec![b'A'; event_len]; 3];
        let spliced = match send {
            SendPath::Splice => events
                .iter()
                .map(|event| SplicedEvent::new(event))
                .collect::<io::Result<Vec<_>>>()?,
            SendPath::Write | SendPath::ZeroCopy => Vec::new(),
        };
        if send == SendPath::ZeroCopy {
            for output in &outputs {
                enable_zero_copy(output)?;
            }
        }
        let mut chunk = vec![0; 1 << 20];
        let mut turn = 0;
        let mut relay_one = || {
            turn = (turn + 1) % events.len();
            let event = &mut events[turn];
            let (mut read, mut encoded) = (0, 0);
            while read < frame_len {
                let want = match relay {
                    Relay::Move => chunk.len(),
                    Relay::EncodeOnArrival => RELAY_PIECE,
                }
                .min(frame_len - read);
                let piece = &mut chunk[..want];
                input.read_exact(piece)?;
                read += want;
                if relay == Relay::EncodeOnArrival {
                    let text = base64_simd::STANDARD.encoded_length(want);
                    std::hint::black_box(base64_simd::STANDARD.encode(
                        piece,
                        base64_simd::Out::from_slice(&mut event[encoded..encoded + text]),
                    ));
                    encoded += text;
                }
            }
            let event = &events[turn];
            for output in &mut outputs {
                match send {
                    // Of whole events and pieces of 4 MiB down to 64 KiB, 1 MiB cost the least
                    // CPU here: with 64 KiB, 2.5x as much, as each write wakes the reader.
                    SendPath::Write => {
                        for piece in event.chunks(1 << 20) {
                            output.write_all(piece)?;
                        }
                    }
                    SendPath::Splice => spliced[turn].send(output)?,
                    SendPath::ZeroCopy => send_zero_copy(output, event)?,
                }
            }
            Ok::<_, io::Error>(())
        };
        // The first frames grow TCP's windows, fault the buffers in and find out whether the
        // kernel takes the send path; returning closes the sockets, which ends the threads.
        for _ in 0..3 {
            relay_one()?;
        }
        let ms = median_cpu_ms(budget, || {
            relay_one().expect("a send path that worked for the first frames keeps working")
        });
        Ok(ms)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_moves_frames_to_every_client_and_ends() {
        for (relay, send) in [
            (Relay::Move, SendPath::Write),
            (Relay::EncodeOnArrival, SendPath::Write),
            (Relay::Move, SendPath::Splice),
            (Relay::Move, SendPath::ZeroCopy),
        ] {
            let ms = relay_floor_ms(256 << 10, 3, relay, send, Duration::from_millis(1))
                .unwrap_or_else(|err| panic!("{send:?} relay: {err}"));
            assert!(ms > 0.0, "the {send:?} relay thread spent no CPU: {ms}");
        }
    }
}
