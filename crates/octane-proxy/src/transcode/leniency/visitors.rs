//! The visitors and accessors [`Reader`](super::Reader) hands the generated code: each passes
//! values on as they are, except where it wraps a nested value in a reader at its path, checks a
//! key, or reads a number as a bool.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Frame, JsonMode, OBJECT_PTR, Reading, Segment, nested};

/// Hands a visitor every value as is, except those the wrapper's `visit_*` methods change.
macro_rules! forward_visits {
    ($($method:ident($($ty:ty)?)),* $(,)?) => {
        $(forward_visits!(@one $method $($ty)?);)*
    };
    (@one $method:ident $ty:ty) => {
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.visitor.$method(v)
        }
    };
    (@one $method:ident) => {
        fn $method<E: de::Error>(self) -> Result<Self::Value, E> {
            self.visitor.$method()
        }
    };
}

/// The scalar visits every wrapping visitor hands on unchanged.
macro_rules! forward_scalar_visits {
    () => {
        forward_visits!(
            visit_bool(bool),
            visit_i8(i8),
            visit_i16(i16),
            visit_i32(i32),
            visit_i64(i64),
            visit_i128(i128),
            visit_u8(u8),
            visit_u16(u16),
            visit_u32(u32),
            visit_u64(u64),
            visit_u128(u128),
            visit_f32(f32),
            visit_f64(f64),
            visit_char(char),
            visit_str(&str),
            visit_borrowed_str(&'de str),
            visit_string(String),
            visit_bytes(&[u8]),
            visit_borrowed_bytes(&'de [u8]),
            visit_byte_buf(Vec<u8>),
            visit_unit(),
        );

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.visitor.expecting(f)
        }

        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            self.visitor.visit_enum(data)
        }
    };
}

/// The visitor of a message (`fields` set) or a proto map field, handed the members through
/// [`Members`].
pub(super) struct ObjectVisitor<'a, V> {
    pub(super) visitor: V,
    pub(super) reading: &'a Reading,
    pub(super) at: Option<&'a Frame<'a>>,
    pub(super) fields: Option<&'static [&'static str]>,
    pub(super) object_ptr_alias: bool,
}

impl<'de, 'a, V: Visitor<'de>> Visitor<'de> for ObjectVisitor<'a, V> {
    type Value = V::Value;

    forward_scalar_visits!();
    forward_visits!(visit_none());

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(Members {
            map,
            reading: self.reading,
            at: self.at,
            fields: self.fields,
            object_ptr_alias: self.object_ptr_alias,
            key: None,
        })
    }
}

/// The members of an object, each value read through a [`Reader`] that knows its path.
struct Members<'a, 'de, A> {
    map: A,
    reading: &'a Reading,
    at: Option<&'a Frame<'a>>,
    fields: Option<&'static [&'static str]>,
    object_ptr_alias: bool,
    /// The key of the member being read (a message's only; a map's keys are read by the map).
    key: Option<Cow<'de, str>>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(fields) = self.fields else {
            return self.map.next_key_seed(seed);
        };
        let strict = self.reading.mode == JsonMode::Strict;
        self.map.next_key_seed(FieldKey {
            seed,
            key: &mut self.key,
            known: strict.then_some(fields),
            object_ptr_alias: self.object_ptr_alias,
        })
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let segment = match (&self.fields, &self.key) {
            (Some(_), Some(key)) => Segment::Key(key),
            _ => Segment::MapValue,
        };
        let frame = Frame {
            segment,
            parent: self.at,
        };
        self.map.next_value_seed(Value {
            seed,
            reading: self.reading,
            at: &frame,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A message's key: kept for the path, and in strict mode checked against the message's fields
/// (`known`) before the generated code sees it, which would skip it.
struct FieldKey<'k, 'de, K> {
    seed: K,
    key: &'k mut Option<Cow<'de, str>>,
    known: Option<&'static [&'static str]>,
    object_ptr_alias: bool,
}

impl<'de, K: DeserializeSeed<'de>> FieldKey<'_, 'de, K> {
    fn check<E: de::Error>(&self, key: &str) -> Result<(), E> {
        match self.known {
            Some(fields)
                if !(fields.contains(&key) || self.object_ptr_alias && key == OBJECT_PTR) =>
            {
                Err(E::unknown_field(key, fields))
            }
            _ => Ok(()),
        }
    }
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for FieldKey<'_, 'de, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<K::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de, K: DeserializeSeed<'de>> Visitor<'de> for FieldKey<'_, 'de, K> {
    type Value = K::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<K::Value, E> {
        self.check(key)?;
        *self.key = Some(Cow::Borrowed(key));
        self.seed.deserialize(BorrowedStrDeserializer::new(key))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<K::Value, E> {
        self.check(key)?;
        // A key with escapes, unescaped into a buffer that does not outlive this call.
        *self.key = Some(Cow::Owned(key.to_owned()));
        self.seed.deserialize(StrDeserializer::new(key))
    }
}

/// The seed of a member's value or an element, given a [`Reader`] at the value's path.
struct Value<'a, S> {
    seed: S,
    reading: &'a Reading,
    at: &'a Frame<'a>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Value<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.seed
            .deserialize(nested(deserializer, self.reading, Some(self.at)))
    }
}

/// The visitor of a repeated field, handed the elements through [`Elements`].
pub(super) struct ArrayVisitor<'a, V> {
    pub(super) visitor: V,
    pub(super) reading: &'a Reading,
    pub(super) at: Option<&'a Frame<'a>>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for ArrayVisitor<'_, V> {
    type Value = V::Value;

    forward_scalar_visits!();
    forward_visits!(visit_none());

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(Elements {
            seq,
            reading: self.reading,
            at: self.at,
            index: 0,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(map)
    }
}

/// The elements of an array, each read through a [`Reader`] that knows its index.
struct Elements<'a, A> {
    seq: A,
    reading: &'a Reading,
    at: Option<&'a Frame<'a>>,
    index: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Elements<'_, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let frame = Frame {
            segment: Segment::Index(self.index),
            parent: self.at,
        };
        self.index += 1;
        self.seq.next_element_seed(Value {
            seed,
            reading: self.reading,
            at: &frame,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// The visitor of a field read as an `Option` (every field: `null` is absent), handed the
/// present value through a [`Reader`].
pub(super) struct OptionVisitor<'a, V> {
    pub(super) visitor: V,
    pub(super) reading: &'a Reading,
    pub(super) at: Option<&'a Frame<'a>>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for OptionVisitor<'_, V> {
    type Value = V::Value;

    forward_scalar_visits!();
    forward_visits!(visit_none());

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(nested(d, self.reading, self.at))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(map)
    }
}

/// Reads a value of any shape, keeping nothing.
pub(super) struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Skip, D::Error> {
        deserializer.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<de::IgnoredAny, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// A bool visitor that also takes a JSON number, as the old proxy (and Python's `bool()`) did:
/// 0 is false, any other number true.
pub(super) struct NumberAsBool<V>(pub(super) V);

impl<'de, V: Visitor<'de>> Visitor<'de> for NumberAsBool<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.0.visit_bool(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.0.visit_bool(v != 0)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.0.visit_bool(v != 0)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.0.visit_bool(v != 0.0)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.0.visit_str(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }
}
