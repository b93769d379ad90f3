//! A record's values (a lead's, a custom object's, an activity's attributes) encoded in one
//! allocation: for each field, in field order, its id, a type tag and its bytes.
//!
//! The plain record it stands for is a map from field to [`Value`], one allocation a text
//! value: `tests::Plain` beside it is that map, and a property test holds the two to the same
//! answers. The encoding earns its place in memory and in import time (see
//! `docs/performance.md`): an import allocates once a record rather than once a cell, and a
//! record written again is told unchanged by comparing its bytes.

use std::borrow::Cow;

use crate::schema::{FieldId, Value, ValueRef};

/// A record's values, encoded in one allocation: for each field, in field order, its id, a
/// type tag and its bytes. A lead of ten short fields takes a little more than its text, and
/// an import allocates once per record rather than once per cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values(Box<[u8]>);

const TEXT: u8 = 0;
const INTEGER: u8 = 1;
const FLOAT: u8 = 2;
const FALSE: u8 = 3;
const TRUE: u8 = 4;
const DATE: u8 = 5;
const DATETIME: u8 = 6;

#[inline]
fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> usize {
    let (mut n, mut shift) = (0usize, 0);
    loop {
        let byte = bytes[*at];
        *at += 1;
        n |= usize::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return n;
        }
        shift += 7;
    }
}

fn varint_len(n: usize) -> usize {
    (usize::BITS - (n | 1).leading_zeros()).div_ceil(7) as usize
}

/// The bytes [`encode_text`] appends for a text of `len` bytes.
pub fn text_size(len: usize) -> usize {
    3 + varint_len(len) + len
}

/// The bytes [`encode`] appends for `value`.
pub fn value_size(value: &Value) -> usize {
    match value {
        Value::Text(text) | Value::Date(text) => text_size(text.len()),
        Value::Boolean(_) => 3,
        Value::Integer(_) | Value::Float(_) | Value::Datetime(_) => 11,
    }
}

#[inline]
fn put_text(out: &mut Vec<u8>, tag: u8, text: &str) {
    out.push(tag);
    put_varint(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// Appends a text value to a record being encoded; fields must come in ascending order.
/// Inlined: an import calls it for nearly every cell.
#[inline]
pub fn encode_text(out: &mut Vec<u8>, field: FieldId, text: &str) {
    out.extend_from_slice(&field.to_le_bytes());
    put_text(out, TEXT, text);
}

/// Appends a value to a record being encoded; fields must come in ascending order.
pub fn encode(out: &mut Vec<u8>, field: FieldId, value: &Value) {
    encode_ref(out, field, value.borrowed());
}

/// [`encode`] of a borrowed value.
pub fn encode_ref(out: &mut Vec<u8>, field: FieldId, value: ValueRef<'_>) {
    out.extend_from_slice(&field.to_le_bytes());
    match value {
        ValueRef::Text(value) => put_text(out, TEXT, value),
        ValueRef::Date(value) => put_text(out, DATE, value),
        ValueRef::Integer(n) => {
            out.push(INTEGER);
            out.extend_from_slice(&n.to_le_bytes());
        }
        ValueRef::Float(n) => {
            out.push(FLOAT);
            out.extend_from_slice(&n.to_le_bytes());
        }
        ValueRef::Boolean(flag) => out.push(if flag { TRUE } else { FALSE }),
        ValueRef::Datetime(millis) => {
            out.push(DATETIME);
            out.extend_from_slice(&millis.to_le_bytes());
        }
    }
}

/// The fields of bytes written by [`encode`] and [`encode_ref`], in order.
pub fn decode(bytes: &[u8]) -> impl Iterator<Item = (FieldId, ValueRef<'_>)> + '_ {
    Fields { bytes, at: 0 }
}

/// A field an update changes, as the two records encode its values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change<'a> {
    pub field: FieldId,
    old: Option<&'a [u8]>,
    new: &'a [u8],
}

impl<'a> Change<'a> {
    /// The value before, if the record had one.
    pub fn before(self) -> Option<ValueRef<'a>> {
        self.old
            .and_then(|old| decode(old).next())
            .map(|(_, value)| value)
    }

    /// The value written.
    pub fn after(self) -> Option<ValueRef<'a>> {
        decode(self.new).next().map(|(_, value)| value)
    }

    /// Appends both values, copied as encoded, the old one (if any) as field `old_as` and
    /// the new one as `new_as`, for [`decode`] to read back.
    pub fn encode_pair(self, out: &mut Vec<u8>, old_as: FieldId, new_as: FieldId) {
        // An encoded field is its id (two bytes) and then its tag and bytes.
        if let Some(old) = self.old {
            out.extend_from_slice(&old_as.to_le_bytes());
            out.extend_from_slice(&old[2..]);
        }
        out.extend_from_slice(&new_as.to_le_bytes());
        out.extend_from_slice(&self.new[2..]);
    }
}

