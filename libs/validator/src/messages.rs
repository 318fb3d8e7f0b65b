//! Turns a JSON Schema validation error into a sentence a client can act on:
//! the field (`bandIds[2]`, `latitude`, `[4].name`) and the rule it breaks.
//!
//! A schema may override the sentence for a keyword the ajv-errors way:
//! `"errorMessage": {"anyOf": "..."}` beside the keyword.

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

pub(crate) fn describe(error: &ValidationError<'_>, schema: &Value) -> String {
    let field = field_name(error.instance_path().as_str());
    let schema_path = error.schema_path().as_str();
    if let Some(custom) = custom_message(schema, schema_path) {
        return custom;
    }
    let got = shown(error.instance());
    match error.kind() {
        ValidationErrorKind::Type { kind } => {
            if error.instance().is_array() && !expects_array(kind) {
                format!("{field} must be given only once")
            } else {
                format!("{field} must be {} (got {got})", type_name(kind))
            }
        }
        ValidationErrorKind::Minimum { limit } => format!("{field} must be >= {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("{field} must be <= {limit}"),
        ValidationErrorKind::ExclusiveMinimum { limit } => format!("{field} must be > {limit}"),
        ValidationErrorKind::ExclusiveMaximum { limit } => format!("{field} must be < {limit}"),
        ValidationErrorKind::MinItems { limit } => {
            format!("{field} must have at least {limit} item{}", plural(*limit))
        }
        ValidationErrorKind::MaxItems { limit } => {
            format!("{field} must have at most {limit} item{}", plural(*limit))
        }
        ValidationErrorKind::MinLength { limit } => {
            format!("{field} must be at least {limit} character{} long", plural(*limit))
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("{field} must be at most {limit} character{} long", plural(*limit))
        }
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().unwrap_or_default();
            let missing = join_field(&field, property);
            let triggers = dependent_triggers(schema, schema_path, error.instance(), property);
            match triggers.as_slice() {
                [] => format!("{missing} is required"),
                [one] => format!("{missing} is required when {} is given", join_field(&field, one)),
                many => format!(
                    "{missing} is required when {} are given",
                    many.iter().map(|t| join_field(&field, t)).collect::<Vec<_>>().join(" and ")
                ),
            }
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known = known_properties(schema, schema_path);
            unexpected
                .iter()
                .map(|name| format!("{} is not a known parameter (known: {known})", join_field(&field, name)))
                .collect::<Vec<_>>()
                .join("; ")
        }
        ValidationErrorKind::Enum { options } => format!("{field} must be one of {options} (got {got})"),
        ValidationErrorKind::UniqueItems => format!("{field} must not repeat an item"),
        _ => format!("{field}: {error}"),
    }
}

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
    if name.is_empty() { "request".to_owned() } else { name }
}

fn join_field(parent: &str, child: &str) -> String {
    if parent == "request" { child.to_owned() } else { format!("{parent}.{child}") }
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
    let (parent, keyword) = schema_path.rsplit_once('/')?;
    let node = schema.pointer(parent)?;
    node.get("errorMessage")?.get(keyword)?.as_str().map(str::to_owned)
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
