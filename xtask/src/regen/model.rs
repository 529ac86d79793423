//! The part of the descriptor set the route and peer generators need, with Rust names resolved
//! exactly as prost and tonic name things.

use std::collections::HashMap;

use anyhow::{Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};

use super::config::Config;

/// The full name of the message every Octane object reference uses.
const OBJECT_REF: &str = "octaneapi.ObjectRef";
/// The name clients use for the target object of a call.
const OBJECT_PTR: &str = "objectPtr";

/// Every service and RPC of the proto set.
#[derive(Debug)]
pub(crate) struct Api {
    /// Services sorted by full name.
    pub services: Vec<Service>,
}

/// One gRPC service.
#[derive(Debug)]
pub(crate) struct Service {
    /// Proto package (`octaneapi`).
    pub package: String,
    /// gRPC service name without package (`ApiItemService`).
    pub name: String,
    /// Name without the `Service` suffix (`ApiItem`), as the web clients write it.
    pub short: String,
    /// Rust module path of the generated tonic code's parent module (`octaneapi`).
    pub rust_module: String,
    /// Methods sorted by name.
    pub methods: Vec<Method>,
}

/// One RPC.
#[derive(Debug)]
pub(crate) struct Method {
    /// The RPC name as in the proto (`getValueByAttrID`).
    pub name: String,
    /// Older names that resolve to this RPC too (from `regen.toml`).
    pub aliases: Vec<String>,
    pub request: MessageRef,
    pub response: MessageRef,
    pub client_streaming: bool,
    pub server_streaming: bool,
    /// The request field that the JSON key `objectPtr` stands for, when it is not `objectPtr`.
    pub object_ptr_alias: Option<String>,
}

/// A message type, by proto full name and Rust path.
#[derive(Debug, Clone)]
pub(crate) struct MessageRef {
    /// Full proto name without the leading dot (`octaneapi.ApiItem.nameRequest`).
    pub full_name: String,
    /// Rust path relative to the `octane_api` crate root (`octaneapi::api_item::NameRequest`).
    pub rust_path: String,
}

impl Service {
    /// `package.Service`, as in the gRPC path.
    pub(crate) fn full_name(&self) -> String {
        format!("{}.{}", self.package, self.name)
    }
}

impl Api {
    /// Builds the model from a compiled descriptor set.
    pub(crate) fn from_descriptors(fds: &FileDescriptorSet, config: &Config) -> Result<Self> {
        let messages = index_messages(fds);
        let mut services = Vec::new();
        for file in &fds.file {
            let package = file.package().to_owned();
            for svc in &file.service {
                let name = svc.name().to_owned();
                let short = name
                    .strip_suffix("Service")
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&name)
                    .to_owned();
                let mut methods = Vec::new();
                for m in &svc.method {
                    let request = message_ref(&messages, m.input_type())?;
                    let response = message_ref(&messages, m.output_type())?;
                    let object_ptr_alias =
                        object_ptr_alias(messages[&request.full_name].descriptor);
                    methods.push(Method {
                        name: m.name().to_owned(),
                        aliases: Vec::new(),
                        request,
                        response,
                        client_streaming: m.client_streaming(),
                        server_streaming: m.server_streaming(),
                        object_ptr_alias,
                    });
                }
                methods.sort_by(|a, b| a.name.cmp(&b.name));
                services.push(Service {
                    rust_module: package_module(&package),
                    package: package.clone(),
                    name,
                    short,
                    methods,
                });
            }
        }
        services.sort_by_key(Service::full_name);
        let mut api = Api { services };
        api.apply_aliases(config)?;
        Ok(api)
    }

    /// Attaches the `regen.toml` aliases to their methods.
    ///
    /// An alias whose service or target method the protos lack is skipped with a note: the
    /// shipped table names the SDK's renamed `ApiItem` methods, and the bundled core (or an older
    /// SDK) has only some of them.
    fn apply_aliases(&mut self, config: &Config) -> Result<()> {
        for (from, to) in &config.aliases {
            let Some((service, old)) = from.split_once('/') else {
                bail!("regen.toml: alias key {from:?} is not Service/method");
            };
            let mut matches: Vec<&mut Service> = self
                .services
                .iter_mut()
                .filter(|s| s.name == service || s.short == service || s.full_name() == service)
                .collect();
            if matches.len() > 1 {
                bail!(
                    "regen.toml: alias {from:?} names {} services; write the full name",
                    matches.len()
                );
            }
            let Some(svc) = matches.pop() else {
                eprintln!("note: regen.toml alias {from:?} skipped: no service {service:?}");
                continue;
            };
            if svc
                .methods
                .iter()
                .any(|m| m.name == old || m.aliases.iter().any(|a| a == old))
            {
                bail!("regen.toml: alias {from:?} shadows an existing method");
            }
            let Some(method) = svc.methods.iter_mut().find(|m| &m.name == to) else {
                eprintln!(
                    "note: regen.toml alias {from:?} skipped: {} has no method {to:?}",
                    svc.name
                );
                continue;
            };
            method.aliases.push(old.to_owned());
        }
        Ok(())
    }
}

