//! Every way a call can fail, and the one place each failure gets its HTTP status and `code`.

use std::time::Duration;

use http::StatusCode;
use tonic::Code;

use crate::BoxError;
use crate::transcode::JsonError;
use octane_grpc::status as grpc_status;

/// A failed request, with the context a user needs to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The body is not JSON (or has trailing bytes after the value).
    #[error("malformed JSON in the request body for {service}/{method}: {}", .error.message())]
    MalformedJson {
        /// The service as the client named it.
        service: String,
        /// The method.
        method: String,
        /// What the parser said.
        #[source]
        error: JsonError,
    },
    /// The body is JSON but does not fit the request message.
    #[error("invalid request for {service}/{method} ({request_type}){}: {}", at(&.error.path), .error.message())]
    InvalidRequest {
        /// The service as the client named it.
        service: String,
        /// The method.
        method: String,
        /// The request message's full proto name.
        request_type: &'static str,
        /// Where and what.
        #[source]
        error: JsonError,
    },
    /// A client's log post that is not what its endpoint takes.
    #[error("{}: {}", .endpoint.expected(), .error.message())]
    ClientLog {
        /// Which endpoint it was posted to.
        endpoint: LogEndpoint,
        /// What the parser said.
        #[source]
        error: JsonError,
    },
    /// The body of a client-streaming route is not a JSON array.
    #[error("{service}/{method} streams its requests: send a JSON array of {request_type} objects")]
    ExpectedArray {
        /// The service as the client named it.
        service: String,
        /// The method.
        method: String,
        /// The request message's full proto name.
        request_type: &'static str,
    },
    /// No service has this name.
    #[error("unknown service {service:?}{}", suggest(.suggestions))]
    UnknownService {
        /// The name from the path.
        service: String,
        /// The nearest service names.
        suggestions: Vec<String>,
    },
    /// The service has no such method.
    #[error("{service} has no method {method:?}{}", suggest(.suggestions))]
    UnknownMethod {
        /// The service's gRPC name.
        service: &'static str,
        /// The name from the path.
        method: String,
        /// The nearest method names.
        suggestions: Vec<String>,
    },
    /// Nothing is served at this path.
    #[error("no route for {path}; RPCs are POST /{{Service}}/{{method}}, see GET /services")]
    NotFound {
        /// The request path.
        path: String,
    },
    /// The route exists but not for this HTTP method.
    #[error("{method} is not allowed on {path}; allowed: {allow}")]
    MethodNotAllowed {
        /// The request's HTTP method.
        method: http::Method,
        /// The request path.
        path: String,
        /// The value of the `Allow` header.
        allow: &'static str,
    },
    /// The body is larger than the configured limit.
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read from the connection.
    #[error("could not read the request body: {0}")]
    BodyRead(#[source] BoxError),
    /// A route the HTTP surface cannot serve (bidirectional streaming).
    #[error("{service}/{method} streams both ways, which one HTTP request cannot carry")]
    Unsupported {
        /// The service's gRPC name.
        service: &'static str,
        /// The method.
        method: &'static str,
    },
    /// No connection to Octane could be made.
    #[error("Octane LiveLink not reachable at {address}")]
    Unreachable {
        /// `HOST:PORT` of Octane.
        address: String,
        /// The call's status, whose source says why the connect failed.
        #[source]
        status: tonic::Status,
    },
    /// Octane did not answer within the call's deadline.
    #[error("Octane did not answer {service}/{method} within {timeout:?}")]
    DeadlineExceeded {
        /// The service's gRPC name.
        service: &'static str,
        /// The method.
        method: &'static str,
        /// The deadline the call had.
        timeout: Duration,
    },
    /// Octane answered with a gRPC error status; its message is passed through.
    #[error("Octane answered {service}/{method} with {}: {}", code_name(.status.code()), .status.message())]
    Grpc {
        /// The service's gRPC name.
        service: &'static str,
        /// The method.
        method: &'static str,
        /// The status from Octane (or from the connection, for a broken one).
        #[source]
        status: tonic::Status,
    },
    /// Octane's answer is not a valid response message.
    #[error("Octane's response to {service}/{method} is not a valid {response_type}: {error}")]
    BadResponse {
        /// The service's gRPC name.
        service: &'static str,
        /// The method.
        method: &'static str,
        /// The response message's full proto name.
        response_type: &'static str,
        /// What was wrong.
        #[source]
        error: BoxError,
    },
    /// Octane's answer broke gRPC's protocol: an HTTP status other than 200, a second message,
    /// a compressed one, no message, or a message cut short.
    #[error("Octane's answer to {service}/{method} broke gRPC's protocol: {error}")]
    ProtocolViolation {
        /// The service's gRPC name.
        service: &'static str,
        /// The method.
        method: &'static str,
        /// What was wrong.
        #[source]
        error: grpc_status::ProtocolError,
    },
    /// The request lacks the bearer token the proxy requires, or has a wrong one.
    #[error("this proxy requires `Authorization: Bearer <token>` (or `?token=` on GET)")]
    Unauthorized,
    /// The access policy refuses this call.
    #[error("{service}/{method} is {rule}")]
    Denied {
        /// The service's short name.
        service: &'static str,
        /// The method.
        method: &'static str,
        /// Which rule refused it.
        rule: &'static str,
    },
    /// The request came from a web page whose origin is not allowed: a page of another site
    /// must not drive Octane.
    #[error(
        "requests from the web page origin {origin:?} are refused: the proxy serves pages of \
         http://localhost, http://127.0.0.1 and http://[::1] (any port), its own origin, and \
         origins given with --cors-origin (e.g. --cors-origin {origin})"
    )]
    ForeignOrigin {
        /// The request's `Origin`, as sent.
        origin: String,
    },
    /// The request is addressed to a host name the proxy does not answer to, which is how DNS
    /// rebinding reaches it.
    #[error(
        "requests addressed to host {host:?} are refused: the proxy answers to IP addresses, \
         localhost and names given with --allowed-host (e.g. --allowed-host NAME)"
    )]
    ForeignHost {
        /// The request's `Host` (or URI authority), as sent.
        host: String,
    },
    /// The client stopped sending its body before it was complete.
    #[error("the request body did not arrive within {0:?}")]
    BodyTimeout(Duration),
    /// The connection to Octane broke during the call.
    #[error(
        "the connection to Octane LiveLink at {address} was lost during {service}/{method}: {}",
        .status.message()
    )]
    ConnectionLost {
        /// `HOST:PORT` of Octane.
        address: String,
        /// The service's gRPC name.
        service: &'static str,
        /// The method.
        method: &'static str,
        /// The call's status: its message is what the transport said, its source the error.
        #[source]
        status: tonic::Status,
    },
    /// Octane reset the call's stream (`RST_STREAM`) without closing the connection: mapped by
    /// the code gRPC gives the reason (REFUSED_STREAM is UNAVAILABLE, ENHANCE_YOUR_CALM
    /// RESOURCE_EXHAUSTED, CANCEL CANCELLED, any other INTERNAL).
    #[error("Octane reset its stream of {service}/{method} ({reason}) and sent no answer")]
    StreamReset {
        /// The service's gRPC name.
        service: &'static str,
        /// The method.
        method: &'static str,
        /// The reset's reason, as HTTP/2 names it (`REFUSED_STREAM`).
        reason: String,
        /// Its gRPC code.
        code: Code,
        /// The call's status, whose source is the HTTP/2 reset.
        #[source]
        status: tonic::Status,
    },
    /// The request for Octane, or Octane's answer, is over the limit for one gRPC message.
    #[error("{service}/{method}: {error}")]
    MessageTooLarge {
        /// The service's gRPC name.
        service: &'static str,
        /// The method.
        method: &'static str,
        /// Which way, how large, and the limit.
        #[source]
        error: grpc_status::MessageTooLarge,
    },
    /// A request header has a value the proxy cannot use.
    #[error("invalid {name} header: {message}")]
    BadHeader {
        /// The header name.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A bug: handling the request panicked.
    #[error("internal error while handling the request: {0}")]
    Internal(String),
}

