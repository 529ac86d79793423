//! JavaScript's conversions of a JSON value (`Number(v)`, `String(v)`, `Boolean(v)`, `v | 0`,
//! `v >>> 0`, `Long.fromValue(v)`), which protobufjs `fromObject` applies to request fields.

use serde_json::Value;

/// `Number(v)`: JavaScript's ToNumber of a parsed JSON value.
pub(crate) fn to_number(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => string_to_number(s),
        Value::Array(_) => string_to_number(&to_js_string(value)),
        Value::Object(_) => f64::NAN,
    }
}

/// `String(v)`: JavaScript's ToString of a parsed JSON value.
pub(crate) fn to_js_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(u)) => u.to_string(),
            _ => number_to_string(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => s.clone(),
        // Array.prototype.join: null elements are empty, nested arrays joined in turn.
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => to_js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// JavaScript's Number::toString.
pub(crate) fn number_to_string(n: f64) -> String {
    if n == 0.0 {
        return "0".to_owned();
    }
    ryu_js::Buffer::new().format(n).to_owned()
}

/// `Boolean(v)`: false for `0`, `NaN`, `""`, `false` and `null`; true for anything else.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `v | 0`: ToInt32.
pub(crate) fn to_int32(value: &Value) -> i32 {
    if let Value::Number(n) = value
        && let Some(i) = n.as_i64()
    {
        return i as i32;
    }
    f64_to_int32(to_number(value))
}

/// ToInt32 of a number: truncated, modulo 2^32, NaN and infinities 0.
pub(crate) fn f64_to_int32(n: f64) -> i32 {
    if !n.is_finite() {
        return 0;
    }
    let wrapped = n.trunc().rem_euclid(4_294_967_296.0);
    wrapped as u32 as i32
}

/// `v >>> 0`: ToUint32.
pub(crate) fn to_uint32(value: &Value) -> u32 {
    to_int32(value) as u32
}

/// JavaScript's StringToNumber: trimmed; empty is 0; decimal, `Infinity` or `0x`/`0o`/`0b`
/// literals; anything else NaN.
fn string_to_number(s: &str) -> f64 {
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if s.is_empty() {
        return 0.0;
    }
    let radix = |prefix: &[&str], radix: u32| {
        prefix.iter().find_map(|p| s.strip_prefix(p)).map(|digits| {
            match u128::from_str_radix(digits, radix) {
                Ok(v) if !digits.starts_with('+') => v as f64,
                _ => f64::NAN,
            }
        })
    };
    if let Some(n) = radix(&["0x", "0X"], 16)
        .or_else(|| radix(&["0o", "0O"], 8))
        .or_else(|| radix(&["0b", "0B"], 2))
    {
        return n;
    }
    let unsigned = s.trim_start_matches(['+', '-']);
    match unsigned {
        "Infinity" if s.len() - unsigned.len() <= 1 => {
            if s.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        _ if s.len() - unsigned.len() <= 1
            && unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && unsigned
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) =>
        {
            s.parse().unwrap_or(f64::NAN)
        }
        _ => f64::NAN,
    }
}

/// Why `Long.fromValue` threw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LongError {
    /// `""`.
    Empty,
    /// A `-` after the first character.
    InteriorHyphen,
    /// `null` (an element of an array), whose `.low` cannot be read.
    Null,
}

impl std::fmt::Display for LongError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty string is not a 64-bit integer",
            Self::InteriorHyphen => "interior hyphen in a 64-bit integer",
            Self::Null => "null is not a 64-bit integer",
        })
    }
}

/// `Long.fromValue(v)`, as 64 bits: integers exactly, other numbers truncated and clamped to
/// the signed range, decimal strings read 8 digits at a time with wrapping arithmetic (a chunk
/// that is not a number counts 0), `{low, high}` objects by their halves, anything else 0.
pub(crate) fn to_long(value: &Value) -> Result<u64, LongError> {
    match value {
        Value::Null => Err(LongError::Null),
        Value::Number(n) => Ok(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u,
            (None, Some(i)) => i as u64,
            _ => long_from_f64(n.as_f64().unwrap_or(f64::NAN)),
        }),
        Value::String(s) => long_from_string(s),
        Value::Object(map) => {
            let half = |key| map.get(key).map_or(0, to_int32) as u32;
            Ok(u64::from(half("high")) << 32 | u64::from(half("low")))
        }
        Value::Bool(_) | Value::Array(_) => Ok(0),
    }
}

