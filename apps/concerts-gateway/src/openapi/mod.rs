//! The OpenAPI 3.1 document served at `/api-json` and shown by Swagger UI.
//!
//! utoipa derives the operations and the response schemas from the code; the
//! query parameters come from the very JSON Schema that validates requests, so
//! the documentation cannot drift from the rules. What every route can
//! answer whatever it does (a 304 to a conditional read, the limits of every
//! process, a failure) is added to each operation here, once.

mod links;

use bands_model::{BAND_DRAFT_SCHEMA, BAND_PATCH_SCHEMA, Band};
use changes_model::ChangeKind;
use concerts_model::{ConcertRecord, Status};
use exceptions::{Code, ErrorBody, Problem};
use serde_json::{Value, json};
use utoipa::OpenApi;
use venues_model::{PlaceSuggestion, VENUE_DRAFT_SCHEMA, VENUE_PATCH_SCHEMA, Venue};

use bootstrap::edits;

use crate::answer::ConcertView;
use crate::counts::{CountsView, GroupView};
use crate::feed::FeedChange;
use crate::routes::changes::__path_follow_changes;
use crate::routes::concert_records::{
    __path_change_concert, __path_create_concert, __path_delete_concert, __path_read_concert, CREATE_SCHEMA,
    EDIT_SCHEMA,
};
use crate::routes::concerts::{__path_concerts_calendar, __path_find_concerts};
use crate::routes::counts::__path_count_concerts;
use crate::routes::probes::__path_ready;
use crate::routes::record_id::RecordId;
use crate::routes::records::{
    __path_change_band, __path_change_venue, __path_create_band, __path_create_venue, __path_delete_band,
    __path_delete_venue, __path_read_band, __path_read_venue,
};
use crate::routes::suggestions::{__path_find_bands, __path_find_places, __path_find_venues};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Concert discovery API",
        description = "Which concerts match these bands and/or this place? Concerts come newest first, soonest first or nearest first.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        find_concerts, concerts_calendar, count_concerts, find_bands, find_venues, find_places, ready,
        read_concert, create_concert, change_concert, delete_concert,
        read_band, create_band, change_band, delete_band,
        read_venue, create_venue, change_venue, delete_venue,
        follow_changes,
    ),
    components(schemas(
        ConcertView, CountsView, GroupView, ConcertRecord, Status, Band, Venue, PlaceSuggestion, ErrorBody, Problem,
        Code, FeedChange, ChangeKind
    )),
    tags(
        (name = "concerts", description = "Concert search"),
        (name = "names", description = "Bands, venues and cities by name, for a search box"),
        (name = "catalogue", description = "One record at a time: read it; add, correct, reschedule, cancel or remove it \
            (writes need a token of scope catalogue:write: Authorize, then Bearer <token>)"),
        (name = "changes", description = "Every change of the catalogue, in order, for who keeps a copy of it"),
        (name = "operations", description = "Probes for operators"),
    )
)]
struct ApiDoc;

/// The body of each write, as the JSON Schema that checks it (at the gateway
/// for concerts, at the owning service for bands and venues).
const BODIES: [(&str, &str, &str); 6] = [
    ("/bands", "post", BAND_DRAFT_SCHEMA),
    ("/bands/{id}", "patch", BAND_PATCH_SCHEMA),
    ("/venues", "post", VENUE_DRAFT_SCHEMA),
    ("/venues/{id}", "patch", VENUE_PATCH_SCHEMA),
    ("/concerts", "post", CREATE_SCHEMA),
    ("/concerts/{id}", "patch", EDIT_SCHEMA),
];