impl ProxyError {
    /// The one mapping from failure to HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson { .. }
            | Self::InvalidRequest { .. }
            | Self::ClientLog { .. }
            | Self::ExpectedArray { .. }
            | Self::BodyRead(_)
            | Self::BadHeader { .. } => StatusCode::BAD_REQUEST,
            Self::UnknownService { .. } | Self::UnknownMethod { .. } | Self::NotFound { .. } => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unsupported { .. } => StatusCode::NOT_IMPLEMENTED,
            Self::Unreachable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::DeadlineExceeded { .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::Grpc { status, .. } => http_status(status.code()),
            Self::BadResponse { .. } | Self::ProtocolViolation { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Denied { .. } | Self::ForeignOrigin { .. } | Self::ForeignHost { .. } => {
                StatusCode::FORBIDDEN
            }
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::ConnectionLost { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::StreamReset { code, .. } => http_status(*code),
            Self::MessageTooLarge { error, .. } => match error.direction {
                grpc_status::Direction::Request => StatusCode::PAYLOAD_TOO_LARGE,
                grpc_status::Direction::Answer => StatusCode::BAD_GATEWAY,
            },
        }
    }

    /// The `code` of the error body: the gRPC status name where there is one.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson { .. } => "MALFORMED_JSON",
            Self::ClientLog {
                endpoint: LogEndpoint::AppendLog,
                error,
            } if error.syntax => "MALFORMED_JSON",
            Self::ClientLog { .. } | Self::InvalidRequest { .. } | Self::ExpectedArray { .. } => {
                "INVALID_ARGUMENT"
            }
            Self::BodyRead(_) => "BODY_READ_FAILED",
            Self::UnknownService { .. } => "UNKNOWN_SERVICE",
            Self::UnknownMethod { .. } => "UNKNOWN_METHOD",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::Unsupported { .. } => "UNIMPLEMENTED",
            Self::Unreachable { .. } => "UNAVAILABLE",
            Self::DeadlineExceeded { .. } => "DEADLINE_EXCEEDED",
            Self::Grpc { status, .. } => code_name(status.code()),
            Self::BadResponse { .. } | Self::ProtocolViolation { .. } => "BAD_RESPONSE",
            Self::BadHeader { .. } => "BAD_HEADER",
            Self::Internal(_) => "INTERNAL",
            Self::Unauthorized => "UNAUTHENTICATED",
            Self::Denied { .. } => "PERMISSION_DENIED",
            Self::ForeignOrigin { .. } => "ORIGIN_NOT_ALLOWED",
            Self::ForeignHost { .. } => "HOST_NOT_ALLOWED",
            Self::BodyTimeout(_) => "BODY_TIMEOUT",
            Self::ConnectionLost { .. } => "UNAVAILABLE",
            Self::StreamReset { code, .. } => code_name(*code),
            Self::MessageTooLarge { .. } => "MESSAGE_TOO_LARGE",
        }
    }

    /// Classifies a failed call to Octane.
    pub(crate) fn from_call(
        route: &crate::Route,
        status: tonic::Status,
        timeout: Duration,
        address: &str,
    ) -> Self {
        if grpc_status::is_timeout(&status) {
            Self::DeadlineExceeded {
                service: route.service,
                method: route.method,
                timeout,
            }
        } else if let Some(error) = grpc_status::message_too_large(&status) {
            Self::MessageTooLarge {
                service: route.service,
                method: route.method,
                error: *error,
            }
        } else if let Some(error) = grpc_status::protocol_error(&status) {
            Self::ProtocolViolation {
                service: route.service,
                method: route.method,
                error: error.clone(),
            }
        } else if let Some(reason) = grpc_status::stream_reset(&status) {
            Self::StreamReset {
                service: route.service,
                method: route.method,
                reason: format!("{reason:?}"),
                code: status.code(),
                status,
            }
        } else if grpc_status::is_connect_error(&status) {
            Self::Unreachable {
                address: address.to_owned(),
                status,
            }
        } else if grpc_status::is_local(&status) {
            Self::ConnectionLost {
                address: address.to_owned(),
                service: route.service,
                method: route.method,
                status,
            }
        } else {
            Self::Grpc {
                service: route.service,
                method: route.method,
                status,
            }
        }
    }

    /// The JSON error body: `{"success":false,"error":"...","code":"..."}`.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        let field = match self {
            Self::InvalidRequest { error, .. } if !error.path.is_empty() => {
                Some(error.path.as_str())
            }
            _ => None,
        };
        crate::response::ErrorBody::new(&self.to_string(), self.code())
            .field(field)
            .to_json()
    }
}

