//! Whole numbers written as decimals (`1.0`, `21e0`): JSON Schema counts
//! them as integers, serde does not read them into one. Found by the
//! `query` fuzz target: `bandIds=21e0` passed the schema, then failed to
//! deserialize into a 400 that named no field.

use serde_json::{Number, Value};

/// Every whole number of `value` that fits an `i64` as an integer, so that
/// what the schema takes as an integer, the type reads as one.
pub(crate) fn whole_as_integers(value: &mut Value) {
    // 2^63: every whole f64 below it in size is an exact i64.
    const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                && float.fract() == 0.0
                && (-I64_BOUND..I64_BOUND).contains(&float)
            {
                *number = Number::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn whole_numbers_become_integers_and_nothing_else_changes() {
        let mut value = json!({"a": [1.0, 21e0, -3.0, 1.5, 7], "b": {"c": 1e20, "d": "1.0"}, "e": -0.0});
        whole_as_integers(&mut value);
        assert_eq!(value, json!({"a": [1, 21, -3, 1.5, 7], "b": {"c": 1e20, "d": "1.0"}, "e": 0}));
        assert!(value["a"][0].is_i64() && value["b"]["c"].is_f64(), "1e20 is past i64: it stays a float");
    }
}
