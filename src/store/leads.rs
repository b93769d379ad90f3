//! Leads, stored compactly: typed values keyed by field id, no per-field strings, indexes kept
//! only for the fields someone looks leads up by.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::LeadId;
use super::lead_index::Index;
use super::lead_set::LeadSet;
use crate::clock::Timestamp;
use crate::iso8601::RestTime;
use crate::record::{Change, Values};
use crate::schema::{FieldId, Schema, Value, ValueRef};

/// A lead partition, as `GET /rest/v1/leads/partitions.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Partition {
    pub id: u16,
    pub name: String,
    pub description: String,
}

/// A static list from the fixtures, serialized as `GET /rest/v1/lists.json` lists it: optional
/// members left out when empty, as real answers leave them out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListDef {
    pub id: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub program_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<u32>,
    #[serde(default = "default_workspace")]
    pub workspace_name: String,
    pub created_at: RestTime,
    pub updated_at: RestTime,
}

/// The workspace every instance has, where a fixture names none.
pub fn default_workspace() -> String {
    "Default".to_owned()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub id: LeadId,
    pub partition: u16,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub values: Values,
}

/// A column of a lead as read-back and exports name it: a stored field, or one every lead has
/// outside its stored values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadColumn {
    Id,
    CreatedAt,
    UpdatedAt,
    Partition,
    Stored(FieldId),
}

impl LeadColumn {
    /// The column of a field of the lead schema.
    pub fn of(schema: &Schema, field: FieldId) -> LeadColumn {
        match schema.field(field).name.as_str() {
            virtual_fields::ID => LeadColumn::Id,
            virtual_fields::CREATED_AT => LeadColumn::CreatedAt,
            virtual_fields::UPDATED_AT => LeadColumn::UpdatedAt,
            virtual_fields::PARTITION => LeadColumn::Partition,
            _ => LeadColumn::Stored(field),
        }
    }
}

impl Lead {
    pub fn get(&self, field: FieldId) -> Option<Value> {
        self.values.get(field)
    }

    /// A column's value, borrowed where it is stored as text.
    pub fn value(&self, column: LeadColumn) -> Option<ValueRef<'_>> {
        match column {
            LeadColumn::Id => Some(ValueRef::Integer(i64::from(self.id))),
            LeadColumn::CreatedAt => Some(ValueRef::Datetime(self.created_at.millis())),
            LeadColumn::UpdatedAt => Some(ValueRef::Datetime(self.updated_at.millis())),
            LeadColumn::Partition => Some(ValueRef::Integer(i64::from(self.partition))),
            LeadColumn::Stored(field) => self.values.get_ref(field),
        }
    }

    /// A field's value as lookup text, borrowed when it is stored as text.
    fn key(&self, field: FieldId) -> Option<Cow<'_, str>> {
        self.values.key_of(field)
    }
}

/// An update that changed its lead: the record before it, and the values it wrote. Which
/// fields changed, and from what, is read from the two when asked, so an import that only
/// counts its rows never decodes a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub before: Values,
    pub written: Values,
}

impl Update {
    /// Each field the update changed, in field order, with its values before and after.
    pub fn changes(&self) -> impl Iterator<Item = Change<'_>> {
        self.before.changes(&self.written)
    }
}

/// What an upsert did to its lead.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Created,
    Changed(Update),
    /// Every value written was the value the lead had.
    Unchanged,
}

/// The lead an upsert found or created, and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    pub id: LeadId,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpsertError {
    #[error("Lead not found")]
    LeadNotFound,
    #[error("Multiple leads match the lookup criteria")]
    MultipleMatches,
}

/// A value as lookup text: emails, ids and the like compare as text, without case.
fn key_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Text(text) | Value::Date(text) => Cow::Borrowed(text),
        other => Cow::Owned(other.key_text()),
    }
}

