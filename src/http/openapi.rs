//! The OpenAPI document of everything the mock serves, built from the route table: each
//! route's parameters, body and answer come from the Rust types its handler reads and writes,
//! through utoipa.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, RefOr, Required,
    ResponseBuilder, Schema, ServerBuilder,
};

use super::envelope::JSON;
use super::registry::{Answer, BodyKind, Components, RouteDoc, TypeDoc};

/// Path parameters of a documented path, in order.
fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| {
            let start = segment.find('{')?;
            let end = segment.find('}')?;
            Some(&segment[start + 1..end])
        })
        .collect()
}

fn string_schema() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).into()
}

fn path_parameter(name: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(string_schema()))
        .build()
}

fn method(name: &str) -> HttpMethod {
    match name {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

/// A type's schema, its named schemas added to `components`.
fn schema(doc: TypeDoc, components: &mut Components) -> RefOr<Schema> {
    (doc.components)(components);
    (doc.schema)()
}

fn operation(route: &RouteDoc, components: &mut Components) -> Operation {
    let mut parameters: Vec<Parameter> = path_parameters(route.path)
        .into_iter()
        .map(path_parameter)
        .collect();
    parameters.extend(route.params.iter().flat_map(|params| params()));
    let mut op = OperationBuilder::new()
        .summary(Some(route.summary))
        .tag(route.tag.name())
        .operation_id(Some(format!(
            "{}{}",
            route.method.to_lowercase(),
            route.path.replace(['/', '{', '}', '.'], "_")
        )))
        .parameters(Some(parameters));
    let ok = match route.answer {
        Answer::Json(doc) | Answer::Created(doc) => {
            ResponseBuilder::new().description("The answer").content(
                JSON,
                ContentBuilder::new()
                    .schema(Some(schema(doc, components)))
                    .build(),
            )
        }
        Answer::Text(content_type) => ResponseBuilder::new().description("The file").content(
            content_type,
            ContentBuilder::new().schema(Some(string_schema())).build(),
        ),
        Answer::NoContent => ResponseBuilder::new().description("Done"),
        Answer::Redirect => ResponseBuilder::new().description("To the dashboard"),
        Answer::Unknown => ResponseBuilder::new().description("Not described"),
    };
    let status = match route.answer {
        Answer::Created(_) => "201",
        Answer::NoContent => "204",
        Answer::Redirect => "307",
        _ => "200",
    };
    op = op.response(status, ok.build());
    if route.tag.needs_token() {
        op = op
            .securities(Some([
                SecurityRequirement::new("bearer", Vec::<String>::new()),
                SecurityRequirement::new("accessTokenQuery", Vec::<String>::new()),
            ]))
            .response(
                "404",
                ResponseBuilder::new()
                    .description("Unknown path (610) or no such result file (1013)")
                    .build(),
            );
    }
    let content_type = match route.body {
        BodyKind::None => None,
        BodyKind::Upload => Some("multipart/form-data"),
        BodyKind::Form => Some("application/x-www-form-urlencoded"),
        BodyKind::Json => Some("application/json"),
    };
    if let Some(content_type) = content_type {
        let body_schema = route
            .request
            .map(|doc| schema(doc, components))
            .unwrap_or_else(|| ObjectBuilder::new().schema_type(Type::Object).into());
        let required = if route.body == BodyKind::Upload {
            Required::True
        } else {
            Required::False
        };
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    content_type,
                    ContentBuilder::new().schema(Some(body_schema)).build(),
                )
                .required(Some(required))
                .build(),
        ));
    }
    if route.body == BodyKind::Upload {
        op = op.response(
            "413",
            ResponseBuilder::new()
                .description("File larger than the limit (1003)")
                .build(),
        );
    }
    op.build()
}

/// The document for these routes.
pub fn document(routes: &[RouteDoc]) -> OpenApi {
    let mut components = Components::new();
    let mut paths = PathsBuilder::new();
    for route in routes {
        let item = PathItem::new(method(route.method), operation(route, &mut components));
        paths = paths.path(route.path, item);
    }
    let components = ComponentsBuilder::new()
        .schemas_from_iter(components)
        .security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )
        .security_scheme(
            "accessTokenQuery",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("access_token"))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("marketo-bulk-mock")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Marketo's Bulk Import and Extract APIs, the REST reads beside them, and the \
                     mock's control plane under /_mock/.",
                )),
        )
        .servers(Some([ServerBuilder::new()
            .url("http://127.0.0.1:8080")
            .build()]))
        .paths(paths.build())
        .components(Some(components))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::registry::Tag;

    #[test]
    fn path_parameters_are_found_inside_segments() {
        assert_eq!(
            path_parameters("/bulk/v1/customobjects/{apiName}/import/{batchId}/status.json"),
            ["apiName", "batchId"]
        );
        assert_eq!(
            path_parameters("/bulk/v1/leads/batch/{batchId}.json"),
            ["batchId"]
        );
    }

    #[test]
    fn every_served_route_says_what_it_answers() {
        let api = crate::http::api();
        let undescribed: Vec<String> = api
            .docs()
            .iter()
            .filter(|route| matches!(route.answer, Answer::Unknown))
            .map(|route| format!("{} {}", route.method, route.path))
            .collect();
        assert!(undescribed.is_empty(), "{undescribed:?}");
    }

    #[test]
    fn no_two_types_share_a_schema_name() {
        let mut components = Components::new();
        for route in crate::http::api().docs() {
            operation(route, &mut components);
        }
        let mut seen = std::collections::HashMap::new();
        for (name, schema) in components {
            let schema = serde_json::to_value(schema).unwrap();
            if let Some(before) = seen.insert(name.clone(), schema.clone()) {
                assert_eq!(before, schema, "two types are named {name}");
            }
        }
    }

    #[test]
    fn methods_of_one_path_share_its_item() {
        let route = |method| RouteDoc {
            method,
            path: "/_mock/clock",
            summary: "",
            tag: Tag::Control,
            body: BodyKind::None,
            params: Vec::new(),
            request: None,
            answer: Answer::NoContent,
        };
        let doc = serde_json::to_value(document(&[route("GET"), route("PUT")])).unwrap();
        let item = &doc["paths"]["/_mock/clock"];
        assert!(item["get"].is_object() && item["put"].is_object());
        assert!(item["get"].get("security").is_none());
    }
}