/// The size of the value at `at` (just past its field id and tag), for skipping it.
fn value_len(bytes: &[u8], tag: u8, at: usize) -> (usize, usize) {
    match tag {
        INTEGER | FLOAT | DATETIME => (0, 8),
        FALSE | TRUE => (0, 0),
        _ => {
            let mut cursor = at;
            let len = read_varint(bytes, &mut cursor);
            (cursor - at, len)
        }
    }
}

/// Walks an encoded record.
struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (FieldId, ValueRef<'a>);

    fn next(&mut self) -> Option<(FieldId, ValueRef<'a>)> {
        let bytes = self.bytes;
        if self.at >= bytes.len() {
            return None;
        }
        let field = FieldId::from_le_bytes([bytes[self.at], bytes[self.at + 1]]);
        let tag = bytes[self.at + 2];
        self.at += 3;
        let mut eight = || {
            let word: [u8; 8] = bytes[self.at..self.at + 8].try_into().unwrap_or_default();
            self.at += 8;
            word
        };
        let value = match tag {
            INTEGER => ValueRef::Integer(i64::from_le_bytes(eight())),
            FLOAT => ValueRef::Float(f64::from_le_bytes(eight())),
            DATETIME => ValueRef::Datetime(i64::from_le_bytes(eight())),
            FALSE | TRUE => ValueRef::Boolean(tag == TRUE),
            _ => {
                let len = read_varint(bytes, &mut self.at);
                // Only whole UTF-8 strings are ever encoded, so this never fails.
                let text = std::str::from_utf8(&bytes[self.at..self.at + len]).unwrap_or_default();
                self.at += len;
                if tag == DATE {
                    ValueRef::Date(text)
                } else {
                    ValueRef::Text(text)
                }
            }
        };
        Some((field, value))
    }
}

impl Values {
    /// Values from a list in any order; of a field given twice, the last wins.
    pub fn from_vec(mut values: Vec<(FieldId, Value)>) -> Values {
        // A stable sort keeps a repeated field's values in order, so the last one is kept.
        values.sort_by_key(|(field, _)| *field);
        values.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        let size: usize = values.iter().map(|(_, value)| value_size(value)).sum();
        let mut out = Vec::with_capacity(size);
        for (field, value) in &values {
            encode(&mut out, *field, value);
        }
        Values(out.into_boxed_slice())
    }

    /// The record's first byte, read to bring it into the cache before it is compared.
    pub fn touch(&self) -> u8 {
        self.0.first().copied().unwrap_or_default()
    }

