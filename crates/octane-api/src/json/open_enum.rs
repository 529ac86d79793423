//! Enum fields read from JSON.

/// An enum field read from JSON: a name the protos know, or any number in int32's range (proto3
/// enums are open: a value these protos do not name reaches Octane unchanged). Anything else is
/// read by the enum's own deserializer, so its errors are the enum's.
#[derive(Debug)]
pub(crate) struct OpenEnum<E>(pub(crate) i32, core::marker::PhantomData<E>);

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

/// Reads a number itself and hands anything else to `E`.
#[derive(Debug)]
struct OpenEnumVisitor<E>(core::marker::PhantomData<E>);

impl<'de, E> OpenEnumVisitor<E>
where
    E: serde::Deserialize<'de> + Into<i32>,
{
    /// Reads the value with `E`'s own deserializer.
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
