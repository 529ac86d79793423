//! Generates `docs/openapi.json`: OpenAPI 3.1 for every route, in the proxy's JSON form.

use serde_json::{Map, Value, json};

use super::model::Api;
use super::schema::{Field, Kind, Types};

/// The HTTP failures every RPC route can answer, with what causes them.
const ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "The body does not fit the request message, or Octane answered INVALID_ARGUMENT, FAILED_PRECONDITION or OUT_OF_RANGE",
    ),
    (
        "401",
        "A bearer token is required, or Octane answered UNAUTHENTICATED",
    ),
    (
        "403",
        "The access policy refuses this call, or Octane answered PERMISSION_DENIED",
    ),
    (
        "404",
        "Unknown service or method, or Octane answered NOT_FOUND",
    ),
    ("405", "Only POST (and OPTIONS) are allowed on RPC routes"),
    ("408", "The request body did not arrive in time"),
    ("409", "Octane answered ALREADY_EXISTS or ABORTED"),
    ("413", "The request body is over the limit"),
    ("429", "Octane answered RESOURCE_EXHAUSTED"),
    ("499", "Octane answered CANCELLED"),
    (
        "500",
        "Octane answered UNKNOWN, INTERNAL or DATA_LOSS, or the proxy failed",
    ),
    ("501", "Octane answered UNIMPLEMENTED"),
    ("502", "Octane's answer is not a valid response message"),
    (
        "503",
        "Octane is not reachable, the connection broke, or Octane answered UNAVAILABLE",
    ),
    (
        "504",
        "No answer within the call's deadline, or Octane answered DEADLINE_EXCEEDED",
    ),
];

/// Renders the OpenAPI document as pretty JSON with sorted keys.
pub(super) fn generate(api: &Api, types: &Types) -> String {
    let mut paths = Map::new();
    // Request message -> the field `objectPtr` stands for in it.
    let mut object_ptr_variants = std::collections::BTreeMap::new();
    for svc in &api.services {
        for m in &svc.methods {
            let request_ref = match &m.object_ptr_alias {
                // The body may name the target `objectPtr` instead, as the web clients do.
                Some(field) => {
                    object_ptr_variants.insert(m.request.full_name.clone(), field.clone());
                    json!({ "anyOf": [
                        schema_ref(&m.request.full_name),
                        schema_ref(&object_ptr_variant(&m.request.full_name)),
                    ]})
                }
                None => schema_ref(&m.request.full_name),
            };
            let request_schema = if m.client_streaming {
                json!({ "type": "array", "items": request_ref })
            } else {
                request_ref
            };
            let success = if m.server_streaming {
                json!({
                    "description": format!(
                        "Server-Sent Events: each `data:` line is one {} in proxy JSON form; \
                         `event: error` carries an error envelope, `event: end` closes the stream",
                        m.response.full_name
                    ),
                    "content": { "text/event-stream": { "schema": { "type": "string" } } }
                })
            } else {
                json!({
                    "description": "The call succeeded",
                    "content": { "application/json": { "schema": {
                        "type": "object",
                        "required": ["success", "data"],
                        "additionalProperties": false,
                        "properties": {
                            "success": { "const": true },
                            "data": schema_ref(&m.response.full_name),
                        }
                    }}}
                })
            };
            let mut responses = Map::new();
            responses.insert("200".to_owned(), success);
            for (status, why) in ERRORS {
                responses.insert(
                    (*status).to_owned(),
                    json!({
                        "description": why,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                    }),
                );
            }
            let mut description = format!(
                "gRPC `/{}/{}`: {} -> {}.",
                svc.full_name(),
                m.name,
                m.request.full_name,
                m.response.full_name
            );
            if let Some(field) = &m.object_ptr_alias {
                description.push_str(&format!(" The key `objectPtr` is accepted for `{field}`."));
            }
            if m.client_streaming {
                description.push_str(
                    " The body is a JSON array: each element is sent as one message of the stream.",
                );
            }
            if !m.aliases.is_empty() {
                description.push_str(&format!(" Also reachable as: {}.", m.aliases.join(", ")));
            }
            let operation = json!({
                "operationId": format!("{}_{}", svc.short, m.name),
                "tags": [svc.short],
                "summary": format!("{}/{}", svc.short, m.name),
                "description": description,
                "requestBody": {
                    "required": false,
                    "description": "proto3 JSON; an empty body is the default request",
                    "content": { "application/json": { "schema": request_schema } }
                },
                "responses": responses,
            });
            paths.insert(
                format!("/{}/{}", svc.short, m.name),
                json!({ "post": operation }),
            );
        }
    }

    let mut schemas = Map::new();
    schemas.insert(
        "Error".to_owned(),
        json!({
            "type": "object",
            "required": ["success", "error", "code"],
            "properties": {
                "success": { "const": false },
                "error": { "type": "string", "description": "What went wrong, for people" },
                "code": { "type": "string", "description": "The gRPC status name where there is one (NOT_FOUND), else the proxy's own (MALFORMED_JSON, UNKNOWN_SERVICE, ...)" },
                "field": { "type": "string", "description": "Dotted path of the request field at fault" }
            }
        }),
    );
    for (name, message) in &types.messages {
        schemas.insert(name.clone(), message_schema(name, &message.fields));
    }
    for (request, field) in &object_ptr_variants {
        let mut schema = schemas[request].clone();
        let json_name = types.messages[request]
            .fields
            .iter()
            .find(|f| &f.name == field && f.json_name != f.name)
            .map(|f| f.json_name.clone());
        if let Some(properties) = schema["properties"].as_object_mut()
            && let Some(json_name) = json_name
        {
            properties.remove(&json_name);
        }
        if let Some(value) = schema["properties"]
            .as_object_mut()
            .and_then(|properties| properties.remove(field))
        {
            schema["properties"]["objectPtr"] = value;
            schema["properties"]["objectPtr"]["description"] =
                json!(format!("the target object: stands for `{field}`"));
        }
        schema["title"] = json!(format!("{request} (objectPtr)"));
        schema["description"] = json!(format!(
            "{request} with `{field}` sent as `objectPtr`, as the web clients do"
        ));
        schemas.insert(object_ptr_variant(request), schema);
    }
    for (name, e) in &types.enums {
        let names: Vec<&str> = e.values.iter().map(|(n, _)| n.as_str()).collect();
        let numbers: std::collections::BTreeSet<i32> = e.values.iter().map(|(_, n)| *n).collect();
        let aliases = if numbers.len() < names.len() {
            "; some values have several names (allow_alias): requests may send any of them, responses use the first one listed"
        } else {
            ""
        };
        schemas.insert(
            name.clone(),
            json!({
                "title": name,
                "description": format!("Enum value name; requests may send the number instead, and a value this API does not name arrives as its number{aliases}"),
                "anyOf": [
                    { "type": "string", "enum": names },
                    { "type": "integer" },
                ],
            }),
        );
    }

    let doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "octane-proxy",
            "x-generated-by": "cargo xtask regen. Do not edit.",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "HTTP/JSON gateway to the gRPC API of the Octane renderer. Generated by `cargo xtask regen` from proto/. Field names are the original proto names (requests may also use lowerCamelCase); 64-bit integers are strings (requests may send numbers); enums are names; bytes are base64; fields at their default value are omitted."
        },
        "servers": [{ "url": "http://127.0.0.1:51023" }],
        "paths": paths,
        "components": { "schemas": schemas },
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("a JSON value serializes");
    out.push('\n');
    out
}

