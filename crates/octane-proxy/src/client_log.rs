//! `POST /debug/append-log`: the old proxy's route for octaneWeb's debug console, which posts
//! every console line (`{"sessionId":"...","logEntry":"...","timestamp":"..."}`). Each entry is
//! written to the proxy's log at `info` under the target `client`, with the session id.

use std::borrow::Cow;

use crate::error::{LogEndpoint, ProxyError};
use crate::transcode::JsonError;

/// The route's path; other paths under `/debug/` are not served.
pub(crate) const PATH: &str = "/debug/append-log";
/// The largest body accepted; larger ones answer 413, as any body over its route's limit.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;
/// The longest entry written, in characters; a longer one is clipped and marked.
pub(crate) const ENTRY_CAP: usize = 2000;
/// The longest session id and timestamp written, in characters.
const TAG_CAP: usize = 64;

/// One console line. Other keys are ignored: the body is a log line, not a request to Octane.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    #[serde(default, borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    log_entry: Cow<'a, str>,
    #[serde(default, borrow)]
    timestamp: Option<Cow<'a, str>>,
}

/// Writes the entry in `body` to the log, or says why the body is not one (400).
pub(crate) fn append(body: &[u8]) -> Result<(), ProxyError> {
    let entry: Entry<'_> = serde_json::from_slice(body).map_err(|err| ProxyError::ClientLog {
        endpoint: LogEndpoint::AppendLog,
        error: JsonError::from_json(err, body),
    })?;
    let session = clip(entry.session_id.as_deref().unwrap_or_default(), TAG_CAP);
    let timestamp = clip(entry.timestamp.as_deref().unwrap_or_default(), TAG_CAP);
    // Debug formatting escapes line breaks and quotes: a client cannot forge other log lines.
    tracing::info!(
        target: "client",
        session_id = ?session,
        timestamp = ?timestamp,
        entry = ?clip(&entry.log_entry, ENTRY_CAP),
    );
    Ok(())
}

/// `text` cut to `cap` characters, marked when cut.
fn clip(text: &str, cap: usize) -> Cow<'_, str> {
    match text.char_indices().nth(cap) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{} [clipped]", &text[..end])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_entries_are_clipped_on_a_character_boundary() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("ééé", 2), "éé [clipped]");
    }

    #[test]
    fn bodies_that_are_no_entry_say_why() {
        assert!(append(br#"{"sessionId":"s","logEntry":"line","timestamp":"t","x":1}"#).is_ok());
        assert!(append(br#"{"logEntry":"line"}"#).is_ok());
        for (body, syntax) in [
            (&br#"{"sessionId":"s"}"#[..], false),
            (br#"{"logEntry":5}"#, false),
            (br#"["line"]"#, false),
            (br#"{"logEntry":"#, true),
        ] {
            let Err(ProxyError::ClientLog { error, .. }) = append(body) else {
                panic!("{} was accepted", String::from_utf8_lossy(body));
            };
            assert_eq!(error.syntax, syntax, "{error}");
        }
    }
}
