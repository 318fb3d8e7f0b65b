//! Turns a JSON Schema validation error into a [`Problem`] a client can act
//! on: its code (from the keyword: `maximum` is `out_of_range`), the field
//! (`bandIds[2]`, `latitude`, `[4].name`) and a sentence naming the rule.
//!
//! A schema may override the sentence for a keyword the ajv-errors way,
//! `"errorMessage": {"anyOf": "..."}` beside the keyword, and the code the
//! same way, `"errorCode": {"anyOf": "invalid_date"}`, where the keyword
//! says less than the domain does (a cursor's `pattern` is an invalid cursor).

use exceptions::{Code, Problem};
use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde::Deserialize;
use serde_json::Value;

pub(crate) fn describe(error: &ValidationError<'_>, schema: &Value) -> Vec<Problem> {
    let field = field_name(error.instance_path().as_str());
    let schema_path = error.schema_path().as_str();
    let custom = custom_message(schema, schema_path);
    let chosen = custom_code(schema, schema_path);
    // Where the error is about the object holding the field (a field
    // missing, one not known), the problem names that field.
    let (code, parameter, message) = match error.kind() {
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().unwrap_or_default();
            let missing = join_field(&field, property);
            let triggers = dependent_triggers(schema, schema_path, error.instance(), property);
            let message = match triggers.as_slice() {
                [] => format!("{missing} is required"),
                [one] => format!("{missing} is required when {} is given", join_field(&field, one)),
                many => format!(
                    "{missing} is required when {} are given",
                    many.iter().map(|t| join_field(&field, t)).collect::<Vec<_>>().join(" and ")
                ),
            };
            (Code::Required, Some(missing), message)
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            // One problem per unknown field, so that each names its own.
            let known = known_properties(schema, schema_path);
            return unexpected
                .iter()
                .map(|name| {
                    let parameter = join_field(&field, name);
                    let message = custom
                        .clone()
                        .unwrap_or_else(|| format!("{parameter} is not a known parameter (known: {known})"));
                    Problem::at(chosen.unwrap_or(Code::UnknownParameter), parameter, message)
                })
                .collect();
        }
        kind => {
            let (code, message) = rule(kind, error, &field);
            (code, (field != ROOT).then(|| field.clone()), message)
        }
    };
    vec![Problem { code: chosen.unwrap_or(code), parameter, message: custom.unwrap_or(message) }]
}

/// The code and sentence of a rule broken by the value at `field`.
fn rule(kind: &ValidationErrorKind, error: &ValidationError<'_>, field: &str) -> (Code, String) {
    let got = shown(error.instance());
    match kind {
        ValidationErrorKind::Type { kind } => {
            if error.instance().is_array() && !expects_array(kind) {
                (Code::RepeatedParameter, format!("{field} must be given only once"))
            } else {
                (Code::WrongType, format!("{field} must be {} (got {got})", type_name(kind)))
            }
        }
        ValidationErrorKind::Minimum { limit } => (Code::OutOfRange, format!("{field} must be >= {limit}")),
        ValidationErrorKind::Maximum { limit } => (Code::OutOfRange, format!("{field} must be <= {limit}")),
        ValidationErrorKind::ExclusiveMinimum { limit } => (Code::OutOfRange, format!("{field} must be > {limit}")),
        ValidationErrorKind::ExclusiveMaximum { limit } => (Code::OutOfRange, format!("{field} must be < {limit}")),
        ValidationErrorKind::MinItems { limit } => {
            (Code::TooFewItems, format!("{field} must have at least {limit} item{}", plural(*limit)))
        }
        ValidationErrorKind::MaxItems { limit } => {
            (Code::TooManyItems, format!("{field} must have at most {limit} item{}", plural(*limit)))
        }
        ValidationErrorKind::MinLength { limit } => {
            (Code::TooShort, format!("{field} must be at least {limit} character{} long", plural(*limit)))
        }
        ValidationErrorKind::MaxLength { limit } => {
            (Code::TooLong, format!("{field} must be at most {limit} character{} long", plural(*limit)))
        }
        ValidationErrorKind::Enum { options } => {
            (Code::NotAllowed, format!("{field} must be one of {options} (got {got})"))
        }
        ValidationErrorKind::UniqueItems => (Code::InvalidValue, format!("{field} must not repeat an item")),
        other => (code_of(other), format!("{field}: {error}")),
    }
}

