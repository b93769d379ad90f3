//! What imports leave behind: leads with their lists and partitions, custom object records,
//! and program memberships. One [`Db`] behind one lock, so an import that touches leads and
//! members at once can never deadlock; methods are synchronous and callers hold it briefly.

pub mod activities;
pub mod catalog;
mod lead_index;
mod lead_set;
pub mod leads;
pub mod objects;
pub mod programs;
pub mod smart_lists;

use std::sync::Arc;

pub use leads::LeadDb;
pub use objects::ObjectDb;
pub use programs::ProgramDb;

use activities::{ActivityLog, ActivityType};
use catalog::Catalog;
use smart_lists::SmartList;

/// A lead's id: handed out in order from 1, never reused.
pub type LeadId = u32;

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
