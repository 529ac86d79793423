//! In a real browser: a page of a foreign origin gets nothing through to Octane, by `fetch`, a
//! form post, `EventSource`, `WebSocket` or an image, nor by a rebound name; the octaneWeb-style
//! page on a loopback origin calls and streams.
//!
//! Headless Chromium maps `evil.test` to 127.0.0.1 (`--host-resolver-rules`), so the test's own
//! loopback server serves both pages: the attacker's as `http://evil.test:PORT`, the tool's as
//! `http://localhost:PORT`. Each page writes what it saw into its DOM, read over DevTools once the
//! page says it finished.
//! Needs Debian's `chromium` (CI installs it); without it the test says so and passes.

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use octane_api::octaneapi::api_item::NameResponse;
use support::chromium::{CHROMIUM, Devtools, chromium};
use support::{REGISTER, rig};

const NAME: &str = "/octaneapi.ApiItemService/name";
const RESOLVE_EVIL: &str = "--host-resolver-rules=MAP evil.test 127.0.0.1";
/// Longer than a page takes on a loaded machine: a hang, not a slow run.
const HANG: Duration = Duration::from_secs(60);

/// The attacker's page: every way a page can reach the proxy, each answered `blocked` (the
/// browser gave the page nothing), `sent` (a request the page cannot read the answer of) or
/// what the page could read.
const ATTACKER: &str = r#"<!doctype html>
<html><body>
<pre id="results"></pre>
<form id="form" method="POST" enctype="text/plain" target="sink"
      action="PROXY/ApiProjectManager/resetProject"><input name='{"a":"' value='"}'></form>
<iframe name="sink" id="sink"></iframe>
<script>
const proxy = "PROXY";
const log = (name, outcome) => {
  document.getElementById("results").textContent += name + ": " + outcome + "\n";
};
async function attempt(name, run) {
  try { log(name, await run()); } catch (e) { log(name, "blocked"); }
}
const post = (path, init) => fetch(proxy + path, { method: "POST", ...init });
(async () => {
  await attempt("simple fetch", async () => {
    const r = await post("/ApiProjectManager/saveProjectAs",
      { headers: { "Content-Type": "text/plain" }, body: '{"path":"/tmp/taken.orbx"}' });
    return "read " + r.status;
  });
  await attempt("no-cors fetch", async () => {
    await post("/ApiProjectManager/resetProject", { mode: "no-cors", body: "{}" });
    return "sent";
  });
  await attempt("json fetch", async () => {
    const r = await post("/ApiItem/name",
      { headers: { "Content-Type": "application/json" }, body: "{}" });
    return "read " + r.status;
  });
  await attempt("register fetch", async () => {
    const r = await post("/render/register-callback", { body: "" });
    return "read " + r.status;
  });
  await attempt("form post", () => new Promise((resolve) => {
    document.getElementById("sink").onload = () => resolve("sent");
    document.getElementById("form").submit();
  }));
  await attempt("event source", () => new Promise((resolve) => {
    const events = new EventSource(proxy + "/render/stream");
    events.onmessage = (e) => { events.close(); resolve("read " + e.data); };
    events.onerror = () => { events.close(); resolve("blocked"); };
  }));
  await attempt("websocket", () => new Promise((resolve) => {
    const socket = new WebSocket(proxy.replace("http:", "ws:") + "/render/ws");
    socket.onopen = () => { socket.close(); resolve("open"); };
    socket.onerror = () => resolve("blocked");
    socket.onclose = () => resolve("blocked");
  }));
  await attempt("mjpeg image", () => new Promise((resolve) => {
    const image = new Image();
    image.crossOrigin = "anonymous";
    image.onload = () => resolve("read");
    image.onerror = () => resolve("blocked");
    image.src = proxy + "/render/stream.mjpeg";
  }));
  log("finished", "yes");
})();
</script>
</body></html>
"#;