/// The schema name of a request whose target is sent as `objectPtr`.
fn object_ptr_variant(request: &str) -> String {
    format!("{request}.objectPtr")
}

fn schema_ref(full_name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{full_name}") })
}

fn message_schema(name: &str, fields: &[Field]) -> Value {
    let mut properties = Map::new();
    for field in fields {
        let item = kind_schema(&field.kind);
        let mut schema = if field.repeated {
            json!({ "type": "array", "items": item })
        } else {
            item
        };
        let mut notes = Vec::new();
        if field.json_name != field.name {
            notes.push(format!("requests may also call it `{}`", field.json_name));
        }
        if let Some(oneof) = &field.oneof {
            notes.push(format!("one of `{oneof}`: at most one member is set"));
        }
        if field.json_name != field.name {
            // The proxy reads either key, so a validator of requests must accept both.
            properties.insert(
                field.json_name.clone(),
                json!({
                    "description": format!(
                        "`{}` under its lowerCamelCase JSON name, which requests may use instead; answers use `{}`",
                        field.name, field.name
                    ),
                    "allOf": [schema.clone()],
                }),
            );
        }
        if !notes.is_empty() {
            schema = json!({ "description": notes.join("; "), "allOf": [schema] });
        }
        properties.insert(field.name.clone(), schema);
    }
    json!({
        "title": name,
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    })
}

fn kind_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Int32 { unsigned: false } => json!({ "type": "integer", "format": "int32" }),
        Kind::Int32 { unsigned: true } => {
            json!({ "type": "integer", "format": "int32", "minimum": 0 })
        }
        Kind::Int64 { unsigned } => json!({
            "type": ["string", "integer"],
            "format": if *unsigned { "uint64" } else { "int64" },
            "pattern": if *unsigned { "^[0-9]+$" } else { "^-?[0-9]+$" },
            "description": "64-bit integer: a string in answers; a string or a number in requests",
        }),
        Kind::Float => {
            json!({ "type": ["number", "string"], "description": "a number, or \"NaN\", \"Infinity\", \"-Infinity\"" })
        }
        Kind::String => json!({ "type": "string" }),
        Kind::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
        Kind::Enum(name) | Kind::Message(name) => schema_ref(name),
    }
}
