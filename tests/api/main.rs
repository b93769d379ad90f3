//! Integration tests: each spawns the real server on port 0 and talks HTTP with a real client.

mod helpers;
mod identity;
mod import_errors;
mod leads_import;
mod leads_readback;
mod queue;
mod routing;
