//! Writes an export's file from the records that match its plan now: a job calls it when it
//! starts processing, so a later change is not in its file.

use super::file::{ExportFile, FileWriter};
use super::plan::{
    ActivityColumn, ActivityFilter, Cadence, Column, ExportPlan, LeadFilter, ListRef, MemberFilter,
    ObjectFilter, Selection, Source,
};
use crate::activity::{Activities, AttributeObject};
use crate::schema::ValueRef;
use crate::store::Db;
use crate::store::leads::{Lead, LeadColumn};
use crate::store::programs::{MemberColumn, Membership, ProgramDef};

/// The file of `plan` over the records `db` holds now.
pub fn write(db: &Db, plan: &ExportPlan) -> ExportFile {
    let mut file = FileWriter::new(
        plan.format,
        plan.columns.iter().map(|column| column.header.as_str()),
    );
    match &plan.selection {
        Selection::Leads(filter) => {
            // A lead's stored columns are read in one pass over its record.
            let mut slots = vec![None; db.leads.schema().fields().len()];
            for (at, column) in plan.columns.iter().enumerate() {
                if let Source::Lead(LeadColumn::Stored(field)) = column.source {
                    slots[usize::from(field)] = Some(at);
                }
            }
            let mut cells = vec![None; plan.columns.len()];
            for lead in leads(db, filter) {
                lead.values.project(&slots, &mut cells);
                for (column, stored) in plan.columns.iter().zip(&cells) {
                    file.cell(match column.source {
                        Source::Lead(LeadColumn::Stored(_)) => *stored,
                        Source::Lead(column) => lead.value(column),
                        _ => None,
                    });
                }
                file.end_record();
            }
        }
        Selection::ProgramMembers(filter) => {
            for (program, member) in members(db, filter) {
                let lead = db.leads.lead(member.lead);
                let schema = db.programs.member_schema();
                row(&mut file, &plan.columns, |source| match source {
                    Source::Member(column) => member.value(schema, program, column),
                    Source::Lead(column) => lead.and_then(|lead| lead.value(column)),
                    _ => None,
                });
            }
        }
        Selection::CustomObjects { api_name, filter } => {
            let Some(object) = db.objects.get(api_name) else {
                return file.finish();
            };
            let linked = object.records().iter().filter_map(|record| {
                let lead = db.leads.lead(record.lead?)?;
                let selected = match filter {
                    ObjectFilter::UpdatedAt(range) => range.contains(record.updated_at),
                    ObjectFilter::List(list) => in_list(db, *list, lead),
                };
                selected.then_some(record)
            });
            for record in linked {
                row(&mut file, &plan.columns, |source| match source {
                    Source::Object(column) => record.value(column),
                    _ => None,
                });
            }
        }
        Selection::Activities(filter) => activities(db, filter, &plan.columns, &mut file),
    }
    file.finish()
}

/// Activities created in the filter's range, of its types and primary attributes.
fn activities(db: &Db, filter: &ActivityFilter, columns: &[Column], file: &mut FileWriter) {
    let range = filter.created_at;
    let log = &db.activities;
    let wants_attributes = columns
        .iter()
        .any(|column| column.source == Source::Activity(ActivityColumn::Attributes));
    let names = Activities::new(db);
    let mut attribute_object = AttributeObject::default();
    let in_range = log
        .from(log.first_since(range.start))
        .take_while(|activity| activity.date <= range.end);
    for activity in in_range {
        if !filter.type_ids.is_empty() && !filter.type_ids.contains(&activity.kind) {
            continue;
        }
        let (primary_id, primary_value) = names.primary(&activity);
        let named = |wanted: &String| {
            primary_value
                .as_deref()
                .is_some_and(|value| value.eq_ignore_ascii_case(wanted))
        };
        if (!filter.primary_ids.is_empty()
            && !primary_id.is_some_and(|id| filter.primary_ids.contains(&id)))
            || (!filter.primary_values.is_empty() && !filter.primary_values.iter().any(named))
        {
            continue;
        }
        let attributes = if wants_attributes {
            attribute_object.write(&names, &activity)
        } else {
            ""
        };
        for column in columns {
            let Source::Activity(column) = column.source else {
                file.cell(None);
                continue;
            };
            file.cell(match column {
                ActivityColumn::MarketoGuid => Some(ValueRef::Integer(activity.id as i64)),
                ActivityColumn::LeadId => Some(ValueRef::Integer(i64::from(activity.lead))),
                ActivityColumn::ActivityDate => Some(ValueRef::Datetime(activity.date.millis())),
                ActivityColumn::ActivityTypeId => Some(ValueRef::Integer(i64::from(activity.kind))),
                // No activity the mock writes comes from a campaign.
                ActivityColumn::CampaignId => None,
                ActivityColumn::PrimaryAttributeValueId => primary_id.map(ValueRef::Integer),
                ActivityColumn::PrimaryAttributeValue => {
                    primary_value.as_deref().map(ValueRef::Text)
                }
                ActivityColumn::Attributes => Some(ValueRef::Text(attributes)),
                // Every activity the mock writes did what it says.
                ActivityColumn::ActionResult => Some(ValueRef::Text("succeeded")),
            });
        }
        file.end_record();
    }
}

