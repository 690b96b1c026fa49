#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use serde_json::Value;
use strongroom_api_types::{DOWNLOAD_HEADER, EXPORT_HEADER, UPLOAD_HEADER};
use strongroom_store::MAX_LOCATION_LEN;

use super::*;
use crate::http::{
    ErrorCode, MAX_AUTHORIZATION_LEN, MAX_SEALED_BASE64_LEN, MAX_SHARE_BASE64_LEN, NONCE_BYTES,
    api_endpoints, ops_endpoints,
};
use crate::settings::NodeSettings;

fn parsed(text: &str) -> Value {
    serde_json::from_str(text).expect("the OpenAPI document is JSON")
}

fn defaults() -> Limits {
    Limits::of(&NodeSettings::default())
}

/// `(path, method)` of every operation of a document.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((path.clone(), method.to_uppercase()));
        }
    }
    out
}

/// `(path, method)` of every route of a router's endpoints, in OpenAPI's syntax.
fn routes(endpoints: &[crate::http::Endpoint]) -> BTreeSet<(String, String)> {
    endpoints
        .iter()
        .map(|e| {
            let path = e.path.replace("{*", "{");
            (path, e.method.as_str().to_owned())
        })
        .collect()
}

/// Every `$ref` of the document points at something in it.
fn check_references(document: &Value, value: &Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let pointer = reference.strip_prefix('#').unwrap();
                assert!(
                    document.pointer(pointer).is_some(),
                    "{reference} points at nothing"
                );
            }
            map.values().for_each(|v| check_references(document, v));
        }
        Value::Array(items) => items.iter().for_each(|v| check_references(document, v)),
        _ => {}
    }
}

fn operation<'a>(document: &'a Value, path: &str, method: &str) -> &'a Value {
    let found = &document["paths"][path][method];
    assert!(found.is_object(), "no {method} {path}");
    found
}

fn parameter<'a>(document: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    operation(document, path, method)["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
}

#[test]
fn the_served_document_parses_and_every_reference_resolves() {
    for ops in [OpsRoutes::OnApi, OpsRoutes::Separate] {
        let document = parsed(&document(&defaults(), ops));
        assert_eq!(document["openapi"], "3.1.0");
        check_references(&document, &document);
    }
    // The file states the defaults: served with them, it is the file.
    assert_eq!(
        parsed(&document(&defaults(), OpsRoutes::OnApi)),
        parsed(OPENAPI)
    );
}

#[test]
fn every_route_of_the_router_is_in_the_document_and_nothing_else() {
    let api = api_endpoints();
    let ops = ops_endpoints();
    let mut all = routes(&api);
    all.extend(routes(&ops));
    let served = parsed(&document(&defaults(), OpsRoutes::OnApi));
    assert_eq!(operations(&served), all);
    // With an ops listener the API listener serves no /healthz nor /metrics, and its
    // document says so.
    let separate = parsed(&document(&defaults(), OpsRoutes::Separate));
    assert_eq!(operations(&separate), routes(&api));
    assert_eq!(
        routes(&ops).into_iter().map(|(p, _)| p).collect::<Vec<_>>(),
        OPS_PATHS
    );
}

