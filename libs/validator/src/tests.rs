use super::*;
use exceptions::{Code, Problem};
use serde_json::json;

/// The gateway's real query schema: what `GET /concerts` checks.
fn concerts_query() -> Schema {
    Schema::from_json_text(
        "ConcertsQuery",
        include_str!("../../../apps/concerts-gateway/schemas/concerts-query.schema.json"),
    )
    .expect("the concerts query schema compiles")
}

/// A problem's code and parameter.
type Coded = (Code, Option<String>);

/// `(code, parameter)` of each problem of `raw`.
fn codes(schema: &Schema, raw: &str) -> Vec<Coded> {
    query_problems(schema, raw).into_iter().map(|problem| (problem.code, problem.parameter)).collect()
}

fn at(code: Code, parameter: &str) -> Coded {
    (code, Some(parameter.to_owned()))
}

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

fn query_problems(schema: &Schema, raw: &str) -> Vec<Problem> {
    match schema.parse_query::<Value>(Some(raw)) {
        Err(HttpError::BadRequest(problems)) => problems,
        other => panic!("expected a bad request for {raw:?}, got {other:?}"),
    }
}

fn query_errors(raw: &str) -> Vec<String> {
    query_problems(&schema(), raw).into_iter().map(|problem| problem.message).collect()
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
        Err(HttpError::BadRequest(problems)) => assert_eq!(
            problems,
            vec![
                Problem::at(Code::WrongType, "[1].id", "[1].id must be an integer (got \"2\")"),
                Problem::at(Code::TooShort, "[1].name", "[1].name must be at least 1 character long"),
                Problem::at(Code::Required, "[2].name", "[2].name is required"),
            ]
        ),
        other => panic!("expected a bad request, got {other:?}"),
    }
    match records.parse_json::<Value>(b"[{") {
        Err(HttpError::BadRequest(problems)) => {
            assert_eq!((problems[0].code, problems[0].parameter.as_deref()), (Code::MalformedBody, None));
            assert!(problems[0].message.starts_with("body is not valid JSON"));
        }
        other => panic!("expected a bad request, got {other:?}"),
    }
}

#[test]
fn each_keyword_of_the_concerts_query_has_its_code_and_names_its_parameter() {
    let schema = concerts_query();
    let circle = "latitude=1&longitude=1&radius=1";
    let cases: Vec<(String, Vec<Coded>)> = vec![
        ("latitude=91&longitude=0&radius=1".into(), vec![at(Code::OutOfRange, "latitude")]),
        ("latitude=1&longitude=-181&radius=1".into(), vec![at(Code::OutOfRange, "longitude")]),
        ("latitude=north&longitude=0&radius=1".into(), vec![at(Code::WrongType, "latitude")]),
        ("bandIds=1,x".into(), vec![at(Code::WrongType, "bandIds[1]")]),
        ("bandIds=0".into(), vec![at(Code::OutOfRange, "bandIds[0]")]),
        (format!("{circle}&radius=2"), vec![at(Code::RepeatedParameter, "radius")]),
        (format!("{circle}&status=scheduled,gone"), vec![at(Code::NotAllowed, "status[1]")]),
        (
            format!("{circle}&status=scheduled,scheduled,cancelled,postponed,rescheduled"),
            vec![at(Code::TooManyItems, "status")],
        ),
        (
            format!("bandIds={}", (1..=1001).map(|i| i.to_string()).collect::<Vec<_>>().join(",")),
            vec![at(Code::TooManyItems, "bandIds")],
        ),
        (format!("{circle}&bandId=1"), vec![at(Code::UnknownParameter, "bandId")]),
        (
            format!("{circle}&bandId=1&lat=2"),
            vec![at(Code::UnknownParameter, "bandId"), at(Code::UnknownParameter, "lat")],
        ),
        ("latitude=1&longitude=1".into(), vec![at(Code::Required, "radius"), (Code::NoMatchingAlternative, None)]),
        ("bandIds=1&cursor=abc".into(), vec![at(Code::Required, "limit")]),
        (format!("{circle}&limit=5&cursor="), vec![at(Code::TooShort, "cursor"), at(Code::InvalidCursor, "cursor")]),
        (format!("{circle}&limit=5&cursor=a.b"), vec![at(Code::InvalidCursor, "cursor")]),
        (format!("{circle}&limit=5&cursor={}", "a".repeat(201)), vec![at(Code::InvalidCursor, "cursor")]),
        (format!("{circle}&from=yesterday"), vec![at(Code::InvalidDate, "from")]),
        (format!("{circle}&to=2019-13-01"), vec![at(Code::InvalidDate, "to")]),
        ("limit=5".into(), vec![(Code::NoMatchingAlternative, None)]),
        (format!("{circle}&limit=0"), vec![at(Code::OutOfRange, "limit")]),
        ("bandIds=".into(), vec![at(Code::WrongType, "bandIds[0]")]),
    ];
    let wrong: Vec<String> = cases
        .into_iter()
        .filter_map(|(raw, expected)| {
            let got = codes(&schema, &raw);
            (got != expected).then(|| format!("{raw}: got {got:?}, expected {expected:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn other_keywords_have_their_codes() {
    let schema = Schema::new(
        "others",
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"},
                "kind": {"const": "band"},
                "day": {"type": "string", "format": "date"},
                "above": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
                "few": {"type": "array", "items": {"type": "integer"}, "minItems": 2},
                "a": {"type": "integer"},
                "b": {"type": "integer"},
                "even": {"type": "integer", "multipleOf": 2}
            },
            "oneOf": [{"required": ["a"]}, {"required": ["b"]}]
        }),
    )
    .unwrap();
    let cases = [
        ("a=1&name=x", vec![at(Code::TooShort, "name")]),
        ("a=1&name=abcd", vec![at(Code::TooLong, "name")]),
        ("a=1&name=AB", vec![at(Code::InvalidFormat, "name")]),
        ("a=1&kind=venue", vec![at(Code::NotAllowed, "kind")]),
        ("a=1&day=2019-02-30", vec![at(Code::InvalidFormat, "day")]),
        ("a=1&above=0", vec![at(Code::OutOfRange, "above")]),
        ("a=1&above=10", vec![at(Code::OutOfRange, "above")]),
        ("a=1&few=1", vec![at(Code::TooFewItems, "few")]),
        ("a=1&even=3", vec![at(Code::InvalidValue, "even")]),
        ("name=ab", vec![(Code::NoMatchingAlternative, None)]),
        ("a=1&b=2", vec![(Code::MutuallyExclusive, None)]),
    ];
    for (raw, expected) in cases {
        assert_eq!(codes(&schema, raw), expected, "{raw}");
    }
}

#[test]
fn dependent_and_alternative_requirements_have_codes() {
    let schema = schema();
    assert_eq!(
        codes(&schema, ""),
        vec![(Code::NoMatchingAlternative, None)],
        "a schema-level errorMessage names no field"
    );
    assert_eq!(codes(&schema, "lat=1"), vec![at(Code::Required, "lon")], "the missing one, not the one given");
    assert_eq!(codes(&schema, "lat=1&lat=2&lon=0"), vec![at(Code::RepeatedParameter, "lat")]);
}

#[test]
fn a_schema_naming_an_unknown_code_does_not_compile() {
    let schema = json!({"type": "string", "pattern": "x", "errorCode": {"pattern": "not_a_code"}});
    let error = Schema::new("typo", schema).err().expect("refused");
    assert!(error.to_string().contains("not_a_code"), "{error}");
}
