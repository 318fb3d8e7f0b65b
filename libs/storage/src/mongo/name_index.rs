//! A name index in a collection of named records (`bands`, `venues`): the
//! same search as the SQLite one (`crate::sqlite::NameIndex`), from three fields
//! written with each document and indexed:
//! - `folded`: the folded name (its first `name_match::INDEXED_LENGTH` characters),
//!   for the whole name and the name's start, an index range;
//! - `starts`: the name from each later word on, for a later word's start;
//! - `trigrams`: the name's runs of three characters, for text inside a word.
//!
//! Candidates are ranked by `name_match::rank` on their whole folded name.

use crate::name_match::{self, INDEXED_LENGTH, fold, prefix, range_end, trigrams, word_starts};
use mongodb::IndexModel;
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use serde::Deserialize;

use super::{Find, MongoCollection};
use exceptions::StoreError;

/// Trigram candidates looked at per name answered, at most.
const CANDIDATES_PER_ANSWER: usize = 20;

const BY_FOLDED: &str = "names_by_folded";
const BY_STARTS: &str = "names_by_word_starts";
const BY_TRIGRAMS: &str = "names_by_trigrams";

/// The fields that make a document findable by `name`, to write with it.
pub fn fields(name: &str) -> Document {
    let folded = fold(name);
    let starts: Vec<&str> = word_starts(&folded).into_iter().skip(1).collect();
    doc! { "folded": prefix(&folded, INDEXED_LENGTH), "starts": starts, "trigrams": trigrams(&folded) }
}

/// The indexes the search reads.
pub fn indexes() -> Vec<IndexModel> {
    let index = |field: &str, name: &str| {
        IndexModel::builder()
            .keys(doc! { field: 1 })
            .options(IndexOptions::builder().name(name.to_owned()).build())
            .build()
    };
    vec![index("folded", BY_FOLDED), index("starts", BY_STARTS), index("trigrams", BY_TRIGRAMS)]
}

#[derive(Deserialize)]
struct Candidate {
    #[serde(rename = "_id")]
    id: i64,
    name: String,
}

/// The ids of at most `limit` documents of `collection` whose `name` matches
/// `text`, best first.
pub async fn search(collection: &MongoCollection, text: &str, limit: usize) -> Result<Vec<i64>, StoreError> {
    let typed = fold(text);
    if typed.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let key = prefix(&typed, INDEXED_LENGTH);
    let range = doc! { "$gte": key, "$lt": range_end(key) };
    let projection = doc! { "_id": 1, "name": 1 };
    let query = |filter: Document, sort: Document, hint, wanted: usize| Find {
        filter,
        projection: projection.clone(),
        sort,
        limit: Some(wanted),
        hint: Some(hint),
    };
    let mut queries = vec![
        query(doc! { "folded": range.clone() }, doc! { "folded": 1, "_id": 1 }, BY_FOLDED, limit * 2),
        query(doc! { "starts": range }, doc! { "_id": 1 }, BY_STARTS, limit * 2),
    ];
    if key.len() >= 3 {
        let all = trigrams(key);
        queries.push(query(
            doc! { "trigrams": { "$all": all } },
            doc! { "_id": 1 },
            BY_TRIGRAMS,
            limit * CANDIDATES_PER_ANSWER,
        ));
    }
    let answers =
        futures::future::try_join_all(queries.into_iter().map(|query| collection.find::<Candidate>(query))).await?;
    let candidates = answers.into_iter().flatten().map(|candidate| (candidate.id, fold(&candidate.name)));
    Ok(name_match::rank(candidates, &typed, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_carries_its_folded_name_its_word_starts_and_trigrams() {
        assert_eq!(
            fields("Sigur Rós"),
            doc! {
                "folded": "sigur ros",
                "starts": ["ros"],
                "trigrams": [" ro", "gur", "igu", "r r", "ros", "sig", "ur "],
            }
        );
    }

    #[test]
    fn each_field_has_its_index() {
        let keys: Vec<Document> = indexes().into_iter().map(|index| index.keys).collect();
        assert_eq!(keys, vec![doc! { "folded": 1 }, doc! { "starts": 1 }, doc! { "trigrams": 1 }]);
    }
}