/// The octaneWeb-style page: a JSON call, registering for the render, and its stream.
const TOOL: &str = r#"<!doctype html>
<html><body>
<pre id="results"></pre>
<script>
const proxy = "PROXY";
const log = (name, outcome) => {
  document.getElementById("results").textContent += name + ": " + outcome + "\n";
};
(async () => {
  try {
    const r = await fetch(proxy + "/ApiItem/name", { method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"objectPtr":{"handle":"1000002","type":16}}' });
    log("json fetch", "read " + r.status + " " + await r.text());
    const registered = await fetch(proxy + "/render/register-callback", { method: "POST" });
    log("register fetch", "read " + registered.status);
    const first = await new Promise((resolve) => {
      const events = new EventSource(proxy + "/render/stream");
      events.onmessage = (e) => { events.close(); resolve(JSON.parse(e.data).type); };
      events.onerror = () => { events.close(); resolve("blocked"); };
    });
    log("event source", "read " + first);
  } catch (e) {
    log("error", e);
  }
  log("finished", "yes");
})();
</script>
</body></html>
"#;

/// Serves the two pages on a loopback port of its own, for whatever name the browser used.
async fn serve_pages(proxy: SocketAddr) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let proxy = format!("http://{proxy}");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let proxy = proxy.clone();
            let page = hyper::service::service_fn(move |request: http::Request<_>| {
                let page = match request.uri().path() {
                    "/attacker.html" => Some(ATTACKER),
                    "/tool.html" => Some(TOOL),
                    _ => None,
                };
                let mut response = http::Response::new(Full::new(Bytes::from(
                    page.unwrap_or("").replace("PROXY", &proxy),
                )));
                if page.is_none() {
                    *response.status_mut() = http::StatusCode::NOT_FOUND;
                }
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("text/html; charset=utf-8"),
                );
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), page),
            );
        }
    });
    addr
}

/// What a page wrote into its results, one `name: outcome` per line, once it finished.
async fn page_results(dir: &Path, url: &str) -> Vec<String> {
    let (dir, url) = (dir.to_owned(), url.to_owned());
    // Blocking DevTools I/O runs off the runtime's thread, which serves the pages meanwhile.
    let session = tokio::task::spawn_blocking(move || {
        let mut chromium = Devtools::open_with(&dir, &[RESOLVE_EVIL], &url);
        let started = Instant::now();
        loop {
            let results = chromium.evaluate("document.getElementById('results').textContent");
            let results = results.as_str().unwrap_or_default().to_owned();
            if results.contains("finished: yes") || started.elapsed() > HANG {
                return results;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let results = tokio::time::timeout(HANG * 2, session)
        .await
        .expect("Chromium answered in time")
        .expect("the DevTools session");
    results.lines().map(str::to_owned).collect()
}

/// Requests the proxy refused with 403, as `/metrics` counts them.
async fn refused(proxy: SocketAddr) -> u64 {
    let response = support::request(proxy, "GET", "/metrics", "").await;
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let text = String::from_utf8(body.to_vec()).expect("UTF-8");
    text.lines()
        .find_map(|line| {
            line.strip_prefix(
                r#"octane_proxy_http_requests_total{route="unmatched",status="403"} "#,
            )
        })
        .map_or(0, |count| count.parse().expect("a count"))
}

/// A fresh profile directory per Chromium run, removed on drop.
struct Profile(PathBuf);

impl Profile {
    fn new(name: &str) -> Self {
        Self(std::env::temp_dir().join(format!("octane-origins-{name}-{}", std::process::id())))
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_foreign_page_gets_nothing_through_and_a_loopback_page_works() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} is not installed (apt-get install chromium)");
        return;
    }
    let rig = rig().await;
    rig.peer.reply(
        NAME,
        &NameResponse {
            result: "Scene".to_owned(),
        },
    );
    let pages = serve_pages(rig.addr).await;
    let port = pages.port();

    let profile = Profile::new("attacker");
    let results = page_results(
        &profile.0,
        &format!("http://evil.test:{port}/attacker.html"),
    )
    .await;
    assert_eq!(
        results,
        [
            "simple fetch: blocked",
            "no-cors fetch: sent",
            "json fetch: blocked",
            "register fetch: blocked",
            "form post: sent",
            "event source: blocked",
            "websocket: blocked",
            "mjpeg image: blocked",
            "finished: yes",
        ]
    );
    assert_eq!(rig.peer.call_count(), 0, "a foreign page reached Octane");
    // The browser sent each of them (the JSON call as its preflight), and the proxy refused it.
    assert_eq!(refused(rig.addr).await, 8);

    // DNS rebinding: the proxy's own page under the attacker's name.
    let profile = Profile::new("rebound");
    let output = chromium(
        &profile.0,
        &[RESOLVE_EVIL, "--dump-dom"],
        &format!("http://evil.test:{}/", rig.addr.port()),
    )
    .await;
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(dom.contains("HOST_NOT_ALLOWED"), "{dom}");
    assert_eq!(rig.peer.call_count(), 0, "a rebound page reached Octane");

    let profile = Profile::new("tool");
    let results = page_results(&profile.0, &format!("http://localhost:{port}/tool.html")).await;
    assert_eq!(
        results,
        [
            r#"json fetch: read 200 {"success":true,"data":{"result":"Scene"}}"#,
            "register fetch: read 200",
            "event source: read connected",
            "finished: yes",
        ]
    );
    assert_eq!(rig.peer.received(NAME).len(), 1);
    assert_eq!(rig.peer.received(REGISTER).len(), 1);
}
