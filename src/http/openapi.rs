//! The OpenAPI 3 document of everything the mock serves, built from the route table.

use serde_json::{Map, Value, json};

use super::registry::{BodyKind, RouteDoc};

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

fn operation(route: &RouteDoc) -> Value {
    let parameters: Vec<Value> = path_parameters(route.path)
        .into_iter()
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    let mut op = json!({
        "summary": route.summary,
        "tags": [route.tag.name()],
        "operationId": format!("{}{}", route.method.to_lowercase(), route.path.replace(['/', '{', '}', '.'], "_")),
        "parameters": parameters,
        "responses": {
            "200": { "description": "Marketo's JSON envelope (or a CSV file for failures and warnings)" },
        },
    });
    if route.tag.needs_token() {
        op["security"] = json!([{ "bearer": [] }, { "accessTokenQuery": [] }]);
        op["responses"]["404"] =
            json!({ "description": "Unknown path (610) or no such result file (1013)" });
    }
    let body = match route.body {
        BodyKind::None => None,
        BodyKind::Upload => Some(json!({
            "multipart/form-data": { "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": { "type": "string", "format": "binary" },
                    "format": { "type": "string", "enum": ["csv", "tsv", "ssv"] },
                    "access_token": { "type": "string" },
                },
            }},
        })),
        BodyKind::Form => {
            Some(json!({ "application/x-www-form-urlencoded": { "schema": { "type": "object" } } }))
        }
        BodyKind::Json => Some(json!({ "application/json": { "schema": { "type": "object" } } })),
    };
    if let Some(content) = body {
        op["requestBody"] =
            json!({ "required": route.body == BodyKind::Upload, "content": content });
    }
    if route.body == BodyKind::Upload {
        op["responses"]["413"] = json!({ "description": "File larger than the limit (1003)" });
    }
    op
}

/// The document for these routes.
pub fn document(routes: &[RouteDoc]) -> Value {
    let mut paths = Map::new();
    for route in routes {
        let item = paths.entry(route.path).or_insert_with(|| json!({}));
        item[route.method.to_lowercase()] = operation(route);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "marketo-bulk-mock",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Marketo's Bulk Import API (identity, bulk imports, read-back) and the mock's control plane under /_mock/.",
        },
        "servers": [{ "url": "http://127.0.0.1:8080" }],
        "paths": paths,
        "components": { "securitySchemes": {
            "bearer": { "type": "http", "scheme": "bearer" },
            "accessTokenQuery": { "type": "apiKey", "in": "query", "name": "access_token" },
        }},
    })
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
    fn methods_of_one_path_share_its_item() {
        let route = |method| RouteDoc {
            method,
            path: "/_mock/clock",
            summary: "",
            tag: Tag::Control,
            body: BodyKind::None,
        };
        let doc = document(&[route("GET"), route("PUT")]);
        let item = &doc["paths"]["/_mock/clock"];
        assert!(item["get"].is_object() && item["put"].is_object());
        assert!(item["get"].get("security").is_none());
    }
}
