//! The pure side of an import: the file format, reading rows, checking values against a
//! schema, and rendering the failures and warnings files. Nothing here knows about HTTP or tasks.

pub mod driver;
pub mod format;
pub mod leads;
pub mod members;
pub mod objects;
pub mod render;
pub mod rows;
pub mod validate;

pub use format::Format;
