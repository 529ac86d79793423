//! The `octane-proxy` binary as a user runs it: its help, the settings it refuses before
//! serving (exit 1, one error line), the flag values clap refuses (exit 2), serving `/health`
//! and a call while Octane is down, and a clean stop on SIGTERM and SIGINT that lets a call in
//! flight finish.

mod support;

use std::net::SocketAddr;
use std::process::Output;
use std::time::Duration;

use octane_api::octaneapi::api_item::NameResponse;
use octane_test_peer::TestPeer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use support::{HANG, octane_proxy, octane_proxy_for, serve};

/// Nothing listens on port 1 of loopback (tcpmux), so Octane there is refused at once.
const OCTANE_DOWN: [&str; 4] = ["--octane-host", "127.0.0.1", "--octane-port", "1"];

/// Runs the binary to its end.
async fn run(mut command: Command) -> Output {
    tokio::time::timeout(HANG, command.output())
        .await
        .expect("octane-proxy exits in time")
        .expect("run octane-proxy")
}

/// One HTTP/1.1 request on a connection of its own: the status code and the body.
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    tokio::time::timeout(HANG, async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        stream
            .write_all(format!("{head}{body}").as_bytes())
            .await
            .expect("send");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .expect("read the response");
        let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("a status code");
        (status, body.to_owned())
    })
    .await
    .expect("answered in time")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn help_says_what_the_proxy_is_and_lists_every_flag() {
    let output = run(octane_proxy(["--help"])).await;
    assert_eq!(output.status.code(), Some(0));
    let help = text(&output.stdout);
    assert!(
        help.starts_with("HTTP/JSON gateway to the gRPC API of the Octane renderer"),
        "{help}"
    );
    for flag in [
        "--host",
        "--port",
        "--octane-host",
        "--octane-port",
        "--token",
        "--allow",
        "--deny",
        "--cors-origin",
        "--allowed-host",
        "--body-limit",
        "--timeout-ms",
        "--max-message-size",
        "--strict-json",
        "--web-root",
        "--version",
        "[env: OCTANE_HOST=]",
        "[env: OCTANE_PORT=]",
        "[env: OCTANE_PROXY_TOKEN]",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    let output = run(octane_proxy(["--version"])).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        text(&output.stdout),
        format!("octane-proxy {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn settings_that_cannot_work_stop_it_before_it_serves() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy_port = busy.local_addr().expect("addr").port().to_string();
    let cases: [(Vec<&str>, &str); 8] = [
        (
            vec!["--octane-host", "127.0.0.1:9999"],
            "invalid Octane host \"127.0.0.1:9999\": a host name or an IP address, without a port",
        ),
        (vec!["--token="], "--token (or OCTANE_PROXY_TOKEN) is empty"),
        (vec!["--allow", "ApiItem"], "invalid pattern \"ApiItem\""),
        (
            vec!["--deny", "ApiProjectManger/save"],
            "invalid pattern \"ApiProjectManger/save\": names no RPC",
        ),
        (
            vec!["--cors-origin", "https://studio.example/"],
            "invalid origin \"https://studio.example/\": expected scheme://host[:port]",
        ),
        (
            vec!["--allowed-host", "studio-pc:51023"],
            "invalid host name \"studio-pc:51023\"",
        ),
        (
            vec!["--port", busy_port.as_str()],
            "cannot listen on 127.0.0.1:",
        ),
        (
            vec!["--web-root", "/no/such/folder"],
            "cannot serve /no/such/folder as the web root",
        ),
    ];
    for (args, expected) in cases {
        // Octane's host from the environment, so that a case can set the flag.
        let mut command = octane_proxy(args.iter().copied());
        command
            .args(["--octane-port", "1"])
            .env("OCTANE_HOST", "127.0.0.1");
        let output = run(command).await;
        let log = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {log}");
        let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {log}");
        assert!(errors[0].contains(expected), "{args:?}: {log}");
        assert!(!log.contains("serving on"), "{args:?}: {log}");
    }
    drop(busy);
}

#[tokio::test]
async fn flag_values_of_the_wrong_kind_are_usage_errors() {
    for args in [
        ["--port", "http"],
        ["--octane-port", "70000"],
        ["--timeout-ms", "-5"],
        ["--no-such", "flag"],
    ] {
        let output = run(octane_proxy(args)).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let log = text(&output.stderr);
        assert!(log.starts_with("error: "), "{args:?}: {log}");
        assert!(log.contains("try '--help'"), "{args:?}: {log}");
    }
}

#[tokio::test]
async fn serves_while_octane_is_down_and_stops_cleanly_on_sigterm_and_sigint() {
    for (signal, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        let mut command = octane_proxy(["--port", "0"]);
        command.args(OCTANE_DOWN);
        let proxy = serve(command).await;
        assert!(
            proxy.before.iter().any(|l| l.contains(
                "Octane LiveLink address chosen octane=\"127.0.0.1:1\" reason=set by --octane-host / OCTANE_HOST"
            )),
            "{:#?}",
            proxy.before
        );

        let (status, body) = request(proxy.addr, "GET", "/health", "").await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            r#"{"status":"ok","connected":false,"octane":"127.0.0.1:1"}"#
        );
        let (status, body) = request(proxy.addr, "POST", "/ApiItem/name", "{}").await;
        assert_eq!(status, 503);
        assert_eq!(
            body,
            r#"{"success":false,"error":"Octane LiveLink not reachable at 127.0.0.1:1","code":"UNAVAILABLE"}"#
        );

        proxy.signal(signal);
        let (code, log) = proxy.wait().await;
        assert_eq!(code, Some(0), "{name}: {log:#?}");
        let said = |text: &str| log.iter().any(|l| l.contains(text));
        assert!(said(&format!("{name} received, shutting down")), "{log:#?}");
        assert!(said("stopped"), "{log:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_flight_at_sigterm_gets_its_answer_before_the_proxy_exits() {
    const NAME: &str = "/octaneapi.ApiItemService/name";
    let peer = TestPeer::start().expect("start the test peer");
    peer.reply(
        NAME,
        &NameResponse {
            result: "Scene".to_owned(),
        },
    );
    peer.delay(NAME, Duration::from_secs(1));
    let proxy = serve(octane_proxy_for(peer.addr())).await;
    let addr = proxy.addr;
    let call = tokio::spawn(async move { request(addr, "POST", "/ApiItem/name", "{}").await });
    tokio::time::timeout(HANG, async {
        while peer.received(NAME).is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the call reaches Octane");

    proxy.signal(libc::SIGTERM);
    let (code, log) = proxy.wait().await;
    assert_eq!(code, Some(0), "{log:#?}");
    let (status, body) = call.await.expect("the call's task");
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"success":true,"data":{"result":"Scene"}}"#);
}

#[tokio::test]
async fn a_wildcard_pattern_that_matches_nothing_is_kept_with_a_warning() {
    let mut command = octane_proxy(["--port", "0", "--deny", "ApiProjectManger/*"]);
    command.args(OCTANE_DOWN);
    let proxy = serve(command).await;
    assert!(
        proxy.before.iter().any(|l| l.contains(" WARN ")
            && l.contains(
                "the pattern \"ApiProjectManger/*\" matches no RPC of this build; check its \
                 spelling (GET /services lists the names)"
            )),
        "{:#?}",
        proxy.before
    );
}

#[tokio::test]
async fn a_rust_log_it_cannot_read_is_named_and_logging_stays_at_info() {
    let mut command = octane_proxy(["--port", "0"]);
    command
        .args(OCTANE_DOWN)
        .env("RUST_LOG", "octane_proxy=loud");
    let proxy = serve(command).await;
    assert!(
        proxy.before.iter().any(|l| l.contains(" WARN ")
            && l.contains("ignoring RUST_LOG=\"octane_proxy=loud\"")
            && l.ends_with("logging at info")),
        "{:#?}",
        proxy.before
    );
}

#[tokio::test]
async fn strict_json_refuses_the_keys_the_default_ignores() {
    const LOAD: &str = "/octaneapi.ApiProjectManagerService/loadProject";
    let peer = TestPeer::start().expect("start the test peer");
    let body = r#"{"projectPath":"/a.orbx","path":"/a.orbx"}"#;
    let lenient = serve(octane_proxy_for(peer.addr())).await;
    let (status, reply) =
        request(lenient.addr, "POST", "/ApiProjectManager/loadProject", body).await;
    assert_eq!(status, 200, "{reply}");
    let mut command = octane_proxy_for(peer.addr());
    command.arg("--strict-json");
    let strict = serve(command).await;
    let (status, reply) =
        request(strict.addr, "POST", "/ApiProjectManager/loadProject", body).await;
    assert_eq!(status, 400, "{reply}");
    assert!(reply.contains("unknown field `path`"), "{reply}");
    assert_eq!(peer.received(LOAD).len(), 1);
}
