//! Integration tests: each spawns the real server on port 0 and talks HTTP with a real client.

mod activities;
mod adobe_openapi;
mod assets;
mod campaigns;
mod control;
mod custom_objects;
mod exports;
mod helpers;
mod identity;
mod import_errors;
mod instances;
mod leads_import;
mod leads_readback;
mod lists;
mod openapi;
mod path_ids;
mod process;
mod program_members;
mod queue;
mod robustness;
mod routing;
mod ui;
mod usage;
