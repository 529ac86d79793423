//! How pbjson's generated deserializers read a field's value, rewritten to follow two rules of
//! the proto3 JSON mapping that pbjson does not:
//!
//! - `null` is accepted for every field and means the field is absent. pbjson already reads
//!   messages, oneof members and proto3 `optional` fields as `Option`s (so `null` leaves them
//!   unset); scalars, enums, repeated and map fields it reads as `Some(value)`, refusing `null`.
//!   Those reads become `Option` reads too, so `null` leaves them at their default.
//! - Enums are open: a number that names no value of the enum is a valid value, as it is on
//!   output. Enum reads go through `crate::OpenEnum<E>`, which keeps any number in int32's range
//!   and hands everything else (names, out-of-range numbers, wrong types) to `E`'s own
//!   deserializer, so errors read as before.

use anyhow::{Result, bail};

/// What pbjson writes to read a field that has no presence: `Some(map_.next_value...)`.
const SOME_READ: &str = "Some(";
const NEXT_VALUE: &str = "map_.next_value";
/// pbjson's cast of a deserialized enum to the field's `i32`.
const ENUM_CAST: &str = " as i32";
const OPTION: &str = "::std::option::Option<";

/// Rewrites every field read of one package's pbjson output (see the module doc).
pub(super) fn rewrite(code: &str) -> Result<String> {
    let code = nullable_reads(code)?;
    let code = open_optional_enums(&code)?;
    if code.contains(ENUM_CAST) {
        bail!("pbjson read an enum in a form regen does not know (`{ENUM_CAST}` remains)");
    }
    Ok(code)
}

