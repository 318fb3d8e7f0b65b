//! Names as people type them. A band or venue is found by its name whatever
//! the case, the accents and the punctuation (`sigur ros` finds "Sigur Rós",
//! `husker` finds "Hüsker Dü"): both the name and the text typed are
//! [`fold`]ed the same way, and compared folded.
//!
//! A name is found by where the text stands in it, best first ([`Tier`]):
//! the whole name, the start of the name, the start of a later word, inside a
//! word. The stores index the folded name by the [`word_starts`] of it, so
//! that the first three are index ranges; inside a word, by trigrams.

/// The longest folded text a store indexes or compares at once: a longer name
/// is indexed by its first this many characters (and then checked whole).
pub const INDEXED_LENGTH: usize = 128;

/// The text as it is compared: transliterated to ASCII (`ø` → `o`, `ß` →
/// `ss`, `Ł` → `L`, even scripts like Cyrillic), lower case, every run of
/// characters other than letters and digits one space, no space at either end.
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text);
    let mut folded = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            folded.push(c.to_ascii_lowercase());
        } else if !folded.is_empty() && !folded.ends_with(' ') {
            folded.push(' ');
        }
    }
    if folded.ends_with(' ') {
        folded.pop();
    }
    folded
}

/// `text` cut to at most `length` bytes (folded text is ASCII: bytes are characters).
pub fn prefix(text: &str, length: usize) -> &str {
    &text[..text.len().min(length)]
}

/// Where each word of a folded name starts, as the rest of the name from
/// there, cut to [`INDEXED_LENGTH`]: `"sigur ros"` gives `["sigur ros", "ros"]`.
/// The first is the whole name.
pub fn word_starts(folded: &str) -> Vec<&str> {
    let mut starts = vec![prefix(folded, INDEXED_LENGTH)];
    for (at, c) in folded.char_indices() {
        if c == ' ' {
            starts.push(prefix(&folded[at + 1..], INDEXED_LENGTH));
        }
    }
    starts.retain(|start| !start.is_empty());
    starts.dedup();
    starts
}

/// How well a name matches the text typed, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The whole name is the text.
    WholeName,
    /// The name starts with the text.
    NameStart,
    /// A later word of the name starts with the text.
    WordStart,
    /// The text is inside a word.
    InsideWord,
}

/// The best place of `text` in `name`, both folded; `None` when it is not in it.
pub fn tier(name: &str, text: &str) -> Option<Tier> {
    if text.is_empty() {
        return None;
    }
    if name == text {
        return Some(Tier::WholeName);
    }
    if name.starts_with(text) {
        return Some(Tier::NameStart);
    }
    let mut best = None;
    for (at, _) in name.match_indices(text) {
        if name.as_bytes()[at - 1] == b' ' {
            return Some(Tier::WordStart);
        }
        best = Some(Tier::InsideWord);
    }
    best
}

/// The candidates (id, folded name) that match `typed` (folded), best first:
/// by [`Tier`], then within the whole-name and name-start tiers by the name,
/// within the word-start tier by the name from the matching word on, and by
/// id; at most `limit`. Every store ranks its candidates with this, so that
/// every backend answers the same order.
pub fn rank<S: AsRef<str>>(candidates: impl IntoIterator<Item = (i64, S)>, typed: &str, limit: usize) -> Vec<i64> {
    let key = prefix(typed, INDEXED_LENGTH);
    let mut ranked: Vec<(Tier, String, i64)> = candidates
        .into_iter()
        .filter_map(|(id, name)| {
            let name = name.as_ref();
            let tier = tier(name, typed)?;
            let order = match tier {
                Tier::WholeName | Tier::NameStart => prefix(name, INDEXED_LENGTH).to_owned(),
                Tier::WordStart => {
                    word_starts(name).into_iter().skip(1).find(|start| start.starts_with(key))?.to_owned()
                }
                Tier::InsideWord => String::new(),
            };
            Some((tier, order, id))
        })
        .collect();
    ranked.sort_unstable();
    ranked.dedup_by_key(|(_, _, id)| *id);
    ranked.into_iter().take(limit).map(|(_, _, id)| id).collect()
}

/// `records` (found by id, in any order) in the order of `ids`, the ranked
/// answer of a search.
pub fn in_order<T>(mut records: Vec<T>, ids: &[i64], id: impl Fn(&T) -> i64) -> Vec<T> {
    records.sort_by_key(|record| ids.iter().position(|wanted| *wanted == id(record)));
    records
}

