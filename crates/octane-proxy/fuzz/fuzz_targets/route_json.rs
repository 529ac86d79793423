//! Routing plus JSON decoding of every generated request type.
//!
//! Input: two bytes pick a route (so every request type is reached), the rest is the JSON body,
//! decoded in both modes (lenient and strict). The same bytes, read as text, are also resolved
//! as a `/{Service}/{method}` path. Nothing may panic, a decoded request may not be out of
//! proportion to its JSON (no amplification), and what strict mode accepts lenient mode reads
//! the same, ignoring nothing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use octane_proxy::JsonMode;

fuzz_target!(|data: &[u8]| {
    let routes = octane_proxy::routes::all();
    let Some((selector, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let route = &routes[usize::from(u16::from_le_bytes(*selector)) % routes.len()];
    let lenient = route.decode_request_in(body, JsonMode::Lenient);
    if let Ok(decoded) = &lenient {
        assert!(
            decoded.message.len() <= body.len() * 16 + 16,
            "encoding grew out of proportion"
        );
    }
    if let Ok(strict) = route.decode_request_in(body, JsonMode::Strict) {
        assert!(strict.ignored.is_empty(), "strict mode ignored a key");
        assert_eq!(lenient.ok(), Some(strict), "the modes disagree on a strict body");
    }
    if let Ok(text) = std::str::from_utf8(body)
        && let Some((service, method)) = text.trim_start_matches('/').split_once('/')
    {
        let _ = octane_proxy::routes::lookup(service, method);
    }
});
