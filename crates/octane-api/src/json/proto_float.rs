//! Float fields on their way to JSON.

/// A float field on its way to JSON: non-finite values as the strings proto3 JSON uses
/// (`"NaN"`, `"Infinity"`, `"-Infinity"`), where serde_json would write `null`.
#[derive(Debug)]
pub(crate) struct ProtoFloat<T>(pub(crate) T);

/// What `ProtoFloat` can wrap: `f32`, `f64`, and lists of them.
pub(crate) trait FloatValues {
    /// Serializes the value(s), non-finite ones as strings.
    fn serialize_proto<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
}

/// The proto3 JSON string of a non-finite value.
fn non_finite(value: f64) -> Option<&'static str> {
    if value.is_nan() {
        Some("NaN")
    } else if value.is_infinite() {
        Some(if value > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        None
    }
}

impl FloatValues for f32 {
    fn serialize_proto<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match non_finite(f64::from(*self)) {
            Some(name) => serializer.serialize_str(name),
            None => serializer.serialize_f32(*self),
        }
    }
}

impl FloatValues for f64 {
    fn serialize_proto<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match non_finite(*self) {
            Some(name) => serializer.serialize_str(name),
            None => serializer.serialize_f64(*self),
        }
    }
}

impl<T: FloatValues> FloatValues for Vec<T> {
    fn serialize_proto<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for value in self {
            seq.serialize_element(&ProtoFloat(value))?;
        }
        seq.end()
    }
}

impl<T: FloatValues> serde::Serialize for ProtoFloat<&T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_proto(serializer)
    }
}