    /// A record built with [`encode`] and [`encode_text`], fields in ascending order.
    pub fn from_encoded(bytes: Vec<u8>) -> Values {
        Values(bytes.into_boxed_slice())
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            bytes: &self.0,
            at: 0,
        }
    }

    /// A field's value as text for lookups, borrowed when it is stored as text.
    pub fn key_of(&self, field: FieldId) -> Option<Cow<'_, str>> {
        match self.find(field)?.1 {
            ValueRef::Text(text) | ValueRef::Date(text) => Some(Cow::Borrowed(text)),
            other => Some(Cow::Owned(other.to_value().key_text())),
        }
    }

    /// The ids of the fields the record holds, in order.
    #[cfg(test)]
    pub fn field_ids(&self) -> impl Iterator<Item = FieldId> + '_ {
        self.fields().map(|(field, _)| field)
    }

    /// The fields `updates` would change, in field order. An update that writes the values a
    /// record has changes nothing, and finding that out decodes and allocates nothing.
    pub fn changes<'a>(&'a self, updates: &'a Values) -> impl Iterator<Item = Change<'a>> + 'a {
        let mut mine = self.spans().peekable();
        updates.spans().filter_map(move |(field, new)| {
            while mine.next_if(|(have, _)| *have < field).is_some() {}
            let old = mine.next_if(|(have, _)| *have == field).map(|(_, old)| old);
            (old != Some(new)).then_some(Change { field, old, new })
        })
    }

    /// This record with `updates` overlaid, field by field, without decoding either.
    pub fn merged(&self, updates: &Values) -> Values {
        let (mut mine, mut theirs) = (self.spans().peekable(), updates.spans().peekable());
        let mut out = Vec::with_capacity(self.0.len() + updates.0.len());
        loop {
            let take_mine = match (mine.peek().map(|(f, _)| *f), theirs.peek().map(|(f, _)| *f)) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => {
                    if a == b {
                        // The update replaces this field.
                        mine.next();
                    }
                    a < b
                }
            };
            let next = if take_mine {
                mine.next()
            } else {
                theirs.next()
            };
            out.extend_from_slice(next.map_or(&[][..], |(_, bytes)| bytes));
        }
        Values(out.into_boxed_slice())
    }

    /// Each field's id and its whole encoded bytes.
    /// Walks the record's headers only, decoding no value.
    fn spans(&self) -> impl Iterator<Item = (FieldId, &[u8])> + '_ {
        let bytes = &self.0[..];
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= bytes.len() {
                return None;
            }
            let id = FieldId::from_le_bytes([bytes[at], bytes[at + 1]]);
            let (prefix, len) = value_len(bytes, bytes[at + 2], at + 3);
            let start = at;
            at += 3 + prefix + len;
            Some((id, &bytes[start..at]))
        })
    }

    /// Finds one field by walking the record's headers, decoding nothing else.
    fn find(&self, field: FieldId) -> Option<(FieldId, ValueRef<'_>)> {
        let (_, bytes) = self
            .spans()
            .take_while(|(id, _)| *id <= field)
            .find(|(id, _)| *id == field)?;
        Fields { bytes, at: 0 }.next()
    }

    pub fn get(&self, field: FieldId) -> Option<Value> {
        self.find(field).map(|(_, value)| value.to_value())
    }

    /// A field's value borrowed from the record.
    pub fn get_ref(&self, field: FieldId) -> Option<ValueRef<'_>> {
        self.find(field).map(|(_, value)| value)
    }

    /// Several fields' values in one pass over the record, where [`Values::get_ref`] walks it
    /// once a field: `slots[field]` names the cell of `cells` a field's value goes to. Cells
    /// of fields the record lacks are set to `None`.
    pub fn project<'a>(&'a self, slots: &[Option<usize>], cells: &mut [Option<ValueRef<'a>>]) {
        cells.fill(None);
        for (field, value) in self.fields() {
            if let Some(Some(slot)) = slots.get(usize::from(field)) {
                cells[*slot] = Some(value);
            }
        }
    }

    /// A text or date value without copying it, for comparisons.
    #[cfg(test)]
    pub fn text(&self, field: FieldId) -> Option<&str> {
        match self.find(field)?.1 {
            ValueRef::Text(text) | ValueRef::Date(text) => Some(text),
            _ => None,
        }
    }

    /// Sets several values at once; returns each one's previous value, in order.
    pub fn merge(&mut self, updates: Vec<(FieldId, Value)>) -> Vec<Option<Value>> {
        let old: Vec<Option<Value>> = updates.iter().map(|(field, _)| self.get(*field)).collect();
        let mut all: Vec<(FieldId, Value)> = self.iter().collect();
        all.extend(updates);
        *self = Values::from_vec(all);
        old
    }

    pub fn iter(&self) -> impl Iterator<Item = (FieldId, Value)> + '_ {
        self.fields()
            .map(|(field, value)| (field, value.to_value()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// The plain record: each field's value, in field order; a text value its own allocation.
    #[derive(Debug, Clone, Default, PartialEq)]
    struct Plain(BTreeMap<FieldId, Value>);

    impl Plain {
        fn from_vec(values: Vec<(FieldId, Value)>) -> Plain {
            Plain(values.into_iter().collect())
        }

        fn iter(&self) -> impl Iterator<Item = (FieldId, Value)> + '_ {
            self.0.iter().map(|(field, value)| (*field, value.clone()))
        }

        fn get(&self, field: FieldId) -> Option<Value> {
            self.0.get(&field).cloned()
        }

        /// Each field `updates` writes with another value than this record's: the field,
        /// the value before (if any) and the value written.
        fn changes(&self, updates: &Plain) -> Vec<(FieldId, Option<Value>, Value)> {
            updates
                .iter()
                .filter(|(field, new)| self.0.get(field) != Some(new))
                .map(|(field, new)| (field, self.get(field), new))
                .collect()
        }

        fn merged(&self, updates: &Plain) -> Plain {
            let mut merged = self.clone();
            merged.0.extend(updates.iter());
            merged
        }
    }

    /// Values of every kind, texts from a pool that has the empty one, a long one (its length
    /// takes two bytes to encode) and one that is another's date, so equal bytes of other
    /// kinds show up. Floats are quarters: no NaN or negative zero, whose bytes and `==`
    /// disagree.
    fn value() -> impl Strategy<Value = Value> {
        let texts = prop::sample::select(vec![
            String::new(),
            "ann@example.com".to_owned(),
            "2024-01-31".to_owned(),
            "ü".repeat(90),
        ]);
        prop_oneof![
            texts.clone().prop_map(|text| Value::Text(text.into())),
            texts.prop_map(|text| Value::Date(text.into())),
            (-3i64..3).prop_map(Value::Integer),
            (-3i64..3).prop_map(|n| Value::Float(n as f64 / 4.0)),
            any::<bool>().prop_map(Value::Boolean),
            (0i64..3).prop_map(Value::Datetime),
        ]
    }

    fn record() -> impl Strategy<Value = Vec<(FieldId, Value)>> {
        prop::collection::vec((0..8 as FieldId, value()), 0..10)
    }

    proptest! {
        #[test]
        fn an_encoded_record_answers_as_the_plain_record_of_the_same_values(
            first in record(),
            second in record(),
        ) {
            let (values, plain) = (Values::from_vec(first.clone()), Plain::from_vec(first));
            let (updates, plain_updates) =
                (Values::from_vec(second.clone()), Plain::from_vec(second));
            prop_assert_eq!(values.iter().collect::<Vec<_>>(), plain.iter().collect::<Vec<_>>());
            for field in 0..9 {
                prop_assert_eq!(values.get(field), plain.get(field));
                prop_assert_eq!(
                    values.key_of(field).map(Cow::into_owned),
                    plain.get(field).map(|value| value.key_text())
                );
            }
            let changes: Vec<_> = values
                .changes(&updates)
                .map(|change| {
                    let before = change.before().map(ValueRef::to_value);
                    (change.field, before, change.after().map(ValueRef::to_value))
                })
                .collect();
            let plain_changes: Vec<_> = plain
                .changes(&plain_updates)
                .into_iter()
                .map(|(field, before, after)| (field, before, Some(after)))
                .collect();
            prop_assert_eq!(changes, plain_changes);
            prop_assert_eq!(
                values.merged(&updates).iter().collect::<Vec<_>>(),
                plain.merged(&plain_updates).iter().collect::<Vec<_>>()
            );
            // An update's fast path takes equal bytes for equal records.
            prop_assert_eq!(values == updates, plain == plain_updates);
        }
    }

    #[test]
    fn every_kind_of_value_survives_encoding() {
        let long = "ü".repeat(200);
        let all = vec![
            (9, Value::Text(long.as_str().into())),
            (1, Value::Integer(-42)),
            (2, Value::Float(12.5)),
            (3, Value::Boolean(true)),
            (4, Value::Boolean(false)),
            (5, Value::Date("1990-02-03".into())),
            (6, Value::Datetime(1_426_551_520_000)),
            (7, Value::Text("".into())),
        ];
        let values = Values::from_vec(all.clone());
        let mut sorted = all;
        sorted.sort_by_key(|(field, _)| *field);
        assert_eq!(values.iter().collect::<Vec<_>>(), sorted);
        assert_eq!(values.text(9), Some(long.as_str()));
        assert_eq!(values.text(1), None);
        assert_eq!(values.get(8), None);
    }

    #[test]
    fn merging_records_overlays_updates_field_by_field() {
        let record = Values::from_vec(vec![
            (1, Value::Text("a".into())),
            (3, Value::Integer(3)),
            (5, Value::Boolean(true)),
        ]);
        let updates = Values::from_vec(vec![
            (0, Value::Integer(0)),
            (3, Value::Text("three".into())),
            (9, Value::Float(9.5)),
        ]);
        let changed: Vec<FieldId> = record.changes(&updates).map(|c| c.field).collect();
        assert_eq!(changed, [0, 3, 9]);
        let record = record.merged(&updates);
        assert_eq!(
            record.changes(&updates).count(),
            0,
            "the same values again change nothing"
        );
        assert_eq!(
            record.iter().collect::<Vec<_>>(),
            [
                (0, Value::Integer(0)),
                (1, Value::Text("a".into())),
                (3, Value::Text("three".into())),
                (5, Value::Boolean(true)),
                (9, Value::Float(9.5)),
            ]
        );
        assert_eq!(record.key_of(3).as_deref(), Some("three"));
        assert_eq!(record.key_of(0).as_deref(), Some("0"));
        assert_eq!(record.field_ids().collect::<Vec<_>>(), [0, 1, 3, 5, 9]);
    }

    #[test]
    fn merging_replaces_and_adds_values_and_returns_the_old_ones() {
        let mut values = Values::from_vec(vec![(5, Value::Integer(1)), (2, Value::Boolean(true))]);
        let old = values.merge(vec![(5, Value::Integer(2)), (3, Value::Text("new".into()))]);
        assert_eq!(old, [Some(Value::Integer(1)), None]);
        assert_eq!(values.get(5), Some(Value::Integer(2)));
        assert_eq!(
            values.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            [2, 3, 5]
        );
    }

    #[test]
    fn a_projection_reads_what_a_lookup_a_field_reads() {
        let values = Values::from_vec(vec![
            (0, Value::Integer(7)),
            (2, Value::Text("ann@x.com".into())),
            (3, Value::Boolean(true)),
            (5, Value::Date("2024-01-31".into())),
        ]);
        // Columns in another order than the fields, one of them absent from the record.
        let wanted: [FieldId; 4] = [5, 4, 0, 2];
        let mut slots = vec![None; 6];
        for (slot, field) in wanted.iter().enumerate() {
            slots[usize::from(*field)] = Some(slot);
        }
        let mut cells = vec![Some(ValueRef::Boolean(false)); wanted.len()];
        values.project(&slots, &mut cells);
        let looked_up: Vec<_> = wanted.iter().map(|field| values.get_ref(*field)).collect();
        assert_eq!(cells, looked_up);
    }

    #[test]
    fn values_from_a_list_are_sorted_and_the_last_of_a_repeated_field_wins() {
        let values = Values::from_vec(vec![
            (4, Value::Integer(1)),
            (1, Value::Integer(2)),
            (4, Value::Integer(3)),
        ]);
        assert_eq!(
            values.iter().collect::<Vec<_>>(),
            [(1, Value::Integer(2)), (4, Value::Integer(3))]
        );
    }

    #[test]
    fn the_sizes_of_values_are_the_bytes_they_encode_to() {
        let long = "x".repeat(300);
        let values = [
            Value::Text("".into()),
            Value::Text("ann@example.com".into()),
            Value::Text(long.clone().into()),
            Value::Date("2024-01-31".into()),
            Value::Integer(-7),
            Value::Float(0.5),
            Value::Boolean(true),
            Value::Datetime(1_700_000_000_000),
        ];
        for value in &values {
            let mut out = Vec::new();
            encode(&mut out, 3, value);
            assert_eq!(value_size(value), out.len(), "{value:?}");
        }
        let mut out = Vec::new();
        encode_text(&mut out, 3, &long);
        assert_eq!(text_size(long.len()), out.len());
    }
}
