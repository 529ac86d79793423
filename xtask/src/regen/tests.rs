//! The route and peer generators on a small proto with the SDK's quirks.

use std::fs;

use super::config::Config;
use super::model::Api;
use super::{api_crate, peer, protos, routes};

const QUIRKS: &str = r#"
syntax = "proto3";
package octaneapi;
import "google/protobuf/empty.proto";

message ObjectRef {
  uint64 handle = 1;
  ObjectType type = 2;
  enum ObjectType { ApiItem = 0; ApiNode = 1; }
}
message ApiThing {
  message nameRequest { ObjectRef objectPtr = 1; }
  message nameResponse { string result = 1; }
  message typeRequest { ObjectRef objectPtr = 1; int32 type = 2; }
  message getValueByIDRequest { ObjectRef item_ref = 1; int32 attribute_id = 2; }
  message createRequest { int32 type = 1; ObjectRef ownerGraph = 2; }
  message sizeRequest { uint32 _mPrivate = 1; string someCamel = 2; string snake_case = 3; }
}
message ApiOther {
  message nameRequest { ObjectRef objectPtr = 1; }
}
service ApiThingService {
  rpc name(ApiThing.nameRequest) returns (ApiThing.nameResponse);
  rpc type(ApiThing.typeRequest) returns (google.protobuf.Empty);
  rpc getValueByAttrID(ApiThing.getValueByIDRequest) returns (google.protobuf.Empty);
  rpc create(ApiThing.createRequest) returns (google.protobuf.Empty);
  rpc size1(ApiThing.sizeRequest) returns (google.protobuf.Empty);
  rpc toString(google.protobuf.Empty) returns (ApiThing.nameResponse);
}
service ApiOtherService {
  rpc name(ApiOther.nameRequest) returns (ApiThing.nameResponse);
  rpc yield(google.protobuf.Empty) returns (stream ApiThing.nameResponse);
}
service CallbackHandler {
  rpc Ping(stream google.protobuf.Empty) returns (google.protobuf.Empty);
}
"#;

fn quirky_api() -> Api {
    let (fds, config) = quirky_descriptors();
    Api::from_descriptors(&fds, &config).expect("model")
}

fn quirky_descriptors() -> (prost_types::FileDescriptorSet, Config) {
    descriptors_of(QUIRKS)
}

/// The descriptors of one proto file of text `proto`.
fn descriptors_of(proto: &str) -> (prost_types::FileDescriptorSet, Config) {
    // One folder per call: the tests run in parallel.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("octane-regen-quirks-{}-{call}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    fs::write(dir.join("quirks.proto"), proto).expect("write proto");
    let config = Config::default();
    let fds = protos::compile(&dir, &config).expect("the proto compiles");
    let _ = fs::remove_dir_all(&dir);
    (fds, config)
}

#[test]
fn nested_request_types_resolve_to_prost_paths() {
    let table = routes::generate(&quirky_api());
    assert!(
        table.contains("api::octaneapi::api_thing::NameRequest"),
        "{table}"
    );
    assert!(
        table.contains("api::octaneapi::api_other::NameRequest"),
        "{table}"
    );
    assert!(
        table.contains("api::octaneapi::api_thing::GetValueByIdRequest"),
        "{table}"
    );
    assert!(table.contains("api::google::protobuf::Empty"), "{table}");
}

#[test]
fn the_same_method_name_in_two_services_gives_two_routes() {
    let api = quirky_api();
    let names: Vec<(String, String, String)> = api
        .services
        .iter()
        .flat_map(|s| {
            s.methods
                .iter()
                .map(move |m| (s.name.clone(), m.name.clone(), m.request.full_name.clone()))
        })
        .filter(|(_, m, _)| m == "name")
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "ApiOtherService".into(),
                "name".into(),
                "octaneapi.ApiOther.nameRequest".into()
            ),
            (
                "ApiThingService".into(),
                "name".into(),
                "octaneapi.ApiThing.nameRequest".into()
            ),
        ]
    );
}

