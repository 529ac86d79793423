//! How strictly a request body is read beyond the proto3 JSON mapping: unknown fields and
//! numbers for bool fields.
//!
//! The generated deserializers skip a key they do not know by reading its value as
//! [`serde::de::IgnoredAny`]. [`Reader`] wraps the JSON deserializer at every depth of one pass,
//! so it sees each skip: in [`JsonMode::Lenient`] it notes the field's path and lets the skip
//! happen; in [`JsonMode::Strict`] it refuses the key where the generated code used to, with the
//! same error (`unknown field `x`, expected one of ...`) at the same place. It also reads a JSON
//! number as a bool in lenient mode, when the generated code asks for a bool.
//!
//! The path of the value being read is a chain of [`Frame`]s on the call stack, keys borrowed
//! from the body: nothing is allocated unless a field is actually ignored (or a key has escapes,
//! which must be unescaped to be kept).

mod visitors;

use std::cell::RefCell;

use serde::de::{Deserializer, Visitor};

use visitors::{ArrayVisitor, NumberAsBool, ObjectVisitor, OptionVisitor, Skip};

/// The JSON key web clients use for a call's target object, which the alias layer above may
/// rename at the top level.
const OBJECT_PTR: &str = "objectPtr";

/// How strictly request bodies are read, beyond the proto3 JSON mapping (which holds in both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JsonMode {
    /// As the old proxy read bodies, and web clients were written against: a key the request
    /// message does not have is ignored at any depth (and reported), and a JSON number for a
    /// bool field is `false` if it is 0, else `true`.
    #[default]
    Lenient,
    /// Unknown keys and numbers for bool fields are refused (400), naming the field.
    Strict,
}

/// The most distinct paths of ignored keys one body reports; a body with more stray keys (it
/// may have millions) reports these and then [`MORE_IGNORED`].
pub const MAX_REPORTED_PATHS: usize = 64;
/// The last entry of a report that stopped at [`MAX_REPORTED_PATHS`].
pub const MORE_IGNORED: &str = "...";

/// What one pass over a body shares at every depth: its mode and the fields it ignored.
pub(super) struct Reading {
    mode: JsonMode,
    ignored: RefCell<Vec<String>>,
}

impl Reading {
    pub(super) fn new(mode: JsonMode) -> Self {
        Self {
            mode,
            ignored: RefCell::new(Vec::new()),
        }
    }

    /// The paths of the fields ignored, in body order, each once, at most
    /// [`MAX_REPORTED_PATHS`] of them (then [`MORE_IGNORED`]).
    pub(super) fn into_ignored(self) -> Vec<String> {
        self.ignored.into_inner()
    }

    fn ignore(&self, at: Option<&Frame<'_>>) {
        let mut ignored = self.ignored.borrow_mut();
        if ignored.len() > MAX_REPORTED_PATHS {
            return;
        }
        let path = path(at);
        if ignored.contains(&path) {
            return;
        }
        if ignored.len() == MAX_REPORTED_PATHS {
            ignored.push(MORE_IGNORED.to_owned());
        } else {
            ignored.push(path);
        }
    }
}

/// One step of the path to the value being read.
struct Frame<'f> {
    segment: Segment<'f>,
    parent: Option<&'f Frame<'f>>,
}

enum Segment<'f> {
    /// A member of an object, by key.
    Key(&'f str),
    /// A value of a proto map field, whose key is not kept (it may need unquoting as a number
    /// or a bool, which the map's own key type does).
    MapValue,
    /// An element of an array.
    Index(usize),
}

/// The dotted path of a value (`a.b[2].c`), as serde_path_to_error writes the paths of errors.
fn path(mut at: Option<&Frame<'_>>) -> String {
    let mut segments = Vec::new();
    while let Some(frame) = at {
        segments.push(&frame.segment);
        at = frame.parent;
    }
    let mut out = String::new();
    for segment in segments.into_iter().rev() {
        match segment {
            Segment::Index(index) => out.push_str(&format!("[{index}]")),
            Segment::Key(_) | Segment::MapValue if !out.is_empty() => out.push('.'),
            _ => {}
        }
        match segment {
            Segment::Key(key) => out.push_str(key),
            Segment::MapValue => out.push('*'),
            Segment::Index(_) => {}
        }
    }
    out
}

/// A deserializer of one value of the body, and (through the visitors it hands on) of every
/// value inside it.
pub(super) struct Reader<'a, D> {
    inner: D,
    reading: &'a Reading,
    at: Option<&'a Frame<'a>>,
    /// Whether `objectPtr` is a valid key here though the message does not name it: at the top
    /// level of a request whose target field has another name.
    object_ptr_alias: bool,
}

