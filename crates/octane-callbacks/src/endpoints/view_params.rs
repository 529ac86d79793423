//! A live viewer's parameters, read from the query string of its request: `quality`,
//! `max_width`, `max_height` (the JPEG variant it watches) and `fps` (its own frame-rate cap).
//! Other parameters (`token`, `format`) are the router's or the endpoint's business and are
//! passed over here. A value that does not fit is a [`RenderError::InvalidParameter`] (400)
//! that names the parameter and says what it takes.

use std::time::Duration;

use crate::error::RenderError;
use crate::jpeg::{JpegParams, JpegParamsError};

/// The highest frame-rate cap a viewer may ask for; above it the cap would cap nothing.
const MAX_FPS: f64 = 1000.0;

/// What a viewer asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ViewParams {
    /// The JPEG variant it watches.
    pub(crate) jpeg: JpegParams,
    /// The least time between two frames sent to it, from `fps`; `None` for no cap.
    pub(crate) interval: Option<Duration>,
}

impl ViewParams {
    /// The parameters in `query` (the request's query string, if any).
    pub(crate) fn from_query(query: Option<&str>) -> Result<Self, RenderError> {
        let mut quality = None;
        let mut max_width = None;
        let mut max_height = None;
        let mut fps = None;
        for (name, value) in pairs(query) {
            let (name, slot) = match name {
                "quality" => ("quality", &mut quality),
                "max_width" => ("max_width", &mut max_width),
                "max_height" => ("max_height", &mut max_height),
                "fps" => ("fps", &mut fps),
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(invalid(name, value, "one value, not several"));
            }
        }
        let whole = |name: &'static str, value: Option<&str>, expected: &'static str| {
            value
                .map(|v| v.parse::<u32>().map_err(|_| invalid(name, v, expected)))
                .transpose()
        };
        let jpeg = JpegParams::new(
            whole("quality", quality, "a whole number from 1 to 100")?,
            whole(
                "max_width",
                max_width,
                "a whole number of pixels, at least 1",
            )?,
            whole(
                "max_height",
                max_height,
                "a whole number of pixels, at least 1",
            )?,
        )
        .map_err(|err| match err {
            JpegParamsError::Quality(_) => invalid(
                "quality",
                quality.unwrap_or_default(),
                "a whole number from 1 to 100",
            ),
            JpegParamsError::ZeroSize { field } => {
                invalid(field, "0", "a whole number of pixels, at least 1")
            }
        })?;
        let interval = fps.map(frame_interval).transpose()?;
        Ok(Self { jpeg, interval })
    }
}

/// The value of `name` in `query`, if it is there.
pub(crate) fn query_value<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    pairs(query).find_map(|(n, value)| (n == name).then_some(value))
}

/// The `name=value` pairs of a query string; a name without `=` has an empty value.
fn pairs(query: Option<&str>) -> impl Iterator<Item = (&str, &str)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// The interval of a frame-rate cap of `fps` frames a second.
fn frame_interval(fps: &str) -> Result<Duration, RenderError> {
    const EXPECTED: &str =
        "frames a second, a number above 0 and at most 1000 (0.5: one every 2 s)";
    match fps.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate <= MAX_FPS => Ok(Duration::from_secs_f64(1.0 / rate)),
        _ => Err(invalid("fps", fps, EXPECTED)),
    }
}

fn invalid(name: &'static str, value: &str, expected: &'static str) -> RenderError {
    RenderError::InvalidParameter {
        name,
        value: octane_proxy::error::clip(value),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_and_defaults_kept() {
        let params = ViewParams::from_query(None).unwrap();
        assert_eq!(params.jpeg, JpegParams::default());
        assert_eq!(params.interval, None);
        let params =
            ViewParams::from_query(Some("token=a%20b&quality=55&max_width=1280&fps=4")).unwrap();
        assert_eq!(
            params.jpeg,
            JpegParams::new(Some(55), Some(1280), None).unwrap()
        );
        assert_eq!(params.interval, Some(Duration::from_millis(250)));
    }

    #[test]
    fn a_value_that_does_not_fit_names_the_parameter() {
        for (query, message) in [
            (
                "quality=0",
                "quality=0 is not valid: a whole number from 1 to 100",
            ),
            (
                "quality=101",
                "quality=101 is not valid: a whole number from 1 to 100",
            ),
            (
                "quality=high",
                "quality=high is not valid: a whole number from 1 to 100",
            ),
            (
                "max_width=0",
                "max_width=0 is not valid: a whole number of pixels, at least 1",
            ),
            (
                "max_height=-3",
                "max_height=-3 is not valid: a whole number of pixels, at least 1",
            ),
            (
                "fps=0",
                "fps=0 is not valid: frames a second, a number above 0 and at most 1000 (0.5: one every 2 s)",
            ),
            (
                "fps=NaN",
                "fps=NaN is not valid: frames a second, a number above 0 and at most 1000 (0.5: one every 2 s)",
            ),
            ("fps=5&fps=6", "fps=6 is not valid: one value, not several"),
        ] {
            let err = ViewParams::from_query(Some(query)).unwrap_err();
            assert_eq!(err.to_string(), message, "{query}");
            assert_eq!(err.status(), http::StatusCode::BAD_REQUEST, "{query}");
        }
    }
}
