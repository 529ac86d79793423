//! A stalled SSE client neither stalls the others nor makes the streamer hold frames for it.
//! In a test binary of its own: the check of memory reads the resident set, which is the whole
//! process's, and tests running beside it in one process (frames of their own, the allocator's
//! arenas for their threads) grew it by 170 MiB and more on a loaded machine.

mod support;

use support::*;

#[tokio::test]
async fn a_stalled_client_neither_stalls_others_nor_holds_frames() {
    let (rig, stalled) = stalled_rig().await;

    let mut reader = Events::open(rig.addr).await;
    reader.next().await;
    let rss_before = rss_kib();
    let frames = 24u64;
    for n in 1..=frames {
        rig.peer.emit(STREAM, &new_image(n));
        assert_eq!(
            reader.next_of("newImage").await["user_data"],
            n,
            "the reading client gets every frame"
        );
    }
    let status = rig.streamer.status();
    assert_eq!(status.frames_published, frames);
    // The stalled client's socket filled after a frame or two; every later frame replaced the
    // one before in the hub's single slot instead of queueing for it.
    let most = status
        .frames_skipped
        .values()
        .max()
        .copied()
        .unwrap_or_default();
    let least = status
        .frames_skipped
        .values()
        .min()
        .copied()
        .unwrap_or_default();
    assert_eq!(least, 0, "the reading client skipped nothing");
    assert!(
        most >= frames / 2,
        "the stalled client skipped {most} of {frames}"
    );
    // Queued per client, 24 events of 2.8 MB would be 67 MB; the hub keeps one.
    let grown_mib = rss_kib().saturating_sub(rss_before) / 1024;
    assert!(grown_mib < 40, "RSS grew {grown_mib} MiB");
    assert_eq!(status.subscribers, 2);
    assert_eq!(rig.peer.received(GRAB).len() as u64, frames);
    drop(stalled);
    eventually("the stalled client to be removed", || {
        rig.streamer.status().subscribers == 1
    })
    .await;
}