impl<'a, D> Reader<'a, D> {
    /// Reads a whole body; `object_ptr_alias` says whether the layer above renames `objectPtr`.
    pub(super) fn body(inner: D, reading: &'a Reading, object_ptr_alias: bool) -> Self {
        Self {
            inner,
            reading,
            at: None,
            object_ptr_alias,
        }
    }
}

/// A reader of a value inside the body, at `at`.
fn nested<'a, D>(inner: D, reading: &'a Reading, at: Option<&'a Frame<'a>>) -> Reader<'a, D> {
    Reader {
        inner,
        reading,
        at,
        object_ptr_alias: false,
    }
}

/// Hands deserializer methods on to the wrapped deserializer as they are.
macro_rules! forward_to_inner {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(
                self,
                $($arg: $ty,)*
                visitor: V,
            ) -> Result<V::Value, D::Error> {
                self.inner.$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'de, 'a, D: Deserializer<'de>> Deserializer<'de> for Reader<'a, D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(
            name,
            fields,
            ObjectVisitor {
                visitor,
                reading: self.reading,
                at: self.at,
                fields: Some(fields),
                object_ptr_alias: self.object_ptr_alias,
            },
        )
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(ObjectVisitor {
            visitor,
            reading: self.reading,
            at: self.at,
            fields: None,
            object_ptr_alias: false,
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_seq(ArrayVisitor {
            visitor,
            reading: self.reading,
            at: self.at,
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_option(OptionVisitor {
            visitor,
            reading: self.reading,
            at: self.at,
        })
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        match self.reading.mode {
            JsonMode::Strict => self.inner.deserialize_bool(visitor),
            JsonMode::Lenient => self.inner.deserialize_any(NumberAsBool(visitor)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        // The generated code skips only what it does not know: this value's key is unknown.
        self.reading.ignore(self.at);
        // Skipped as values are read, within serde_json's nesting limit (its own skipping has
        // none): a body nested over 128 levels is a 400 wherever the nesting is.
        self.inner.deserialize_any(Skip)?;
        visitor.visit_unit()
    }

    forward_to_inner!(
        deserialize_any(),
        deserialize_i8(),
        deserialize_i16(),
        deserialize_i32(),
        deserialize_i64(),
        deserialize_u8(),
        deserialize_u16(),
        deserialize_u32(),
        deserialize_u64(),
        deserialize_f32(),
        deserialize_f64(),
        deserialize_char(),
        deserialize_str(),
        deserialize_string(),
        deserialize_bytes(),
        deserialize_byte_buf(),
        deserialize_unit(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_error_paths_do() {
        let root = Frame {
            segment: Segment::Key("settings"),
            parent: None,
        };
        let list = Frame {
            segment: Segment::Key("items"),
            parent: Some(&root),
        };
        let element = Frame {
            segment: Segment::Index(2),
            parent: Some(&list),
        };
        let leaf = Frame {
            segment: Segment::Key("stray"),
            parent: Some(&element),
        };
        assert_eq!(path(Some(&leaf)), "settings.items[2].stray");
        let top = Frame {
            segment: Segment::Index(0),
            parent: None,
        };
        assert_eq!(path(Some(&top)), "[0]");
        let value = Frame {
            segment: Segment::MapValue,
            parent: Some(&root),
        };
        assert_eq!(path(Some(&value)), "settings.*");
    }

    #[test]
    fn each_ignored_path_is_reported_once_in_body_order() {
        let reading = Reading::new(JsonMode::Lenient);
        for key in ["b", "a", "b", "c", "a"] {
            let frame = Frame {
                segment: Segment::Key(key),
                parent: None,
            };
            reading.ignore(Some(&frame));
        }
        assert_eq!(reading.into_ignored(), ["b", "a", "c"]);
    }

    #[test]
    fn a_body_full_of_stray_keys_reports_a_bounded_list() {
        let reading = Reading::new(JsonMode::Lenient);
        let keys: Vec<String> = (0..10_000).map(|i| format!("k{i}")).collect();
        for key in &keys {
            let frame = Frame {
                segment: Segment::Key(key),
                parent: None,
            };
            reading.ignore(Some(&frame));
        }
        let ignored = reading.into_ignored();
        assert_eq!(ignored.len(), MAX_REPORTED_PATHS + 1);
        assert_eq!(ignored[..2], ["k0", "k1"]);
        assert_eq!(ignored[MAX_REPORTED_PATHS], MORE_IGNORED);
    }
}