/// The document, with each route's query parameters and query schema taken
/// from the JSON Schema that validates it: `(path, method, schema)` for each; each
/// write's body from the schema that checks it, and the bearer token writes need.
pub fn document(queries: &[(&str, &str, &Value)]) -> Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    document["paths"]["/health"] = health();
    document["components"]["securitySchemes"]["bearer"] = json!({
        "type": "http",
        "scheme": "bearer",
        "description": "A token of WRITE_TOKENS (scope catalogue:write); `make` writes one into .env"
    });
    for (path, method, schema) in BODIES {
        document["paths"][path][method]["requestBody"] = request_body(schema);
    }
    document["components"]["headers"] = rate_limit_headers();
    for operation in operations(&mut document) {
        add_common_answers(operation);
        add_rate_limits(operation);
    }
    links::add(&mut document);
    for (path, method, schema) in queries {
        let operation = &mut document["paths"][*path][*method];
        let mut others: Vec<Value> = operation["parameters"].as_array().cloned().unwrap_or_default();
        others.retain(|parameter| parameter["in"] != "query");
        others.extend(parameters(schema));
        operation["parameters"] = Value::Array(others);
        if let Some(title) = schema["title"].as_str() {
            let mut whole = (*schema).clone();
            if let Some(object) = whole.as_object_mut() {
                object.remove("$schema");
            }
            document["components"]["schemas"][title] = whole;
        }
    }
    add_record_rules(&mut document);
    document
}

/// What a record's path and headers may hold, as the code that reads them
/// says: the `{id}` ([`RecordId`]), `If-Match` and `Idempotency-Key`
/// (`bootstrap::edits`); a path that breaks them gets a 400.
fn add_record_rules(document: &mut Value) {
    for operation in operations(document) {
        let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) else { continue };
        let mut has_id = false;
        for parameter in parameters.iter_mut() {
            match (parameter["in"].as_str(), parameter["name"].as_str()) {
                (Some("path"), Some("id")) => {
                    parameter["schema"] = RecordId::schema();
                    has_id = true;
                }
                (Some("header"), Some("If-Match")) => {
                    parameter["schema"] = json!({"type": "string", "pattern": edits::IF_MATCH_PATTERN});
                }
                (Some("header"), Some("Idempotency-Key")) => {
                    parameter["schema"] = json!({"type": "string", "pattern": edits::IDEMPOTENCY_KEY_PATTERN});
                }
                _ => {}
            }
        }
        if has_id && operation["responses"].get("400").is_none() {
            operation["responses"]["400"] = json!({
                "description": "A malformed id, `If-Match` or `Idempotency-Key`: the message names it and the rule",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
            });
        }
    }
}

/// `GET /health`, which `bootstrap` serves in every process.
fn health() -> Value {
    json!({"get": {
        "tags": ["operations"],
        "summary": "Liveness: the gateway process answers.",
        "operationId": "health",
        "responses": {"200": {"description": "Alive", "content": {"application/json": {"example": {"status": "ok"}}}}}
    }})
}

/// A write's body: its JSON Schema, and its first example filled in.
fn request_body(schema_text: &str) -> Value {
    let mut schema: Value = serde_json::from_str(schema_text).unwrap_or_else(|_| json!({}));
    let example = schema["examples"].get(0).cloned();
    if let Some(schema) = schema.as_object_mut() {
        schema.remove("$schema");
    }
    let mut media = json!({"schema": schema});
    if let Some(example) = example {
        media["example"] = example;
    }
    json!({"required": true, "content": {"application/json": media}})
}

/// Every operation of the document.
fn operations(document: &mut Value) -> Vec<&mut Value> {
    let Some(paths) = document["paths"].as_object_mut() else { return Vec::new() };
    paths.values_mut().filter_map(Value::as_object_mut).flat_map(|methods| methods.values_mut()).collect()
}

