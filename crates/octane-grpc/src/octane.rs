//! [`Octane`]: where Octane's LiveLink server listens, the shared channel to it, calls on it by
//! gRPC path with already-encoded messages, and the health probe.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tonic::Status;

use crate::channel::Channel;
use crate::message_size::MessageTooLarge;
use crate::server_stream::{self, MessageStream};
use crate::status::{
    is_local, is_timeout, message_too_large, protocol_error, stream_reset, timeout_status,
};
use crate::unary::{self, send_unary};

/// Default limit for one message either way: a 1920x1080 HDR float frame is 33 MB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// Where Octane's LiveLink server listens, and the channel to it.
#[derive(Clone, Debug)]
pub struct Octane {
    channel: Channel,
    address: String,
    reachable: Arc<AtomicBool>,
}

/// Why Octane's address could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidAddress {
    /// A host with a `:` that is not an IPv6 address: most likely `HOST:PORT`, where the port
    /// has a setting of its own.
    #[error(
        "invalid Octane host {host:?}: a host name or an IP address, without a port (the port \
         is set on its own, --octane-port)"
    )]
    Host {
        /// The host as given.
        host: String,
    },
    /// `host:port` is not a URI authority.
    #[error("invalid Octane address {address:?}: {source}")]
    Uri {
        /// `HOST:PORT`.
        address: String,
        /// Why the URI parser refused it.
        #[source]
        source: http::uri::InvalidUri,
    },
}

