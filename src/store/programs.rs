//! Programs, their channels' progression statuses, and memberships.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::LeadId;
use super::catalog::{FolderRef, FolderType, UI_URL};
use crate::clock::Timestamp;
use crate::iso8601::AssetTime;
use crate::record::Values;
use crate::schema::{FieldId, Schema, Value, ValueRef};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressionStatus {
    pub name: String,
    pub step: i32,
    pub success: bool,
    #[serde(default)]
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelDef {
    pub name: String,
    pub applicable_program_type: String,
    pub progression_statuses: Vec<ProgressionStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgramDef {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The program type as Marketo names it inside (`program`, `event`, `webinar`,
    /// `nurture`, `email`); the Asset API shows [`ProgramDef::asset_type`].
    #[serde(rename = "type")]
    pub kind: String,
    pub channel: String,
    #[serde(default)]
    pub workspace: String,
    pub created_at: AssetTime,
    pub updated_at: AssetTime,
    /// `on`/`off` for an engagement program, `locked`/`unlocked` for an email program, else
    /// empty.
    #[serde(default)]
    pub status: String,
    /// The folder the program sits in; [`ProgramDef::folder`] when the fixture names none.
    #[serde(default, rename = "folder")]
    pub folder_ref: Option<FolderRef>,
}

impl ProgramDef {
    /// The type as the Asset API writes it: `Default`, `Event`, `Event with Webinar`,
    /// `Engagement` or `Email`; a fixture may also use those names itself.
    pub fn asset_type(&self) -> &str {
        match self.kind.to_ascii_lowercase().as_str() {
            "program" | "default" => "Default",
            "event" => "Event",
            "webinar" | "event with webinar" => "Event with Webinar",
            "nurture" | "engagement" => "Engagement",
            "email" => "Email",
            _ => &self.kind,
        }
    }

    /// The program's page in the Marketo UI: `#PG` for a default program, `#ME` for events,
    /// `#EBP` for email programs, `#NP` for engagement programs, as recorded answers show.
    pub fn url(&self) -> String {
        let prefix = match self.asset_type() {
            "Event" | "Event with Webinar" => "ME",
            "Email" => "EBP",
            "Engagement" => "NP",
            _ => "PG",
        };
        format!("{UI_URL}/#{prefix}{}A1", self.id)
    }

    /// The folder the program sits in; the top of Marketing Activities when the fixture names
    /// none.
    pub fn folder(&self) -> FolderRef {
        self.folder_ref.clone().unwrap_or_else(|| FolderRef {
            kind: FolderType::Folder,
            value: MARKETING_ACTIVITIES,
            folder_name: Some("Marketing Activities".to_owned()),
        })
    }
}

/// The folder id the mock gives the top of Marketing Activities.
pub const MARKETING_ACTIVITIES: u32 = 40;

/// `programs.json`: the channels and the programs on them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramsFixture {
    pub channels: Vec<ChannelDef>,
    pub programs: Vec<ProgramDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// Marketo's program member id, unique across programs.
    pub id: u64,
    pub lead: LeadId,
    pub status: ProgressionStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub membership_date: Timestamp,
    pub reached_success_date: Option<Timestamp>,
    /// The program created the person: the lead was new when it became a member.
    pub acquired_by: bool,
    /// Program member custom fields.
    pub values: Values,
}

/// A column of a program member, as read-back and exports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberColumn {
    LeadId,
    ProgramId,
    Program,
    StatusName,
    ReachedSuccess,
    ReachedSuccessDate,
    MembershipDate,
    AcquiredBy,
    IsExhausted,
    NurtureCadence,
    CreatedAt,
    UpdatedAt,
    /// A program member custom field.
    Custom(FieldId),
}

impl MemberColumn {
    /// The column a name denotes, without case: a standard member field, else a field of the
    /// member schema.
    pub fn resolve(schema: &Schema, name: &str) -> Option<MemberColumn> {
        const STANDARD: &[(&str, MemberColumn)] = &[
            ("leadId", MemberColumn::LeadId),
            ("programId", MemberColumn::ProgramId),
            ("program", MemberColumn::Program),
            ("statusName", MemberColumn::StatusName),
            ("reachedSuccess", MemberColumn::ReachedSuccess),
            ("reachedSuccessDate", MemberColumn::ReachedSuccessDate),
            ("membershipDate", MemberColumn::MembershipDate),
            ("acquiredBy", MemberColumn::AcquiredBy),
            ("isExhausted", MemberColumn::IsExhausted),
            ("nurtureCadence", MemberColumn::NurtureCadence),
            ("createdAt", MemberColumn::CreatedAt),
            ("updatedAt", MemberColumn::UpdatedAt),
        ];
        STANDARD
            .iter()
            .find(|(standard, _)| standard.eq_ignore_ascii_case(name))
            .map(|(_, column)| *column)
            .or_else(|| schema.find(name).map(MemberColumn::Custom))
    }
}

impl Membership {
    /// A column's value for this member of `program`. The mock runs no nurture engine, so a
    /// member is exhausted and has a cadence only where an import wrote those fields.
    pub fn value<'a>(
        &'a self,
        schema: &Schema,
        program: &'a ProgramDef,
        column: MemberColumn,
    ) -> Option<ValueRef<'a>> {
        let time = |t: Timestamp| ValueRef::Datetime(t.millis());
        let stored = |name: &str| schema.find(name).and_then(|f| self.values.get_ref(f));
        match column {
            MemberColumn::LeadId => Some(ValueRef::Integer(i64::from(self.lead))),
            MemberColumn::ProgramId => Some(ValueRef::Integer(i64::from(program.id))),
            MemberColumn::Program => Some(ValueRef::Text(&program.name)),
            MemberColumn::StatusName => Some(ValueRef::Text(&self.status.name)),
            MemberColumn::ReachedSuccess => Some(ValueRef::Boolean(self.reached_success())),
            MemberColumn::ReachedSuccessDate => self.reached_success_date.map(time),
            MemberColumn::MembershipDate => Some(time(self.membership_date)),
            MemberColumn::AcquiredBy => Some(ValueRef::Boolean(self.acquired_by)),
            MemberColumn::IsExhausted => stored("isExhausted").or(Some(ValueRef::Boolean(false))),
            MemberColumn::NurtureCadence => stored("nurtureCadence"),
            MemberColumn::CreatedAt => Some(time(self.created_at)),
            MemberColumn::UpdatedAt => Some(time(self.updated_at)),
            MemberColumn::Custom(field) => self.values.get_ref(field),
        }
    }

    /// Whether the member is, or once was, in a success status.
    pub fn reached_success(&self) -> bool {
        self.status.success || self.reached_success_date.is_some()
    }
}