fn row<'a>(
    file: &mut FileWriter,
    columns: &[Column],
    value: impl Fn(Source) -> Option<ValueRef<'a>>,
) {
    for column in columns {
        file.cell(value(column.source));
    }
    file.end_record();
}

/// The leads a lead filter selects, by id.
fn leads<'a>(db: &'a Db, filter: &'a LeadFilter) -> Box<dyn Iterator<Item = &'a Lead> + 'a> {
    let all = db.leads.leads();
    match filter {
        LeadFilter::CreatedAt(range) => {
            Box::new(all.filter(|lead| range.contains(lead.created_at)))
        }
        LeadFilter::UpdatedAt(range) => {
            Box::new(all.filter(|lead| range.contains(lead.updated_at)))
        }
        LeadFilter::List(ListRef::Static(id)) => Box::new(
            db.leads
                .list(*id)
                .into_iter()
                .flat_map(|(_, members)| members.iter())
                .filter_map(|id| db.leads.lead(id)),
        ),
        LeadFilter::List(list) => Box::new(all.filter(|lead| in_list(db, *list, lead))),
    }
}

/// Whether a lead is in a static list, or meets a smart list's rules now.
fn in_list(db: &Db, list: ListRef, lead: &Lead) -> bool {
    match list {
        ListRef::Static(id) => db
            .leads
            .list(id)
            .is_some_and(|(_, members)| members.contains(lead.id)),
        ListRef::Smart(id) => db
            .smart_lists
            .iter()
            .find(|smart| smart.def.id == id)
            .is_some_and(|smart| smart.contains(lead)),
    }
}

/// The members a filter selects: program by program in the order asked, each by lead id.
fn members<'a>(
    db: &'a Db,
    filter: &'a MemberFilter,
) -> impl Iterator<Item = (&'a ProgramDef, &'a Membership)> + 'a {
    let schema = db.programs.member_schema();
    filter
        .programs
        .iter()
        .filter_map(|id| db.programs.program(*id))
        .flat_map(move |program| {
            db.programs
                .members(program.id)
                .map(move |member| (program, member))
        })
        .filter(move |(program, member)| {
            let value = |column| member.value(schema, program, column);
            let exhausted = filter.is_exhausted.is_none_or(|wanted| {
                value(MemberColumn::IsExhausted) == Some(ValueRef::Boolean(wanted))
            });
            let cadence = filter.nurture_cadence.is_none_or(|wanted| {
                let stored = match value(MemberColumn::NurtureCadence) {
                    Some(ValueRef::Text(text)) => Cadence::parse(text),
                    _ => None,
                };
                stored == Some(wanted)
            });
            let status = filter.status_names.is_empty()
                || filter
                    .status_names
                    .iter()
                    .any(|name| name.eq_ignore_ascii_case(&member.status.name));
            let updated = filter
                .updated_at
                .is_none_or(|range| range.contains(member.updated_at));
            exhausted && cadence && status && updated
        })
}
