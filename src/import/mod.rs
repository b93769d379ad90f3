//! The pure side of an import: the file format, reading rows, checking values against a
//! schema, and rendering the failures and warnings files. Nothing here knows about HTTP or tasks.
//!
//! Every caller (the HTTP handlers, seeding, the benches, fuzz targets and property tests)
//! comes in through [`prepare`], so each import is checked and planned one way.

mod driver;
pub(crate) mod leads;
mod members;
mod objects;
mod overlap;
mod params;
mod render;
pub mod request;
mod rows;
mod validate;

pub use crate::format::Format;
pub use driver::{ImportContext, RowOutcome};
pub use params::{LeadParams, MemberParams, ObjectParams};
pub use request::{ImportRequest, prepare};