/// Why a status was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Lead skipped because it is already in or past this status")]
pub struct AlreadyPast;

#[derive(Debug, Clone)]
pub struct ProgramDb {
    fixture: Arc<ProgramsFixture>,
    member_schema: Arc<Schema>,
    members: HashMap<u32, BTreeMap<LeadId, Membership>>,
    memberships_made: u64,
}

impl ProgramDb {
    pub fn new(fixture: Arc<ProgramsFixture>, member_schema: Arc<Schema>) -> ProgramDb {
        ProgramDb {
            fixture,
            member_schema,
            members: HashMap::new(),
            memberships_made: 0,
        }
    }

    pub fn member_schema(&self) -> &Arc<Schema> {
        &self.member_schema
    }

    pub fn programs(&self) -> &[ProgramDef] {
        &self.fixture.programs
    }

    pub fn program(&self, id: u32) -> Option<&ProgramDef> {
        self.fixture.programs.iter().find(|p| p.id == id)
    }

    pub fn channel(&self, program: &ProgramDef) -> Option<&ChannelDef> {
        self.fixture
            .channels
            .iter()
            .find(|c| c.name == program.channel)
    }

    /// A status of the program's channel, matched without case.
    pub fn status(&self, program: u32, name: &str) -> Option<&ProgressionStatus> {
        let program = self.program(program)?;
        self.channel(program)?
            .progression_statuses
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// A progression status's id: its place among every channel's statuses, in fixture order,
    /// from 1, so each channel's statuses have ids of their own as in Marketo.
    pub fn status_id(&self, program: u32, name: &str) -> Option<u32> {
        let channel = self.channel(self.program(program)?)?;
        let mut id = 0;
        for candidate in &self.fixture.channels {
            for status in &candidate.progression_statuses {
                id += 1;
                if candidate.name == channel.name && status.name.eq_ignore_ascii_case(name) {
                    return Some(id);
                }
            }
        }
        None
    }

    pub fn members(&self, program: u32) -> impl Iterator<Item = &Membership> {
        self.members
            .get(&program)
            .into_iter()
            .flat_map(|members| members.values())
    }

    pub fn membership(&self, program: u32, lead: LeadId) -> Option<&Membership> {
        self.members.get(&program)?.get(&lead)
    }

    /// Makes a lead a member with `status`, or moves it there; the status it had before, if
    /// this changed it (`Some(None)` for a new member). A member already at a later step keeps
    /// its status (its custom fields still change), as Marketo skips such leads.
    pub fn set_status(
        &mut self,
        program: u32,
        lead: LeadId,
        status: &ProgressionStatus,
        values: Vec<(FieldId, Value)>,
        lead_is_new: bool,
        now: Timestamp,
    ) -> Result<Option<Option<String>>, AlreadyPast> {
        let members = self.members.entry(program).or_default();
        let before = members.get(&lead).map(|member| member.status.name.clone());
        let made = &mut self.memberships_made;
        let member = members.entry(lead).or_insert_with(|| Membership {
            id: {
                *made += 1;
                *made
            },
            lead,
            status: status.clone(),
            created_at: now,
            updated_at: now,
            membership_date: now,
            reached_success_date: None,
            acquired_by: lead_is_new,
            values: Values::default(),
        });
        member.updated_at = now;
        member.values.merge(values);
        if member.status.step > status.step {
            return Err(AlreadyPast);
        }
        if before.as_deref() == Some(status.name.as_str()) {
            return Ok(None);
        }
        member.status = status.clone();
        if status.success && member.reached_success_date.is_none() {
            member.reached_success_date = Some(now);
        }
        Ok(Some(before))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> ProgramDb {
        let status = |name: &str, step, success| ProgressionStatus {
            name: name.into(),
            step,
            success,
            hidden: false,
        };
        let fixture = ProgramsFixture {
            channels: vec![ChannelDef {
                name: "Webinar".into(),
                applicable_program_type: "event".into(),
                progression_statuses: vec![
                    status("Not in Program", 0, false),
                    status("Registered", 40, false),
                    status("Attended", 70, true),
                ],
            }],
            programs: vec![ProgramDef {
                id: 1002,
                name: "Webinar".into(),
                description: String::new(),
                kind: "event".into(),
                channel: "Webinar".into(),
                workspace: "Default".into(),
                created_at: AssetTime(Timestamp(0)),
                updated_at: AssetTime(Timestamp(0)),
                status: String::new(),
                folder_ref: None,
            }],
        };
        ProgramDb::new(Arc::new(fixture), Arc::new(Schema::new(Vec::new())))
    }

    #[test]
    fn statuses_belong_to_the_programs_channel() {
        let db = db();
        assert_eq!(db.status(1002, "attended").unwrap().name, "Attended");
        assert!(db.status(1002, "On List").is_none());
        assert!(db.status(9999, "Attended").is_none());
    }

    #[test]
    fn a_member_moves_forward_and_is_never_moved_back() {
        let mut db = db();
        let registered = db.status(1002, "Registered").unwrap().clone();
        let attended = db.status(1002, "Attended").unwrap().clone();
        assert_eq!(
            db.set_status(1002, 7, &registered, Vec::new(), true, Timestamp(1)),
            Ok(Some(None))
        );
        assert_eq!(
            db.set_status(1002, 7, &attended, Vec::new(), false, Timestamp(2)),
            Ok(Some(Some("Registered".to_owned())))
        );
        assert_eq!(
            db.set_status(1002, 7, &attended, Vec::new(), false, Timestamp(2)),
            Ok(None),
            "the same status again changes nothing"
        );
        assert_eq!(
            db.set_status(1002, 7, &registered, Vec::new(), false, Timestamp(3)),
            Err(AlreadyPast)
        );
        let member = db.membership(1002, 7).unwrap();
        assert_eq!(member.status.name, "Attended");
        assert_eq!(
            (member.membership_date, member.reached_success_date),
            (Timestamp(1), Some(Timestamp(2)))
        );
        assert!(member.acquired_by);
    }
}
