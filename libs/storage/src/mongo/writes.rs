//! Bulk writes that work on every MongoDB the product supports (4.4 and
//! later): one `update` command carrying many upsert statements, unordered.
//! This is what the driver's own bulk API sends before MongoDB 8.0, whose
//! `bulkWrite` command (`Client::bulk_write`) older servers lack.

use exceptions::StoreError;
use mongodb::bson::{Document, doc};

use super::errors::is_transient_code;

/// One statement of an `update` command: `update` applies to the one document
/// matching `filter`, which is inserted when there is none. `update` is either
/// a whole replacement document or operators such as `$setOnInsert`.
pub fn upsert_statement(filter: Document, update: Document) -> Document {
    doc! { "q": filter, "u": update, "upsert": true, "multi": false }
}

/// The `update` command for `statements` on `collection`. Unordered: the
/// server applies every statement it can and reports the others, so one bad
/// record does not stop the batch, and the statements may run in parallel.
pub fn update_command(collection: &str, statements: Vec<Document>) -> Document {
    doc! { "update": collection, "updates": statements, "ordered": false }
}

/// A write command answers `ok: 1` even when statements failed: they are
/// listed in `writeErrors`, and a write not replicated as asked in
/// `writeConcernError`. Either fails the batch.
pub fn check_write_reply(reply: &Document) -> Result<(), StoreError> {
    if let Ok(errors) = reply.get_array("writeErrors")
        && let Some(first) = errors.first().and_then(|e| e.as_document())
    {
        let code = first.get_i32("code").unwrap_or_default();
        let detail = format!(
            "{} of the batch's writes failed; first (statement {}): {} (code {code})",
            errors.len(),
            first.get_i32("index").unwrap_or_default(),
            first.get_str("errmsg").unwrap_or("no message"),
        );
        return Err(if is_transient_code(code) {
            StoreError::unavailable_because(detail)
        } else {
            StoreError::backend_because(detail)
        });
    }
    if let Ok(concern) = reply.get_document("writeConcernError") {
        return Err(StoreError::unavailable_because(format!(
            "the write was not confirmed by the replicas as asked: {}",
            concern.get_str("errmsg").unwrap_or("no message")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_commands_have_the_update_commands_shape() {
        let statement = upsert_statement(doc! { "_id": 7_i64 }, doc! { "name": "Muse" });
        assert_eq!(statement, doc! { "q": { "_id": 7_i64 }, "u": { "name": "Muse" }, "upsert": true, "multi": false });
        assert_eq!(
            update_command("bands", vec![statement.clone()]),
            doc! { "update": "bands", "updates": [statement], "ordered": false }
        );
    }

    #[test]
    fn a_clean_reply_passes() {
        assert!(
            check_write_reply(&doc! { "ok": 1, "n": 2, "nModified": 0, "upserted": [{ "index": 0, "_id": 1 }] })
                .is_ok()
        );
    }

    #[test]
    fn write_errors_fail_the_batch_and_say_which_statement() {
        let reply = doc! { "ok": 1, "n": 1, "writeErrors": [
            { "index": 3, "code": 11000, "errmsg": "E11000 duplicate key error" },
            { "index": 4, "code": 11000, "errmsg": "E11000 duplicate key error" },
        ] };
        match check_write_reply(&reply) {
            Err(StoreError::Backend { context: detail, .. }) => {
                assert!(detail.contains("2 of the batch's writes failed"), "{detail}");
                assert!(detail.contains("statement 3") && detail.contains("code 11000"), "{detail}");
            }
            other => panic!("expected a backend failure, got {other:?}"),
        }
        let stepped_down = doc! { "ok": 1, "writeErrors": [{ "index": 0, "code": 10107, "errmsg": "not primary" }] };
        assert!(matches!(check_write_reply(&stepped_down), Err(StoreError::Unavailable { .. })));
    }

    #[test]
    fn an_unmet_write_concern_is_unavailable() {
        let reply = doc! { "ok": 1, "n": 1, "writeConcernError": { "code": 64, "errmsg": "waiting for replication timed out" } };
        assert!(matches!(check_write_reply(&reply), Err(StoreError::Unavailable { .. })));
    }
}
