//! The few proto constructs the synth tree writes, rendered in the bundled core's style (two
//! spaces, fully-qualified type names with a leading dot, services before types).

use std::collections::BTreeSet;
use std::fmt::Write;

/// The file option every SDK file sets.
const OPTION: &str = "option optimize_for = CODE_SIZE;";

/// One `.proto` file.
pub(super) struct File {
    /// First comment line: what the file is for.
    pub about: String,
    /// `octaneapi` or `livelinkapi`.
    pub package: String,
    /// Files this one imports (sorted by the set).
    pub imports: BTreeSet<String>,
    /// Services, written first as in the SDK's files.
    pub services: Vec<Service>,
    /// Top-level enums.
    pub enums: Vec<Enum>,
    /// Top-level messages.
    pub messages: Vec<Message>,
}

/// A message, with everything nested in it.
#[derive(Clone, Default)]
pub(super) struct Message {
    /// Simple name.
    pub name: String,
    /// Fields outside oneofs.
    pub fields: Vec<Field>,
    /// Oneofs, written after the plain fields.
    pub oneofs: Vec<Oneof>,
    /// Nested enums.
    pub enums: Vec<Enum>,
    /// Nested messages.
    pub messages: Vec<Message>,
}

/// A field outside any oneof.
#[derive(Clone)]
pub(super) struct Field {
    /// Singular, repeated or proto3 optional.
    pub label: Label,
    /// A scalar name or a full type name with a leading dot.
    pub ty: String,
    /// Field name, verbatim (`objectPtr`, `item_ref`, `_mPrivate`).
    pub name: String,
    /// Field number.
    pub number: u32,
}

/// How a field repeats.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    /// No label.
    Singular,
    /// `repeated`.
    Repeated,
    /// proto3 `optional` (explicit presence).
    Optional,
}

/// A oneof; its members are singular fields.
#[derive(Clone)]
pub(super) struct Oneof {
    /// Oneof name (`value`, `array_value`).
    pub name: String,
    /// Members.
    pub fields: Vec<Field>,
}

/// An enum.
#[derive(Clone)]
pub(super) struct Enum {
    /// Simple name.
    pub name: String,
    /// Writes `option allow_alias = true;` (values that share a number).
    pub allow_alias: bool,
    /// Value names and numbers, in order.
    pub values: Vec<(String, i32)>,
}

/// A service.
pub(super) struct Service {
    /// gRPC service name without package.
    pub name: String,
    /// RPCs in declaration order.
    pub rpcs: Vec<Rpc>,
}

/// One unary RPC (the SDK's two streaming ones are in the bundled core); request and response
/// are full type names with a leading dot.
#[derive(Clone)]
pub(super) struct Rpc {
    /// RPC name, verbatim (`getValueByAttrID`, `type`, `begin11`).
    pub name: String,
    /// Request type.
    pub request: String,
    /// Response type.
    pub response: String,
}

impl Field {
    /// A singular field.
    pub(super) fn new(name: &str, ty: &str, number: u32) -> Self {
        Self {
            label: Label::Singular,
            ty: ty.to_owned(),
            name: name.to_owned(),
            number,
        }
    }

    /// The same field with another label.
    pub(super) fn with(mut self, label: Label) -> Self {
        self.label = label;
        self
    }
}

impl Message {
    /// A message without fields (a namespace, or a request without parameters).
    pub(super) fn empty(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// A message with plain fields.
    pub(super) fn with_fields(name: &str, fields: Vec<Field>) -> Self {
        Self {
            name: name.to_owned(),
            fields,
            ..Self::default()
        }
    }

    /// Every type name its fields refer to, nested messages included.
    pub(super) fn referenced_types(&self, out: &mut BTreeSet<String>) {
        let fields = self
            .fields
            .iter()
            .chain(self.oneofs.iter().flat_map(|o| &o.fields));
        for field in fields {
            if field.ty.starts_with('.') {
                out.insert(field.ty.clone());
            }
        }
        for nested in &self.messages {
            nested.referenced_types(out);
        }
    }
}

impl Rpc {
    /// A unary RPC.
    pub(super) fn unary(name: &str, request: &str, response: &str) -> Self {
        Self {
            name: name.to_owned(),
            request: request.to_owned(),
            response: response.to_owned(),
        }
    }
}

impl File {
    /// The file's text.
    pub(super) fn render(&self, name: &str) -> String {
        let mut out = format!(
            "// Synthetic Octane SDK file {name} (cargo xtask synth): {}\n\nsyntax = \"proto3\";\n\npackage {};\n\n",
            self.about, self.package
        );
        if !self.imports.is_empty() {
            for import in &self.imports {
                writeln!(out, "import \"{import}\";").expect("write to String");
            }
            out.push('\n');
        }
        out.push_str(OPTION);
        out.push('\n');
        for service in &self.services {
            out.push('\n');
            out.push_str(&render_service(service));
        }
        for en in &self.enums {
            out.push('\n');
            out.push_str(&render_enum(en, 0));
        }
        for msg in &self.messages {
            out.push('\n');
            out.push_str(&render_message(msg, 0));
        }
        out
    }
}

/// `service X { rpc ... }`.
pub(super) fn render_service(service: &Service) -> String {
    let mut out = format!("service {} {{\n", service.name);
    for rpc in &service.rpcs {
        out.push_str(&render_rpc(rpc));
    }
    out.push_str("}\n");
    out
}

/// One `rpc` line, indented for the inside of a service.
pub(super) fn render_rpc(rpc: &Rpc) -> String {
    format!(
        "  rpc {}({}) returns ({});\n",
        rpc.name, rpc.request, rpc.response
    )
}

/// An enum block at `depth` levels of nesting.
pub(super) fn render_enum(en: &Enum, depth: usize) -> String {
    let pad = "  ".repeat(depth);
    let mut out = format!("{pad}enum {} {{\n", en.name);
    if en.allow_alias {
        writeln!(out, "{pad}  option allow_alias = true;").expect("write to String");
    }
    for (name, number) in &en.values {
        writeln!(out, "{pad}  {name} = {number};").expect("write to String");
    }
    writeln!(out, "{pad}}}").expect("write to String");
    out
}

/// A message block at `depth` levels of nesting.
pub(super) fn render_message(msg: &Message, depth: usize) -> String {
    let pad = "  ".repeat(depth);
    let mut out = format!("{pad}message {} {{\n", msg.name);
    for field in &msg.fields {
        out.push_str(&render_field(field, depth + 1));
    }
    for oneof in &msg.oneofs {
        writeln!(out, "{pad}  oneof {} {{", oneof.name).expect("write to String");
        for field in &oneof.fields {
            out.push_str(&render_field(field, depth + 2));
        }
        writeln!(out, "{pad}  }}").expect("write to String");
    }
    for en in &msg.enums {
        out.push('\n');
        out.push_str(&render_enum(en, depth + 1));
    }
    for nested in &msg.messages {
        out.push('\n');
        out.push_str(&render_message(nested, depth + 1));
    }
    writeln!(out, "{pad}}}").expect("write to String");
    out
}

fn render_field(field: &Field, depth: usize) -> String {
    let label = match field.label {
        Label::Singular => "",
        Label::Repeated => "repeated ",
        Label::Optional => "optional ",
    };
    format!(
        "{}{label}{} {} = {};\n",
        "  ".repeat(depth),
        field.ty,
        field.name,
        field.number
    )
}