/// `Some(map_.next_value::<T>()?REST)` -> `map_.next_value::<Option<T>>()?.map(|v| vREST)`.
fn nullable_reads(code: &str) -> Result<String> {
    let mut out = String::with_capacity(code.len() + code.len() / 8);
    let mut rest = code;
    while let Some(at) = find_some_read(rest) {
        out.push_str(&rest[..at]);
        let open = at + SOME_READ.len();
        let close = matching_paren(rest, open - 1)
            .ok_or_else(|| anyhow::anyhow!("unbalanced `Some(` in pbjson output"))?;
        out.push_str(&nullable_read(rest[open..close].trim())?);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The next `Some(` whose argument starts with `map_.next_value`.
fn find_some_read(code: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = code[from..].find(SOME_READ) {
        let at = from + i;
        if code[at + SOME_READ.len()..]
            .trim_start()
            .starts_with(NEXT_VALUE)
        {
            return Some(at);
        }
        from = at + SOME_READ.len();
    }
    None
}

/// The index of the `)` that closes the `(` at `open`.
fn matching_paren(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in code[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// One read, `map_.next_value::<T>()?REST` (or `map_.next_value()?`), as an `Option` read.
fn nullable_read(read: &str) -> Result<String> {
    let after = &read[NEXT_VALUE.len()..];
    let (ty, rest) = if let Some(rest) = after.strip_prefix("()?") {
        ("_".to_owned(), rest)
    } else if let Some(typed) = after.strip_prefix("::<") {
        let end = typed
            .find(">()?")
            .ok_or_else(|| anyhow::anyhow!("unexpected pbjson read `{read}`"))?;
        (typed[..end].to_owned(), &typed[end + ">()?".len()..])
    } else {
        bail!("unexpected pbjson read `{read}`");
    };
    let rest: String = rest.trim().trim_end_matches(',').trim_end().to_owned();
    let (ty, rest) = open_enum_read(&ty, &rest);
    let read = format!("{NEXT_VALUE}::<{OPTION}{ty}>>()?");
    Ok(if rest.is_empty() {
        read
    } else {
        format!("{read}.map(|v| v{rest})")
    })
}

/// A singular, repeated or map-valued enum read, as a read of `OpenEnum`s.
fn open_enum_read(ty: &str, rest: &str) -> (String, String) {
    if rest == ENUM_CAST.trim_start() {
        // A singular enum: `E` read, then cast.
        return (format!("crate::OpenEnum<{ty}>"), ".0".to_owned());
    }
    if let Some(element) = ty
        .strip_prefix("Vec<")
        .and_then(|t| t.strip_suffix('>'))
        .filter(|_| rest.contains("x as i32"))
    {
        return (
            format!("Vec<crate::OpenEnum<{element}>>"),
            rest.replace("x as i32", "x.0"),
        );
    }
    if rest.contains("v as i32")
        && let Some(comma) = ty.rfind(", ")
        && let Some(value) = ty[comma + 2..].strip_suffix('>')
    {
        // A map whose values are enums: `HashMap<K, E>`.
        return (
            format!("{}, crate::OpenEnum<{value}>>", &ty[..comma]),
            rest.replace("v as i32", "v.0"),
        );
    }
    (ty.to_owned(), rest.to_owned())
}

/// Enum fields with presence (proto3 `optional`, oneof members), which pbjson already reads as
/// `Option<E>` and casts in the closure: `Option<E>>()?.map(|x| F(x as i32))`.
fn open_optional_enums(code: &str) -> Result<String> {
    let mut out = String::with_capacity(code.len());
    for line in code.split_inclusive('\n') {
        if !line.contains("x as i32") {
            out.push_str(line);
            continue;
        }
        let Some(start) = line.find(OPTION) else {
            bail!("unexpected pbjson enum read `{}`", line.trim());
        };
        let ty_start = start + OPTION.len();
        let Some(ty_len) = line[ty_start..].find(">>()?") else {
            bail!("unexpected pbjson enum read `{}`", line.trim());
        };
        out.push_str(&line[..ty_start]);
        out.push_str(&format!(
            "crate::OpenEnum<{}>",
            &line[ty_start..ty_start + ty_len]
        ));
        out.push_str(&line[ty_start + ty_len..].replace("x as i32", "x.0"));
    }
    Ok(out)
}

/// The runtime half, appended to the api crate's `lib.rs`.
pub(super) const OPEN_ENUM: &str = r#"
/// An enum field read from JSON: a name the protos know, or any number in int32's range (proto3
/// enums are open: a value these protos do not name reaches Octane unchanged). Anything else is
/// read by the enum's own deserializer, so its errors are the enum's.
#[doc(hidden)]
pub struct OpenEnum<E>(pub i32, core::marker::PhantomData<E>);

impl<'de, E> serde::Deserialize<'de> for OpenEnum<E>
where
    E: serde::Deserialize<'de> + Into<i32>,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(OpenEnumVisitor::<E>(core::marker::PhantomData))
            .map(|value| OpenEnum(value, core::marker::PhantomData))
    }
}

struct OpenEnumVisitor<E>(core::marker::PhantomData<E>);

impl<'de, E> OpenEnumVisitor<E>
where
    E: serde::Deserialize<'de> + Into<i32>,
{
    fn named<D: serde::Deserializer<'de>>(deserializer: D) -> Result<i32, D::Error> {
        E::deserialize(deserializer).map(Into::into)
    }
}

impl<'de, E> serde::de::Visitor<'de> for OpenEnumVisitor<E>
where
    E: serde::Deserialize<'de> + Into<i32>,
{
    type Value = i32;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("an enum value's name or number")
    }

    fn visit_i64<Er: serde::de::Error>(self, v: i64) -> Result<i32, Er> {
        use serde::de::IntoDeserializer;
        i32::try_from(v).or_else(|_| Self::named(v.into_deserializer()))
    }

    fn visit_u64<Er: serde::de::Error>(self, v: u64) -> Result<i32, Er> {
        use serde::de::IntoDeserializer;
        i32::try_from(v).or_else(|_| Self::named(v.into_deserializer()))
    }

    fn visit_f64<Er: serde::de::Error>(self, v: f64) -> Result<i32, Er> {
        use serde::de::IntoDeserializer;
        Self::named(v.into_deserializer())
    }

    fn visit_bool<Er: serde::de::Error>(self, v: bool) -> Result<i32, Er> {
        use serde::de::IntoDeserializer;
        Self::named(v.into_deserializer())
    }

    fn visit_str<Er: serde::de::Error>(self, v: &str) -> Result<i32, Er> {
        Self::named(serde::de::value::StrDeserializer::new(v))
    }

    fn visit_unit<Er: serde::de::Error>(self) -> Result<i32, Er> {
        Self::named(serde::de::value::UnitDeserializer::new())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<i32, A::Error> {
        Self::named(serde::de::value::SeqAccessDeserializer::new(seq))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<i32, A::Error> {
        Self::named(serde::de::value::MapAccessDeserializer::new(map))
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_without_presence_become_option_reads() {
        let code = "a__ = Some(map_.next_value()?);\n\
                    b__ = \n    Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)\n;\n\
                    c__ = Some(map_.next_value::<Vec<::pbjson::private::NumberDeserialize<_>>>()?\n        .into_iter().map(|x| x.0).collect())\n;\n\
                    d__ = Some(map_.next_value::<ImageType>()? as i32);\n\
                    e__ = Some(map_.next_value::<Vec<PinId>>()?.into_iter().map(|x| x as i32).collect());\n\
                    f__ = Some(\n    map_.next_value::<std::collections::HashMap<_, Mode>>()?\n        .into_iter().map(|(k,v)| (k, v as i32)).collect()\n);\n\
                    g__ = map_.next_value()?;\n";
        let out = rewrite(code).expect("known shapes");
        assert_eq!(
            out,
            "a__ = map_.next_value::<::std::option::Option<_>>()?;\n\
             b__ = \n    map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|v| v.0)\n;\n\
             c__ = map_.next_value::<::std::option::Option<Vec<::pbjson::private::NumberDeserialize<_>>>>()?.map(|v| v.into_iter().map(|x| x.0).collect())\n;\n\
             d__ = map_.next_value::<::std::option::Option<crate::OpenEnum<ImageType>>>()?.map(|v| v.0);\n\
             e__ = map_.next_value::<::std::option::Option<Vec<crate::OpenEnum<PinId>>>>()?.map(|v| v.into_iter().map(|x| x.0).collect());\n\
             f__ = map_.next_value::<::std::option::Option<std::collections::HashMap<_, crate::OpenEnum<Mode>>>>()?.map(|v| v.into_iter().map(|(k,v)| (k, v.0)).collect());\n\
             g__ = map_.next_value()?;\n"
        );
    }

    #[test]
    fn enums_with_presence_are_read_open() {
        let code = "x__ = map_.next_value::<::std::option::Option<Mode>>()?.map(|x| x as i32);\n\
                    y__ = map_.next_value::<::std::option::Option<Mode>>()?.map(|x| o::Value::M(x as i32));\n";
        assert_eq!(
            rewrite(code).expect("known shapes"),
            "x__ = map_.next_value::<::std::option::Option<crate::OpenEnum<Mode>>>()?.map(|x| x.0);\n\
             y__ = map_.next_value::<::std::option::Option<crate::OpenEnum<Mode>>>()?.map(|x| o::Value::M(x.0));\n"
        );
    }

    #[test]
    fn an_unknown_enum_read_is_refused() {
        assert!(rewrite("z__ = Some(other(map_.next_value::<Mode>()? as i32));\n").is_err());
    }
}
