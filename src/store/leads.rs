//! Leads, stored compactly: typed values keyed by field id, no per-field strings, indexes kept
//! only for the fields someone looks leads up by.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::schema::{FieldId, Schema, Value, Values};

pub type LeadId = u32;

/// A lead partition, as `GET /rest/v1/leads/partitions.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub id: u16,
    pub name: String,
    pub description: String,
}

/// A static list from the fixtures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDef {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub program_name: String,
    #[serde(default)]
    pub workspace_name: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub id: LeadId,
    pub partition: u16,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub values: Values,
}

impl Lead {
    pub fn get(&self, field: FieldId) -> Option<&Value> {
        self.values.get(field)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpsertError {
    #[error("Lead not found")]
    LeadNotFound,
    #[error("Multiple leads match the lookup criteria")]
    MultipleMatches,
}

/// Lookup keys compare text without case, as Marketo matches emails.
fn index_key(value: &Value) -> Box<str> {
    value.key_text().to_lowercase().into_boxed_str()
}

#[derive(Debug, Clone, Default)]
struct Index {
    /// Keyed by partition and value: the same email may live once in each partition.
    entries: HashMap<(u16, Box<str>), Vec<LeadId>>,
}

impl Index {
    fn add(&mut self, partition: u16, key: Box<str>, id: LeadId) {
        let ids = self.entries.entry((partition, key)).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    fn remove(&mut self, partition: u16, key: Box<str>, id: LeadId) {
        if let Some(ids) = self.entries.get_mut(&(partition, key.clone())) {
            ids.retain(|other| *other != id);
            if ids.is_empty() {
                self.entries.remove(&(partition, key));
            }
        }
    }
}

/// The lead database: leads, the indexes over their lookup fields, lists and partitions.
#[derive(Debug, Clone)]
pub struct LeadDb {
    schema: Arc<Schema>,
    /// Lead `n` is at index `n - 1`: ids are dense and never reused.
    leads: Vec<Lead>,
    indexes: HashMap<FieldId, Index>,
    partitions: Vec<Partition>,
    lists: HashMap<u32, (ListDef, BTreeSet<LeadId>)>,
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
            .map(|list| (list.id, (list, BTreeSet::new())))
            .collect();
        LeadDb {
            schema,
            leads: Vec::new(),
            indexes: HashMap::new(),
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

    pub fn is_empty(&self) -> bool {
        self.leads.is_empty()
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

    pub fn list(&self, id: u32) -> Option<(&ListDef, &BTreeSet<LeadId>)> {
        self.lists.get(&id).map(|(def, members)| (def, members))
    }

    pub fn lead(&self, id: LeadId) -> Option<&Lead> {
        self.leads.get(usize::try_from(id).ok()?.checked_sub(1)?)
    }

    pub fn leads(&self) -> impl Iterator<Item = &Lead> {
        self.leads.iter()
    }

    fn id_field(&self) -> Option<FieldId> {
        self.schema.find(virtual_fields::ID)
    }

    fn ensure_index(&mut self, field: FieldId) {
        if self.indexes.contains_key(&field) {
            return;
        }
        let mut index = Index::default();
        for lead in &self.leads {
            if let Some(value) = lead.get(field) {
                index.add(lead.partition, index_key(value), lead.id);
            }
        }
        self.indexes.insert(field, index);
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
    ) -> Result<LeadId, UpsertError> {
        if Some(lookup) == self.id_field() {
            let Value::Integer(id) = key else {
                return Err(UpsertError::LeadNotFound);
            };
            let id = LeadId::try_from(*id).map_err(|_| UpsertError::LeadNotFound)?;
            self.lead(id).ok_or(UpsertError::LeadNotFound)?;
            self.update(id, values, now);
            return Ok(id);
        }
        self.ensure_index(lookup);
        let found = self.indexes[&lookup]
            .entries
            .get(&(partition, index_key(key)))
            .cloned()
            .unwrap_or_default();
        match found.as_slice() {
            [] => Ok(self.create(partition, values, now)),
            [id] => {
                self.update(*id, values, now);
                Ok(*id)
            }
            _ => Err(UpsertError::MultipleMatches),
        }
    }

    fn create(&mut self, partition: u16, values: Vec<(FieldId, Value)>, now: Timestamp) -> LeadId {
        let id = LeadId::try_from(self.leads.len() + 1).unwrap_or(LeadId::MAX);
        let mut lead = Lead {
            id,
            partition,
            created_at: now,
            updated_at: now,
            values: Values::default(),
        };
        for (field, value) in values {
            if let Some(index) = self.indexes.get_mut(&field) {
                index.add(partition, index_key(&value), id);
            }
            lead.values.set(field, value);
        }
        lead.values.shrink();
        self.leads.push(lead);
        id
    }

    fn update(&mut self, id: LeadId, values: Vec<(FieldId, Value)>, now: Timestamp) {
        let Some(lead) = self.leads.get_mut(id as usize - 1) else {
            return;
        };
        lead.updated_at = now;
        for (field, value) in values {
            let new_key = self.indexes.contains_key(&field).then(|| index_key(&value));
            let old = lead.values.set(field, value);
            if let (Some(index), Some(new_key)) = (self.indexes.get_mut(&field), new_key) {
                if let Some(old) = old {
                    index.remove(lead.partition, index_key(&old), id);
                }
                index.add(lead.partition, new_key, id);
            }
        }
    }

    /// Adds leads to a static list; unknown lists are refused before any import starts.
    pub fn add_to_list(&mut self, list: u32, ids: impl IntoIterator<Item = LeadId>) {
        if let Some((_, members)) = self.lists.get_mut(&list) {
            members.extend(ids);
        }
    }

    /// Leads whose `field` equals `value` (without case), in every partition, by id order.
    pub fn find(&self, field: FieldId, value: &str) -> Vec<LeadId> {
        let key = value.to_lowercase();
        let mut found: Vec<LeadId> = match self.indexes.get(&field) {
            Some(index) => index
                .entries
                .iter()
                .filter(|((_, k), _)| **k == *key)
                .flat_map(|(_, ids)| ids.iter().copied())
                .collect(),
            None => self
                .leads
                .iter()
                .filter(|lead| lead.get(field).is_some_and(|v| *index_key(v) == *key))
                .map(|lead| lead.id)
                .collect(),
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
        let field = |name: &str, data_type| FieldDef {
            id: 0,
            name: name.into(),
            display_name: name.into(),
            data_type,
            length: None,
            soap_name: None,
            read_only: false,
            updateable: None,
        };
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
            .unwrap();
        let again = db
            .upsert(1, 1, &text("A@X.COM"), vec![(3, Value::Integer(7))], T1)
            .unwrap();
        assert_eq!(id, again);
        assert_eq!(db.len(), 1);
        let lead = db.lead(id).unwrap();
        assert_eq!(lead.get(2), Some(&text("Ann")));
        assert_eq!(lead.get(3), Some(&Value::Integer(7)));
        assert_eq!((lead.created_at, lead.updated_at), (T0, T1));
    }

    #[test]
    fn the_same_email_lives_once_in_each_partition() {
        let mut db = db();
        let first = db
            .upsert(1, 1, &text("a@x.com"), vec![(1, text("a@x.com"))], T0)
            .unwrap();
        let second = db
            .upsert(2, 1, &text("a@x.com"), vec![(1, text("a@x.com"))], T0)
            .unwrap();
        assert_ne!(first, second);
        assert_eq!(db.find(1, "a@x.com"), [first, second]);
    }

    #[test]
    fn lookup_by_id_updates_and_never_creates() {
        let mut db = db();
        let id = db
            .upsert(1, 1, &text("a@x.com"), vec![(1, text("a@x.com"))], T0)
            .unwrap();
        assert_eq!(
            db.upsert(
                1,
                0,
                &Value::Integer(i64::from(id)),
                vec![(2, text("Bo"))],
                T1
            ),
            Ok(id)
        );
        assert_eq!(
            db.upsert(1, 0, &Value::Integer(99), vec![(2, text("Bo"))], T1),
            Err(UpsertError::LeadNotFound)
        );
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn changing_an_indexed_value_moves_the_lead_in_the_index() {
        let mut db = db();
        let id = db
            .upsert(1, 1, &text("a@x.com"), vec![(1, text("a@x.com"))], T0)
            .unwrap();
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
        let result = db.upsert(1, 3, &Value::Integer(5), vec![(2, text("X"))], T1);
        assert_eq!(result, Err(UpsertError::MultipleMatches));
    }
}
