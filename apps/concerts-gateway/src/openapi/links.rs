//! The OpenAPI links between the catalogue's operations: what an answer
//! gives the next request (a record's id, its `ETag` for `If-Match`, the band
//! and venue of a concert). A client generator can follow them, and
//! schemathesis's stateful phase chains create → read → change → delete
//! through them (`scripts/schemathesis.sh`).
//!
//! Each record's answers also document the `ETag` and `Location` headers
//! the links read.

use serde_json::{Value, json};

/// The record kinds of the catalogue: their path and the name their
/// operation ids end with (`getBand`, `createBand`, ...).
const KINDS: [(&str, &str); 3] = [("/bands", "Band"), ("/venues", "Venue"), ("/concerts", "Concert")];

/// Adds the links and the headers they read to `document`.
pub fn add(document: &mut Value) {
    document["components"]["headers"]["ETag"] = json!({
        "description": "The record's revision: send it back in `If-Match` to change or delete it only if nobody has since",
        "schema": {"type": "string"},
        "example": "\"3\""
    });
    document["components"]["headers"]["Location"] = json!({
        "description": "The path of the record just made",
        "schema": {"type": "string"},
        "example": "/bands/2001"
    });
    for (path, kind) in KINDS {
        let one = format!("{path}/{{id}}");
        let answers = [
            (path.to_owned(), "post", "201", Source::Answer),
            (one.clone(), "get", "200", Source::Answer),
            (one.clone(), "patch", "200", Source::Answer),
            (one.clone(), "delete", "204", Source::Request),
        ];
        for (at, method, status, source) in answers {
            let Some(answer) = answer(document, &at, method, status) else { continue };
            if source == Source::Answer {
                answer["headers"]["ETag"] = json!({"$ref": "#/components/headers/ETag"});
            }
            if method == "post" {
                answer["headers"]["Location"] = json!({"$ref": "#/components/headers/Location"});
            }
            answer["links"] = links(kind, source);
        }
    }
    for (path, method, status) in [("/concerts/{id}", "get", "200"), ("/concerts", "post", "201")] {
        let Some(answer) = answer(document, path, method, status) else { continue };
        for (field, kind) in [("bandId", "Band"), ("venueId", "Venue")] {
            answer["links"][format!("{kind}OfTheConcert")] = json!({
                "operationId": format!("get{kind}"),
                "parameters": {"path.id": format!("$response.body#/{field}")},
                "description": format!("The concert's {}", kind.to_lowercase()),
            });
        }
    }
}

/// The answer `status` of an operation, when the document has it.
fn answer<'a>(document: &'a mut Value, path: &str, method: &str, status: &str) -> Option<&'a mut Value> {
    document.get_mut("paths")?.get_mut(path)?.get_mut(method)?.get_mut("responses")?.get_mut(status)
}

/// Where the next request finds the record: in the answer (its body's `id`
/// and its `ETag`), or, after a delete, in the request that deleted it.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    Answer,
    Request,
}

/// The operations an answer about one record of `kind` leads to.
fn links(kind: &str, source: Source) -> Value {
    let id = match source {
        Source::Answer => "$response.body#/id",
        Source::Request => "$request.path.id",
    };
    let read = json!({
        "operationId": format!("get{kind}"),
        "parameters": {"path.id": id},
        "description": match source {
            Source::Answer => "Read the record again",
            Source::Request => "Read the deleted record: 404",
        },
    });
    if source == Source::Request {
        return json!({ format!("Get{kind}"): read });
    }
    let with_revision = |operation: &str, description: &str| {
        json!({
            "operationId": format!("{operation}{kind}"),
            "parameters": {"path.id": id, "header.If-Match": "$response.header.ETag"},
            "description": description,
        })
    };
    json!({
        format!("Get{kind}"): read,
        format!("Change{kind}"): with_revision("change", "Change the record, if nobody has since this answer"),
        format!("Delete{kind}"): with_revision("delete", "Delete the record, if nobody has changed it since this answer"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        let mut document = json!({"paths": {}});
        for (path, _) in KINDS {
            let one = format!("{path}/{{id}}");
            document["paths"][path]["post"]["responses"]["201"] = json!({"description": "Made"});
            for (method, status) in [("get", "200"), ("patch", "200"), ("delete", "204")] {
                document["paths"][&one][method]["responses"][status] = json!({"description": "Done"});
            }
        }
        add(&mut document);
        document
    }

    #[test]
    fn a_create_leads_to_reading_changing_and_deleting_what_it_made() {
        let document = document();
        for (path, kind) in KINDS {
            let links = &document["paths"][path]["post"]["responses"]["201"]["links"];
            assert_eq!(links[format!("Get{kind}")]["operationId"], format!("get{kind}"));
            let change = &links[format!("Change{kind}")];
            assert_eq!(change["operationId"], format!("change{kind}"));
            assert_eq!(change["parameters"]["path.id"], "$response.body#/id");
            assert_eq!(change["parameters"]["header.If-Match"], "$response.header.ETag");
            assert_eq!(links[format!("Delete{kind}")]["operationId"], format!("delete{kind}"));
        }
    }

    #[test]
    fn a_delete_leads_to_reading_the_id_it_was_asked() {
        let document = document();
        let links = &document["paths"]["/venues/{id}"]["delete"]["responses"]["204"]["links"];
        assert_eq!(links["GetVenue"]["parameters"]["path.id"], "$request.path.id");
        assert_eq!(links.as_object().map(|links| links.len()), Some(1), "nothing to change after a delete");
    }

    #[test]
    fn a_concert_leads_to_its_band_and_its_venue() {
        let document = document();
        for (path, method, status) in [("/concerts/{id}", "get", "200"), ("/concerts", "post", "201")] {
            let links = &document["paths"][path][method]["responses"][status]["links"];
            assert_eq!(links["BandOfTheConcert"]["parameters"]["path.id"], "$response.body#/bandId");
            assert_eq!(links["VenueOfTheConcert"]["operationId"], "getVenue");
        }
    }

    #[test]
    fn the_headers_the_links_read_are_documented() {
        let document = document();
        let made = &document["paths"]["/bands"]["post"]["responses"]["201"]["headers"];
        assert_eq!(made["ETag"]["$ref"], "#/components/headers/ETag");
        assert_eq!(made["Location"]["$ref"], "#/components/headers/Location");
        assert!(document["components"]["headers"]["ETag"]["description"].is_string());
        let deleted = &document["paths"]["/bands/{id}"]["delete"]["responses"]["204"];
        assert!(deleted.get("headers").is_none(), "a delete has no revision left");
    }
}