/// The endpoints clients post log lines to, which answer a post they cannot read alike
/// ([`ProxyError::ClientLog`]) but for what they say they take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogEndpoint {
    /// `POST /debug/append-log`: one console line of a web client. A body that is not JSON is
    /// `MALFORMED_JSON`.
    AppendLog,
    /// octaneWebR's `POST /api/log`. Any body it cannot read is `INVALID_ARGUMENT`.
    ApiLog,
}

impl LogEndpoint {
    /// What the endpoint takes, to start the error message with.
    fn expected(self) -> &'static str {
        match self {
            Self::AppendLog => {
                "invalid debug log entry (send {\"sessionId\":\"...\",\"logEntry\":\"...\",\"timestamp\":\"...\"})"
            }
            Self::ApiLog => {
                "invalid log post for /api/log (expected {\"level\": string, \"message\": string})"
            }
        }
    }
}

/// The gRPC-to-HTTP table shared by grpc-gateway v2, Envoy and Connect.
#[must_use]
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Cancelled => StatusCode::from_u16(499).expect("499 is a valid status code"),
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The canonical upper-case name of a gRPC code (`NOT_FOUND`).
#[must_use]
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}

fn suggest(suggestions: &[String]) -> String {
    match suggestions {
        [] => "; see GET /services".to_owned(),
        [one] => format!("; did you mean {one:?}?"),
        many => format!(
            "; did you mean one of {}?",
            many.iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A name from the request (a path, a service, a method), cut to 120 characters for echoing
/// in an error message, so that a huge path does not make a huge answer.
#[must_use]
pub fn clip(name: &str) -> String {
    const MAX: usize = 120;
    match name.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &name[..end]),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_codes_map_by_the_gateway_table() {
        let cases = [
            (Code::InvalidArgument, 400),
            (Code::FailedPrecondition, 400),
            (Code::OutOfRange, 400),
            (Code::Unauthenticated, 401),
            (Code::PermissionDenied, 403),
            (Code::NotFound, 404),
            (Code::AlreadyExists, 409),
            (Code::Aborted, 409),
            (Code::ResourceExhausted, 429),
            (Code::Cancelled, 499),
            (Code::Unimplemented, 501),
            (Code::Unavailable, 503),
            (Code::DeadlineExceeded, 504),
            (Code::Unknown, 500),
            (Code::Internal, 500),
            (Code::DataLoss, 500),
        ];
        for (code, status) in cases {
            assert_eq!(http_status(code).as_u16(), status, "{code:?}");
        }
    }
}
