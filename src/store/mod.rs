//! What imports leave behind: leads with their lists and partitions (and, from the same
//! fixtures, the other objects). Methods are synchronous; callers hold locks briefly.

pub mod leads;

pub use leads::{LeadDb, LeadId, UpsertError};
