//! Generates `clients/typescript/octane-api.d.ts`: a TypeScript type for every message and enum
//! in the proxy's JSON form, and the `Services` map of every route's request and response.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::Api;
use super::schema::{Field, Kind, Types};

/// Renders the declaration file (the caller adds the `@generated` header line).
pub(super) fn generate(api: &Api, types: &Types) -> String {
    let mut out = String::from(
        "// Types of the octane-proxy HTTP API, generated from proto/. Field names are the original\n\
         // proto names, every field is optional (fields at their default value are omitted).\n\n\
         /** A 64-bit integer as a decimal string (requests may also send a number). */\n\
         export type Int64 = string;\n\
         /** Bytes as base64 text. */\n\
         export type Base64 = string;\n\
         /** A float or double (requests may also send \"NaN\", \"Infinity\", \"-Infinity\"). */\n\
         export type Float = number;\n\
         /** A request that may name its target `objectPtr`, as the web clients do, instead of `K`. */\n\
         export type WithObjectPtr<T, K extends keyof T> = T | (Omit<T, K> & { objectPtr?: T[K] });\n\n",
    );

    // Nest every type under namespaces named by its full name's prefix.
    #[derive(Default)]
    struct Scope {
        children: BTreeMap<String, Scope>,
        declarations: Vec<String>,
    }
    let mut root = Scope::default();
    let mut place = |full: &str, declaration: String| {
        let mut scope = &mut root;
        let segments: Vec<&str> = full.split('.').collect();
        for segment in &segments[..segments.len() - 1] {
            scope = scope.children.entry((*segment).to_owned()).or_default();
        }
        scope.declarations.push(declaration);
    };
    for (full, message) in &types.messages {
        let name = full
            .rsplit('.')
            .next()
            .expect("a full name has a last segment");
        let mut decl = format!("/** `{full}` */\nexport interface {name} {{\n");
        for field in &message.fields {
            write_field(&mut decl, field);
        }
        decl.push_str("}\n");
        place(full, decl);
    }
    for (full, e) in &types.enums {
        let name = full
            .rsplit('.')
            .next()
            .expect("a full name has a last segment");
        let mut names: Vec<String> = e.values.iter().map(|(n, _)| format!("{n:?}")).collect();
        names.dedup();
        place(
            full,
            format!(
                "/** `{full}`: a value name, or the number of a value this API does not name. */\nexport type {name} = {} | number;\n",
                names.join(" | ")
            ),
        );
    }
    fn render(out: &mut String, scope: &Scope) {
        for declaration in &scope.declarations {
            out.push_str(declaration);
        }
        for (name, child) in &scope.children {
            writeln!(out, "export namespace {name} {{").unwrap();
            render(out, child);
            out.push_str("}\n");
        }
    }
    render(&mut out, &root);

    out.push_str(
        "\n/** Every route: `call(service, method, request)` takes `request` and answers `response`. */\n\
         export interface Services {\n",
    );
    for svc in &api.services {
        writeln!(out, "  {:?}: {{", svc.short).unwrap();
        for m in &svc.methods {
            let streaming = match (m.client_streaming, m.server_streaming) {
                (false, false) => "unary",
                (false, true) => "server_streaming",
                (true, false) => "client_streaming",
                (true, true) => "bidi_streaming",
            };
            let message = match &m.object_ptr_alias {
                Some(field) => format!("WithObjectPtr<{}, {field:?}>", m.request.full_name),
                None => m.request.full_name.clone(),
            };
            let request = if m.client_streaming {
                format!("{message}[]")
            } else {
                message
            };
            for name in std::iter::once(&m.name).chain(&m.aliases) {
                writeln!(
                    out,
                    "    {name:?}: {{ request: {request}; response: {}; streaming: {streaming:?} }};",
                    m.response.full_name
                )
                .unwrap();
            }
        }
        out.push_str("  };\n");
    }
    out.push_str("}\n");
    out
}

fn write_field(out: &mut String, field: &Field) {
    let ty = match &field.kind {
        Kind::Bool => "boolean".to_owned(),
        Kind::Int32 { .. } => "number".to_owned(),
        Kind::Int64 { .. } => "Int64".to_owned(),
        Kind::Float => "Float".to_owned(),
        Kind::String => "string".to_owned(),
        Kind::Bytes => "Base64".to_owned(),
        Kind::Enum(name) | Kind::Message(name) => name.clone(),
    };
    let ty = if field.repeated {
        format!("{ty}[]")
    } else {
        ty
    };
    if let Some(oneof) = &field.oneof {
        writeln!(out, "  /** oneof `{oneof}` */").unwrap();
    }
    writeln!(out, "  {:?}?: {ty};", field.name).unwrap();
}
