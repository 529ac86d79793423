//! Telling about the keys a lenient read ignored: a response header for the client, a warning in
//! the log once per route and field path, and a counter per route in `/metrics`.

use std::collections::HashSet;
use std::sync::Mutex;

use http::HeaderValue;

use crate::routes::Route;

/// The response header that lists the paths of the ignored keys, comma-separated.
pub(crate) const HEADER: &str = "x-octane-ignored-fields";

/// How many distinct (route, path) pairs are warned about; the set is fed by client input, so
/// it is bounded. Past it one line says so, and further new paths are counted but not logged.
pub(crate) const WARNED_PATHS_CAP: usize = 1024;

/// The longest header value written; a body with more stray keys than fit ends the list
/// with `, ...`.
const HEADER_CAP: usize = 2048;

/// The (route, field path) pairs already warned about.
#[derive(Default)]
pub(crate) struct IgnoredFieldLog {
    warned: Mutex<HashSet<(&'static str, String)>>,
}

impl IgnoredFieldLog {
    /// Logs at `warn` each path not yet logged for `route`, up to [`WARNED_PATHS_CAP`] pairs.
    pub(crate) fn warn_once(&self, route: &Route, paths: &[String]) {
        self.warn_once_at(route.path, route.short_service, route.method, paths);
    }

    fn warn_once_at(&self, key: &'static str, service: &str, method: &str, paths: &[String]) {
        let route = key;
        let mut warned = self
            .warned
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        for path in paths {
            if warned.len() > WARNED_PATHS_CAP {
                return;
            }
            if warned.contains(&(route, path.clone())) {
                continue;
            }
            if warned.len() == WARNED_PATHS_CAP {
                tracing::warn!(
                    cap = WARNED_PATHS_CAP,
                    "ignored fields: {WARNED_PATHS_CAP} distinct route and field paths logged; \
                     further new ones are not logged (they are still counted in /metrics)"
                );
                // One more entry than the cap marks the line as written.
                warned.insert(("", String::new()));
                return;
            }
            tracing::warn!(
                route = %format_args!("{service}/{method}"),
                field = %path,
                "ignored a key the request message does not have (not sent to Octane)"
            );
            warned.insert((route, path.clone()));
        }
    }
}

/// The header value listing `paths`: joined with `, `, bytes a header cannot carry replaced
/// with `?`, and clipped to [`HEADER_CAP`].
pub(crate) fn header_value(paths: &[String]) -> HeaderValue {
    let mut out = String::new();
    for (i, path) in paths.iter().enumerate() {
        let separator = if i == 0 { "" } else { ", " };
        if out.len() + separator.len() + path.len() > HEADER_CAP {
            out.push_str(if i == 0 { "..." } else { ", ..." });
            break;
        }
        out.push_str(separator);
        out.extend(path.chars().map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        }));
    }
    HeaderValue::from_str(&out).unwrap_or_else(|_| HeaderValue::from_static("..."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_lists_paths_readably_and_bounded() {
        let paths = vec!["a.b".to_owned(), "c[0].d\u{1}é".to_owned()];
        assert_eq!(header_value(&paths), "a.b, c[0].d??");
        let many: Vec<String> = (0..1000).map(|i| format!("key{i}")).collect();
        let value = header_value(&many);
        assert!(value.len() <= HEADER_CAP + 5, "{}", value.len());
        assert!(value.to_str().expect("ASCII").ends_with(", ..."));
    }

    #[test]
    fn the_warned_set_stays_bounded() {
        let log = IgnoredFieldLog::default();
        let paths: Vec<String> = (0..WARNED_PATHS_CAP * 2).map(|i| format!("k{i}")).collect();
        log.warn_once_at("/p.A/b", "A", "b", &paths);
        log.warn_once_at("/p.A/c", "A", "c", &paths);
        let warned = log.warned.lock().expect("not poisoned");
        assert_eq!(warned.len(), WARNED_PATHS_CAP + 1);
    }
}
