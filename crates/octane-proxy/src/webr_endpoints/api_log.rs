//! `POST /api/log`: the log entries octaneWebR's client ships, written to the proxy's log under
//! the target `client`.
//!
//! The client buffers entries and posts them once a second as `{"level", "message"}`, the
//! message holding one entry per line. Each line is logged on its own at the entry's level
//! (an unknown level at info, so nothing is lost), clipped, with control characters replaced
//! so a line cannot forge others in a terminal; a request logs a bounded number of lines.

use serde::Deserialize;

use crate::error::{LogEndpoint, ProxyError};
use crate::transcode::JsonError;

/// The largest body read: the client sends at most 100 entries a request.
pub(crate) const BODY_LIMIT: usize = 256 * 1024;
/// Characters of a line logged; the rest is cut and marked.
const LINE_CHARS: usize = 2000;
/// Lines of one request logged; the rest are counted in one more line.
const MAX_LINES: usize = 500;

/// One post of the client's logger.
#[derive(Deserialize)]
struct Entry {
    /// `debug`, `info`, `warn` or `error`.
    level: String,
    /// The entries, one a line.
    message: String,
}

/// The level of an entry, as the log knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    /// The level named `name` in any case; `info` for a name the client's logger does not use.
    fn named(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "error" => Self::Error,
            "warn" | "warning" => Self::Warn,
            "debug" => Self::Debug,
            "trace" => Self::Trace,
            _ => Self::Info,
        }
    }

    fn log(self, line: &str) {
        match self {
            Self::Error => tracing::error!(target: "client", "{line}"),
            Self::Warn => tracing::warn!(target: "client", "{line}"),
            Self::Info => tracing::info!(target: "client", "{line}"),
            Self::Debug => tracing::debug!(target: "client", "{line}"),
            Self::Trace => tracing::trace!(target: "client", "{line}"),
        }
    }
}

/// Logs the entries of `body`; a body that is not `{"level": string, "message": string}` is a
/// 400 that says so, and logs nothing.
pub(crate) fn write(body: &[u8]) -> Result<(), ProxyError> {
    let entry: Entry = serde_json::from_slice(body).map_err(|err| ProxyError::ClientLog {
        endpoint: LogEndpoint::ApiLog,
        error: JsonError::from_json(err, body),
    })?;
    let level = Level::named(&entry.level);
    let mut lines = entry.message.lines().filter(|line| !line.trim().is_empty());
    for line in lines.by_ref().take(MAX_LINES) {
        level.log(&printable(line));
    }
    let rest = lines.count();
    if rest > 0 {
        level.log(&format!("({rest} more lines of this post not logged)"));
    }
    Ok(())
}

/// `line` cut to [`LINE_CHARS`] characters, control characters (escape sequences, carriage
/// returns) replaced by U+FFFD.
fn printable(line: &str) -> String {
    let mut out: String = line
        .chars()
        .take(LINE_CHARS)
        .map(|c| {
            if c.is_control() && c != '\t' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect();
    if line.chars().nth(LINE_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_in_any_case_and_unknown_ones_are_info() {
        assert_eq!(Level::named("WARN"), Level::Warn);
        assert_eq!(Level::named("warning"), Level::Warn);
        assert_eq!(Level::named("error"), Level::Error);
        assert_eq!(Level::named("Debug"), Level::Debug);
        assert_eq!(Level::named("log"), Level::Info);
        assert_eq!(Level::named(""), Level::Info);
    }

    #[test]
    fn lines_are_clipped_and_control_characters_replaced() {
        assert_eq!(printable("a\u{1b}[31mred\r"), "a\u{fffd}[31mred\u{fffd}");
        assert_eq!(printable("tab\there"), "tab\there");
        let long = "x".repeat(LINE_CHARS + 5);
        let clipped = printable(&long);
        assert_eq!(clipped.len(), LINE_CHARS + 3);
        assert!(clipped.ends_with("x..."));
    }

    #[test]
    fn a_body_of_another_shape_is_refused() {
        for body in [
            &b"not json"[..],
            br#"{"message":"no level"}"#,
            br#"{"level":"info"}"#,
            br#"{"level":3,"message":"x"}"#,
            br#"[{"level":"info","message":"x"}]"#,
        ] {
            let err = write(body).expect_err(&String::from_utf8_lossy(body));
            assert_eq!(err.status(), http::StatusCode::BAD_REQUEST, "{err}");
        }
        write(br#"{"level":"warn","message":"[WARN] one\n[WARN] two","extra":1}"#)
            .expect("the client's shape");
    }
}