/// The answers every route may give, whatever it does: the limits every
/// process has (`bootstrap`), a shed request, a failure; for the public
/// reads, a `304` to a request that holds the current `ETag`; for the
/// writes, what checking the token and the body can answer.
fn add_common_answers(operation: &mut Value) {
    let error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}});
    let tagged = |name: &str| operation["tags"].as_array().is_some_and(|tags| tags.iter().any(|tag| tag == name));
    let is_write = operation.get("security").is_some();
    let is_search = !tagged("operations") && !tagged("catalogue");
    let has_body = operation.get("requestBody").is_some();
    let keyed = operation["operationId"].as_str().is_some_and(|id| id.starts_with("create"));
    let is_catalogue = tagged("catalogue");
    let responses = &mut operation["responses"];
    let mut add = |status: &str, answer: Value| {
        if responses.get(status).is_none() {
            responses[status] = answer;
        }
    };
    if is_search {
        add(
            "304",
            json!({"description": "Not modified: the `If-None-Match` of the request holds the answer's current `ETag`"}),
        );
    }
    if is_write {
        add(
            "400",
            error(
                "The request breaks a rule; each message names the field and the rule (a band or venue that does not exist included)",
            ),
        );
        add("401", error("No token, or one the API does not know: send `Authorization: Bearer <token>`"));
        add("403", error("The token's scope does not allow this write (an import token cannot edit)"));
        if !keyed {
            add("412", error("`If-Match` names a revision that is no longer the current one: read it again"));
        }
    }
    if is_catalogue {
        add("502", error("The owning service answered something unusable"));
        add(
            "504",
            error(
                "The owning service did not answer in time (a write may then have been made or not: send it again, with the same `Idempotency-Key` for a create)",
            ),
        );
    }
    if has_body {
        add("413", error("The body is larger than a write accepts (64 KiB)"));
        add("415", error("The body is not JSON: send `Content-Type: application/json`"));
    }
    if keyed {
        add("422", error("The `Idempotency-Key` was given before with another body"));
    }
    add("414", error("The query string is longer than the gateway accepts (`MAX_QUERY_LENGTH`)"));
    add("431", error("The request's header fields are larger than the gateway accepts (`MAX_HEADER_BYTES`)"));
    add("500", error("An unexpected failure; the details are in the gateway's log, under the request's id"));
    add("503", error("The gateway is at capacity (with `Retry-After`), or a service it needs is unreachable"));
}

/// The headers of the rate limits (the IETF draft's), once, for every answer to refer to.
fn rate_limit_headers() -> Value {
    let text = |description: &str, example: &str| json!({"description": description, "schema": {"type": "string"}, "example": example});
    json!({
        "RateLimit": text(
            "What is left of this client's bucket for this kind of request (r, requests) and the seconds until it is full again (t)",
            "\"searches\";r=99;t=1"
        ),
        "RateLimit-Policy": text(
            "The bucket of this kind of request (searches, names, writes): its size (q, requests) and the seconds it takes to fill (w)",
            "\"searches\";q=100;w=2"
        ),
        "Retry-After": {"description": "Seconds to wait before asking again", "schema": {"type": "integer", "minimum": 1}},
    })
}

