//! The task that runs a connection to Octane: h2's connection future, and the PINGs that find
//! a hung Octane while calls are open.

use std::sync::Arc;
use std::sync::Weak;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::net::TcpStream;

use super::{KeepAlive, Shared};

/// Runs the connection until it ends, checking it with PINGs while calls are open; then makes
/// the next call connect again.
pub(super) async fn drive(
    mut connection: h2::client::Connection<TcpStream, Bytes>,
    keep_alive: KeepAlive,
    open: Arc<AtomicUsize>,
    shared: Weak<Shared>,
    attempt: u64,
) {
    let ping_pong = connection.ping_pong();
    let mut too_many_pings = false;
    tokio::select! {
        ended = &mut connection => match ended {
            Ok(()) => tracing::debug!("connection to Octane closed"),
            Err(err) => {
                too_many_pings = err.is_go_away()
                    && err.is_remote()
                    && err.reason() == Some(h2::Reason::ENHANCE_YOUR_CALM);
                tracing::debug!(%err, "connection to Octane ended");
            }
        },
        () = check(ping_pong, keep_alive, &open) => {
            tracing::warn!(
                "Octane did not answer a PING in {:?}; dropping the connection",
                keep_alive.timeout
            );
        }
    }
    if let Some(shared) = shared.upgrade() {
        if too_many_pings {
            shared.ping_less(keep_alive);
        }
        shared.forget(attempt);
    }
}

/// Returns when a PING sent while calls were open went unanswered.
async fn check(ping_pong: Option<h2::PingPong>, keep_alive: KeepAlive, open: &AtomicUsize) {
    let Some(mut ping_pong) = ping_pong else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(keep_alive.interval).await;
        if open.load(Ordering::Relaxed) > 0
            && tokio::time::timeout(keep_alive.timeout, ping_pong.ping(h2::Ping::opaque()))
                .await
                .is_err()
        {
            return;
        }
    }
}
