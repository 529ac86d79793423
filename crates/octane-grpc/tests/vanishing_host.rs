//! An Octane host that vanishes (powered off, network gone: packets dropped, no RST) fails the
//! connection within about a minute, whether or not anything was sent to it meanwhile; the next
//! call then fails fast instead of hanging on the dead connection.
//!
//! These tests drop packets with iptables, so they run only inside a network namespace of their
//! own, where loopback is all there is (`.ci/run` does this):
//!
//! ```sh
//! unshare -n sh -c 'ip link set lo up && cargo test -p octane-grpc --test vanishing_host -- --ignored'
//! ```

use std::process::Command;
use std::time::Duration;

use octane_api::octaneapi::api_info::OctaneVersionRequest;
use octane_api::octaneapi::api_info_service_client::ApiInfoServiceClient;
use octane_grpc::Octane;
use octane_test_peer::TestPeer;

/// Refuses to touch the firewall of a real host: a fresh namespace has loopback only.
fn assert_private_network_namespace() {
    // Per namespace, unlike /sys/class/net, which shows the host's unless sysfs is remounted.
    let devices = std::fs::read_to_string("/proc/self/net/dev").expect("/proc/self/net/dev");
    let interfaces: Vec<&str> = devices
        .lines()
        .skip(2)
        .filter_map(|line| line.split_once(':').map(|(name, _)| name.trim()))
        .collect();
    assert_eq!(
        interfaces,
        ["lo"],
        "run inside `unshare -n` (see the module docs): these tests change iptables rules"
    );
}

/// Drops every packet to and from `port` (`-A`), or stops dropping them (`-D`).
fn drop_packets(op: &str, port: u16) {
    for side in ["--dport", "--sport"] {
        let port = port.to_string();
        let args = [op, "INPUT", "-p", "tcp", side, &port, "-j", "DROP"];
        let status = Command::new("iptables-legacy")
            .args(args)
            .status()
            .expect("iptables-legacy (Debian package iptables)");
        assert!(status.success(), "iptables-legacy {args:?}");
    }
}

async fn call(octane: &Octane, limit: Duration) -> Result<(), String> {
    let mut client = ApiInfoServiceClient::new(octane.channel().clone());
    match tokio::time::timeout(limit, client.octane_version(OctaneVersionRequest {})).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(status)) => Err(format!("{:?}: {}", status.code(), status.message())),
        Err(_) => Err("no answer: the call hangs on the dead connection".to_owned()),
    }
}

/// Connects, makes the host vanish, optionally calls it once more, waits `wait`, then answers
/// what the next call gets.
async fn call_after_vanishing(call_meanwhile: bool, wait: Duration) -> Result<(), String> {
    assert_private_network_namespace();
    let peer = TestPeer::start().expect("peer");
    let port = peer.addr().port();
    let octane = Octane::lazy("127.0.0.1", port).expect("address");
    call(&octane, Duration::from_secs(5))
        .await
        .expect("Octane answers");
    drop_packets("-A", port);
    if call_meanwhile {
        // Its request is never acknowledged: TCP keep-alive probes stop from here on.
        let err = call(&octane, Duration::from_secs(1)).await;
        assert!(err.is_err(), "the vanished host answered");
    }
    tokio::time::sleep(wait).await;
    let next = call(&octane, Duration::from_secs(10)).await;
    drop_packets("-D", port);
    next
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "changes iptables rules: run inside `unshare -n`, see the module docs"]
async fn an_idle_connection_to_a_vanished_host_is_dropped_by_keep_alive() {
    // Keep-alive: 20 s idle, then 9 probes 5 s apart.
    let err = call_after_vanishing(false, Duration::from_secs(80))
        .await
        .expect_err("the host is gone");
    assert!(err.contains("cannot connect"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "changes iptables rules: run inside `unshare -n`, see the module docs"]
async fn a_connection_with_unacknowledged_data_to_a_vanished_host_is_dropped() {
    // TCP_USER_TIMEOUT: 30 s.
    let err = call_after_vanishing(true, Duration::from_secs(45))
        .await
        .expect_err("the host is gone");
    assert!(err.contains("cannot connect"), "{err}");
}
