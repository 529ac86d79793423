//! The lenient JSON mode's report: the request keys the message does not have were ignored,
//! and the answer says which (`x-octane-ignored-fields`), as do the log (once per route and
//! path) and `/metrics`.

use http::Response;

use super::Inner;
use crate::body::Body;
use crate::ignored_fields;
use crate::routes::Route;
use crate::transcode::{MAX_REPORTED_PATHS, MORE_IGNORED};

/// Reports the `ignored` key paths of a call of `route` (metrics label `label`) on its
/// `response`, in the log and in the metrics.
pub(super) fn report(
    inner: &Inner,
    route: &'static Route,
    label: &str,
    ignored: &[String],
    response: &mut Response<Body>,
) {
    response.headers_mut().insert(
        ignored_fields::HEADER,
        ignored_fields::header_value(ignored),
    );
    inner.ignored_log.warn_once(route, ignored);
    let listed = ignored.iter().filter(|p| *p != MORE_IGNORED).count();
    inner.metrics.record_ignored(label.to_owned(), listed);
}

/// Adds the ignored paths of a client stream's element `index` to the request's, as paths from
/// the body's start (`[2].stray`), keeping the report bounded as one body's is.
pub(super) fn report_element(ignored: &mut Vec<String>, index: usize, element: Vec<String>) {
    for path in element {
        if ignored.last().is_some_and(|last| last == MORE_IGNORED) {
            return;
        }
        if ignored.len() == MAX_REPORTED_PATHS {
            ignored.push(MORE_IGNORED.to_owned());
            return;
        }
        ignored.push(if path == MORE_IGNORED {
            path
        } else if path.starts_with('[') {
            format!("[{index}]{path}")
        } else {
            format!("[{index}].{path}")
        });
    }
}
