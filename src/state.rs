//! The application's shared state: cheap-to-clone handles, no globals.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::auth::{Credentials, Tokens};
use crate::clock::Clock;
use crate::config::Config;
use crate::config::InstanceSpec;
use crate::export::ExportEngine;
use crate::faults::Faults;
use crate::fixtures::Fixtures;
use crate::import::ImportContext;
use crate::jobs::{Engine, Limits, Timing};
use crate::journal::Journal;
use crate::limits::ApiLimits;
use crate::store::Db;
use crate::usage::CallCounts;

/// Settings fixed at startup that handlers read, and what a reset returns to.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_file_bytes: usize,
    pub config: Config,
}

/// Every handler and middleware gets a clone: one reference count, whatever the state holds.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub tokens: Arc<Tokens>,
    pub engine: Engine,
    pub exports: ExportEngine,
    pub db: Arc<RwLock<Db>>,
    pub faults: Arc<Faults>,
    pub journal: Arc<Journal>,
    pub limits: Arc<ApiLimits>,
    /// Emulated calls a day, for `GET /rest/v1/stats/usage.json`.
    pub calls: CallCounts,
    /// Numbers requests, for their `requestId`; starts anywhere, so ids differ across runs.
    pub request_sequence: std::sync::atomic::AtomicU64,
}

impl AppState {
    /// Builds one instance's world and starts its engines on the current runtime.
    pub fn new(config: &Config, spec: &InstanceSpec, fixtures: &Fixtures) -> AppState {
        let clock = match config.clock_start {
            Some(start) => Clock::starting_at(config.clock, start),
            None => Clock::new(config.clock),
        };
        let credentials = Credentials {
            client_id: spec.client_id.clone(),
            client_secret: spec.client_secret.clone(),
        };
        let tokens = Tokens::new(
            clock.clone(),
            credentials,
            Duration::from_secs(config.token_ttl_secs),
        );
        let limits = Limits {
            max_queued: config.max_queued_jobs as usize,
            max_importing: config.max_importing_jobs as usize,
            retention: Duration::from_secs(config.batch_retention_hours.saturating_mul(3600)),
        };
        let faults = Arc::new(Faults::default());
        let db = Arc::new(RwLock::new(fixtures.db()));
        AppState(Arc::new(Shared {
            settings: Arc::new(Settings {
                max_file_bytes: config.max_file_bytes,
                config: config.clone(),
            }),
            engine: Engine::start(clock.clone(), limits, config.timing(), faults.clone()),
            exports: ExportEngine::start(
                clock.clone(),
                db.clone(),
                faults.clone(),
                config.export_limits(),
                config.timing(),
            ),
            clock,
            tokens: Arc::new(tokens),
            db,
            faults,
            journal: Arc::new(Journal::new(config.journal_size)),
            limits: Arc::new(ApiLimits::new(config.limit_settings())),
            calls: CallCounts::default(),
            request_sequence: std::sync::atomic::AtomicU64::new(
                uuid::Uuid::new_v4().as_u128() as u64
            ),
        }))
    }

    /// The client id whose instance this is.
    pub fn client_id(&self) -> &str {
        self.tokens.client_id()
    }

    pub fn read_db(&self) -> std::sync::RwLockReadGuard<'_, Db> {
        self.db.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets how fast imports and exports move.
    pub fn set_timing(&self, timing: Timing) {
        self.engine.set_timing(timing);
        self.exports.set_timing(timing);
    }

    /// What an import job needs to run.
    pub fn import_context(&self) -> ImportContext {
        ImportContext {
            db: self.db.clone(),
            faults: self.faults.clone(),
        }
    }

    /// Stops this world's engines at once: no job starts or goes on. A reset or a dropped
    /// instance leaves its old world this way.
    pub fn stop(&self) {
        self.engine.stop();
        self.exports.stop();
    }

    /// Stops starting jobs and gives running ones `deadline`; the batches that did not finish.
    pub async fn shutdown(&self, deadline: Duration) -> Vec<u32> {
        let (dropped, ()) = tokio::join!(
            self.engine.shutdown(deadline),
            self.exports.shutdown(deadline)
        );
        dropped
    }
}
