use super::*;
use serde_json::json;

fn schema() -> Schema {
    Schema::new(
        "test",
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "ids": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 3},
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number"},
                "name": {"type": "string", "minLength": 1}
            },
            "dependentRequired": {"lat": ["lon"], "name": ["lon"]},
            "anyOf": [{"required": ["ids"]}, {"required": ["lat"]}],
            "errorMessage": {"anyOf": "give ids or lat"}
        }),
    )
    .expect("test schema compiles")
}

fn query_errors(raw: &str) -> Vec<String> {
    match schema().parse_query::<Value>(Some(raw)) {
        Err(HttpError::BadRequest(messages)) => messages,
        other => panic!("expected a bad request for {raw:?}, got {other:?}"),
    }
}

#[test]
fn comma_lists_and_repeated_keys_read_the_same() {
    let schema = schema();
    let commas: Value = schema.parse_query(Some("ids=1,2,3")).unwrap();
    let repeated: Value = schema.parse_query(Some("ids=1&ids=2&ids=3")).unwrap();
    let mixed: Value = schema.parse_query(Some("ids=1,2&ids=3")).unwrap();
    assert_eq!(commas, json!({"ids": [1, 2, 3]}));
    assert_eq!(repeated, commas);
    assert_eq!(mixed, commas);
}

#[test]
fn numbers_are_read_as_numbers() {
    let value: Value = schema().parse_query(Some("lat=-12.5&lon=3")).unwrap();
    assert_eq!(value, json!({"lat": -12.5, "lon": 3}));
}

#[test]
fn non_finite_numbers_are_rejected_with_the_value_sent() {
    for raw in ["NaN", "inf", "-infinity", "1e999"] {
        let errors = query_errors(&format!("lat={raw}&lon=1"));
        assert_eq!(errors, vec![format!("lat must be a number (got \"{raw}\")")]);
    }
}

#[test]
fn bounds_name_the_field_and_the_limit() {
    assert_eq!(query_errors("lat=91&lon=0"), vec!["lat must be <= 90"]);
    assert_eq!(query_errors("lat=-90.5&lon=0"), vec!["lat must be >= -90"]);
    assert_eq!(query_errors("ids=0"), vec!["ids[0] must be >= 1"]);
}

#[test]
fn list_items_are_checked_one_by_one() {
    assert_eq!(
        query_errors("ids=1,x,2.5"),
        vec!["ids[1] must be an integer (got \"x\")", "ids[2] must be an integer (got 2.5)"]
    );
    assert_eq!(query_errors("ids=1,2,3,4"), vec!["ids must have at most 3 items"]);
    assert_eq!(query_errors("ids="), vec!["ids[0] must be an integer (got \"\")"]);
}

#[test]
fn a_scalar_given_twice_is_rejected() {
    assert_eq!(query_errors("lat=1&lat=2&lon=0"), vec!["lat must be given only once"]);
}

#[test]
fn unknown_parameters_are_named() {
    assert_eq!(query_errors("ids=1&idz=2"), vec!["idz is not a known parameter (known: ids, lat, lon, name)"]);
}

#[test]
fn dependent_and_alternative_requirements_have_clear_messages() {
    assert_eq!(query_errors(""), vec!["give ids or lat"]);
    assert_eq!(query_errors("lat=1"), vec!["lon is required when lat is given"]);
    assert_eq!(query_errors("lat=1&name=x"), vec!["lon is required when lat and name are given"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors = query_errors("ids=0&lat=100&bogus=1");
    assert_eq!(errors.len(), 4, "{errors:?}");
}

#[test]
fn json_bodies_are_parsed_validated_and_located() {
    let records = Schema::new(
        "records",
        json!({"type": "array", "items": {
            "type": "object", "required": ["id", "name"],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string", "minLength": 1}}
        }}),
    )
    .unwrap();
    let ok: Vec<Value> = records.parse_json(br#"[{"id": 1, "name": "a"}]"#).unwrap();
    assert_eq!(ok.len(), 1);
    match records.parse_json::<Value>(br#"[{"id": 1, "name": "a"}, {"id": "2", "name": ""}, {"id": 3}]"#) {
        Err(HttpError::BadRequest(messages)) => assert_eq!(
            messages,
            vec![
                "[1].id must be an integer (got \"2\")",
                "[1].name must be at least 1 character long",
                "[2].name is required",
            ]
        ),
        other => panic!("expected a bad request, got {other:?}"),
    }
    match records.parse_json::<Value>(b"[{") {
        Err(HttpError::BadRequest(messages)) => assert!(messages[0].starts_with("body is not valid JSON")),
        other => panic!("expected a bad request, got {other:?}"),
    }
}
