//! The two ways Linux offers to send a buffer to a TCP socket without the sender copying it,
//! timed by the loopback relay ([`crate::floors`]) against plain writes: whether one would take
//! the per-client copy out of the proxy's SSE path.
//!
//! - [`SplicedEvent`]: the event lives in a memfd, and `splice(2)` moves references to its pages
//!   through a pipe into each socket.
//! - [`send_zero_copy`]: `send(2)` with `MSG_ZEROCOPY` pins the buffer's pages in the socket;
//!   the kernel reports on the socket's error queue when it has let go of them.

use std::fs::File;
use std::io::{self, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::fs::{MemfdFlags, memfd_create};
use rustix::pipe::{SpliceFlags, fcntl_setpipe_size, pipe, splice};

/// Bytes spliced or sent per call: as the relay's writes.
const PIECE: usize = 1 << 20;

/// An event held in a memfd, sent by splicing its pages instead of copying them.
///
/// The relay reuses its events frame after frame, which a server could not do with spliced
/// pages (a socket may still hold them, unread, when the next frame is written): what this
/// times is the least a splice costs, without the fresh pages each frame would need.
pub(crate) struct SplicedEvent {
    memfd: File,
    len: usize,
    /// The pipe the pages pass through on their way to a socket (splice joins a file to a
    /// socket only through a pipe).
    pipe: (OwnedFd, OwnedFd),
}

impl SplicedEvent {
    /// A memfd holding `event`.
    pub(crate) fn new(event: &[u8]) -> io::Result<Self> {
        let mut memfd = File::from(memfd_create("octane-bench-event", MemfdFlags::CLOEXEC)?);
        memfd.write_all(event)?;
        let (read, write) = pipe()?;
        fcntl_setpipe_size(&write, PIECE)?;
        Ok(Self {
            memfd,
            len: event.len(),
            pipe: (read, write),
        })
    }

    /// Splices the whole event into `socket` (blocking).
    pub(crate) fn send(&self, socket: &TcpStream) -> io::Result<()> {
        let (pipe_out, pipe_in) = &self.pipe;
        let mut offset = 0u64;
        while (offset as usize) < self.len {
            let want = PIECE.min(self.len - offset as usize);
            let mut in_pipe = retry_interrupted(|| {
                splice(
                    &self.memfd,
                    Some(&mut offset),
                    pipe_in,
                    None,
                    want,
                    SpliceFlags::MOVE,
                )
            })?;
            // As a write would: more to come, unless this is the event's end.
            let flags = if offset as usize == self.len {
                SpliceFlags::MOVE
            } else {
                SpliceFlags::MOVE | SpliceFlags::MORE
            };
            while in_pipe > 0 {
                in_pipe -=
                    retry_interrupted(|| splice(pipe_out, None, socket, None, in_pipe, flags))?;
            }
        }
        Ok(())
    }
}

/// `call` again as long as a signal interrupts it.
fn retry_interrupted(mut call: impl FnMut() -> rustix::io::Result<usize>) -> io::Result<usize> {
    loop {
        match call() {
            Err(rustix::io::Errno::INTR) => {}
            result => return Ok(result?),
        }
    }
}

/// Lets `socket` take `MSG_ZEROCOPY` sends (`SO_ZEROCOPY`).
#[allow(unsafe_code)] // system calls libc alone offers; see the SAFETY comments
pub(crate) fn enable_zero_copy(socket: &TcpStream) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a socket this process owns, and an option value of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ZEROCOPY,
            (&raw const on).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sends `event` to `socket` (blocking, [`enable_zero_copy`] done) with `MSG_ZEROCOPY`, then
/// reads the completions the kernel has queued so far, as a server must to reuse its buffers.
#[allow(unsafe_code)] // system calls libc alone offers; see the SAFETY comments
pub(crate) fn send_zero_copy(socket: &TcpStream, event: &[u8]) -> io::Result<()> {
    for piece in event.chunks(PIECE) {
        let mut sent = 0;
        while sent < piece.len() {
            let rest = &piece[sent..];
            // SAFETY: a socket this process owns, and a buffer valid for `rest.len()` bytes for
            // the call. The pages the kernel keeps pinned after it are its own business: should
            // they be freed or changed before the completion, a reader gets other bytes, which
            // the relay never checks.
            let n = unsafe {
                libc::send(
                    socket.as_raw_fd(),
                    rest.as_ptr().cast(),
                    rest.len(),
                    libc::MSG_ZEROCOPY,
                )
            };
            if n >= 0 {
                sent += n as usize;
                continue;
            }
            match io::Error::last_os_error() {
                err if err.kind() == io::ErrorKind::Interrupted => {}
                // Too many sends not yet completed: wait for a completion, read them, try again.
                err if err.raw_os_error() == Some(libc::ENOBUFS) => {
                    wait_for_completion(socket)?;
                    reap_completions(socket)?;
                }
                err => return Err(err),
            }
        }
    }
    reap_completions(socket)
}

/// Waits until `socket`'s error queue, where completions arrive, has something to read.
#[allow(unsafe_code)] // system calls libc alone offers; see the SAFETY comments
fn wait_for_completion(socket: &TcpStream) -> io::Result<()> {
    // POLLERR is reported whatever `events` asks for.
    let mut poll = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: 0,
        revents: 0,
    };
    loop {
        // SAFETY: one pollfd, valid for the call.
        if unsafe { libc::poll(&mut poll, 1, -1) } >= 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Reads the `MSG_ZEROCOPY` completions queued on `socket`'s error queue, without waiting.
#[allow(unsafe_code)] // system calls libc alone offers; see the SAFETY comments
fn reap_completions(socket: &TcpStream) -> io::Result<()> {
    let mut control = [0u8; 256];
    loop {
        // SAFETY: all-zero is a valid msghdr (no name, no data, no control yet).
        let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
        message.msg_control = control.as_mut_ptr().cast();
        message.msg_controllen = control.len() as _;
        // SAFETY: a socket this process owns, and a msghdr whose only buffer, the control
        // buffer, is valid for the length it gives.
        let rc = unsafe {
            libc::recvmsg(
                socket.as_raw_fd(),
                &mut message,
                libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
            )
        };
        if rc < 0 {
            let err = io::Error::last_os_error();
            return match err.kind() {
                io::ErrorKind::WouldBlock => Ok(()),
                io::ErrorKind::Interrupted => continue,
                _ => Err(err),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::net::{Ipv4Addr, TcpListener};

    use super::*;

    /// What the far end of a loopback connection receives when `send` is given the near end.
    fn received(send: impl FnOnce(&TcpStream) -> io::Result<()>) -> Vec<u8> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
        let near = TcpStream::connect(listener.local_addr().expect("bound")).expect("connect");
        let (mut far, _) = listener.accept().expect("accept");
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            far.read_to_end(&mut bytes)
                .expect("read until the sender closes");
            bytes
        });
        send(&near).expect("sent");
        drop(near);
        reader.join().expect("the reader panicked")
    }

    /// Over a piece and a half, so that the last piece is a short one.
    fn event() -> Vec<u8> {
        (0..PIECE * 3 / 2 + 7).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn a_spliced_event_arrives_whole_every_time() {
        let event = event();
        let spliced = SplicedEvent::new(&event).expect("a memfd");
        let twice = received(|socket| {
            spliced.send(socket)?;
            spliced.send(socket)
        });
        assert_eq!(twice, [&event[..], &event[..]].concat());
    }

    #[test]
    fn a_zero_copy_event_arrives_whole() {
        let event = event();
        let got = received(|socket| {
            enable_zero_copy(socket)?;
            send_zero_copy(socket, &event)
        });
        assert_eq!(got, event);
    }
}