/// Every route but the probes counts in a bucket of its client (`RATE_LIMITS`):
/// each answer says what is left, and a client over its limit gets 429.
fn add_rate_limits(operation: &mut Value) {
    let probe = operation["tags"].as_array().is_some_and(|tags| tags.iter().any(|tag| tag == "operations"));
    if probe {
        return;
    }
    operation["responses"]["429"] = json!({
        "description": "This client asked more than its rate limit allows: wait `Retry-After` seconds",
        "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    });
    let Some(responses) = operation["responses"].as_object_mut() else { return };
    for answer in responses.values_mut() {
        answer["headers"]["RateLimit"] = json!({"$ref": "#/components/headers/RateLimit"});
        answer["headers"]["RateLimit-Policy"] = json!({"$ref": "#/components/headers/RateLimit-Policy"});
    }
}

/// One query parameter per property of the schema, with its constraints and
/// description; arrays as comma lists (`bandIds=1,2`). Only `bandIds` gets
/// an example: Swagger UI fills examples in when one tries a route, and an
/// example of an optional filter (a date, a circle) would narrow the first try.
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
            if let Some(schema) = schema.as_object_mut() {
                schema.remove("examples");
            }
            let required = query_schema["required"].as_array().is_some_and(|all| all.iter().any(|one| one == name));
            let mut parameter = json!({
                "name": name,
                "in": "query",
                "required": required,
                "description": description,
                "schema": schema,
            });
            if let Some(example) = property["examples"].get(0).filter(|_| *name == "bandIds") {
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
    use crate::query::{ConcertsQuery, NamesQuery};
    use validator::FromQuery;

    fn doc() -> Value {
        let concerts = ConcertsQuery::schema().unwrap();
        let names = NamesQuery::schema().unwrap();
        document(&[
            ("/concerts", "get", concerts.source()),
            ("/bands", "get", names.source()),
            ("/venues", "get", names.source()),
        ])
    }

    #[test]
    fn parameters_carry_the_validation_rules() {
        let doc = doc();
        let parameters = doc["paths"]["/concerts"]["get"]["parameters"].as_array().unwrap();
        let by_name = |name: &str| parameters.iter().find(|p| p["name"] == name).unwrap().clone();
        assert_eq!(parameters.len(), 10);
        assert_eq!(by_name("sort")["schema"]["enum"], serde_json::json!(["-date", "date", "distance"]));
        assert_eq!(by_name("limit")["schema"]["maximum"], 1000);
        assert!(by_name("cursor")["description"].as_str().unwrap().contains("Link header"));
        assert_eq!(by_name("latitude")["schema"]["maximum"], 90);
        assert_eq!(by_name("longitude")["schema"]["minimum"], -180);
        assert_eq!(by_name("radius")["schema"]["minimum"], 0);
        let status = by_name("status");
        assert_eq!(
            status["schema"]["items"]["enum"],
            serde_json::json!(["scheduled", "postponed", "rescheduled", "cancelled"])
        );
        assert_eq!((status["style"].as_str(), status["explode"].as_bool()), (Some("form"), Some(false)));
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

    /// schemathesis checks that every status an operation answers is
    /// documented: the limits of every process and the failures are on every route.
    #[test]
    fn every_operation_documents_every_status_it_can_answer() {
        let doc = doc();
        for path in ["/concerts", "/bands", "/venues", "/ready", "/health"] {
            let responses = &doc["paths"][path]["get"]["responses"];
            for status in ["414", "431", "500", "503"] {
                let answer = &responses[status];
                assert_eq!(
                    answer["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                    "{path} documents {status} with the error body"
                );
            }
            let read = !matches!(path, "/ready" | "/health");
            assert_eq!(responses.get("304").is_some(), read, "{path}: a 304 for conditional reads only");
        }
        for path in ["/concerts", "/bands", "/venues"] {
            let responses = &doc["paths"][path]["get"]["responses"];
            for status in ["200", "400", "502", "504"] {
                assert!(responses.get(status).is_some(), "{path} documents {status}");
            }
        }
    }

    /// Every route but the probes documents its rate limit: the headers on
    /// each answer, and a 429 that says when to come back.
    #[test]
    fn every_limited_operation_documents_its_429_and_its_headers() {
        let doc = doc();
        for (path, method) in
            [("/concerts", "get"), ("/places", "get"), ("/concerts/{id}", "patch"), ("/changes", "get")]
        {
            let responses = &doc["paths"][path][method]["responses"];
            assert_eq!(responses["429"]["headers"]["Retry-After"]["$ref"], "#/components/headers/Retry-After");
            assert_eq!(
                responses["429"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody"
            );
            for (status, answer) in responses.as_object().unwrap() {
                assert_eq!(answer["headers"]["RateLimit"]["$ref"], "#/components/headers/RateLimit", "{path} {status}");
                assert!(answer["headers"].get("RateLimit-Policy").is_some(), "{path} {status}");
            }
        }
        for header in ["RateLimit", "RateLimit-Policy", "Retry-After"] {
            assert!(doc["components"]["headers"][header]["description"].is_string(), "{header}");
        }
        for path in ["/ready", "/health"] {
            assert!(doc["paths"][path]["get"]["responses"].get("429").is_none(), "{path} is never limited");
        }
    }

    /// Swagger UI fills the examples in when one tries a route: only the
    /// required-in-practice `bandIds` has one, so that "1,2" gives 26 concerts.
    #[test]
    fn only_band_ids_has_an_example_to_fill_in() {
        let doc = doc();
        let parameters = doc["paths"]["/concerts"]["get"]["parameters"].as_array().unwrap();
        for parameter in parameters {
            let has_example = parameter.get("example").is_some() || parameter["schema"].get("examples").is_some();
            assert_eq!(has_example, parameter["name"] == "bandIds", "{parameter}");
        }
    }

    #[test]
    fn every_write_documents_its_token_its_body_and_its_refusals() {
        let doc = doc();
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer", "Swagger's Authorize");
        for path in ["/bands", "/venues", "/concerts"] {
            let one = format!("{path}/{{id}}");
            for (path, method) in [(path, "post"), (&one, "patch"), (&one, "delete")] {
                let operation = &doc["paths"][path][method];
                assert_eq!(operation["security"], json!([{"bearer": []}]), "{method} {path} needs the token");
                for status in ["400", "401", "403", "503"] {
                    assert!(operation["responses"].get(status).is_some(), "{method} {path} documents {status}");
                }
                let body = &operation["requestBody"]["content"]["application/json"];
                assert_eq!(body["schema"].is_object(), method != "delete", "{method} {path}: its body's schema");
                assert_eq!(operation["responses"].get("415").is_some(), method != "delete", "{method} {path}");
                assert_eq!(
                    operation["responses"].get("422").is_some(),
                    method == "post",
                    "{method} {path}: a key reused"
                );
                assert_eq!(operation["responses"].get("412").is_some(), method != "post", "{method} {path}: If-Match");
            }
            assert!(doc["paths"][&one]["get"].get("security").is_none(), "reading {path}/{{id}} is open");
        }
        let create = &doc["paths"]["/concerts"]["post"]["requestBody"]["content"]["application/json"];
        assert_eq!(create["example"]["band"]["name"], "The Velvet Owls", "Try-it-out starts from a composite create");
        assert_eq!(create["schema"]["allOf"].as_array().map(Vec::len), Some(2), "a band and a venue, each one way");
    }

    /// What a record's path and a write's headers may hold is the rule the
    /// code applies, and breaking it a documented 400.
    #[test]
    fn record_ids_and_write_headers_carry_their_rules() {
        let doc = doc();
        for (path, method) in [("/bands/{id}", "get"), ("/venues/{id}", "patch"), ("/concerts/{id}", "delete")] {
            let operation = &doc["paths"][path][method];
            let parameters = operation["parameters"].as_array().unwrap();
            let id = parameters.iter().find(|p| p["name"] == "id").unwrap();
            assert_eq!(id["schema"], RecordId::schema(), "{method} {path}");
            assert!(operation["responses"].get("400").is_some(), "{method} {path}");
            if method != "get" {
                let if_match = parameters.iter().find(|p| p["name"] == "If-Match").unwrap();
                assert_eq!(if_match["schema"]["pattern"], edits::IF_MATCH_PATTERN, "{method} {path}");
            }
        }
        let create = doc["paths"]["/concerts"]["post"]["parameters"].as_array().unwrap().clone();
        let key = create.iter().find(|p| p["name"] == "Idempotency-Key").unwrap();
        assert_eq!(key["schema"]["pattern"], edits::IDEMPOTENCY_KEY_PATTERN);
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
        let error_body = &doc["components"]["schemas"]["ErrorBody"];
        for field in ["statusCode", "error", "message", "errors"] {
            assert!(error_body["properties"].get(field).is_some(), "ErrorBody.{field}");
        }
        assert_eq!(error_body["properties"]["errors"]["items"]["$ref"], "#/components/schemas/Problem");
        assert_eq!(error_body["example"]["errors"][0]["code"], "out_of_range", "{error_body}");
        assert_eq!(error_body["example"]["errors"][0]["parameter"], "latitude");
        assert!(doc["components"]["schemas"]["NamesQuery"]["anyOf"].is_array());
        assert!(doc["components"]["schemas"]["Band"]["properties"].get("name").is_some());
    }

    /// A client generated from the document knows every code the API may
    /// answer: the enum is `Code` itself, each variant once.
    #[test]
    fn the_error_codes_documented_are_every_code() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Problem"]["properties"]["code"]["$ref"], "#/components/schemas/Code");
        assert_eq!(
            schemas["Problem"]["required"],
            json!(["code", "message"]),
            "parameter is left out when about no field"
        );
        let documented: Vec<&str> =
            schemas["Code"]["enum"].as_array().expect("an enum").iter().filter_map(Value::as_str).collect();
        let every: Vec<String> = Code::ALL.iter().map(Code::to_string).collect();
        assert_eq!(documented, every);
    }
}