#[test]
fn every_spelling_of_a_service_name_resolves() {
    let table = routes::generate(&quirky_api());
    assert!(
        table.contains(r#""ApiThing" | "ApiThingService" | "octaneapi.ApiThing" | "octaneapi.ApiThingService" =>"#),
        "{table}"
    );
    // A service without the `Service` suffix keeps its name as the short name.
    assert!(
        table.contains(r#""CallbackHandler" | "octaneapi.CallbackHandler" =>"#),
        "{table}"
    );
}

#[test]
fn method_names_are_kept_verbatim_keywords_and_digits_included() {
    let table = routes::generate(&quirky_api());
    for method in [
        "type",
        "yield",
        "toString",
        "size1",
        "getValueByAttrID",
        "Ping",
    ] {
        assert!(table.contains(&format!("method: {method:?},")), "{method}");
    }
    assert!(table.contains("kind: RouteKind::ServerStreaming"));
    assert!(table.contains("kind: RouteKind::ClientStreaming"));
}

#[test]
fn object_ptr_alias_goes_to_field_one_object_refs_only() {
    let api = quirky_api();
    let alias = |method: &str| {
        api.services
            .iter()
            .flat_map(|s| &s.methods)
            .find(|m| m.name == method)
            .expect("method exists")
            .object_ptr_alias
            .clone()
    };
    assert_eq!(alias("getValueByAttrID").as_deref(), Some("item_ref"));
    assert_eq!(alias("name"), None, "the field is already objectPtr");
    assert_eq!(
        alias("create"),
        None,
        "ownerGraph is a parameter, not the target"
    );
    assert_eq!(alias("size1"), None);
}

#[test]
fn openapi_and_typescript_accept_the_object_ptr_form_of_aliased_requests() {
    let (fds, _) = quirky_descriptors();
    let types = super::schema::Types::from_descriptors(&fds);
    let openapi: serde_json::Value =
        serde_json::from_str(&super::openapi::generate(&quirky_api(), &types)).expect("JSON");
    let body = &openapi["paths"]["/ApiThing/getValueByAttrID"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["anyOf"];
    assert_eq!(
        body[1]["$ref"],
        "#/components/schemas/octaneapi.ApiThing.getValueByIDRequest.objectPtr"
    );
    let variant = &openapi["components"]["schemas"]["octaneapi.ApiThing.getValueByIDRequest.objectPtr"]
        ["properties"];
    assert!(variant.get("objectPtr").is_some() && variant.get("item_ref").is_none());
    assert!(
        variant.get("itemRef").is_none(),
        "objectPtr stands for both names"
    );
    assert!(variant.get("attributeId").is_some() && variant.get("attribute_id").is_some());
    // The proxy reads a field under either name; answers use the proto name.
    let request =
        &openapi["components"]["schemas"]["octaneapi.ApiThing.getValueByIDRequest"]["properties"];
    assert!(request.get("item_ref").is_some() && request.get("itemRef").is_some());
    assert!(
        openapi["paths"]["/ApiThing/name"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]
            .get("anyOf")
            .is_none(),
        "no variant where the field is already objectPtr"
    );
    let ts = super::typescript::generate(&quirky_api(), &types);
    assert!(
        ts.contains(
            r#""getValueByAttrID": { request: WithObjectPtr<octaneapi.ApiThing.getValueByIDRequest, "item_ref">;"#
        ),
        "{ts}"
    );
}

#[test]
fn peer_impls_use_tonics_method_names_for_keywords_and_camel_case() {
    let code = peer::generate(&quirky_api());
    assert!(code.contains("async fn r#type("), "{code}");
    assert!(code.contains("async fn r#yield("), "{code}");
    assert!(code.contains("async fn to_string("), "{code}");
    assert!(code.contains("async fn get_value_by_attr_id("), "{code}");
    assert!(
        code.contains("type yieldStream = crate::ReplyStream<"),
        "{code}"
    );
    assert!(
        code.contains("api::octaneapi::api_thing_service_server::ApiThingService for PeerService"),
        "{code}"
    );
}

#[test]
fn underscore_camel_and_snake_field_names_keep_proto_names_with_their_json_names() {
    let (fds, _) = quirky_descriptors();
    let types = super::schema::Types::from_descriptors(&fds);
    let size = &types.messages["octaneapi.ApiThing.sizeRequest"];
    let names: Vec<(&str, &str)> = size
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.json_name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("_mPrivate", "MPrivate"),
            ("someCamel", "someCamel"),
            ("snake_case", "snakeCase")
        ]
    );
    let ts = super::typescript::generate(&quirky_api(), &types);
    assert!(ts.contains(r#""_mPrivate"?: number;"#), "{ts}");
    assert!(ts.contains(r#""type"?: number;"#), "{ts}");
}

#[test]
fn aliases_of_methods_the_protos_lack_are_skipped() {
    let (fds, _) = quirky_descriptors();
    let config: Config = toml::from_str(
        r#"[aliases]
"ApiThing/getByAttrID" = "getValueByAttrID"
"ApiThing/getByName" = "getValueByName"
"NoSuchService/old" = "new"
"#,
    )
    .expect("config");
    let api = Api::from_descriptors(&fds, &config).expect("missing targets are not errors");
    let aliased: Vec<(&str, &[String])> = api
        .services
        .iter()
        .flat_map(|s| &s.methods)
        .filter(|m| !m.aliases.is_empty())
        .map(|m| (m.name.as_str(), m.aliases.as_slice()))
        .collect();
    assert_eq!(
        aliased,
        vec![("getValueByAttrID", &["getByAttrID".to_owned()][..])]
    );
}

#[test]
fn a_services_own_name_wins_over_another_services_short_form() {
    let (fds, config) = descriptors_of(
        r#"
syntax = "proto3";
package zz;
message M {}
service Foo { rpc ping(M) returns (M); }
service FooService { rpc pong(M) returns (M); }
"#,
    );
    let api = Api::from_descriptors(&fds, &config).expect("model");
    let table = routes::generate(&api);
    let index = |name: &str| {
        api.services
            .iter()
            .position(|s| s.name == name)
            .expect(name)
    };
    let (foo, foo_service) = (index("Foo"), index("FooService"));
    assert!(
        table.contains(&format!(r#""Foo" | "zz.Foo" => {foo},"#)),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            r#""FooService" | "zz.FooService" => {foo_service},"#
        )),
        "{table}"
    );
}

#[test]
fn proto_loader_aliases_are_lodash_camel_case() {
    use super::proto_loader::lodash_camel_case;
    assert_eq!(lodash_camel_case("GetCamera"), "getCamera");
    assert_eq!(lodash_camel_case("getValueByAttrID"), "getValueByAttrId");
    assert_eq!(lodash_camel_case("info1"), "info1");
    assert_eq!(lodash_camel_case("copyFrom2"), "copyFrom2");
    assert_eq!(lodash_camel_case("get_foo_bar"), "getFooBar");
    assert_eq!(lodash_camel_case("RGBColor"), "rgbColor");
}

#[test]
fn the_proto_loader_table_indexes_messages_and_marks_synthetic_oneofs() {
    let (fds, config) = descriptors_of(
        r#"
syntax = "proto3";
package octaneapi;
message ObjectRef { uint64 handle = 1; }
message getValueByIDRequest { ObjectRef item_ref = 1; optional bool evaluate = 3; map<string, int32> tags = 4; }
message Reply { oneof value { bool bool_value = 10; } }
service ApiItemService { rpc getValueByAttrID(getValueByIDRequest) returns (Reply); }
"#,
    );
    let api = Api::from_descriptors(&fds, &config).expect("model");
    let code = super::proto_loader::generate(&api, &fds);
    assert!(
        code.contains(r#"Field::in_oneof("evaluate", 3, Kind::Bool, 0)"#),
        "{code}"
    );
    assert!(code.contains(r#"oneofs: &["_evaluate"]"#), "{code}");
    assert!(code.contains("map_entry: true"), "{code}");
    assert!(
        code.contains(r#"object_ptr: ObjectPtrRemap::Rename("item_ref")"#),
        "{code}"
    );
    assert!(
        code.contains(r#"("ApiItemService", "getValueByAttrId") => "getValueByAttrID""#),
        "{code}"
    );
}

/// The edits of pbjson's output at full scale: the synth tree has every quirk of the SDK's
/// protos (aliased enums, enums in oneofs, maps and lists, float fields in oneofs), and an edit
/// that no longer finds the shape it expects stops generation.
#[test]
fn pbjson_edits_apply_to_the_full_size_synth_tree() {
    let core = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
    let files = crate::synth::build(&core, 1).expect("the synth tree builds");
    let dir = std::env::temp_dir().join(format!("octane-regen-synth-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    for (name, bytes) in &files {
        fs::write(dir.join(name), bytes).expect("write synth file");
    }
    let config = Config::load(&dir).expect("the synth regen.toml parses");
    let fds = protos::compile(&dir, &config).expect("the synth tree compiles");
    let generated = api_crate::generate(&fds, &dir.join("scratch"));
    let _ = fs::remove_dir_all(&dir);
    let generated = generated.expect("every edit finds pbjson's shapes");
    let serde = &generated["generated/octaneapi.serde.rs"];
    for runtime in ["EnumOrNumber", "OpenEnum", "ProtoFloat"] {
        assert!(
            serde.contains(&format!("crate::json::{runtime}")),
            "{runtime}"
        );
    }
    // The synth tree's `allow_alias` enums: every alias is read (pbjson alone reads none).
    let aliased = super::pbjson_edits::enum_aliases(&fds);
    assert!(aliased.values().any(|enums| !enums.is_empty()));
    for (package, enums) in &aliased {
        for e in enums {
            let code = &generated[&format!("generated/{package}.serde.rs")];
            for alias in e.names.iter().flat_map(|(_, aliases)| aliases) {
                assert!(
                    code.contains(&format!("\"{alias}\"")),
                    "{}: {alias}",
                    e.rust_type
                );
            }
        }
    }
    assert!(!serde.contains(" as i32"));
    assert!(generated.contains_key("generated/mod.rs"));
}
