//! The checks every store of records written one at a time passes
//! ([`bootstrap::edits::EditableStore`]), whatever the entity and the
//! backend: each app's conformance suite runs them on its SQLite and MongoDB
//! stores, then checks what is its own (a renamed band found by its new
//! name, a moved venue in its new circle, a rescheduled concert in its new
//! place).

use std::fmt::Debug;
use std::sync::Arc;

use bootstrap::changes::ChangeLog;
use bootstrap::edits::{EditableStore, Once};
use changes_model::ChangeKind;
use exceptions::{Code, Problem, WriteError};
use serde::Serialize;

/// One kind of record, as the checks make and change it.
pub struct Editing<R, D> {
    /// A draft, different for each `n`.
    pub draft: fn(u32) -> D,
    /// The record's id.
    pub id: fn(&R) -> i64,
    /// A valid change of the record (a new name, a new date).
    pub change: fn(&R) -> R,
}

/// That `result` is the refusal `expected` (compared as `Debug` text: a
/// store's own error is not comparable).
#[track_caller]
fn assert_refused<T: Debug>(result: Result<T, WriteError>, expected: WriteError) {
    let refusal = result.expect_err("the write is refused");
    assert_eq!(format!("{refusal:?}"), format!("{expected:?}"));
}

fn once(key: &str, fingerprint: &str) -> Option<Once> {
    Some(Once { key: key.to_owned(), fingerprint: fingerprint.to_owned() })
}

/// Every check, on a store holding none of the records it makes (`log`: the same store's change log).
pub async fn conformance<R, D>(store: Arc<dyn EditableStore<R, D>>, log: Arc<dyn ChangeLog>, kind: Editing<R, D>)
where
    R: Clone + PartialEq + Debug + Serialize + Send + Sync + 'static,
    D: Send + 'static,
{
    created_read_changed_and_deleted(store.as_ref(), &kind).await;
    every_write_is_logged_in_commit_order(store.as_ref(), log.as_ref(), &kind).await;
    a_create_with_a_key_is_made_once(store.as_ref(), &kind).await;
    writes_on_a_stale_revision_are_refused(store.as_ref(), &kind).await;
    an_id_is_never_given_twice(store.as_ref(), &kind).await;
    compaction_keeps_the_newest_entry_and_tells_what_was_lost(store.as_ref(), log.as_ref()).await;
}

/// Compacting drops old entries but never the newest, does not change the
/// data's version, and a follower from before the oldest kept is told it lost entries.
async fn compaction_keeps_the_newest_entry_and_tells_what_was_lost<R, D>(
    store: &dyn EditableStore<R, D>,
    log: &dyn ChangeLog,
) {
    let before = log.changes_after(0, 1000).await.unwrap();
    assert!(before.changes.len() >= 3, "the checks before logged writes");
    let version = store.version_now().await.unwrap();
    assert_eq!(log.compact(0).await.unwrap(), 0, "nothing is older than 1970");
    let dropped = log.compact(i64::MAX).await.unwrap();
    assert_eq!(dropped as usize, before.changes.len() - 1, "all but the newest");
    let after = log.changes_after(0, 1000).await.unwrap();
    assert_eq!(after.changes, before.changes[before.changes.len() - 1..], "the newest is kept");
    assert_eq!((after.last, after.oldest), (before.last, Some(before.last)));
    assert!(after.lost_after(0) && after.lost_after(before.last - 2), "entries before the newest are gone");
    assert!(!after.lost_after(before.last - 1), "a follower that read them all lost nothing");
    assert_eq!(store.version_now().await.unwrap(), version, "compacting writes no data");
}

async fn created_read_changed_and_deleted<R, D>(store: &dyn EditableStore<R, D>, kind: &Editing<R, D>)
where
    R: Clone + PartialEq + Debug + Send + Sync + 'static,
{
    let created = store.create((kind.draft)(1), None).await.unwrap();
    assert!(!created.replayed);
    assert_eq!(created.revised.revision, 1);
    let id = (kind.id)(&created.revised.record);
    assert!(id > 0, "the store gives the id");
    assert_eq!(store.get(id).await.unwrap().unwrap(), created.revised, "read as made");

    let change = kind.change;
    let changed = store.update(id, None, Box::new(move |before| Ok(change(before)))).await.unwrap();
    assert_eq!(changed.record, change(&created.revised.record));
    assert_eq!(changed.revision, 2, "each write makes a new revision");
    assert_eq!(store.get(id).await.unwrap().unwrap(), changed);

    let invalid = || vec![Problem::at(Code::InvalidDate, "date", "date must be a date")];
    let refused = store.update(id, None, Box::new(move |_| Err(invalid()))).await;
    assert_refused(refused, WriteError::Invalid(invalid()));
    assert_eq!(store.get(id).await.unwrap().unwrap(), changed, "a refused change changes nothing");

    assert_eq!(store.delete(id, None).await.unwrap(), changed.record, "a delete answers what was deleted");
    assert_eq!(store.get(id).await.unwrap(), None);
    assert_refused(store.delete(id, None).await, WriteError::NotFound);
    let gone = store.update(id, None, Box::new(move |before| Ok(change(before)))).await;
    assert_refused(gone, WriteError::NotFound);
}

