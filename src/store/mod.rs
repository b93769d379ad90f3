//! What imports leave behind: leads with their lists and partitions, custom object records,
//! and program memberships. One [`Db`] behind one lock, so an import that touches leads and
//! members at once can never deadlock; methods are synchronous and callers hold it briefly.

pub mod activities;
pub mod catalog;
pub mod leads;
pub mod objects;
pub mod programs;
pub mod smart_lists;

use std::sync::Arc;

pub use leads::{LeadDb, LeadId, UpsertError};
pub use objects::ObjectDb;
pub use programs::ProgramDb;

use crate::fixtures::Fixtures;
use crate::schema::Schema;
use activities::{ActivityLog, ActivityType};
use catalog::Catalog;
use smart_lists::SmartList;

#[derive(Debug, Clone)]
pub struct Db {
    /// Bumped by a reset, so a job created before it writes nothing after it.
    pub generation: u64,
    pub leads: LeadDb,
    pub objects: ObjectDb,
    pub programs: ProgramDb,
    /// Checked when the fixtures load, so each resolves against the lead schema.
    pub smart_lists: Vec<SmartList>,
    pub activities: ActivityLog,
    pub activity_types: Vec<ActivityType>,
    /// Smart campaigns, segmentations, emails and tokens: read, never written.
    pub catalog: Catalog,
}

impl Db {
    /// An empty database over the fixtures' schemas and reference data.
    pub fn new(fixtures: &Fixtures, generation: u64) -> Db {
        let lead_schema = Arc::new(Schema::new(fixtures.lead_fields.clone()));
        let smart_lists = fixtures.smart_lists(&lead_schema).unwrap_or_default();
        Db {
            smart_lists,
            activities: ActivityLog::default(),
            activity_types: fixtures.activity_types.clone(),
            catalog: Catalog::new(fixtures.campaigns.clone(), fixtures.assets.clone()),
            generation,
            leads: LeadDb::new(
                lead_schema,
                fixtures.partitions.clone(),
                fixtures.lists.clone(),
            ),
            objects: ObjectDb::new(fixtures.custom_objects.clone()),
            programs: ProgramDb::new(
                fixtures.programs.clone(),
                fixtures.program_member_fields.clone(),
            ),
        }
    }
}