#[test]
fn the_documents_limits_are_the_nodes() {
    let settings = NodeSettings::default();
    let document = parsed(OPENAPI);

    let request = &document["components"]["schemas"]["Submit"]["properties"]["request"];
    assert_eq!(request["pattern"], BASE64_PATTERN);
    assert_eq!(request["minLength"], 4, "an empty request is refused");
    assert_eq!(request["maxLength"], MAX_SEALED_BASE64_LEN);
    let share = &document["components"]["schemas"]["SubmitShare"]["properties"]["share"];
    assert_eq!(share["pattern"], BASE64_PATTERN);
    assert_eq!(share["minLength"], 4, "an empty share is refused");
    assert_eq!(share["maxLength"], MAX_SHARE_BASE64_LEN);
    assert_eq!(
        max_request_len(settings.max_body_bytes),
        MAX_SEALED_BASE64_LEN
    );
    for pointer in MAX_BODY_POINTERS {
        assert_eq!(document.pointer(pointer).unwrap(), settings.max_body_bytes);
    }
    assert_eq!(
        document.pointer(MAX_OBJECT_POINTER).unwrap(),
        settings.max_object_bytes
    );

    for (path, method, header) in [
        ("/v1/objects/{location}", "get", DOWNLOAD_HEADER),
        ("/v1/objects/{location}", "put", UPLOAD_HEADER),
        ("/v1/ledger/export", "get", EXPORT_HEADER),
    ] {
        let header = parameter(&document, path, method, header);
        assert_eq!(header["in"], "header");
        assert_eq!(header["required"], true);
        assert_eq!(header["schema"]["pattern"], BASE64_PATTERN);
        assert_eq!(header["schema"]["maxLength"], MAX_AUTHORIZATION_LEN);
    }
    for method in ["get", "put"] {
        let location =
            &parameter(&document, "/v1/objects/{location}", method, "location")["schema"];
        assert_eq!(location["maxLength"], MAX_LOCATION_LEN);
        assert_eq!(location["minLength"], 1);
    }

    let nonce = &parameter(&document, "/v1/attestation", "get", "nonce")["schema"];
    let (min, max) = (*NONCE_BYTES.start(), *NONCE_BYTES.end());
    assert_eq!(nonce["minLength"], 2 * min);
    assert_eq!(nonce["maxLength"], 2 * max);
    assert_eq!(
        nonce["pattern"],
        format!("^(?:[0-9a-f]{{2}}){{{min},{max}}}$")
    );
    assert_eq!(
        document["components"]["schemas"]["Attestation"]["properties"]["nonce"]["pattern"],
        nonce["pattern"]
    );

    for (path, name) in [
        ("/v1/receipts/{sequence}", "sequence"),
        ("/v1/ledger/export", "from"),
        ("/v1/ledger/export", "to"),
    ] {
        let schema = &parameter(&document, path, "get", name)["schema"];
        assert_eq!(schema["type"], "integer", "{name}");
        assert_eq!(schema["minimum"], 1, "{name}");
        assert_eq!(schema["maximum"], u64::MAX, "{name}");
    }
}

#[test]
fn every_error_status_lists_exactly_its_codes() {
    let document = parsed(OPENAPI);
    let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let listed: Vec<&str> =
        document["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
    assert_eq!(listed, all);
    let by_name = |name: &str| ErrorCode::ALL.into_iter().find(|c| c.as_str() == name);
    for (name, response) in document["components"]["responses"].as_object().unwrap() {
        let codes = response["content"]["application/json"]["schema"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} lists no codes"));
        let statuses: BTreeSet<u16> = codes
            .iter()
            .map(|c| by_name(c.as_str().unwrap()).unwrap().status().as_u16())
            .collect();
        assert_eq!(statuses.len(), 1, "{name} mixes statuses: {codes:?}");
        // Wherever the response is used, it is under its status.
        for item in document["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                for (status, used) in op["responses"].as_object().unwrap() {
                    if used["$ref"] == format!("#/components/responses/{name}") {
                        assert_eq!(status.parse::<u16>().ok(), statuses.first().copied());
                    }
                }
            }
        }
    }
}

#[test]
fn the_served_document_states_this_nodes_settings() {
    let limits = Limits {
        max_body_bytes: 64 * 1024,
        max_object_bytes: 1 << 20,
        ..defaults()
    };
    let document = parsed(&document(&limits, OpsRoutes::OnApi));
    for pointer in MAX_BODY_POINTERS {
        assert_eq!(document.pointer(pointer).unwrap(), 64 * 1024);
    }
    assert_eq!(document.pointer(MAX_OBJECT_POINTER).unwrap(), 1 << 20);
    let max = max_request_len(64 * 1024);
    assert_eq!(document.pointer(REQUEST_MAX_LEN_POINTER).unwrap(), max);
    assert_eq!(max % 4, 0);
    assert!(max + SUBMIT_OVERHEAD <= 64 * 1024 && max + 4 + SUBMIT_OVERHEAD > 64 * 1024);
}
