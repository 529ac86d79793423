//! Generates the test peer's server trait impls (`crates/octane-test-peer/src/services.rs`):
//! every RPC hands its request to the peer's shared, type-independent recorder.

use std::fmt::Write;

use super::model::{Api, to_snake, to_upper_camel};

/// Renders the test peer's service module.
pub(super) fn generate(api: &Api) -> String {
    let mut out = String::from(
        "//! Server trait impls for every service of `proto/`: each RPC hands its request to\n\
         //! [`PeerService`], which records it and answers what the test set.\n\n\
         use octane_api as api;\n\n\
         use crate::PeerService;\n\n",
    );
    for svc in &api.services {
        let trait_name = to_upper_camel(&svc.name);
        let server_mod = format!("{}_server", naive_snake_case(&trait_name));
        let module = format!("api::{}::{server_mod}", svc.rust_module);
        writeln!(
            out,
            "#[tonic::async_trait]\nimpl {module}::{trait_name} for PeerService {{"
        )
        .unwrap();
        for m in &svc.methods {
            let path = format!("/{}/{}", svc.full_name(), m.name);
            let req = format!("api::{}", m.request.rust_path);
            let resp = format!("api::{}", m.response.rust_path);
            let fn_name = to_snake(&m.name);
            match (m.client_streaming, m.server_streaming) {
                (false, false) => writeln!(
                    out,
                    "async fn {fn_name}(&self, request: tonic::Request<{req}>) -> Result<tonic::Response<{resp}>, tonic::Status> {{ self.unary({path:?}, request).await }}"
                ),
                (false, true) => writeln!(
                    out,
                    "type {}Stream = crate::ReplyStream<{resp}>;\n\
                     async fn {fn_name}(&self, request: tonic::Request<{req}>) -> Result<tonic::Response<Self::{}Stream>, tonic::Status> {{ self.server_streaming({path:?}, request).await }}",
                    m.name, m.name
                ),
                (true, false) => writeln!(
                    out,
                    "async fn {fn_name}(&self, request: tonic::Request<tonic::Streaming<{req}>>) -> Result<tonic::Response<{resp}>, tonic::Status> {{ self.client_streaming({path:?}, request).await }}"
                ),
                (true, true) => writeln!(
                    out,
                    "type {}Stream = crate::ReplyStream<{resp}>;\n\
                     async fn {fn_name}(&self, _request: tonic::Request<tonic::Streaming<{req}>>) -> Result<tonic::Response<Self::{}Stream>, tonic::Status> {{ Err(tonic::Status::unimplemented(\"the test peer does not script bidirectional streams\")) }}",
                    m.name, m.name
                ),
            }
            .unwrap();
        }
        out.push_str("}\n\n");
    }

    out.push_str(
        "/// Every service of `proto/`, served by `peer`, as one tonic router.\n\
         pub(crate) fn routes(peer: &PeerService, max_message_size: usize) -> tonic::service::Routes {\n\
         let mut routes = tonic::service::RoutesBuilder::default();\n",
    );
    for svc in &api.services {
        let trait_name = to_upper_camel(&svc.name);
        let server_mod = format!("{}_server", naive_snake_case(&trait_name));
        writeln!(
            out,
            "routes.add_service(api::{}::{server_mod}::{trait_name}Server::new(peer.clone()).max_decoding_message_size(max_message_size).max_encoding_message_size(max_message_size));",
            svc.rust_module
        )
        .unwrap();
    }
    out.push_str("routes.routes()\n}\n");
    out
}

/// tonic-build's module naming for a service (`ApiItemService` -> `api_item_service`).
fn naive_snake_case(name: &str) -> String {
    let mut s = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        s.push(c.to_ascii_lowercase());
        if chars.peek().is_some_and(|next| next.is_uppercase()) {
            s.push('_');
        }
    }
    s
}