impl Octane {
    /// A lazily connecting channel to Octane at `host:port`.
    pub fn lazy(host: &str, port: u16) -> Result<Self, InvalidAddress> {
        let bare_ipv6 = host.parse::<std::net::Ipv6Addr>().is_ok();
        let address = if bare_ipv6 {
            format!("[{host}]:{port}")
        } else if host.contains(':') && !bracketed_ipv6(host) {
            return Err(InvalidAddress::Host {
                host: host.to_owned(),
            });
        } else {
            format!("{host}:{port}")
        };
        let channel = Channel::lazy(&address).map_err(|source| InvalidAddress::Uri {
            address: address.clone(),
            source,
        })?;
        Ok(Self {
            channel,
            address,
            reachable: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Sets the largest message accepted from or sent to Octane. A call over it fails with a
    /// status whose source is a [`MessageTooLarge`].
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.channel = self.channel.max_message_size(bytes);
        self
    }

    /// The largest message accepted from or sent to Octane, as [`Octane::max_message_size`] set
    /// it: for typed clients built on [`Octane::channel`]. The channel refuses larger answers
    /// itself, but tonic's own limits (4 MiB for answers by default) must be raised to this.
    #[must_use]
    pub fn message_size_limit(&self) -> usize {
        self.channel.message_size_limit()
    }

    /// The same Octane on an HTTP/2 connection of its own, with the same settings: bulk
    /// transfers on it (render frames of several MiB) never queue ahead of the calls on this
    /// one. It connects on first use.
    #[must_use]
    pub fn own_connection(&self) -> Self {
        Self {
            channel: self.channel.own_connection(),
            ..self.clone()
        }
    }

    /// The `HOST:PORT` this connects to.
    #[must_use]
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The underlying channel, for typed clients of `octane_api`.
    #[must_use]
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Whether the last call or probe reached Octane (any answer, errors included).
    #[must_use]
    pub fn reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }

    /// Notes what a call's outcome says about the connection: any answer from Octane means up,
    /// a failed connect or a broken connection means down, a local timeout says nothing.
    fn observe<T>(&self, result: Result<T, Status>) -> Result<T, Status> {
        match &result {
            Ok(_) => self.reachable.store(true, Ordering::Relaxed),
            Err(status) if answered(status) => self.reachable.store(true, Ordering::Relaxed),
            Err(status) if !is_timeout(status) => self.reachable.store(false, Ordering::Relaxed),
            Err(_) => {}
        }
        result
    }

    /// A unary call of `path` (`/package.Service/method`) with the encoded request; answers the
    /// encoded response, or the failed call's status: Octane's, or one made here, which
    /// [`status`](crate::status) tells apart. `timeout` is sent to Octane and enforced here.
    pub async fn unary(
        &self,
        path: &'static str,
        request: Vec<u8>,
        timeout: Duration,
    ) -> Result<Bytes, Status> {
        MessageTooLarge::check_request(request.len(), self.message_size_limit())?;
        let call = async {
            send_unary(self.channel.clone(), path, &request, timeout)
                .await?
                .message()
                .await
        };
        self.observe(within(timeout, call).await)
    }

    /// A server-streaming call of `path` with the encoded request; answers the stream of
    /// encoded responses once Octane sent its headers. `timeout`, if any, is sent to Octane; the
    /// caller enforces it, for the stream may outlive this call.
    pub async fn server_streaming(
        &self,
        path: &'static str,
        request: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<MessageStream, Status> {
        MessageTooLarge::check_request(request.len(), self.message_size_limit())?;
        let stream =
            server_stream::send_server_streaming(self.channel.clone(), path, &request, timeout)
                .await;
        self.observe(stream)
    }

    /// A client-streaming call of `path` with every encoded request known up front; answers
    /// the encoded response as [`Octane::unary`] does.
    pub async fn client_streaming(
        &self,
        path: &'static str,
        requests: Vec<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Bytes, Status> {
        for request in &requests {
            MessageTooLarge::check_request(request.len(), self.message_size_limit())?;
        }
        let requests: Vec<&[u8]> = requests.iter().map(Vec::as_slice).collect();
        let call = async {
            unary::send_for_one_answer(self.channel.clone(), path, &requests, timeout)
                .await?
                .message()
                .await
        };
        self.observe(within(timeout, call).await)
    }

    /// Whether Octane answers gRPC on the shared channel right now.
    ///
    /// Asks for the standard gRPC health service: any answer from the server, including
    /// UNIMPLEMENTED, proves the channel is up; a connect error or no answer in time does not.
    pub async fn probe(&self, timeout: Duration) -> bool {
        const HEALTH_CHECK: &str = "/grpc.health.v1.Health/Check";
        match self.unary(HEALTH_CHECK, Vec::new(), timeout).await {
            Ok(_) => true,
            Err(status) => answered(&status),
        }
    }
}

/// Whether `host` is an IPv6 address in brackets (`[::1]`).
fn bracketed_ipv6(host: &str) -> bool {
    host.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|inner| inner.parse::<std::net::Ipv6Addr>().is_ok())
}

/// Whether Octane answered the failed call: with a status of its own, or with an answer this
/// side refused (over the message limit, or breaking gRPC's protocol).
fn answered(status: &Status) -> bool {
    !is_local(status)
        || message_too_large(status).is_some()
        || protocol_error(status).is_some()
        || stream_reset(status).is_some()
}

/// Ends `call` with a CANCELLED status sourced by `tonic::TimeoutExpired` (what tonic's own
/// channel reports) once `timeout` has passed. The `grpc-timeout` header tells Octane the same
/// deadline; when both have passed, this side's verdict wins, so an expired call always reads as
/// a deadline here, whatever status Octane's own timer chose.
async fn within<T>(
    timeout: Duration,
    call: impl Future<Output = Result<T, Status>>,
) -> Result<T, Status> {
    tokio::select! {
        biased;
        () = tokio::time::sleep(timeout) => Err(timeout_status()),
        result = call => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_become_addresses_and_a_host_with_a_port_is_refused() {
        for (host, address) in [
            ("127.0.0.1", "127.0.0.1:51022"),
            ("localhost", "localhost:51022"),
            ("::1", "[::1]:51022"),
            ("[::1]", "[::1]:51022"),
            ("fe80::1", "[fe80::1]:51022"),
        ] {
            let octane = Octane::lazy(host, 51022).expect(host);
            assert_eq!(octane.address(), address);
        }
        for host in ["127.0.0.1:9999", "bad:host::", "[127.0.0.1]:1"] {
            let err = Octane::lazy(host, 51022).expect_err(host);
            assert!(matches!(err, InvalidAddress::Host { .. }), "{host}: {err}");
            assert!(err.to_string().contains("--octane-port"), "{err}");
        }
    }
}
