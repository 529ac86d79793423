//! A built web client served from a folder (`RouterBuilder::web_root`, `--web-root`): MIME
//! types, percent-decoded names, nothing outside the folder, conditional GETs, HEAD, no
//! listings, and the API's paths kept.

mod support;

use std::path::{Path, PathBuf};

use http::Method;
use octane_proxy::WebRoot;
use pretty_assertions::assert_eq;
use support::{Proxy, call, get, post, proxy_with};

const INDEX: &str = "<!doctype html><title>client</title>";
const SCRIPT: &str = "export const answer = 42;\n";
const ICON: &[u8] = b"\x89PNG\r\n\x1a\n not really";
const SECRET: &str = "outside the web root";

/// A folder laid out like octaneWebR's `dist/client`, next to a folder it must not serve.
struct Site {
    top: PathBuf,
}

impl Site {
    fn new(name: &str) -> Self {
        let top =
            std::env::temp_dir().join(format!("octane-web-root-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        let root = top.join("client");
        for dir in ["assets", "icons", "empty", "ApiItem", "api"] {
            std::fs::create_dir_all(root.join(dir)).expect("mkdir");
        }
        std::fs::create_dir_all(top.join("outside")).expect("mkdir");
        let write = |path: &str, bytes: &[u8]| std::fs::write(root.join(path), bytes).expect(path);
        write("index.html", INDEX.as_bytes());
        write("assets/index-3f2a.js", SCRIPT.as_bytes());
        write("assets/index-3f2a.css", b"body{}");
        write("icons/TEXTURE_BITMAP B&W node.png", ICON);
        write("eula.pdf", b"%PDF-1.4");
        // Files named like API paths: the API keeps them.
        write("health", b"a file named health");
        write("ApiItem/name", b"a file named like an RPC");
        write("api/unknown", b"a file under /api/");
        std::fs::write(top.join("outside/secret.txt"), SECRET).expect("secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(top.join("outside/secret.txt"), root.join("leak.txt")).expect("symlink");
            symlink(top.join("outside"), root.join("leaky")).expect("symlink");
            symlink(root.join("assets/index-3f2a.js"), root.join("alias.js")).expect("symlink");
        }
        Self { top }
    }

    fn root(&self) -> PathBuf {
        self.top.join("client")
    }

    async fn serve(&self) -> (octane_test_peer::TestPeer, Proxy) {
        let peer = octane_test_peer::TestPeer::start().expect("peer");
        let web_root = WebRoot::new(self.root()).expect("a folder");
        let proxy = proxy_with(peer.addr(), |b| b.web_root(web_root)).await;
        (peer, proxy)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.top);
    }
}

#[tokio::test]
async fn files_are_served_with_their_types_at_their_decoded_names() {
    let site = Site::new("types");
    let (_peer, proxy) = site.serve().await;

    let index = get(proxy.addr, "/").await;
    assert_eq!(index.status, 200);
    assert_eq!(index.text(), INDEX);
    assert_eq!(index.headers["content-type"], "text/html");
    assert_eq!(get(proxy.addr, "/index.html").await.text(), INDEX);

    let script = get(proxy.addr, "/assets/index-3f2a.js").await;
    assert_eq!(script.status, 200);
    assert_eq!(script.text(), SCRIPT);
    // Module scripts load only with a JavaScript MIME type.
    assert_eq!(script.headers["content-type"], "text/javascript");
    let css = get(proxy.addr, "/assets/index-3f2a.css").await;
    assert_eq!(css.headers["content-type"], "text/css");
    let pdf = get(proxy.addr, "/eula.pdf").await;
    assert_eq!(pdf.headers["content-type"], "application/pdf");

    let icon = get(proxy.addr, "/icons/TEXTURE_BITMAP%20B%26W%20node.png").await;
    assert_eq!(icon.status, 200);
    assert_eq!(&icon.body[..], ICON);
    assert_eq!(icon.headers["content-type"], "image/png");
    // `&` may also arrive as it is.
    let icon = get(proxy.addr, "/icons/TEXTURE_BITMAP%20B&W%20node.png").await;
    assert_eq!(&icon.body[..], ICON);
}

#[tokio::test]
async fn nothing_outside_the_folder_is_served() {
    let site = Site::new("escape");
    let (_peer, proxy) = site.serve().await;
    for path in [
        "/../outside/secret.txt",
        "/assets/../../outside/secret.txt",
        "/%2e%2e/outside/secret.txt",
        "/..%2Foutside%2Fsecret.txt",
        "/assets%2F..%2F..%2Foutside%2Fsecret.txt",
        "/..%5Coutside%5Csecret.txt",
        "/assets/..%5C..%5Coutside%5Csecret.txt",
        "/%2F%2Ftmp/secret.txt",
        "/leak.txt",
        "/leaky/secret.txt",
        "/leaky/",
    ] {
        let reply = get(proxy.addr, path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
        assert!(!reply.text().contains(SECRET), "{path}");
    }
    // A link that stays inside is followed.
    #[cfg(unix)]
    assert_eq!(get(proxy.addr, "/alias.js").await.text(), SCRIPT);
}

#[tokio::test]
async fn folders_are_never_listed() {
    let site = Site::new("listing");
    let (_peer, proxy) = site.serve().await;
    for path in ["/empty/", "/assets/", "/icons/"] {
        let reply = get(proxy.addr, path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
        assert_eq!(reply.json()["success"], false, "{path}");
    }
    // A folder's path without its slash is sent to the one with it, as browsers expect.
    let reply = get(proxy.addr, "/assets").await;
    assert_eq!(reply.status, 307);
    let location = reply.headers["location"].to_str().expect("location");
    assert!(location.ends_with("/assets/"), "{location}");
}

#[tokio::test]
async fn conditional_gets_and_head_answer_without_the_body() {
    let site = Site::new("conditional");
    let (_peer, proxy) = site.serve().await;
    let path = "/assets/index-3f2a.js";
    let first = get(proxy.addr, path).await;
    let etag = first.headers["etag"].to_str().expect("etag").to_owned();
    let modified = first.headers["last-modified"]
        .to_str()
        .expect("last-modified")
        .to_owned();

    let unchanged = call(
        proxy.addr,
        Method::GET,
        path,
        &[("if-none-match", &etag)],
        "",
    )
    .await;
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.body.is_empty());
    let unchanged = call(
        proxy.addr,
        Method::GET,
        path,
        &[("if-modified-since", &modified)],
        "",
    )
    .await;
    assert_eq!(unchanged.status, 304);
    let changed = call(
        proxy.addr,
        Method::GET,
        path,
        &[("if-none-match", "\"another\"")],
        "",
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.text(), SCRIPT);

    let head = call(proxy.addr, Method::HEAD, path, &[], "").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.headers["content-length"], SCRIPT.len().to_string());
    assert_eq!(head.headers["content-type"], "text/javascript");
    assert_eq!(head.headers["etag"], etag.as_str());
}

#[tokio::test]
async fn the_api_keeps_its_paths_and_other_methods_are_not_served() {
    let site = Site::new("precedence");
    let (_peer, proxy) = site.serve().await;
    let health = get(proxy.addr, "/health").await;
    assert_eq!(health.json()["connected"], true, "{}", health.text());
    assert_eq!(get(proxy.addr, "/services").await.json()["success"], true);
    assert_eq!(
        get(proxy.addr, "/api/health").await.json()["server"],
        "octane-proxy"
    );
    // An RPC's path keeps answering as an RPC route, file or not.
    assert_eq!(get(proxy.addr, "/ApiItem/name").await.status, 405);
    assert_eq!(post(proxy.addr, "/ApiItem/name", "{}").await.status, 200);
    // Files are GET and HEAD only; anything else answers as without a web root.
    let posted = post(proxy.addr, "/index.html", "{}").await;
    assert_eq!(posted.status, 404, "{}", posted.text());
    assert_eq!(
        get(proxy.addr, "/no-such-file.js").await.json()["code"],
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn without_a_web_root_nothing_changes() {
    let peer = octane_test_peer::TestPeer::start().expect("peer");
    let proxy = proxy_with(peer.addr(), |b| b).await;
    for (path, code) in [
        ("/", "NOT_FOUND"),
        ("/index.html", "NOT_FOUND"),
        ("/assets/index-3f2a.js", "UNKNOWN_SERVICE"),
    ] {
        let reply = get(proxy.addr, path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.json()["code"], code, "{path}");
    }
}

#[test]
fn a_web_root_must_be_an_existing_folder() {
    let site = Site::new("invalid");
    let missing = site.top.join("missing");
    let err = WebRoot::new(&missing).expect_err("missing");
    assert!(err.to_string().contains("missing"), "{err}");
    let file = site.root().join("index.html");
    let err = WebRoot::new(&file).expect_err("a file");
    assert!(err.to_string().contains("not a folder"), "{err}");
    assert_eq!(
        WebRoot::new(site.root()).expect("a folder").folder(),
        Path::new(&std::fs::canonicalize(site.root()).expect("canonical"))
    );
}