/// Every run of three characters of a folded name (`"abcd"`: `abc`, `bcd`),
/// each once, of its first [`INDEXED_LENGTH`] characters: what an index of
/// text inside words is made of.
pub fn trigrams(folded: &str) -> Vec<&str> {
    let indexed = prefix(folded, INDEXED_LENGTH);
    let mut found: Vec<&str> = (0..indexed.len().saturating_sub(2)).map(|at| &indexed[at..at + 3]).collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// The first byte past every text that starts with `text` (folded, ASCII):
/// the end of its range in an index of folded strings.
pub fn range_end(text: &str) -> String {
    // Folded text holds letters, digits and spaces, all below DEL.
    format!("{text}\u{7f}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn case_accents_and_punctuation_fold_away() {
        assert_eq!(fold("Sigur Rós"), "sigur ros");
        assert_eq!(fold("Hüsker Dü"), "husker du");
        assert_eq!(fold("Sinéad O'Connor"), "sinead o connor");
        assert_eq!(fold("  AC/DC!! "), "ac dc");
        assert_eq!(fold("Czesław Śpiewa"), "czeslaw spiewa");
        assert_eq!(fold("Mötley Crüe"), "motley crue");
        assert_eq!(fold("Die Ärzte, Straße"), "die arzte strasse");
        assert_eq!(fold("Ørkenkjøtt"), "orkenkjott");
        assert_eq!(fold("Le Batofar, Paris, France"), "le batofar paris france");
        assert_eq!(fold("!!!"), "");
    }

    #[test]
    fn a_name_is_found_at_the_start_of_each_of_its_words() {
        assert_eq!(word_starts("sigur ros"), vec!["sigur ros", "ros"]);
        assert_eq!(word_starts("3 doors down"), vec!["3 doors down", "doors down", "down"]);
        assert_eq!(word_starts("x"), vec!["x"]);
        let long = "a ".repeat(200) + "b";
        assert!(word_starts(&long).iter().all(|start| start.len() <= INDEXED_LENGTH));
    }

    #[test]
    fn tiers_go_from_the_whole_name_to_inside_a_word() {
        assert_eq!(tier("sigur ros", "sigur ros"), Some(Tier::WholeName));
        assert_eq!(tier("3 doors down", "3 doors"), Some(Tier::NameStart));
        assert_eq!(tier("3 doors down", "3 do"), Some(Tier::NameStart));
        assert_eq!(tier("sinead o connor", "connor"), Some(Tier::WordStart));
        assert_eq!(tier("le batofar paris france", "paris"), Some(Tier::WordStart));
        assert_eq!(tier("husker du", "sker"), Some(Tier::InsideWord));
        // The text inside a word first, then at a word's start: the better place counts.
        assert_eq!(tier("parisian paris", "paris"), Some(Tier::NameStart));
        assert_eq!(tier("xparis paris", "paris"), Some(Tier::WordStart));
        assert_eq!(tier("radiohead", "muse"), None);
        assert_eq!(tier("radiohead", ""), None);
    }

    #[test]
    fn candidates_are_ranked_by_tier_then_name_then_id() {
        let candidates = [
            (5, "backdoors"),
            (2, "the doors"),
            (1, "doorsmen"),
            (3, "3 doors down"),
            (4, "doors"),
            (6, "doors of perception"),
            (7, "radiohead"),
        ];
        assert_eq!(rank(candidates, "doors", 10), vec![4, 6, 1, 2, 3, 5], "radiohead does not match");
        assert_eq!(rank(candidates, "doors", 3), vec![4, 6, 1]);
        assert_eq!(rank([(9, "x"), (9, "x")], "x", 10), vec![9], "a candidate found twice is answered once");
    }

    #[test]
    fn trigrams_are_every_run_of_three_once() {
        assert_eq!(trigrams("abcab"), vec!["abc", "bca", "cab"]);
        assert_eq!(trigrams("ab"), Vec::<&str>::new());
        assert_eq!(trigrams("a b"), vec!["a b"]);
    }

    proptest! {
        #[test]
        fn folding_is_idempotent_and_ascii(text in "\\PC{0,40}") {
            let folded = fold(&text);
            prop_assert_eq!(fold(&folded), folded.clone());
            prop_assert!(folded.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '));
            prop_assert!(!folded.starts_with(' ') && !folded.ends_with(' ') && !folded.contains("  "));
        }

        #[test]
        fn a_typed_prefix_of_a_word_start_finds_it_in_its_range(
            words in prop::collection::vec("[a-z0-9]{1,8}", 1..6),
            cut in 1usize..20,
        ) {
            let name = words.join(" ");
            for start in word_starts(&name) {
                prop_assert!(name.contains(start));
                // What a person types: the start of a word start. Its range holds the word start.
                let typed = prefix(start, cut.min(start.len()));
                prop_assert!(typed <= start && start < range_end(typed).as_str(), "{typed:?} {start:?}");
                prop_assert!(tier(&name, typed).is_some_and(|tier| tier <= Tier::WordStart));
            }
        }
    }
}
