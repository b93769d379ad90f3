//! Import jobs: what a job is, how its status may change, and the engine that queues and runs
//! them under Marketo's limits.

pub mod counters;
pub mod dispatch;
pub mod engine;
pub mod model;
pub mod params;
pub mod status;
pub mod workers;

pub use counters::Counters;
pub use engine::{Engine, Limits, Timing};
pub use model::{BatchId, ImportKind, ImportWork, Job, JobSnapshot, ResultFiles, Step};
pub use params::JobParams;
pub use status::JobStatus;
