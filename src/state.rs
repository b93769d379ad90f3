//! The application's shared state: cheap-to-clone handles, no globals.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::auth::{Credentials, Tokens};
use crate::clock::Clock;
use crate::config::Config;
use crate::fixtures::Fixtures;
use crate::jobs::{Engine, Limits, Timing};
use crate::store::Db;

/// Settings fixed at startup that handlers read.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_file_bytes: usize,
}

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub tokens: Arc<Tokens>,
    pub engine: Engine,
    pub db: Arc<RwLock<Db>>,
    pub fixtures: Arc<Fixtures>,
}

impl AppState {
    /// Builds the state and starts the job engine on the current runtime.
    pub fn new(config: &Config, fixtures: &Fixtures) -> AppState {
        let clock = Clock::new(config.clock);
        let credentials = Credentials {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
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
        let timing = Timing {
            queue_delay_ms: config.queue_delay_ms,
            rows_per_second: config.rows_per_second,
        };
        AppState {
            settings: Arc::new(Settings {
                max_file_bytes: config.max_file_bytes,
            }),
            engine: Engine::start(clock.clone(), limits, timing),
            clock,
            tokens: Arc::new(tokens),
            db: Arc::new(RwLock::new(Db::new(fixtures))),
            fixtures: Arc::new(fixtures.clone()),
        }
    }

    pub fn read_db(&self) -> std::sync::RwLockReadGuard<'_, Db> {
        self.db.read().unwrap_or_else(|p| p.into_inner())
    }
}

impl axum::extract::FromRef<AppState> for crate::clock::Clock {
    fn from_ref(state: &AppState) -> crate::clock::Clock {
        state.clock.clone()
    }
}