/// A create, an update and a delete are three entries of the log, in that
/// order, each with the record (a deleted one as it was last); a refused
/// write is none.
async fn every_write_is_logged_in_commit_order<R, D>(
    store: &dyn EditableStore<R, D>,
    log: &dyn ChangeLog,
    kind: &Editing<R, D>,
) where
    R: Clone + PartialEq + Debug + Serialize + Send + Sync + 'static,
{
    let before = log.changes_after(0, 1000).await.unwrap().last;
    let created = store.create((kind.draft)(9), None).await.unwrap().revised.record;
    let id = (kind.id)(&created);
    let change = kind.change;
    let changed = store.update(id, None, Box::new(move |before| Ok(change(before)))).await.unwrap().record;
    let refused = store.update(id, None, Box::new(|_| Err(vec![Problem::new(Code::InvalidValue, "refused")]))).await;
    assert!(refused.is_err());
    store.delete(id, None).await.unwrap();

    let page = log.changes_after(before, 1000).await.unwrap();
    let json = |record: &R| Some(serde_json::to_value(record).unwrap());
    let logged: Vec<_> = page.changes.iter().map(|c| (c.position, c.kind, c.id, c.record.clone())).collect();
    let previous: Vec<_> = page.changes.iter().map(|c| c.previous.clone()).collect();
    assert_eq!(previous, [None, json(&created), None], "an update keeps the record before it");
    assert_eq!(
        logged,
        [
            (before + 1, ChangeKind::Created, Some(id), json(&created)),
            (before + 2, ChangeKind::Updated, Some(id), json(&changed)),
            (before + 3, ChangeKind::Deleted, Some(id), json(&changed)),
        ]
    );
    assert!(page.changes.windows(2).all(|pair| pair[0].at <= pair[1].at), "commit times in order");
    assert_eq!(page.last, before + 3);
    assert!(!page.lost_after(before), "nothing was compacted");
    let after_all = log.changes_after(page.last, 10).await.unwrap();
    assert!(after_all.changes.is_empty(), "nothing after the last position");
    let first_only = log.changes_after(before, 1).await.unwrap();
    assert_eq!(first_only.changes.len(), 1, "at most the limit");
}

async fn a_create_with_a_key_is_made_once<R, D>(store: &dyn EditableStore<R, D>, kind: &Editing<R, D>)
where
    R: Clone + PartialEq + Debug + Send + Sync + 'static,
{
    let first = store.create((kind.draft)(2), once("key-1", "body-a")).await.unwrap();
    assert!(!first.replayed);
    let again = store.create((kind.draft)(2), once("key-1", "body-a")).await.unwrap();
    assert!(again.replayed, "the same key and body: the first answer");
    assert_eq!(again.revised, first.revised);
    let other = store.create((kind.draft)(3), once("key-1", "body-b")).await;
    assert_refused(other, WriteError::KeyReused); // the same key with another body

    // A record deleted takes its key with it: the key makes a new one.
    let id = (kind.id)(&first.revised.record);
    store.delete(id, None).await.unwrap();
    let remade = store.create((kind.draft)(2), once("key-1", "body-a")).await.unwrap();
    assert!(!remade.replayed);
    assert_ne!((kind.id)(&remade.revised.record), id);
    store.delete((kind.id)(&remade.revised.record), None).await.unwrap();
}

async fn writes_on_a_stale_revision_are_refused<R, D>(store: &dyn EditableStore<R, D>, kind: &Editing<R, D>)
where
    R: Clone + PartialEq + Debug + Send + Sync + 'static,
{
    let created = store.create((kind.draft)(4), None).await.unwrap().revised;
    let id = (kind.id)(&created.record);
    let change = kind.change;
    let stale = store.update(id, Some(7), Box::new(move |before| Ok(change(before)))).await;
    assert_refused(stale, WriteError::Stale { current: 1 });
    let changed = store.update(id, Some(1), Box::new(move |before| Ok(change(before)))).await.unwrap();
    assert_eq!(changed.revision, 2);
    assert_refused(store.delete(id, Some(1)).await, WriteError::Stale { current: 2 });
    assert_eq!(store.get(id).await.unwrap().unwrap(), changed, "a refused delete deletes nothing");
    store.delete(id, Some(2)).await.unwrap();
}

async fn an_id_is_never_given_twice<R, D>(store: &dyn EditableStore<R, D>, kind: &Editing<R, D>)
where
    R: Clone + PartialEq + Debug + Send + Sync + 'static,
{
    let last = store.create((kind.draft)(5), None).await.unwrap().revised;
    let id = (kind.id)(&last.record);
    store.delete(id, None).await.unwrap();
    let next = store.create((kind.draft)(6), None).await.unwrap().revised;
    assert!((kind.id)(&next.record) > id, "the largest id deleted is not given again");
    store.delete((kind.id)(&next.record), None).await.unwrap();
}
