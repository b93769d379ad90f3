//! The activity log: what happened to each lead, in the order it happened, as Marketo records
//! it. An import of 120,000 new leads writes 120,000 activities, so the log is compact: what
//! all activities of one import share (their source) is kept once; only the activities that
//! carry values of their own (a field's old and new value, a status change) have a payload
//! beside their entry; and New Lead activities of consecutive leads, from one source in one
//! second (what a bulk import of new leads writes), are one entry for the whole run, as are
//! the Add to List activities of consecutive leads to one list (what it writes with a
//! `listId`).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::record::{Change, decode};
use crate::schema::{DataType, FieldId, Schema, ValueRef};

use super::LeadId;
use super::leads::{Outcome, Upserted};

/// The activity types the mock writes, by Marketo's standard ids.
pub mod kinds {
    pub const NEW_LEAD: u16 = 12;
    pub const CHANGE_DATA_VALUE: u16 = 13;
    pub const CHANGE_SCORE: u16 = 22;
    pub const ADD_TO_LIST: u16 = 24;
    pub const REMOVE_FROM_LIST: u16 = 25;
    pub const CHANGE_STATUS_IN_PROGRESSION: u16 = 104;
}

/// An activity type as `GET /rest/v1/activities/types.json` lists it (`activity_types.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityType {
    pub id: u16,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Absent for types without one, such as New Lead: Marketo leaves the member out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_attribute: Option<AttributeDef>,
    #[serde(default)]
    pub attributes: Vec<AttributeDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDef {
    pub name: String,
    pub data_type: String,
}

/// What made a group of activities happen: an import job or a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// How the change came in, as Marketo names it (`List import`, ...).
    pub kind: &'static str,
    /// The import's own description, e.g. `Bulk import 1001`.
    pub name: String,
}

/// Index of a [`Source`] in the log.
pub type SourceId = u32;

/// A member's status before and after (Change Status in Progression).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub old: Option<String>,
    pub new: String,
    pub success: bool,
    pub acquired: bool,
}

/// The values an activity carries beyond its entry, as read back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Payload<'a> {
    /// A field's value before and after (Change Data Value, Change Score).
    Change {
        old: Option<ValueRef<'a>>,
        new: Option<ValueRef<'a>>,
    },
    Status(&'a StatusChange),
}

/// A payload as the log keeps it: a change's two values are encoded one after the other in
/// the log's byte arena (field [`OLD`], when there was one, then [`NEW`]), so an import that
/// changes many fields adds bytes to one buffer rather than allocating for each value.
#[derive(Debug, Clone)]
enum Stored {
    Change(Range<usize>),
    /// Boxed: status changes are few, and a change's payload stays small.
    Status(Box<StatusChange>),
}

const OLD: FieldId = 0;
const NEW: FieldId = 1;

const NO_PAYLOAD: u32 = u32::MAX;

/// One activity as stored, or a run of New Lead (or Add to List) activities of consecutive
/// leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// The position of its (first) activity in the log.
    first: u32,
    /// Seconds since the epoch: Marketo writes activity times to the second.
    date: u32,
    /// The lead, or the first lead of a run.
    lead: LeadId,
    /// The primary attribute's id: a field (by its field id in the schema), a list or a
    /// program.
    primary: u32,
    source: SourceId,
    payload: u32,
    kind: u16,
}

/// An activity read from the log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Activity<'a> {
    /// Marketo's activity id: the position in the log, from 1.
    pub id: u64,
    pub lead: LeadId,
    pub date: Timestamp,
    pub kind: u16,
    /// A field id (in the lead schema), a list id or a program id, by `kind`.
    pub primary: u32,
    pub source: &'a Source,
    pub payload: Option<Payload<'a>>,
}

#[derive(Debug, Clone, Default)]
pub struct ActivityLog {
    entries: Vec<Entry>,
    /// Activities in the log, runs counted whole.
    count: u32,
    sources: Vec<Source>,
    payloads: Vec<Stored>,
    /// The values of change payloads, encoded.
    values: Vec<u8>,
}

fn seconds(time: Timestamp) -> u32 {
    u32::try_from(time.millis().div_euclid(1000)).unwrap_or(if time.millis() < 0 {
        0
    } else {
        u32::MAX
    })
}