/// Whether two keys are the same text but for case. Keys are nearly always ASCII, which is
/// compared byte by byte; other text a character at a time.
fn same_text(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// The index key: a hash of the partition and the lower-cased text. Only half of it is kept
/// (see [`Entry`]); candidates are checked against the lead itself, so no value is stored
/// twice. The hash is
/// a multiply-rotate one (as in rustc's FxHash): keys are the mock's own data, so resistance
/// to chosen collisions buys nothing here, and speed matters on every imported row.
pub fn key_hash(partition: u16, text: &str) -> u64 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mix = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    // The hash of the lower-cased UTF-8 bytes; only non-ASCII text needs a lower-cased copy.
    let lowered;
    let bytes = if text.is_ascii() {
        text.as_bytes()
    } else {
        lowered = text.to_lowercase();
        lowered.as_bytes()
    };
    let mut hash = mix(0, u64::from(partition));
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        for (lowered, byte) in word.iter_mut().zip(chunk) {
            *lowered = byte.to_ascii_lowercase();
        }
        hash = mix(hash, u64::from_le_bytes(word));
    }
    mix(hash, bytes.len() as u64)
}

/// How an upsert names the value it finds its lead by.
#[derive(Debug, Clone, Copy)]
pub enum LookupKey<'a> {
    /// A value apart from the record: an `id`, or a key the caller holds.
    Value(&'a Value),
    /// The record's own value of the lookup field, as [`key_hash`] of its partition and
    /// lookup text, computed by the caller (an import does it while checking rows).
    Hashed(u64),
}

/// The lead database: leads, the indexes over their lookup fields, lists and partitions.
#[derive(Debug, Clone)]
pub struct LeadDb {
    schema: Arc<Schema>,
    /// Lead `n` is at index `n - 1`: ids are dense and never reused.
    leads: Vec<Lead>,
    /// By field id: the index of that field, once someone has looked leads up by it.
    indexes: Vec<Option<Index>>,
    /// The fields that have an index, so adding a lead visits only those.
    indexed: Vec<FieldId>,
    /// The `id` field, looked up on every upsert.
    id_field: Option<FieldId>,
    partitions: Vec<Partition>,
    lists: HashMap<u32, (ListDef, LeadSet)>,
}

/// Fields every lead has outside its stored values.
pub mod virtual_fields {
    pub const ID: &str = "id";
    pub const CREATED_AT: &str = "createdAt";
    pub const UPDATED_AT: &str = "updatedAt";
    pub const PARTITION: &str = "leadPartitionId";
}

impl LeadDb {
    pub fn new(schema: Arc<Schema>, partitions: Vec<Partition>, lists: Vec<ListDef>) -> LeadDb {
        let lists = lists
            .into_iter()
            .map(|list| (list.id, (list, LeadSet::default())))
            .collect();
        let id_field = schema.find(virtual_fields::ID);
        let indexes = vec![None; schema.fields().len()];
        LeadDb {
            schema,
            leads: Vec::new(),
            indexes,
            indexed: Vec::new(),
            id_field,
            partitions,
            lists,
        }
    }

    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    pub fn len(&self) -> usize {
        self.leads.len()
    }

    // Only the `internals` feature exports the type, with `len`, where clippy wants this.
    #[cfg(feature = "internals")]
    pub fn is_empty(&self) -> bool {
        self.leads.is_empty()
    }

    /// Makes room for `additional` new leads found by `lookup`, so a large import does not
    /// grow the lead table and the lookup index step by step.
    pub fn reserve(&mut self, lookup: FieldId, additional: usize) {
        self.leads.reserve(additional);
        if Some(lookup) != self.id_field {
            self.ensure_index(lookup);
            if let Some(Some(index)) = self.indexes.get_mut(usize::from(lookup)) {
                index.reserve(additional);
            }
        }
    }

    pub fn partitions(&self) -> &[Partition] {
        &self.partitions
    }

