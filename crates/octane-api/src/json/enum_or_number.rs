//! Enum fields on their way to JSON.

/// An enum field on its way to JSON: the value's name when the protos know it, else its number,
/// as the proto3 JSON mapping says (a newer Octane can send values these protos do not name).
#[derive(Debug)]
pub(crate) struct EnumOrNumber<E> {
    value: i32,
    known: Option<E>,
}

impl<E: TryFrom<i32>> EnumOrNumber<E> {
    /// Wraps a raw enum field value.
    pub(crate) fn new(value: i32) -> Self {
        Self {
            value,
            known: E::try_from(value).ok(),
        }
    }
}

impl<E: serde::Serialize> serde::Serialize for EnumOrNumber<E> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.known {
            Some(known) => known.serialize(serializer),
            None => serializer.serialize_i32(self.value),
        }
    }
}
