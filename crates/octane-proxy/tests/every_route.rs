//! Every unary and client-streaming route of the generated table answers a `200` envelope
//! through the HTTP surface when called with `{}` (or `[{}]`) against the generated test peer,
//! and `/services` lists every one. Regenerating from the full SDK makes this cover its ~1,300
//! RPCs with no change here.

mod support;

use octane_proxy::{RouteKind, routes};
use support::{get, peer_and_proxy, post};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_a_success_envelope() {
    let (peer, proxy) = peer_and_proxy().await;
    let mut called = 0;
    for route in routes::all() {
        let body = match route.kind {
            RouteKind::Unary => "{}",
            RouteKind::ClientStreaming => "[{}]",
            // Streams are covered by the SSE tests; a bidirectional one cannot be called.
            RouteKind::ServerStreaming | RouteKind::BidiStreaming => continue,
        };
        let path = format!("/{}/{}", route.short_service, route.method);
        let reply = post(proxy.addr, &path, body).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        assert!(
            reply.text().starts_with(r#"{"success":true,"data":"#),
            "{path}: {}",
            reply.text()
        );
        assert_eq!(
            peer.received(route.path).len(),
            1,
            "{path} reached the peer once"
        );
        for alias in route.aliases {
            let reply = post(
                proxy.addr,
                &format!("/{}/{alias}", route.short_service),
                body,
            )
            .await;
            assert_eq!(reply.status, 200, "alias {alias} of {path}");
        }
        called += 1;
    }
    assert!(called >= 98, "{called} routes called");

    let listed = get(proxy.addr, "/services").await.json();
    assert_eq!(listed["data"]["count"], routes::all().len());
}
