//! The OpenAPI 3.1 document served at `/api-json` and shown by Swagger UI.
//!
//! utoipa derives the operations and the response schemas from the code; the
//! query parameters come from the very JSON Schema that validates requests, so
//! the documentation cannot drift from the rules.

use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::routes::concerts::__path_find_concerts;
use crate::routes::names::{__path_find_bands, __path_find_venues};
use crate::routes::probes::{__path_health, __path_ready};
use crate::search::ConcertView;
use bands_model::Band;
use exceptions::ErrorBody;
use venues_model::Venue;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Concert discovery API",
        description = "Which concerts match these bands and/or this place? Concerts come newest first.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(find_concerts, find_bands, find_venues, health, ready),
    components(schemas(ConcertView, Band, Venue, ErrorBody)),
    tags(
        (name = "concerts", description = "Concert search"),
        (name = "names", description = "Bands and venues by name, for a search box"),
        (name = "operations", description = "Probes for operators"),
    )
)]
struct ApiDoc;

/// The document, with each route's query parameters and query schema taken
/// from the JSON Schema that validates it: `(path, schema)` for each.
pub fn document(queries: &[(&str, &Value)]) -> Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    for (path, schema) in queries {
        document["paths"][*path]["get"]["parameters"] = Value::Array(parameters(schema));
        let mut whole = (*schema).clone();
        if let Some(object) = whole.as_object_mut() {
            object.remove("$schema");
        }
        let title = schema["title"].as_str().unwrap_or("Query").to_owned();
        document["components"]["schemas"][title] = whole;
    }
    document
}

/// One query parameter per property of the schema, with its constraints,
/// description and example; arrays as comma lists (`bandIds=1,2`).
fn parameters(query_schema: &Value) -> Vec<Value> {
    let Some(properties) = query_schema["properties"].as_object() else {
        return Vec::new();
    };
    // Sorted by name: serde_json's map order depends on the crate features the build unifies.
    let mut properties: Vec<(&String, &Value)> = properties.iter().collect();
    properties.sort_by_key(|(name, _)| name.as_str());
    properties
        .into_iter()
        .map(|(name, property)| {
            let mut schema = property.clone();
            let description = schema.as_object_mut().and_then(|s| s.remove("description"));
            let mut parameter = json!({
                "name": name,
                "in": "query",
                "required": false,
                "description": description,
                "schema": schema,
            });
            if let Some(example) = property["examples"].get(0) {
                parameter["example"] = example.clone();
            }
            if property["type"] == "array" {
                parameter["style"] = json!("form");
                parameter["explode"] = json!(false);
            }
            parameter
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::QUERY_SCHEMA;

    fn doc() -> Value {
        let concerts: Value = serde_json::from_str(QUERY_SCHEMA).unwrap();
        let bands = crate::query::names_schema("BandsQuery", "bands").unwrap();
        document(&[("/concerts", &concerts), ("/bands", bands.source())])
    }

    #[test]
    fn parameters_carry_the_validation_rules() {
        let doc = doc();
        let parameters = doc["paths"]["/concerts"]["get"]["parameters"].as_array().unwrap();
        let by_name = |name: &str| parameters.iter().find(|p| p["name"] == name).unwrap().clone();
        assert_eq!(parameters.len(), 8);
        assert_eq!(by_name("limit")["schema"]["maximum"], 1000);
        assert!(by_name("cursor")["description"].as_str().unwrap().contains("Link header"));
        assert_eq!(by_name("latitude")["schema"]["maximum"], 90);
        assert_eq!(by_name("longitude")["schema"]["minimum"], -180);
        assert_eq!(by_name("radius")["schema"]["minimum"], 0);
        let band_ids = by_name("bandIds");
        assert_eq!(band_ids["schema"]["items"]["minimum"], 1);
        assert_eq!((band_ids["style"].as_str(), band_ids["explode"].as_bool()), (Some("form"), Some(false)));
        assert!(band_ids["description"].as_str().unwrap().contains("comma"));
        assert!(by_name("from")["description"].as_str().unwrap().contains("2019-06-01T20:00:00Z"));
        let bands = doc["paths"]["/bands"]["get"]["parameters"].as_array().unwrap().clone();
        let q = bands.iter().find(|p| p["name"] == "q").unwrap();
        assert_eq!((q["schema"]["maxLength"].as_u64(), q["schema"]["minLength"].as_u64()), (Some(100), Some(1)));
        let limit = bands.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!((limit["schema"]["maximum"].as_u64(), limit["schema"]["default"].as_u64()), (Some(50), Some(10)));
    }

    #[test]
    fn the_whole_query_schema_and_the_answers_are_documented() {
        let doc = doc();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(doc["components"]["schemas"]["ConcertsQuery"]["anyOf"].as_array().unwrap().len(), 2);
        let responses = &doc["paths"]["/concerts"]["get"]["responses"];
        for status in ["200", "400", "502", "503", "504"] {
            assert!(responses.get(status).is_some(), "response {status} is documented");
        }
        let item = &doc["components"]["schemas"]["ConcertView"];
        for field in ["band", "location", "date", "latitude", "longitude"] {
            assert!(item["properties"].get(field).is_some(), "{field}");
        }
        assert!(doc["components"]["schemas"]["ErrorBody"]["properties"].get("statusCode").is_some());
        assert!(doc["components"]["schemas"]["BandsQuery"]["anyOf"].is_array());
        assert!(doc["components"]["schemas"]["Band"]["properties"].get("name").is_some());
    }
}
