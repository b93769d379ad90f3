//! marketo-bulk-mock: a faithful, stateful emulator of Adobe Marketo's Bulk Import and Bulk Extract APIs.
//!
//! - [`config`]: flags and their `MARKETO_MOCK_` environment twins.
//! - [`app`]: builds the application, binds its port, serves until stopped.
//! - [`instances`]: the Marketo instances one server holds, keyed by client id; [`state`]:
//!   one instance's world.
//! - [`server`]: the HTTP/1.1 connection loop, with header deadlines and graceful shutdown.
//! - [`http`]: the routes (identity, bulk imports, read-back, control plane) and the layers
//!   that make every answer Marketo-shaped.
//! - [`error`]: the one table of Marketo codes and messages.
//! - [`auth`]: access tokens.
//! - [`clock`]: the time jobs and tokens read, freezable for tests.
//! - [`import`]: pure import logic: formats, rows, validation, result files.
//! - [`jobs`]: import job model, status transitions and the engine that queues and runs them.
//! - [`export`]: bulk extract: export plans, the files they write, and their own engine.
//! - [`activity`]: activities as Marketo's answers show them, for REST reads and exports.
//! - [`iso8601`]: the date and time spellings export filters accept.
//! - [`store`]: what imports leave behind.
//! - [`faults`], [`journal`], [`limits`], [`usage`]: fault injection, the request journal,
//!   Marketo's API call limits and its daily call counts.
//! - [`schema`], [`fixtures`]: field definitions and the bundled reference data.
//! - [`words`]: eight-bytes-at-a-time scanning for the import's hot loops.

pub mod activity;
pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod export;
pub mod faults;
pub mod fixtures;
pub mod healthcheck;
pub mod http;
pub mod import;
pub mod instances;
pub mod iso8601;
pub mod jobs;
pub mod journal;
pub mod limits;
pub mod schema;
pub mod seed;
pub mod server;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod usage;
pub mod words;