/// `Long.fromNumber`: NaN 0, truncated, clamped to the signed 64-bit range.
fn long_from_f64(n: f64) -> u64 {
    if n.is_nan() {
        0
    } else {
        // `as` saturates at the bounds, as Long.fromNumber clamps.
        n.trunc() as i64 as u64
    }
}

fn long_from_string(s: &str) -> Result<u64, LongError> {
    if s.is_empty() {
        return Err(LongError::Empty);
    }
    if matches!(s, "NaN" | "Infinity" | "+Infinity" | "-Infinity") {
        return Ok(0);
    }
    match s.find('-') {
        Some(0) => return long_from_string(&s[1..]).map(u64::wrapping_neg),
        Some(_) => return Err(LongError::InteriorHyphen),
        None => {}
    }
    let chars: Vec<char> = s.chars().collect();
    let mut result: u64 = 0;
    for chunk in chars.chunks(8) {
        let text: String = chunk.iter().collect();
        let value = long_from_f64(parse_int(&text));
        let power = 10u64.pow(chunk.len() as u32);
        result = result.wrapping_mul(power).wrapping_add(value);
    }
    Ok(result)
}

/// `parseInt(s, 10)`: leading whitespace and sign, then the longest run of digits; NaN if none.
fn parse_int(s: &str) -> f64 {
    let s = s.trim_start();
    let (sign, rest) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    sign * digits.parse::<f64>().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn int32_follows_bitwise_or() {
        assert_eq!(to_int32(&json!(2.7)), 2);
        assert_eq!(to_int32(&json!("3")), 3);
        assert_eq!(to_int32(&json!(true)), 1);
        assert_eq!(to_int32(&json!("P_X")), 0);
        assert_eq!(to_int32(&json!(4_294_967_295u64)), -1);
        assert_eq!(to_uint32(&json!(-1)), 4_294_967_295);
        assert_eq!(to_uint32(&json!("P_X")), 0);
        assert_eq!(to_int32(&json!("0x10")), 16);
        assert_eq!(to_int32(&json!([7])), 7);
    }

    #[test]
    fn numbers_and_strings_convert_as_javascript_does() {
        assert_eq!(to_number(&json!("1.5")), 1.5);
        assert_eq!(to_number(&json!(" 2 ")), 2.0);
        assert_eq!(to_number(&json!("")), 0.0);
        assert!(to_number(&json!("inf")).is_nan());
        assert_eq!(to_number(&json!("-Infinity")), f64::NEG_INFINITY);
        assert_eq!(to_js_string(&json!(1.5)), "1.5");
        assert_eq!(to_js_string(&json!(1e21)), "1e+21");
        assert_eq!(to_js_string(&json!(45.0)), "45");
        assert_eq!(to_js_string(&json!([1, null, "a"])), "1,,a");
        assert!(truthy(&json!("false")));
        assert!(!truthy(&json!(0)));
        assert!(!truthy(&json!("")));
    }

    #[test]
    fn longs_follow_long_from_value() {
        assert_eq!(to_long(&json!("1000002")), Ok(1_000_002));
        assert_eq!(to_long(&json!(1000002)), Ok(1_000_002));
        assert_eq!(to_long(&json!("18446744073709551614")), Ok(u64::MAX - 1));
        assert_eq!(to_long(&json!("-1")), Ok(u64::MAX));
        assert_eq!(to_long(&json!("abc")), Ok(0));
        assert_eq!(to_long(&json!(2.9)), Ok(2));
        assert_eq!(to_long(&json!({"low": 1, "high": 2})), Ok((2 << 32) | 1));
        assert_eq!(to_long(&json!("")), Err(LongError::Empty));
        assert_eq!(to_long(&json!("1-2")), Err(LongError::InteriorHyphen));
    }
}