    pub fn partition_named(&self, name: &str) -> Option<u16> {
        self.partitions
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.id)
    }

    /// The partition leads go to when an import names none.
    pub fn default_partition(&self) -> u16 {
        self.partitions.first().map_or(1, |p| p.id)
    }

    /// Every static list, by id.
    pub fn lists(&self) -> Vec<&ListDef> {
        let mut lists: Vec<&ListDef> = self.lists.values().map(|(def, _)| def).collect();
        lists.sort_by_key(|def| def.id);
        lists
    }

    pub fn list(&self, id: u32) -> Option<(&ListDef, &LeadSet)> {
        self.lists.get(&id).map(|(def, members)| (def, members))
    }

    /// The static list of this name, without case; the lowest id where names repeat.
    pub fn list_named(&self, name: &str) -> Option<u32> {
        self.lists
            .values()
            .filter(|(def, _)| def.name.eq_ignore_ascii_case(name.trim()))
            .map(|(def, _)| def.id)
            .min()
    }

    pub fn lead(&self, id: LeadId) -> Option<&Lead> {
        self.leads.get(usize::try_from(id).ok()?.checked_sub(1)?)
    }

    pub fn leads(&self) -> impl Iterator<Item = &Lead> {
        self.leads.iter()
    }

    fn index(&self, field: FieldId) -> Option<&Index> {
        self.indexes.get(usize::from(field))?.as_ref()
    }

    fn ensure_index(&mut self, field: FieldId) {
        if self.index(field).is_some() {
            return;
        }
        let mut index = Index::default();
        for lead in &self.leads {
            if let Some(value) = lead.key(field) {
                index.add(key_hash(lead.partition, &value), lead.id);
            }
        }
        if let Some(slot) = self.indexes.get_mut(usize::from(field)) {
            *slot = Some(index);
            self.indexed.push(field);
        }
    }

    /// Inserts or updates one lead found by `lookup` in `partition`. Only the given values
    /// change; the lookup by `id` never creates.
    pub fn upsert(
        &mut self,
        partition: u16,
        lookup: FieldId,
        key: &Value,
        values: Vec<(FieldId, Value)>,
        now: Timestamp,
    ) -> Result<Upserted, UpsertError> {
        self.upsert_record(
            partition,
            lookup,
            LookupKey::Value(key),
            Values::from_vec(values),
            now,
        )
    }

    /// [`LeadDb::upsert`] of an encoded record, its lookup value named by `key`.
    pub fn upsert_record(
        &mut self,
        partition: u16,
        lookup: FieldId,
        key: LookupKey<'_>,
        record: Values,
        now: Timestamp,
    ) -> Result<Upserted, UpsertError> {
        if Some(lookup) == self.id_field {
            let LookupKey::Value(Value::Integer(id)) = key else {
                return Err(UpsertError::LeadNotFound);
            };
            let id = LeadId::try_from(*id).map_err(|_| UpsertError::LeadNotFound)?;
            self.lead(id).ok_or(UpsertError::LeadNotFound)?;
            let outcome = self.update(id, record, now);
            return Ok(Upserted { id, outcome });
        }
        self.ensure_index(lookup);
        let hash = match key {
            LookupKey::Value(value) => key_hash(partition, &key_text(value)),
            LookupKey::Hashed(hash) => hash,
        };
        // A new key, the common case of a large import, has no candidate and nothing to
        // compare; the lookup text is only read when a candidate needs it. A record that holds
        // its own key and is the whole record of a candidate (a re-sync of the same file) finds
        // that lead without reading the key.
        let found = {
            let mut candidates = self.candidates(lookup, hash).peekable();
            if candidates.peek().is_some() {
                let own_key = matches!(key, LookupKey::Hashed(_));
                let text = OnceCell::new();
                let text = || {
                    text.get_or_init(|| match key {
                        LookupKey::Value(value) => key_text(value),
                        LookupKey::Hashed(_) => record.key_of(lookup).unwrap_or_default(),
                    })
                };
                let mut matches = candidates.filter(|id| {
                    own_key && self.holds_record(*id, partition, &record)
                        || self.holds(*id, partition, lookup, text())
                });
                (matches.next(), matches.next())
            } else {
                (None, None)
            }
        };
        match found {
            (None, _) => Ok(Upserted {
                id: self.create(partition, record, now, (lookup, hash)),
                outcome: Outcome::Created,
            }),
            (Some(id), None) => Ok(Upserted {
                id,
                outcome: self.update(id, record, now),
            }),
            (Some(_), Some(_)) => Err(UpsertError::MultipleMatches),
        }
    }

    /// Adds a lead; `known` is an indexed field whose key hash the caller has already.
    fn create(
        &mut self,
        partition: u16,
        values: Values,
        now: Timestamp,
        known: (FieldId, u64),
    ) -> LeadId {
        let id = LeadId::try_from(self.leads.len() + 1).unwrap_or(LeadId::MAX);
        for field in &self.indexed {
            let (field, Some(Some(index))) = (*field, self.indexes.get_mut(usize::from(*field)))
            else {
                continue;
            };
            if field == known.0 {
                index.add(known.1, id);
            } else if let Some(key) = values.key_of(field) {
                index.add(key_hash(partition, &key), id);
            }
        }
        self.leads.push(Lead {
            id,
            partition,
            created_at: now,
            updated_at: now,
            values,
        });
        id
    }

    fn update(&mut self, id: LeadId, updates: Values, now: Timestamp) -> Outcome {
        let Some(lead) = self.leads.get_mut(id as usize - 1) else {
            return Outcome::Unchanged;
        };
        // `updatedAt` is the time of the latest change: an update that writes the values a
        // lead already has leaves it, so a re-sync does not make every lead look new.
        if lead.values == updates {
            return Outcome::Unchanged;
        }
        let partition = lead.partition;
        let mut changed = false;
        for change in lead.values.changes(&updates) {
            changed = true;
            let Some(Some(index)) = self.indexes.get_mut(usize::from(change.field)) else {
                continue;
            };
            if let Some(old) = change.before() {
                index.remove(key_hash(partition, &old.key_text()), id);
            }
            if let Some(new) = change.after() {
                index.add(key_hash(partition, &new.key_text()), id);
            }
        }
        if !changed {
            return Outcome::Unchanged;
        }
        let merged = lead.values.merged(&updates);
        let before = std::mem::replace(&mut lead.values, merged);
        lead.updated_at = now;
        Outcome::Changed(Update {
            before,
            written: updates,
        })
    }

    /// Adds leads to a static list (unknown lists are refused before any import starts);
    /// the ones that were not members yet.
    pub fn add_to_list(&mut self, list: u32, ids: impl IntoIterator<Item = LeadId>) -> Vec<LeadId> {
        let Some((_, members)) = self.lists.get_mut(&list) else {
            return Vec::new();
        };
        ids.into_iter().filter(|id| members.insert(*id)).collect()
    }

    /// Leads of `partition` whose indexed `field` equals `text` without case.
    fn matches_in<'a>(
        &'a self,
        partition: u16,
        field: FieldId,
        text: &'a str,
    ) -> impl Iterator<Item = LeadId> + 'a {
        self.matches_hashed(partition, field, key_hash(partition, text), text)
    }

    /// [`LeadDb::matches_in`] with the key's hash already computed.
    fn matches_hashed<'a>(
        &'a self,
        partition: u16,
        field: FieldId,
        hash: u64,
        text: &'a str,
    ) -> impl Iterator<Item = LeadId> + 'a {
        self.candidates(field, hash)
            .filter(move |id| self.holds(*id, partition, field, text))
    }

    /// The leads that `field`'s index holds under `hash`, if the field has an index.
    fn candidates(&self, field: FieldId, hash: u64) -> impl Iterator<Item = LeadId> + '_ {
        self.index(field)
            .into_iter()
            .flat_map(move |index| index.candidates(hash))
    }

    /// Reads what upserting these keys will read (their index entries and their leads'
    /// records) in one pass, so the cache misses of many rows overlap instead of each row
    /// waiting for its own.
    /// A field not indexed yet has nothing to read: the first upsert builds its index.
    pub fn warm(&self, lookup: FieldId, hashes: impl Iterator<Item = u64>) {
        let mut touched = 0usize;
        for hash in hashes {
            for id in self.candidates(lookup, hash) {
                touched += self
                    .lead(id)
                    .map_or(0, |lead| usize::from(lead.values.touch()));
            }
        }
        std::hint::black_box(touched);
    }

    /// Whether lead `id` is in `partition` and `record` is its whole record.
    fn holds_record(&self, id: LeadId, partition: u16, record: &Values) -> bool {
        self.lead(id)
            .is_some_and(|lead| lead.partition == partition && lead.values == *record)
    }

    /// Whether lead `id` is in `partition` and its `field` equals `text` without case.
    fn holds(&self, id: LeadId, partition: u16, field: FieldId, text: &str) -> bool {
        self.lead(id).is_some_and(|lead| {
            lead.partition == partition
                && lead.key(field).is_some_and(|value| same_text(&value, text))
        })
    }

    /// Leads whose `field` equals `value` (without case), in every partition, by id order.
    pub fn find(&self, field: FieldId, value: &str) -> Vec<LeadId> {
        let mut found: Vec<LeadId> = if self.index(field).is_some() {
            self.partitions
                .iter()
                .flat_map(|partition| self.matches_in(partition.id, field, value))
                .collect()
        } else {
            self.leads
                .iter()
                .filter(|lead| lead.key(field).is_some_and(|v| same_text(&v, value)))
                .map(|lead| lead.id)
                .collect()
        };
        found.sort_unstable();
        found
    }

    /// The first lead whose `field` (a REST name; `id` included) holds `value`.
    pub fn resolve(&self, field: &str, value: &Value) -> Option<LeadId> {
        if field.eq_ignore_ascii_case(virtual_fields::ID) {
            let Value::Integer(id) = value else {
                return None;
            };
            return LeadId::try_from(*id)
                .ok()
                .filter(|id| self.lead(*id).is_some());
        }
        self.find(self.schema.find(field)?, &value.key_text())
            .first()
            .copied()
    }

    /// Leads in a partition, by id order.
    pub fn in_partition(&self, partition: u16) -> Vec<LeadId> {
        self.leads
            .iter()
            .filter(|lead| lead.partition == partition)
            .map(|lead| lead.id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{DataType, FieldDef};

    fn db() -> LeadDb {
        let field = FieldDef::named;
        let schema = Schema::new(vec![
            field("id", DataType::Integer),
            field("email", DataType::Email),
            field("firstName", DataType::String),
            field("loyaltyNumber", DataType::Integer),
        ]);
        let partitions = vec![
            Partition {
                id: 1,
                name: "Default".into(),
                description: String::new(),
            },
            Partition {
                id: 2,
                name: "Europe".into(),
                description: String::new(),
            },
        ];
        LeadDb::new(Arc::new(schema), partitions, Vec::new())
    }

    fn text(value: &str) -> Value {
        Value::Text(value.into())
    }

    const T0: Timestamp = Timestamp(1_000);
    const T1: Timestamp = Timestamp(2_000);

    #[test]
    fn upsert_by_email_creates_then_updates_only_the_given_fields() {
        let mut db = db();
        let id = db
            .upsert(
                1,
                1,
                &text("a@x.com"),
                vec![(1, text("a@x.com")), (2, text("Ann"))],
                T0,
            )
            .unwrap()
            .id;
        let again = db
            .upsert(1, 1, &text("A@X.COM"), vec![(3, Value::Integer(7))], T1)
            .unwrap()
            .id;
        assert_eq!(id, again);
        assert_eq!(db.len(), 1);
        let lead = db.lead(id).unwrap();
        assert_eq!(lead.get(2), Some(text("Ann")));
        assert_eq!(lead.get(3), Some(Value::Integer(7)));
        assert_eq!((lead.created_at, lead.updated_at), (T0, T1));
    }

    #[test]
    fn an_upsert_says_whether_it_created_changed_or_left_its_lead() {
        let mut db = db();
        let create = db
            .upsert(
                1,
                1,
                &text("a@x.com"),
                vec![(1, text("a@x.com")), (2, text("Ann"))],
                T0,
            )
            .unwrap();
        assert_eq!(create.outcome, Outcome::Created);
        let same = db
            .upsert(1, 1, &text("a@x.com"), vec![(2, text("Ann"))], T1)
            .unwrap();
        assert_eq!(same.outcome, Outcome::Unchanged);
        assert_eq!(db.lead(create.id).unwrap().updated_at, T0);
        let changed = db
            .upsert(
                1,
                1,
                &text("a@x.com"),
                vec![(2, text("Anna")), (3, Value::Integer(4))],
                T1,
            )
            .unwrap();
        let Outcome::Changed(update) = changed.outcome else {
            panic!("the lead changed: {:?}", changed.outcome);
        };
        let changes: Vec<_> = update
            .changes()
            .map(|change| {
                let value = |value: Option<ValueRef<'_>>| value.map(ValueRef::to_value);
                (change.field, value(change.before()), value(change.after()))
            })
            .collect();
        assert_eq!(
            changes,
            [
                (2, Some(text("Ann")), Some(text("Anna"))),
                (3, None, Some(Value::Integer(4))),
            ]
        );
        assert_eq!(db.lead(create.id).unwrap().updated_at, T1);
    }

    #[test]
    fn a_record_written_again_by_its_own_key_finds_its_lead_whatever_the_case_of_the_key() {
        let mut db = db();
        let record =
            |email: &str, name: &str| Values::from_vec(vec![(1, text(email)), (2, text(name))]);
        let mut write = |partition, email: &str, name: &str| {
            let key = LookupKey::Hashed(key_hash(partition, email));
            db.upsert_record(partition, 1, key, record(email, name), T1)
                .unwrap()
        };
        let first = write(1, "a@x.com", "Ann");
        assert_eq!(first.outcome, Outcome::Created);
        let again = write(1, "a@x.com", "Ann");
        assert_eq!((again.id, again.outcome), (first.id, Outcome::Unchanged));
        let shouted = write(1, "A@X.COM", "Ann");
        assert_eq!(shouted.id, first.id);
        assert!(matches!(shouted.outcome, Outcome::Changed(_)));
        let elsewhere = write(2, "a@x.com", "Ann");
        assert_ne!(elsewhere.id, first.id);
        assert_eq!(elsewhere.outcome, Outcome::Created);
    }

    #[test]
    fn the_same_email_lives_once_in_each_partition() {
        let mut db = db();
        let first = db
            .upsert(1, 1, &text("a@x.com"), vec![(1, text("a@x.com"))], T0)
            .unwrap()
            .id;
        let second = db
            .upsert(2, 1, &text("a@x.com"), vec![(1, text("a@x.com"))], T0)
            .unwrap()
            .id;
        assert_ne!(first, second);
        assert_eq!(db.find(1, "a@x.com"), [first, second]);
    }

    #[test]
    fn lookup_by_id_updates_and_never_creates() {
        let mut db = db();
        let id = db
            .upsert(1, 1, &text("a@x.com"), vec![(1, text("a@x.com"))], T0)
            .unwrap()
            .id;
        assert_eq!(
            db.upsert(
                1,
                0,
                &Value::Integer(i64::from(id)),
                vec![(2, text("Bo"))],
                T1
            )
            .map(|upserted| upserted.id),
            Ok(id)
        );
        assert_eq!(
            db.upsert(1, 0, &Value::Integer(99), vec![(2, text("Bo"))], T1)
                .map(|upserted| upserted.id),
            Err(UpsertError::LeadNotFound)
        );
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn changing_an_indexed_value_moves_the_lead_in_the_index() {
        let mut db = db();
        let id = db
            .upsert(1, 1, &text("a@x.com"), vec![(1, text("a@x.com"))], T0)
            .unwrap()
            .id;
        db.upsert(
            1,
            0,
            &Value::Integer(i64::from(id)),
            vec![(1, text("b@x.com"))],
            T1,
        )
        .unwrap();
        assert!(db.find(1, "a@x.com").is_empty());
        assert_eq!(db.find(1, "b@x.com"), [id]);
    }

    #[test]
    fn a_lookup_matching_several_leads_is_refused() {
        let mut db = db();
        db.upsert(
            1,
            1,
            &text("a@x.com"),
            vec![(1, text("a@x.com")), (3, Value::Integer(5))],
            T0,
        )
        .unwrap();
        db.upsert(
            1,
            1,
            &text("b@x.com"),
            vec![(1, text("b@x.com")), (3, Value::Integer(5))],
            T0,
        )
        .unwrap();
        let result = db
            .upsert(1, 3, &Value::Integer(5), vec![(2, text("X"))], T1)
            .map(|upserted| upserted.id);
        assert_eq!(result, Err(UpsertError::MultipleMatches));
    }
}
