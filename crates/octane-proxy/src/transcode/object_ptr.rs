//! `objectPtr`, the web clients' key for a call's target object, read as the field it stands for.
//!
//! Most requests name their target `ObjectRef` field `objectPtr`. Some call it otherwise
//! (`item_ref` in `getValueByAttrID`); on those the generator sets the route's alias, and the
//! key is renamed here while the body is read, at the top level only. Renaming keys as they are
//! read, rather than rewriting the body first, keeps every error's field path, line and column
//! those of the body as the client sent it: the path tracker below this layer sees `objectPtr`.
//!
//! Every route reads its body through [`Aliased`], with or without an alias, so each request
//! type is deserialized by one deserializer type per pass (fast, then path-tracking), whatever
//! its alias: build cost grows with the number of routes, not with the input forms.

use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{DeserializeSeed, Deserializer, Error, IntoDeserializer, MapAccess, Visitor};

/// The JSON key web clients use for a call's target object.
const OBJECT_PTR: &str = "objectPtr";

/// A deserializer of a request body whose top-level `objectPtr` key is read as `alias`, the
/// proto name of the field it stands for (`item_ref`), when the route has one.
pub(super) struct Aliased<D> {
    inner: D,
    alias: Option<&'static str>,
}

impl<D> Aliased<D> {
    /// Reads `inner`, with `objectPtr` standing for `alias` when there is one.
    pub(super) fn new(inner: D, alias: Option<&'static str>) -> Self {
        Self { inner, alias }
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Aliased<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(TopLevel {
            visitor,
            alias: self.alias,
        })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(TopLevel {
            visitor,
            alias: self.alias,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(
            name,
            fields,
            TopLevel {
                visitor,
                alias: self.alias,
            },
        )
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// The request's own visitor, given the body's members with the alias renamed.
struct TopLevel<V> {
    visitor: V,
    alias: Option<&'static str>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TopLevel<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    // One path for routes with and without an alias: the request's `visit_map`, its largest
    // generated function, is instantiated once per pass, not twice.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(Members {
            map,
            alias: self.alias,
            seen: Seen::default(),
        })
    }
}

/// The body's top-level members, `objectPtr` read as the alias's field if there is one.
struct Members<A> {
    map: A,
    alias: Option<&'static str>,
    seen: Seen,
}

/// Which of the two names of the target the body has used so far.
#[derive(Default)]
struct Seen {
    object_ptr: bool,
    field: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.map.next_key_seed(Key {
            seed,
            alias: self.alias,
            seen: &mut self.seen,
        })
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// One top-level key: handed on as written, or as the alias's field if it is `objectPtr`.
struct Key<'a, K> {
    seed: K,
    alias: Option<&'static str>,
    seen: &'a mut Seen,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for Key<'_, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<K::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de, K: DeserializeSeed<'de>> Visitor<'de> for Key<'_, K> {
    type Value = K::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: Error>(self, key: &str) -> Result<K::Value, E> {
        let Some(field) = self.alias else {
            return self.seed.deserialize(into_key::<E>(key));
        };
        let both = || {
            E::custom(format_args!(
                "both `{OBJECT_PTR}` and `{field}` are set; `{OBJECT_PTR}` is another name for `{field}` in this request"
            ))
        };
        if key == OBJECT_PTR {
            if self.seen.object_ptr {
                return Err(E::duplicate_field(OBJECT_PTR));
            }
            if self.seen.field {
                return Err(both());
            }
            self.seen.object_ptr = true;
            return self.seed.deserialize(into_key::<E>(field));
        }
        // The client may name the field itself, by its proto name or its JSON name.
        if key == field || key.chars().eq(lower_camel(field)) {
            if self.seen.object_ptr {
                return Err(both());
            }
            self.seen.field = true;
        }
        self.seed.deserialize(into_key::<E>(key))
    }
}

fn into_key<E: Error>(key: &str) -> StrDeserializer<'_, E> {
    key.into_deserializer()
}

/// The proto3 JSON name of a proto field name (`item_ref` -> `itemRef`), as protoc forms it.
fn lower_camel(field: &str) -> impl Iterator<Item = char> + '_ {
    let mut upper = false;
    field.chars().filter_map(move |c| {
        if c == '_' {
            upper = true;
            None
        } else if std::mem::take(&mut upper) {
            Some(c.to_ascii_uppercase())
        } else {
            Some(c)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_camel_matches_protoc_json_names() {
        let camel = |field| lower_camel(field).collect::<String>();
        assert_eq!(camel("item_ref"), "itemRef");
        assert_eq!(camel("nodePinInfoRef"), "nodePinInfoRef");
        assert_eq!(camel("attribute_id"), "attributeId");
    }
}
