//! Bulk extract: what an export job asks for ([`plan`]), the records it selects and the file
//! it writes ([`select`], [`file`]), its lifecycle ([`status`], [`job`]), and the engine that
//! queues and runs export jobs under Marketo's limits ([`engine`]).

pub mod dates;
pub mod engine;
pub mod file;
pub mod job;
pub mod kind;
pub mod plan;
pub mod select;
pub mod status;

pub use engine::{ExportEngine, ExportLimits, QuotaUsage};
pub use job::{ExportJob, ExportSnapshot};
pub use kind::ExportKind;
pub use status::ExportStatus;