/// The code of the keywords whose sentence is jsonschema's own (or a schema's `errorMessage`).
fn code_of(kind: &ValidationErrorKind) -> Code {
    match kind {
        ValidationErrorKind::Format { .. } | ValidationErrorKind::Pattern { .. } => Code::InvalidFormat,
        ValidationErrorKind::Constant { .. } => Code::NotAllowed,
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => Code::NoMatchingAlternative,
        // The schemas here say "not both" with `not`.
        ValidationErrorKind::OneOfMultipleValid { .. } | ValidationErrorKind::Not { .. } => Code::MutuallyExclusive,
        _ => Code::InvalidValue,
    }
}

/// How the root of an instance is named in a sentence; a problem there names no field.
const ROOT: &str = "request";

/// `/bandIds/2` becomes `bandIds[2]`, `/4/name` becomes `[4].name`, the root `request`.
fn field_name(instance_path: &str) -> String {
    let mut name = String::new();
    for segment in instance_path.split('/').skip(1) {
        if segment.parse::<usize>().is_ok() {
            name.push_str(&format!("[{segment}]"));
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(&segment.replace("~1", "/").replace("~0", "~"));
        }
    }
    if name.is_empty() { ROOT.to_owned() } else { name }
}

fn join_field(parent: &str, child: &str) -> String {
    if parent == ROOT { child.to_owned() } else { format!("{parent}.{child}") }
}

/// For a `dependentRequired` failure: the properties present in `instance`
/// whose presence requires the missing one.
fn dependent_triggers<'s>(schema: &'s Value, schema_path: &str, instance: &Value, missing: &str) -> Vec<&'s str> {
    let Some(rules) = schema.pointer(schema_path).filter(|_| schema_path.ends_with("/dependentRequired")) else {
        return Vec::new();
    };
    let Some(rules) = rules.as_object() else { return Vec::new() };
    rules
        .iter()
        .filter(|(trigger, required)| {
            instance.get(trigger.as_str()).is_some()
                && required.as_array().is_some_and(|list| list.iter().any(|r| r == missing))
        })
        .map(|(trigger, _)| trigger.as_str())
        .collect()
}

fn custom_message(schema: &Value, schema_path: &str) -> Option<String> {
    beside(schema, schema_path, "errorMessage")?.as_str().map(str::to_owned)
}

/// The code a schema gives the keyword's failure (`errorCode`), checked
/// when the schema was compiled ([`unknown_error_codes`]).
fn custom_code(schema: &Value, schema_path: &str) -> Option<Code> {
    beside(schema, schema_path, ERROR_CODE).and_then(|code| Code::deserialize(code).ok())
}

/// What `extension` (`errorMessage`, `errorCode`) says of the keyword that failed at `schema_path`.
fn beside<'s>(schema: &'s Value, schema_path: &str, extension: &str) -> Option<&'s Value> {
    let (parent, keyword) = schema_path.rsplit_once('/')?;
    schema.pointer(parent)?.get(extension)?.get(keyword)
}

const ERROR_CODE: &str = "errorCode";

/// Every `errorCode` of `schema` that names no [`Code`], where it stands.
pub(crate) fn unknown_error_codes(schema: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut pending = vec![schema];
    while let Some(node) = pending.pop() {
        match node {
            Value::Object(object) => {
                if let Some(Value::Object(codes)) = object.get(ERROR_CODE) {
                    for (keyword, code) in codes {
                        if Code::deserialize(code).is_err() {
                            unknown.push(format!("errorCode {keyword}: {code}"));
                        }
                    }
                }
                pending.extend(object.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    unknown
}

fn known_properties(schema: &Value, schema_path: &str) -> String {
    let parent = schema_path.rsplit_once('/').map_or("", |(parent, _)| parent);
    let mut names: Vec<&str> = schema
        .pointer(parent)
        .and_then(|node| node.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().map(String::as_str).collect())
        .unwrap_or_default();
    // Sorted here: serde_json's map order depends on the crate features the build unifies.
    names.sort_unstable();
    names.join(", ")
}

fn expects_array(kind: &TypeKind) -> bool {
    match kind {
        TypeKind::Single(single) => single.to_string() == "array",
        TypeKind::Multiple(set) => set.iter().any(|t| t.to_string() == "array"),
    }
}

fn type_name(kind: &TypeKind) -> String {
    let article = |name: String| match name.as_str() {
        "array" => "a list".to_owned(),
        "integer" | "object" => format!("an {name}"),
        _ => format!("a {name}"),
    };
    match kind {
        TypeKind::Single(single) => article(single.to_string()),
        TypeKind::Multiple(set) => set.iter().map(|t| article(t.to_string())).collect::<Vec<_>>().join(" or "),
    }
}

/// The offending value, short enough for a message.
fn shown(instance: &Value) -> String {
    const LIMIT: usize = 40;
    let text = instance.to_string();
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}
