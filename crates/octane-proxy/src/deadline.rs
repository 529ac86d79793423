//! The per-call deadline: the default, or what the request asks for with `grpc-timeout` (gRPC's
//! own header: `<1-8 digits><H|M|S|m|u|n>`) or `X-Timeout-Ms` (milliseconds).

use std::time::Duration;

use http::HeaderMap;

use crate::ProxyError;

/// The longest deadline gRPC's `grpc-timeout` header can carry: 8 digits of hours.
const LONGEST: Duration = Duration::from_secs(99_999_999 * 3600);

/// The deadline a request asks for, if it asks for one.
pub(crate) fn requested(headers: &HeaderMap) -> Result<Option<Duration>, ProxyError> {
    if let Some(value) = headers.get("grpc-timeout") {
        let parsed = value.to_str().ok().and_then(parse_grpc_timeout);
        return parsed.map(Some).ok_or_else(|| ProxyError::BadHeader {
            name: "grpc-timeout",
            message: format!("{value:?} is not <digits><H|M|S|m|u|n>"),
        });
    }
    if let Some(value) = headers.get("x-timeout-ms") {
        let parsed = value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok());
        let ms = parsed.ok_or_else(|| ProxyError::BadHeader {
            name: "x-timeout-ms",
            message: format!("{value:?} is not a whole number of milliseconds"),
        })?;
        let timeout = Duration::from_millis(ms);
        if timeout > LONGEST {
            return Err(ProxyError::BadHeader {
                name: "x-timeout-ms",
                message: format!(
                    "{ms} ms is longer than the longest deadline gRPC can carry ({} hours)",
                    LONGEST.as_secs() / 3600
                ),
            });
        }
        return Ok(Some(timeout));
    }
    Ok(None)
}

fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeout_units() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("100u"), Some(Duration::from_micros(100)));
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout("5s"), None);
        assert_eq!(parse_grpc_timeout(""), None);
    }
}