impl ActivityLog {
    /// Registers the source of the activities about to be written.
    pub fn source(&mut self, source: Source) -> SourceId {
        if let Some(last) = self.sources.last()
            && *last == source
        {
            return (self.sources.len() - 1) as SourceId;
        }
        self.sources.push(source);
        (self.sources.len() - 1) as SourceId
    }

    /// Makes room for `additional` activities, so a large import does not grow the log step
    /// by step.
    pub fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
    }

    fn push(
        &mut self,
        kind: u16,
        lead: LeadId,
        now: Timestamp,
        source: SourceId,
        primary: u32,
        payload: u32,
    ) {
        let date = seconds(now);
        // Activities without a payload (New Lead, Add to List) of consecutive leads, alike in
        // all else, are one run.
        if payload == NO_PAYLOAD
            && let Some(last) = self.entries.last()
            && (
                last.kind,
                last.primary,
                last.date,
                last.source,
                last.payload,
            ) == (kind, primary, date, source, NO_PAYLOAD)
            && last.lead.checked_add(self.count - last.first) == Some(lead)
        {
            // The next lead of a run: the run grows, the log does not.
            self.count += 1;
            return;
        }
        self.entries.push(Entry {
            first: self.count,
            date,
            lead,
            primary,
            source,
            payload,
            kind,
        });
        self.count += 1;
    }

    pub fn new_lead(&mut self, lead: LeadId, now: Timestamp, source: SourceId) {
        self.push(kinds::NEW_LEAD, lead, now, source, 0, NO_PAYLOAD);
    }

    /// Keeps a payload; its index.
    fn keep(&mut self, payload: Stored) -> u32 {
        self.payloads.push(payload);
        u32::try_from(self.payloads.len() - 1).unwrap_or(NO_PAYLOAD)
    }

    /// A field changed: Change Data Value, and for a score field Change Score first, as
    /// Marketo writes both for a score. Both activities share one payload.
    pub fn field_changed(
        &mut self,
        lead: LeadId,
        now: Timestamp,
        source: SourceId,
        change: Change<'_>,
        score: bool,
    ) {
        let start = self.values.len();
        change.encode_pair(&mut self.values, OLD, NEW);
        let payload = self.keep(Stored::Change(start..self.values.len()));
        let primary = u32::from(change.field);
        if score {
            self.push(kinds::CHANGE_SCORE, lead, now, source, primary, payload);
        }
        self.push(
            kinds::CHANGE_DATA_VALUE,
            lead,
            now,
            source,
            primary,
            payload,
        );
    }

    /// What an upsert did to a lead: New Lead for a new one, a change activity for each
    /// field it changed (Change Score for score fields), nothing for an unchanged one.
    pub fn lead_upserted(
        &mut self,
        schema: &Schema,
        upserted: Upserted,
        now: Timestamp,
        source: SourceId,
    ) {
        match upserted.outcome {
            Outcome::Created => self.new_lead(upserted.id, now, source),
            Outcome::Changed(update) => {
                for change in update.changes() {
                    let def = schema.field(change.field);
                    let score = def.data_type == DataType::Score || def.name == "leadScore";
                    self.field_changed(upserted.id, now, source, change, score);
                }
            }
            Outcome::Unchanged => {}
        }
    }

    pub fn added_to_list(&mut self, lead: LeadId, now: Timestamp, source: SourceId, list: u32) {
        self.push(kinds::ADD_TO_LIST, lead, now, source, list, NO_PAYLOAD);
    }

    /// A member's status changed in a program (or the lead became a member).
    pub fn status_changed(
        &mut self,
        lead: LeadId,
        now: Timestamp,
        source: SourceId,
        program: u32,
        change: StatusChange,
    ) {
        let kind = kinds::CHANGE_STATUS_IN_PROGRESSION;
        let payload = self.keep(Stored::Status(Box::new(change)));
        self.push(kind, lead, now, source, program, payload);
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    // Only the `internals` feature exports the type, with `len`, where clippy wants this.
    #[cfg(feature = "internals")]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The entry holding the activity at a position.
    fn entry_of(&self, at: usize) -> Option<usize> {
        let at = u32::try_from(at).ok().filter(|at| *at < self.count)?;
        Some(self.entries.partition_point(|entry| entry.first <= at) - 1)
    }

    /// The activity at position `at`, which entry `index` holds.
    fn activity(&self, index: usize, at: usize) -> Activity<'_> {
        let entry = &self.entries[index];
        Activity {
            id: at as u64 + 1,
            // In a run, the activity `n` places after its first is about the lead `n` after.
            lead: entry.lead + (at as u32 - entry.first),
            date: Timestamp(i64::from(entry.date) * 1000),
            kind: entry.kind,
            primary: entry.primary,
            source: &self.sources[entry.source as usize],
            payload: self
                .payloads
                .get(entry.payload as usize)
                .map(|stored| self.payload(stored)),
        }
    }

    fn payload<'a>(&'a self, stored: &'a Stored) -> Payload<'a> {
        match stored {
            Stored::Change(range) => {
                let (mut old, mut new) = (None, None);
                for (field, value) in decode(&self.values[range.clone()]) {
                    *(if field == OLD { &mut old } else { &mut new }) = Some(value);
                }
                Payload::Change { old, new }
            }
            Stored::Status(change) => Payload::Status(change),
        }
    }

    /// The activity at a position of the log.
    #[cfg(test)]
    pub fn get(&self, at: usize) -> Option<Activity<'_>> {
        Some(self.activity(self.entry_of(at)?, at))
    }

    /// Activities from position `at` on, in order.
    pub fn from(&self, at: usize) -> impl Iterator<Item = Activity<'_>> + '_ {
        let mut index = self.entry_of(at).unwrap_or(self.entries.len());
        (at..self.len()).map(move |at| {
            if self
                .entries
                .get(index + 1)
                .is_some_and(|next| next.first as usize <= at)
            {
                index += 1;
            }
            self.activity(index, at)
        })
    }

    /// The position of the first activity at or after `time`: activities are written in the
    /// order of the mock's clock, which never goes back.
    pub fn first_since(&self, time: Timestamp) -> usize {
        let second = seconds(Timestamp(time.millis() + 999));
        let index = self.entries.partition_point(|entry| entry.date < second);
        self.entries
            .get(index)
            .map_or(self.len(), |entry| entry.first as usize)
    }

    /// Entries stored, for the memory figures: a run of activities is one.
    #[cfg(test)]
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// Bytes each stored entry takes, for the memory figures.
    #[cfg(any(test, feature = "internals"))]
    pub const ENTRY_BYTES: usize = std::mem::size_of::<Entry>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Values;
    use crate::schema::Value;

    /// Logs a change of `field` from `old` to `new` by `lead` at a time from a source, as an
    /// update of a record finds it.
    fn change(
        log: &mut ActivityLog,
        (lead, now, source): (LeadId, Timestamp, SourceId),
        field: FieldId,
        score: bool,
        old: Option<Value>,
        new: Value,
    ) {
        let before = Values::from_vec(old.map(|old| (field, old)).into_iter().collect());
        let written = Values::from_vec(vec![(field, new)]);
        let change = before.changes(&written).next().expect("a change");
        log.field_changed(lead, now, source, change, score);
    }

    fn source(log: &mut ActivityLog, name: &str) -> SourceId {
        log.source(Source {
            kind: "List import",
            name: name.to_owned(),
        })
    }

    #[test]
    fn an_entry_takes_28_bytes() {
        assert_eq!(ActivityLog::ENTRY_BYTES, 28);
    }

    #[test]
    fn new_leads_of_consecutive_leads_in_one_second_are_one_run_read_back_one_by_one() {
        let mut log = ActivityLog::default();
        let import = source(&mut log, "Bulk lead import");
        for lead in 1..=1000 {
            log.new_lead(lead, Timestamp(5_000), import);
        }
        // A change breaks the run; the next second, another source or a gap starts a new one.
        change(
            &mut log,
            (7, Timestamp(5_000), import),
            3,
            false,
            None,
            Value::Integer(1),
        );
        log.new_lead(1001, Timestamp(5_000), import);
        log.new_lead(1002, Timestamp(6_000), import);
        log.new_lead(1004, Timestamp(6_000), import);
        assert_eq!(log.len(), 1004);
        assert_eq!(log.entries(), 5);
        let all: Vec<_> = log.from(0).collect();
        assert_eq!(all.len(), 1004);
        for (at, activity) in all.iter().enumerate() {
            assert_eq!(activity.id, at as u64 + 1);
            assert_eq!(Some(*activity), log.get(at), "position {at}");
        }
        assert_eq!(all[999].lead, 1000);
        assert_eq!(all[1000].kind, kinds::CHANGE_DATA_VALUE);
        assert_eq!(
            all[1001..].iter().map(|a| a.lead).collect::<Vec<_>>(),
            [1001, 1002, 1004]
        );
        assert_eq!(log.from(500).next().unwrap().lead, 501);
        assert_eq!(log.first_since(Timestamp(6_000)), 1002);
        assert_eq!(log.get(1004), None);
    }

    #[test]
    fn additions_of_consecutive_leads_to_one_list_are_one_run_and_another_list_starts_one() {
        let mut log = ActivityLog::default();
        let import = source(&mut log, "Bulk lead import");
        for lead in 1..=3 {
            log.added_to_list(lead, Timestamp(5_000), import, 2001);
        }
        log.added_to_list(4, Timestamp(5_000), import, 2002);
        log.added_to_list(5, Timestamp(5_000), import, 2002);
        log.new_lead(6, Timestamp(5_000), import);
        assert_eq!(log.entries(), 3);
        let read: Vec<_> = log.from(0).map(|a| (a.lead, a.kind, a.primary)).collect();
        let list = kinds::ADD_TO_LIST;
        assert_eq!(
            read,
            [
                (1, list, 2001),
                (2, list, 2001),
                (3, list, 2001),
                (4, list, 2002),
                (5, list, 2002),
                (6, kinds::NEW_LEAD, 0),
            ]
        );
    }

    #[test]
    fn activities_read_back_in_order_with_their_source_and_payload() {
        let mut log = ActivityLog::default();
        let import = source(&mut log, "Bulk import 1001");
        log.new_lead(7, Timestamp(5_500), import);
        change(
            &mut log,
            (7, Timestamp(6_000), import),
            3,
            false,
            Some(Value::Text("a".into())),
            Value::Text("b".into()),
        );
        log.added_to_list(7, Timestamp(6_000), import, 2001);
        let all: Vec<_> = log.from(0).collect();
        assert_eq!(all.len(), 3);
        assert_eq!(
            (all[0].id, all[0].kind, all[0].date),
            (1, kinds::NEW_LEAD, Timestamp(5_000))
        );
        assert_eq!(all[0].payload, None);
        assert_eq!(all[1].primary, 3);
        assert_eq!(
            all[1].payload,
            Some(Payload::Change {
                old: Some(ValueRef::Text("a")),
                new: Some(ValueRef::Text("b"))
            })
        );
        assert_eq!((all[2].kind, all[2].primary), (kinds::ADD_TO_LIST, 2001));
        assert_eq!(all[2].source.name, "Bulk import 1001");
    }

    #[test]
    fn a_source_repeated_is_kept_once_and_a_score_change_is_logged_twice_as_marketo_does() {
        let mut log = ActivityLog::default();
        let first = source(&mut log, "Bulk import 1001");
        assert_eq!(source(&mut log, "Bulk import 1001"), first);
        assert_ne!(source(&mut log, "Bulk import 1002"), first);
        change(
            &mut log,
            (1, Timestamp(0), first),
            9,
            true,
            None,
            Value::Integer(5),
        );
        let logged: Vec<u16> = log.from(0).map(|activity| activity.kind).collect();
        assert_eq!(logged, [kinds::CHANGE_SCORE, kinds::CHANGE_DATA_VALUE]);
    }

    #[test]
    fn the_first_activity_since_a_time_is_found_by_its_second() {
        let mut log = ActivityLog::default();
        let import = source(&mut log, "x");
        for second in [1, 2, 2, 5] {
            log.new_lead(1, Timestamp(second * 1000), import);
        }
        assert_eq!(log.first_since(Timestamp(0)), 0);
        assert_eq!(log.first_since(Timestamp(2_000)), 1);
        assert_eq!(log.first_since(Timestamp(2_001)), 3);
        assert_eq!(log.first_since(Timestamp(9_000)), 4);
    }
}
