//! Turns a query string into the JSON instance its schema describes.
//!
//! A query string has no types, so the schema's `properties` decide: an `array`
//! property collects every occurrence of its key and splits each on commas
//! (`ids=1,2&ids=3` is `[1, 2, 3]`); a scalar property given more than once
//! becomes an array, which the schema then rejects as "given more than once".
//! Numbers are read only when finite; anything else stays a string, so the
//! schema reports it with the value the client sent.

use serde_json::{Map, Number, Value};

pub(crate) fn to_instance(raw: &str, schema: &Value) -> Value {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        match grouped.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value.into_owned()),
            None => grouped.push((key.into_owned(), vec![value.into_owned()])),
        }
    }

    let mut object = Map::new();
    for (key, values) in grouped {
        let property = &schema["properties"][&key];
        let value = match property["type"].as_str() {
            Some("array") => {
                let item_type = property["items"]["type"].as_str();
                Value::Array(values.iter().flat_map(|v| v.split(',')).map(|item| coerce(item, item_type)).collect())
            }
            item_type => {
                let mut coerced: Vec<Value> = values.iter().map(|v| coerce(v, item_type)).collect();
                if coerced.len() == 1 { coerced.remove(0) } else { Value::Array(coerced) }
            }
        };
        object.insert(key, value);
    }
    Value::Object(object)
}

fn coerce(raw: &str, declared_type: Option<&str>) -> Value {
    match declared_type {
        Some("integer" | "number") => number(raw).unwrap_or_else(|| Value::String(raw.to_owned())),
        _ => Value::String(raw.to_owned()),
    }
}

fn number(raw: &str) -> Option<Value> {
    if let Ok(integer) = raw.parse::<i64>() {
        return Some(Value::Number(integer.into()));
    }
    // `f64::from_str` also accepts "inf" and "NaN", and overflows to infinity:
    // Number::from_f64 refuses every non-finite value.
    raw.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number)
}
