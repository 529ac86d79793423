//! Generates the proxy's route table (`crates/octane-proxy/src/routes/table.rs`): one statically
//! typed entry per RPC and the `match` that resolves every accepted service and method name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::model::{Api, Method, Service};

/// Renders the route table module.
pub(super) fn generate(api: &Api) -> String {
    let mut out = String::new();
    let routes: Vec<(&Service, &Method)> = api
        .services
        .iter()
        .flat_map(|s| s.methods.iter().map(move |m| (s, m)))
        .collect();

    out.push_str(
        "//! The route table: one statically typed route per RPC of `proto/`, and the `match`es that\n\
         //! resolve every accepted spelling of a service and method name.\n\n\
         use octane_api as api;\n\n\
         use super::{Route, RouteKind, ServiceEntry};\n\
         use crate::transcode::Transcoder;\n\n",
    );

    writeln!(
        out,
        "/// Every route, sorted by service full name, then method name."
    )
    .unwrap();
    writeln!(
        out,
        "pub(super) static ROUTES: [Route; {}] = [",
        routes.len()
    )
    .unwrap();
    for (svc, m) in &routes {
        let kind = match (m.client_streaming, m.server_streaming) {
            (false, false) => "Unary",
            (false, true) => "ServerStreaming",
            (true, false) => "ClientStreaming",
            (true, true) => "BidiStreaming",
        };
        let aliases: Vec<String> = m.aliases.iter().map(|a| format!("{a:?}")).collect();
        let alias = match &m.object_ptr_alias {
            Some(field) => format!("Some({field:?})"),
            None => "None".to_owned(),
        };
        let fields = [
            ("package", format!("{:?}", svc.package)),
            ("service", format!("{:?}", svc.name)),
            ("short_service", format!("{:?}", svc.short)),
            ("method", format!("{:?}", m.name)),
            ("aliases", format!("&[{}]", aliases.join(", "))),
            ("path", format!("\"/{}/{}\"", svc.full_name(), m.name)),
            ("request_type", format!("{:?}", m.request.full_name)),
            ("response_type", format!("{:?}", m.response.full_name)),
            ("kind", format!("RouteKind::{kind}")),
            ("object_ptr_alias", alias),
            (
                "transcoder",
                format!(
                    "Transcoder::new::<\n            api::{},\n            api::{},\n        >()",
                    m.request.rust_path, m.response.rust_path
                ),
            ),
        ];
        out.push_str("    Route {\n");
        for (name, value) in fields {
            writeln!(out, "        {name}: {value},").unwrap();
        }
        out.push_str("    },\n");
    }
    out.push_str("];\n\n");

    writeln!(
        out,
        "/// Every service with the range of its routes in [`ROUTES`]."
    )
    .unwrap();
    writeln!(
        out,
        "pub(super) static SERVICES: [ServiceEntry; {}] = [",
        api.services.len()
    )
    .unwrap();
    let mut start = 0;
    for svc in &api.services {
        let end = start + svc.methods.len();
        writeln!(
            out,
            "ServiceEntry {{ package: {:?}, name: {:?}, short: {:?}, routes: {start}..{end} }},",
            svc.package, svc.name, svc.short
        )
        .unwrap();
        start = end;
    }
    out.push_str("];\n\n");

    out.push_str(
        "/// Resolves a service name in any accepted form (`ApiItem`, `octaneapi.ApiItem`,\n\
         /// `ApiItemService`, `octaneapi.ApiItemService`) to its index in [`SERVICES`].\n\
         pub(super) fn service_index(name: &str) -> Option<usize> {\n\
         Some(match name {\n",
    );
    for (ix, forms) in service_name_forms(api) {
        let forms: Vec<String> = forms.iter().map(|f| format!("{f:?}")).collect();
        writeln!(out, "{} => {ix},", forms.join(" | ")).unwrap();
    }
    out.push_str("_ => return None,\n})\n}\n\n");

    out.push_str(
        "/// Resolves a method name (or a configured alias) of service `service` to its index in\n\
         /// [`ROUTES`].\n\
         pub(super) fn route_index(service: usize, method: &str) -> Option<usize> {\n\
         Some(match (service, method) {\n",
    );
    let mut route_ix = 0;
    for (svc_ix, svc) in api.services.iter().enumerate() {
        for m in &svc.methods {
            let names: Vec<String> = std::iter::once(&m.name)
                .chain(&m.aliases)
                .map(|n| format!("{n:?}"))
                .collect();
            writeln!(out, "({svc_ix}, {}) => {route_ix},", names.join(" | ")).unwrap();
            route_ix += 1;
        }
    }
    out.push_str("_ => return None,\n})\n}\n");
    out
}

/// Every accepted spelling of every service name, grouped by service index.
///
/// A service's own names (`zz.FooService`, `FooService`) are claimed first, and the short forms
/// (`zz.Foo`, `Foo`) only where they are no service's own name: `Foo` is service `Foo` when
/// there is one beside `FooService`. A form two services share (the same short name in two
/// packages) resolves to neither and is reported, so a call never lands on a guess.
fn service_name_forms(api: &Api) -> BTreeMap<usize, Vec<String>> {
    let mut owner: BTreeMap<String, Option<usize>> = BTreeMap::new();
    let claim = |owner: &mut BTreeMap<String, Option<usize>>, form: String, ix: usize| {
        owner
            .entry(form)
            .and_modify(|o| {
                if *o != Some(ix) {
                    *o = None;
                }
            })
            .or_insert(Some(ix));
    };
    for (ix, svc) in api.services.iter().enumerate() {
        claim(&mut owner, svc.full_name(), ix);
        claim(&mut owner, svc.name.clone(), ix);
    }
    let own_names: BTreeSet<String> = owner.keys().cloned().collect();
    for (ix, svc) in api.services.iter().enumerate() {
        for form in [format!("{}.{}", svc.package, svc.short), svc.short.clone()] {
            if !own_names.contains(&form) {
                claim(&mut owner, form, ix);
            }
        }
    }
    let mut forms: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (form, ix) in owner {
        match ix {
            Some(ix) => forms.entry(ix).or_default().push(form),
            None => eprintln!(
                "warning: service name {form:?} is ambiguous; only qualified names resolve"
            ),
        }
    }
    forms
}