struct IndexedMessage<'a> {
    descriptor: &'a DescriptorProto,
    rust_path: String,
}

/// Every message of the set by full name (no leading dot), with its prost Rust path.
fn index_messages(fds: &FileDescriptorSet) -> HashMap<String, IndexedMessage<'_>> {
    fn walk<'a>(
        out: &mut HashMap<String, IndexedMessage<'a>>,
        proto_scope: &str,
        rust_scope: &str,
        msg: &'a DescriptorProto,
    ) {
        let full = format!("{proto_scope}.{}", msg.name());
        let rust_path = format!("{rust_scope}::{}", to_upper_camel(msg.name()));
        let nested_scope = format!("{rust_scope}::{}", to_snake(msg.name()));
        for nested in &msg.nested_type {
            walk(out, &full, &nested_scope, nested);
        }
        out.insert(
            full,
            IndexedMessage {
                descriptor: msg,
                rust_path,
            },
        );
    }
    let mut out = HashMap::new();
    for file in &fds.file {
        let module = package_module(file.package());
        for msg in &file.message_type {
            walk(&mut out, file.package(), &module, msg);
        }
    }
    out
}

fn message_ref(
    messages: &HashMap<String, IndexedMessage<'_>>,
    type_name: &str,
) -> Result<MessageRef> {
    let full_name = type_name.trim_start_matches('.').to_owned();
    let Some(msg) = messages.get(&full_name) else {
        bail!("RPC type {full_name} is not a message of the set");
    };
    Ok(MessageRef {
        rust_path: msg.rust_path.clone(),
        full_name,
    })
}

/// The field `objectPtr` names in requests that call their target something else: field 1, a
/// singular `ObjectRef`, in a message without an `objectPtr` field (`item_ref`, `nodePinInfoRef`).
fn object_ptr_alias(msg: &DescriptorProto) -> Option<String> {
    if msg.field.iter().any(|f| f.name() == OBJECT_PTR) {
        return None;
    }
    msg.field
        .iter()
        .find(|f| {
            f.number() == 1
                && f.r#type() == Type::Message
                && f.label() != Label::Repeated
                && f.type_name().trim_start_matches('.') == OBJECT_REF
        })
        .map(|f| f.name().to_owned())
}

/// prost's module path for a package: each segment snake-cased.
fn package_module(package: &str) -> String {
    package
        .split('.')
        .map(to_snake)
        .collect::<Vec<_>>()
        .join("::")
}

/// prost's `to_snake` (prost-build `ident.rs`).
pub(crate) fn to_snake(s: &str) -> String {
    sanitize_identifier(s.to_snake_case())
}

/// prost's `to_upper_camel` (prost-build `ident.rs`).
pub(crate) fn to_upper_camel(s: &str) -> String {
    sanitize_identifier(s.to_upper_camel_case())
}

fn sanitize_identifier(ident: String) -> String {
    match ident.as_str() {
        "as" | "break" | "const" | "continue" | "else" | "enum" | "false" | "fn" | "for" | "if"
        | "impl" | "in" | "let" | "loop" | "match" | "mod" | "move" | "mut" | "pub" | "ref"
        | "return" | "static" | "struct" | "trait" | "true" | "type" | "unsafe" | "use"
        | "where" | "while" | "dyn" | "abstract" | "become" | "box" | "do" | "final" | "macro"
        | "override" | "priv" | "typeof" | "unsized" | "virtual" | "yield" | "async" | "await"
        | "try" | "gen" => format!("r#{ident}"),
        "_" | "super" | "self" | "Self" | "extern" | "crate" => format!("{ident}_"),
        s if s.starts_with(|c: char| c.is_numeric()) => format!("_{ident}"),
        _ => ident,
    }
}
