//! WebSocket viewers of the live view that count the frames they receive, and note when each
//! arrives when asked to.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::frames::Streams;

/// When frames reached a viewer, in order; shared between the viewer's task and the bench.
#[derive(Clone, Default)]
pub(super) struct Arrivals(Arc<Mutex<Vec<Instant>>>);

impl Arrivals {
    /// Forgets the frames seen so far.
    pub(super) fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn push(&self, at: Instant) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(at);
    }

    /// When the first frame since [`Arrivals::clear`] arrived, waiting up to `limit` for it.
    /// The moment is the viewer task's, taken as the message completed, not when this looks.
    pub(super) async fn next(&self, limit: Duration) -> Option<Instant> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(&at) = self
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .first()
            {
                return Some(at);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Opens `count` WebSocket viewers of `path` on `addr`, counting binary messages as frames;
/// with `arrivals`, each viewer also notes when its messages arrive.
pub(super) async fn open_viewers(
    addr: SocketAddr,
    path: &str,
    count: usize,
    arrivals: Option<Arrivals>,
) -> Streams {
    let frames = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(count);
    for _ in 0..count {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connect to the proxy");
        stream.set_nodelay(true).expect("set TCP_NODELAY");
        let (mut socket, _) = tokio_tungstenite::client_async(format!("ws://{addr}{path}"), stream)
            .await
            .expect("the WebSocket handshake");
        let (frames, bytes, arrivals) = (frames.clone(), bytes.clone(), arrivals.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Binary(data) = message {
                    if let Some(arrivals) = &arrivals {
                        arrivals.push(Instant::now());
                    }
                    bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                    frames.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    Streams {
        frames,
        bytes,
        tasks,
    }
}
