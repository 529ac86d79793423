//! Every failure of a `/api/grpc` call, and the one place it gets its HTTP status and body:
//! `{"error": <message>, "service": S, "method": m, "code": <gRPC status number or "UNKNOWN">}`
//! (`docs/webr-grpc.md`, Failures), status 500 as octaneWebR's backend answers, 405 for a method other
//! than POST.

use http::{Response, StatusCode};
use tonic::Code;

use super::reply::ReplyError;
use super::request::RequestError;
use crate::ProxyError;
use crate::body::Body;
use crate::error::clip;
use crate::routes::{LookupError, RouteKind};

/// Why a `/api/grpc` call failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DialectError {
    /// A failure shared with the default routes: access, body, deadline, Octane's answer.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    /// The path is not `/api/grpc/{service}/{method}`.
    #[error("no RPC at this path: calls are POST /api/grpc/{{service}}/{{method}}")]
    BadPath,
    /// No such service or method.
    #[error("{}", lookup_message(.service, .method, .error))]
    Lookup {
        /// The service as the client wrote it.
        service: String,
        /// The method as the client wrote it.
        method: String,
        /// What is missing, with the nearest names.
        error: LookupError,
    },
    /// A streaming RPC, which one JSON reply cannot carry.
    #[error(
        "this RPC is {kind:?} (streaming); /api/grpc carries unary calls only: use POST /{{Service}}/{{method}} (Server-Sent Events or a JSON array body)"
    )]
    Streaming {
        /// Its streaming kind.
        kind: RouteKind,
    },
    /// The body is not JSON, or JSON protobufjs would refuse to serialize.
    #[error("request message serialization failure: {0}")]
    Request(#[source] RequestError),
    /// Octane's reply is not a valid encoding of the response message.
    #[error("response message parsing error: not a valid {response_type}: {error}")]
    Reply {
        /// The response message's full proto name.
        response_type: &'static str,
        /// What was wrong.
        #[source]
        error: ReplyError,
    },
}

impl DialectError {
    /// The gRPC status code a Node backend reports for this failure, where it is one.
    fn grpc_code(&self) -> Option<Code> {
        match self {
            Self::Proxy(error) => match error {
                ProxyError::Grpc { status, .. } => Some(status.code()),
                ProxyError::StreamReset { code, .. } => Some(*code),
                ProxyError::Unreachable { .. } | ProxyError::ConnectionLost { .. } => {
                    Some(Code::Unavailable)
                }
                ProxyError::DeadlineExceeded { .. } => Some(Code::DeadlineExceeded),
                ProxyError::Unauthorized => Some(Code::Unauthenticated),
                ProxyError::Denied { .. } => Some(Code::PermissionDenied),
                ProxyError::PayloadTooLarge { .. } | ProxyError::MessageTooLarge { .. } => {
                    Some(Code::ResourceExhausted)
                }
                ProxyError::BadResponse { .. } | ProxyError::ProtocolViolation { .. } => {
                    Some(Code::Internal)
                }
                _ => None,
            },
            // grpc-js reports a serializer's or deserializer's exception as INTERNAL.
            Self::Request(RequestError::Invalid { .. }) | Self::Reply { .. } => {
                Some(Code::Internal)
            }
            Self::Request(RequestError::Syntax(_))
            | Self::BadPath
            | Self::Lookup { .. }
            | Self::Streaming { .. } => None,
        }
    }

    /// The answer: 405 with `Allow` for a method other than POST, else 500; the body in the
    /// dialect's shape, `service` and `method` as the client wrote them.
    pub(crate) fn response(&self, service: &str, method: &str) -> Response<Body> {
        #[derive(serde::Serialize)]
        #[serde(untagged)]
        enum CodeValue {
            Number(i32),
            Name(&'static str),
        }
        #[derive(serde::Serialize)]
        struct ErrorBody<'a> {
            error: &'a str,
            service: &'a str,
            method: &'a str,
            code: CodeValue,
        }
        let code = match self.grpc_code() {
            Some(code) => CodeValue::Number(code as i32),
            None => CodeValue::Name("UNKNOWN"),
        };
        let message = self.to_string();
        let body = serde_json::to_vec(&ErrorBody {
            error: &message,
            service,
            method,
            code,
        })
        .unwrap_or_default();
        let (status, allow) = match self {
            Self::Proxy(ProxyError::MethodNotAllowed { allow, .. }) => {
                (StatusCode::METHOD_NOT_ALLOWED, Some(*allow))
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        crate::response::error(status, body, allow)
    }
}

fn lookup_message(service: &str, method: &str, error: &LookupError) -> String {
    let (service, method) = (clip(service), clip(method));
    let suggest = |suggestions: &[String]| match suggestions {
        [] => String::new(),
        names => format!("; did you mean {}?", names.join(" or ")),
    };
    match error {
        LookupError::UnknownService { suggestions } => {
            format!("unknown service {service:?}{}", suggest(suggestions))
        }
        LookupError::UnknownMethod {
            service: grpc_service,
            suggestions,
        } => format!(
            "{grpc_service} has no method {method:?}{}",
            suggest(suggestions)
        ),
    }
}
