//! `POST /api/grpc/{service}/{method}`: the proxy's second JSON dialect, the one octaneWebR's
//! backend speaks (`docs/webr-grpc.md`): requests read with protobufjs `fromObject`'s
//! leniency, replies in `@grpc/proto-loader`'s `toObject` shape without an envelope, failures as
//! `500 {"error","service","method","code"}`.
//!
//! It is another JSON form of the same typed messages and the same routes: names resolve
//! through the generated route table, and a compact schema table generated with it
//! (`table.rs`: messages, fields, enums, each route's two messages) drives one hand-written
//! codec, so the dialect adds static data to the build, not code per message.

mod error;
mod js_coerce;
mod reply;
mod request;
mod schema;
mod table;

use http::StatusCode;

use crate::body::Body;
use crate::routes::{self, LookupError, Route, RouteKind};

pub(crate) use error::DialectError;
pub(crate) use schema::RouteSchema;

/// The path prefix of the dialect's routes.
pub(crate) const PREFIX: &str = "/api/grpc/";

/// The service and method segments of a path below [`PREFIX`], as the client wrote them.
pub(crate) fn names(rest: &str) -> (&str, &str) {
    rest.split_once('/').unwrap_or((rest, ""))
}

/// Resolves `{service}/{method}` (the path below [`PREFIX`]) to a unary route and its schema:
/// every name form of the default routes, plus the lowerCamel method names grpc-js also
/// answers to (`LiveLink/getCamera`).
pub(crate) fn resolve(rest: &str) -> Result<(&'static Route, &'static RouteSchema), DialectError> {
    let (service, method) = names(rest);
    if service.is_empty() || method.is_empty() || method.contains('/') {
        return Err(DialectError::BadPath);
    }
    let index = match routes::lookup_index(service, method) {
        Err(LookupError::UnknownMethod {
            service: grpc_service,
            suggestions,
        }) => match table::camel_case_alias(grpc_service, method) {
            Some(rpc) => routes::lookup_index(service, rpc),
            None => Err(LookupError::UnknownMethod {
                service: grpc_service,
                suggestions,
            }),
        },
        found => found,
    }
    .map_err(|error| DialectError::Lookup {
        service: service.to_owned(),
        method: method.to_owned(),
        error,
    })?;
    let route = &routes::all()[index];
    if route.kind != RouteKind::Unary {
        return Err(DialectError::Streaming { kind: route.kind });
    }
    let schema = &table::ROUTES[index];
    debug_assert_eq!(
        schema.path, route.path,
        "the schema table follows the route table"
    );
    Ok((route, schema))
}

/// The protobuf encoding of a request body, read as protobufjs `fromObject` reads it.
pub(crate) fn encode_request(schema: &RouteSchema, body: &[u8]) -> Result<Vec<u8>, DialectError> {
    request::encode(schema, body).map_err(DialectError::Request)
}

/// A `200` answer with the reply in proto-loader's JSON shape.
pub(crate) fn reply(
    route: &'static Route,
    schema: &RouteSchema,
    protobuf: &[u8],
) -> Result<http::Response<Body>, DialectError> {
    let mut out = Vec::with_capacity(protobuf.len() * 2 + 2);
    reply::write(schema.response, protobuf, &mut out).map_err(|error| DialectError::Reply {
        response_type: route.response_type,
        error,
    })?;
    Ok(crate::response::json(StatusCode::OK, out))
}

/// The failure of a call below [`PREFIX`], in the dialect's shape.
pub(crate) fn error_response(rest: &str, error: &DialectError) -> http::Response<Body> {
    let (service, method) = names(rest);
    error.response(service, method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_table_follows_the_route_table() {
        assert_eq!(table::ROUTES.len(), routes::all().len());
        for (schema, route) in table::ROUTES.iter().zip(routes::all()) {
            assert_eq!(schema.path, route.path);
            assert_eq!(
                table::MESSAGES[schema.request as usize].name,
                route.request_type
            );
            assert_eq!(
                table::MESSAGES[schema.response as usize].name,
                route.response_type
            );
        }
    }

    #[test]
    fn lower_camel_names_resolve_like_grpc_js() {
        let (route, _) = resolve("LiveLink/getCamera").unwrap();
        assert_eq!(route.method, "GetCamera");
        let (route, _) = resolve("ApiItem/getValueByAttrId").unwrap();
        assert_eq!(route.method, "getValueByAttrID");
        assert!(resolve("ApiItem/nope").is_err());
    }

    #[test]
    fn the_object_ptr_remap_is_the_plugins() {
        use schema::ObjectPtrRemap;
        let remap = |path| resolve(path).unwrap().1.object_ptr;
        assert_eq!(
            remap("ApiItem/getValueByAttrID"),
            ObjectPtrRemap::Rename("item_ref")
        );
        assert_eq!(
            remap("ApiNode/setPinValueByPinID"),
            ObjectPtrRemap::Rename("item_ref")
        );
        assert_eq!(
            remap("ApiNodePinInfoEx/getApiNodePinInfo"),
            ObjectPtrRemap::WholeBody("nodePinInfoRef")
        );
        assert_eq!(remap("ApiItem/name"), ObjectPtrRemap::Keep);
    }
}
