//! Subscribe to Octane's live render with the callback streamer and save every Nth frame as PNG.
//!
//! ```text
//! cargo run -p octane-proxy-examples --example render_to_png -- 127.0.0.1:51022 5 frames/
//! ```
//! (Octane's address, save every 5th frame, into `frames/`; Ctrl-C to stop.)

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use octane_callbacks::{CallbackStreamer, StreamerConfig};
use octane_proxy::Octane;

#[tokio::main]
#[allow(dead_code)] // the example's tests use `save_frames` only
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:51022".to_owned());
    let every: u64 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(10);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "frames".to_owned()));
    let (host, port) = address.rsplit_once(':').ok_or("address is HOST:PORT")?;
    let streamer = CallbackStreamer::new(
        &Octane::lazy(host, port.parse()?)?,
        StreamerConfig::default(),
    );
    std::fs::create_dir_all(&dir)?;
    save_frames(&streamer, every, &dir, u64::MAX, |path| {
        println!("saved {}", path.display())
    })
    .await?;
    Ok(())
}

/// Starts the stream and writes every `every`th frame to `dir` as `frame-<sequence>.png`, until
/// `limit` files are written. `saved` hears of each file.
pub(crate) async fn save_frames(
    streamer: &CallbackStreamer,
    every: u64,
    dir: &Path,
    limit: u64,
    mut saved: impl FnMut(&Path),
) -> Result<(), Box<dyn std::error::Error>> {
    let mut frames = streamer.hub().subscribe().frames;
    let status = streamer.start().await;
    if !status.registered {
        eprintln!(
            "Octane did not accept the registration yet: {:?}",
            status.last_error
        );
    }
    let mut written = 0;
    while written < limit {
        frames.changed().await?;
        let Some(frame) = frames.borrow_and_update().clone() else {
            continue;
        };
        if frame.sequence % every.max(1) != 0 {
            continue;
        }
        // PNG encoding is CPU work: keep it off the async threads.
        let png = tokio::task::spawn_blocking({
            let frame = frame.clone();
            move || frame.png()
        })
        .await??;
        let path = dir.join(format!("frame-{:06}.png", frame.sequence));
        tokio::fs::write(&path, &png).await?;
        saved(&path);
        written += 1;
    }
    Ok(())
}
