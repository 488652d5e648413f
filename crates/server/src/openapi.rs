//! Makes `/openapi.json` a complete contract: what every operation can answer besides what its
//! route declares. The answers that come from HTTP itself or from the shared extractors are
//! added here, from what each operation is (a body, a query, a path id, a session), so no route
//! has to repeat them and none can forget them:
//!
//! - every `{name}` in a path is a declared path parameter (a UUID), and 404 `not_found`;
//! - a JSON body: 400 `malformed_json`, 413 `payload_too_large`, 415 `unsupported_media_type`,
//!   422 `invalid_body`;
//! - query parameters: 400 `invalid_query`;
//! - a session: 401 `unauthenticated`, `session_expired`;
//! - every operation: 403 `host_not_allowed` (and, for one that changes state,
//!   `origin_not_allowed`, `origin_required`), 500 `internal`.

use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required};
use utoipa::Modify;

/// The modifier that completes the document (see the module's description).
pub struct CompleteContract;

impl Modify for CompleteContract {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names = path_parameters(path);
            let operations = [
                (&mut item.get, false),
                (&mut item.head, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ];
            for (operation, changes_state) in operations {
                if let Some(operation) = operation {
                    complete(operation, &names, changes_state);
                }
            }
        }
    }
}

/// The `{name}`s of a path template.
fn path_parameters(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}

fn complete(operation: &mut Operation, path_names: &[String], changes_state: bool) {
    let declared: Vec<String> = operation
        .parameters
        .iter()
        .flatten()
        .filter(|p| p.parameter_in == ParameterIn::Path)
        .map(|p| p.name.clone())
        .collect();
    let has_query = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| p.parameter_in == ParameterIn::Query);
    for name in path_names.iter().filter(|name| !declared.contains(name)) {
        let uuid = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        operation.parameters.get_or_insert_with(Vec::new).push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("The id (a UUID); another user's is not found."))
                .schema(Some(uuid))
                .build(),
        );
    }
    let mut add = |status: u16, codes: &str| {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(codes));
    };
    if !path_names.is_empty() {
        add(404, "not_found");
    }
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));
    if json_body {
        add(400, "malformed_json");
        add(413, "payload_too_large");
        add(415, "unsupported_media_type");
        add(422, "invalid_body");
    }
    if has_query {
        add(400, "invalid_query");
    }
    if operation.security.is_some() {
        add(401, "unauthenticated, session_expired");
    }
    add(
        403,
        if changes_state {
            "host_not_allowed, origin_not_allowed, origin_required"
        } else {
            "host_not_allowed"
        },
    );
    add(500, "internal");
}

fn error_response(codes: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(codes)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorResponse")))
                    .build(),
            )
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_enumerates_every_code_and_kind() {
        let document = serde_json::to_value(crate::openapi()).unwrap();
        let schemas = &document["components"]["schemas"];
        let listed = |name: &str| -> Vec<String> {
            schemas[name]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{name} is an enum: {}", schemas[name]))
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let codes: Vec<String> = docent_core::ErrorCode::ALL
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        assert_eq!(listed("ErrorCode"), codes);
        assert_eq!(listed("ErrorKind").len(), 8);
        assert_eq!(
            schemas["ErrorBody"]["properties"]["code"]["$ref"],
            "#/components/schemas/ErrorCode"
        );
        assert!(
            schemas["HistoryScope"].is_object(),
            "referenced, so declared"
        );
        // Query strings are query parameters, none of them required.
        let search = &document["paths"]["/history"]["get"]["parameters"];
        for parameter in search.as_array().unwrap() {
            assert_eq!(parameter["in"], "query", "{parameter}");
            assert_ne!(parameter["required"], true, "{parameter}");
        }
    }

    #[test]
    fn path_parameters_are_the_braced_segments() {
        assert_eq!(
            path_parameters("/workspaces/{id}/conversations"),
            ["id".to_owned()]
        );
        assert!(path_parameters("/history").is_empty());
    }

    #[test]
    fn every_operation_declares_its_path_parameters_and_shared_answers() {
        let openapi = crate::openapi();
        for (path, item) in &openapi.paths.paths {
            for operation in [&item.get, &item.post, &item.put, &item.patch, &item.delete]
                .into_iter()
                .flatten()
            {
                let params: Vec<&str> = operation
                    .parameters
                    .iter()
                    .flatten()
                    .filter(|p| p.parameter_in == ParameterIn::Path)
                    .map(|p| p.name.as_str())
                    .collect();
                for name in path_parameters(path) {
                    assert!(params.contains(&name.as_str()), "{path}: {{{name}}}");
                }
                let statuses = &operation.responses.responses;
                assert!(statuses.contains_key("500"), "{path}");
                assert!(statuses.contains_key("403"), "{path}");
                if let Some(body) = &operation.request_body {
                    // A JSON body can be malformed (400); an upload's parts only refused.
                    let json = body.content.contains_key("application/json");
                    let expected: &[&str] = if json {
                        &["400", "413", "415", "422"]
                    } else {
                        &["413", "415", "422"]
                    };
                    for status in expected {
                        assert!(statuses.contains_key(*status), "{path} {status}");
                    }
                }
            }
        }
    }
}
