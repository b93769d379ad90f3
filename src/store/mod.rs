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

/// What every instance on the same fixtures shares, built once: the schemas and reference
/// data a store reads and never changes. A thousand instances hold one copy.
#[derive(Debug)]
pub struct Reference {
    lead_schema: Arc<Schema>,
    partitions: Vec<leads::Partition>,
    lists: Vec<leads::ListDef>,
    /// The custom object types, without records.
    object_types: ObjectDb,
    programs: Arc<programs::ProgramsFixture>,
    member_schema: Arc<Schema>,
    smart_lists: Arc<Vec<SmartList>>,
    activity_types: Arc<Vec<ActivityType>>,
    catalog: Arc<Catalog>,
}

impl Reference {
    pub fn new(fixtures: &Fixtures) -> Reference {
        let lead_schema = Arc::new(Schema::new(fixtures.lead_fields.clone()));
        // Checked when the fixtures load, so each resolves against the lead schema.
        let smart_lists = fixtures.smart_lists(&lead_schema).unwrap_or_default();
        Reference {
            partitions: fixtures.partitions.clone(),
            lists: fixtures.lists.clone(),
            object_types: ObjectDb::new(fixtures.custom_objects.clone()),
            programs: Arc::new(fixtures.programs.clone()),
            member_schema: Arc::new(Schema::new(fixtures.program_member_fields.clone())),
            smart_lists: Arc::new(smart_lists),
            activity_types: Arc::new(fixtures.activity_types.clone()),
            catalog: Arc::new(Catalog::new(
                fixtures.campaigns.clone(),
                fixtures.assets.clone(),
            )),
            lead_schema,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Db {
    pub leads: LeadDb,
    pub objects: ObjectDb,
    pub programs: ProgramDb,
    pub smart_lists: Arc<Vec<SmartList>>,
    pub activities: ActivityLog,
    pub activity_types: Arc<Vec<ActivityType>>,
    /// Smart campaigns, segmentations, emails and tokens: read, never written.
    pub catalog: Arc<Catalog>,
}

impl Db {
    /// An empty database over the fixtures' schemas and reference data, which it shares with
    /// every other database of the same fixtures.
    pub fn new(fixtures: &Fixtures) -> Db {
        let reference = fixtures.reference();
        Db {
            leads: LeadDb::new(
                reference.lead_schema.clone(),
                reference.partitions.clone(),
                reference.lists.clone(),
            ),
            objects: reference.object_types.clone(),
            programs: ProgramDb::new(reference.programs.clone(), reference.member_schema.clone()),
            smart_lists: reference.smart_lists.clone(),
            activities: ActivityLog::default(),
            activity_types: reference.activity_types.clone(),
            catalog: reference.catalog.clone(),
        }
    }
}
