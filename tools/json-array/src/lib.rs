//! Large JSON arrays (`bands.json`, `concerts.json`, ...) one element at a time,
//! so that memory stays bounded whatever the file's size.
//!
//! - [`for_each_element`] parses `[e0, e1, ...]` from any reader and hands each
//!   element to a callback as soon as it is parsed. It drives serde_json's own
//!   `SeqAccess` over the array; `StreamDeserializer` was not used because it
//!   reads whitespace-separated values, not the elements of one array.
//! - [`ArrayWriter`] writes an array element by element, one per line.

use std::fmt;
use std::io::{self, BufRead, Write};
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::{DeserializeOwned, Error as _, SeqAccess, Visitor};

/// Why an array could not be read to its end.
#[derive(Debug, thiserror::Error)]
pub enum ReadError<E> {
    #[error("expected a JSON array")]
    NotAnArray,
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The callback returned this error; the rest of the input was not read.
    #[error("{0}")]
    Stopped(E),
}

/// Calls `each(index, element)` for every element of the JSON array that
/// `reader` holds, in order, and returns how many there were. Nothing but
/// white space may follow the array.
pub fn for_each_element<T, R, E>(
    mut reader: R,
    mut each: impl FnMut(u64, T) -> Result<(), E>,
) -> Result<u64, ReadError<E>>
where
    T: DeserializeOwned,
    R: BufRead,
{
    // Checked up front so that "not an array" is told apart from broken JSON.
    if first_significant_byte(&mut reader)? != Some(b'[') {
        return Err(ReadError::NotAnArray);
    }
    let mut stopped = None;
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let visitor = Elements { each: &mut each, stopped: &mut stopped, element: PhantomData };
    let count = match serde::Deserializer::deserialize_seq(&mut deserializer, visitor) {
        Ok(count) => count,
        Err(error) => return Err(stopped.take().map_or(ReadError::Json(error), ReadError::Stopped)),
    };
    deserializer.end()?;
    Ok(count)
}

/// The first byte that is not JSON white space, left unread in `reader`.
fn first_significant_byte(reader: &mut impl BufRead) -> io::Result<Option<u8>> {
    loop {
        let buffer = reader.fill_buf()?;
        let Some(&byte) = buffer.first() else { return Ok(None) };
        if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            reader.consume(1);
        } else {
            return Ok(Some(byte));
        }
    }
}

struct Elements<'a, T, F, E> {
    each: &'a mut F,
    stopped: &'a mut Option<E>,
    element: PhantomData<T>,
}

impl<'de, T, F, E> Visitor<'de> for Elements<'_, T, F, E>
where
    T: DeserializeOwned,
    F: FnMut(u64, T) -> Result<(), E>,
{
    type Value = u64;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut elements: A) -> Result<u64, A::Error> {
        let mut index = 0;
        while let Some(element) = elements.next_element::<T>()? {
            if let Err(error) = (self.each)(index, element) {
                *self.stopped = Some(error);
                return Err(A::Error::custom("stopped by the caller"));
            }
            index += 1;
        }
        Ok(index)
    }
}

/// Writes a JSON array one element per line: `[`, the elements separated by
/// `,`, then `]`. Give it a buffered writer.
pub struct ArrayWriter<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> ArrayWriter<W> {
    pub fn new(out: W) -> Self {
        Self { out, written: 0 }
    }

    pub fn push<T: Serialize>(&mut self, element: &T) -> io::Result<()> {
        self.out.write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, element)?;
        self.written += 1;
        Ok(())
    }

    /// Closes the array, flushes, and returns the writer and the element count.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.out.write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()?;
        Ok((self.out, self.written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn read_all(text: &str) -> Result<Vec<Value>, ReadError<()>> {
        let mut found = Vec::new();
        let count = for_each_element(text.as_bytes(), |index, element: Value| {
            assert_eq!(index, found.len() as u64, "indexes count from 0 in order");
            found.push(element);
            Ok(())
        })?;
        assert_eq!(count, found.len() as u64);
        Ok(found)
    }

    #[test]
    fn reads_every_element_in_order() {
        let found = read_all(" \n[{\"id\": 1}, {\"id\": 2},\n {\"id\": 3}]\n").unwrap();
        assert_eq!(found, vec![json!({"id": 1}), json!({"id": 2}), json!({"id": 3})]);
        assert_eq!(read_all("[]").unwrap(), Vec::<Value>::new());
    }

    #[test]
    fn tells_a_non_array_from_broken_json() {
        assert!(matches!(read_all(r#"{"id": 1}"#), Err(ReadError::NotAnArray)));
        assert!(matches!(read_all(""), Err(ReadError::NotAnArray)));
        assert!(matches!(read_all(r#"[{"id": 10, "name": "Olympia""#), Err(ReadError::Json(_))));
        assert!(matches!(read_all("[1, 2] 3"), Err(ReadError::Json(_))), "trailing data is an error");
    }

    #[test]
    fn the_callback_can_stop_the_reading() {
        let mut seen = 0;
        let result = for_each_element("[1, 2, 3, 4]".as_bytes(), |index, _: i64| {
            seen += 1;
            if index == 1 { Err("enough") } else { Ok(()) }
        });
        assert!(matches!(result, Err(ReadError::Stopped("enough"))));
        assert_eq!(seen, 2, "nothing is read after the stop");
    }

    #[test]
    fn typed_elements_and_type_errors() {
        let mut ids = Vec::new();
        for_each_element("[1, 5, 9]".as_bytes(), |_, id: i64| {
            ids.push(id);
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(ids, vec![1, 5, 9]);
        let wrong = for_each_element("[1, \"x\"]".as_bytes(), |_, _: i64| Ok::<_, ()>(()));
        assert!(matches!(wrong, Err(ReadError::Json(_))));
    }

    #[test]
    fn what_the_writer_writes_reads_back() {
        let mut writer = ArrayWriter::new(Vec::new());
        for id in 1..=3 {
            writer.push(&json!({"id": id, "name": format!("Band \"{id}\"")})).unwrap();
        }
        let (bytes, count) = writer.finish().unwrap();
        assert_eq!(count, 3);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("[\n{\"id\":1,"), "one element per line: {text}");
        assert_eq!(read_all(&text).unwrap().len(), 3);
        let (empty, _) = ArrayWriter::new(Vec::new()).finish().unwrap();
        assert_eq!(serde_json::from_slice::<Vec<Value>>(&empty).unwrap(), Vec::<Value>::new());
    }
}
