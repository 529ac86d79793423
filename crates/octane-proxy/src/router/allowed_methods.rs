//! The `405` of an endpoint asked with a method it does not take; its `Allow` lists OPTIONS
//! too, because the router answers a preflight on every path.

use http::Method;

use crate::ProxyError;

/// Passes GET and HEAD.
pub(super) fn only_get(method: &Method, path: &str) -> Result<(), ProxyError> {
    if method == Method::GET || method == Method::HEAD {
        Ok(())
    } else {
        Err(not_allowed(method, path, "GET, OPTIONS"))
    }
}

/// Passes POST.
pub(super) fn only_post(method: &Method, path: &str) -> Result<(), ProxyError> {
    if method == Method::POST {
        Ok(())
    } else {
        Err(not_allowed(method, path, "POST, OPTIONS"))
    }
}

fn not_allowed(method: &Method, path: &str, allow: &'static str) -> ProxyError {
    ProxyError::MethodNotAllowed {
        method: method.clone(),
        path: path.to_owned(),
        allow,
    }
}
