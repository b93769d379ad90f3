//! Many Marketo instances in one server, keyed by client id, each as isolated as two real
//! instances are: its records, queues, tokens, clock, faults, journal and limits are one value,
//! an [`AppState`]. A token names the instance that issued it. A reset replaces the instance's
//! value whole, so a job of the old one can never write into the new one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};

use crate::auth::{IdentityError, IssuedToken};
use crate::config::{Config, InstanceSpec};
use crate::fixtures::{FixtureError, Fixtures};
use crate::state::AppState;

/// Why an instance could not be made.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("{0}")]
    Fixtures(#[from] FixtureError),
    #[error("cannot read seed file {path}: {source}")]
    SeedRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("seed file {path} is not valid: {reason}")]
    SeedInvalid { path: PathBuf, reason: String },
    #[error("instance '{0}' exists already")]
    Exists(String),
    #[error("a client id and a client secret are required")]
    Incomplete,
}

struct Instance {
    spec: InstanceSpec,
    fixtures: Arc<Fixtures>,
    /// Replaced whole by a reset.
    world: RwLock<AppState>,
}

impl Instance {
    fn world(&self) -> AppState {
        self.world.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Every instance, the default one among them.
pub struct Instances {
    config: Config,
    fixtures: Arc<Fixtures>,
    default_id: String,
    map: DashMap<String, Arc<Instance>>,
    /// Which instance issued each token.
    token_owners: DashMap<String, String>,
}

/// An instance as `GET /_mock/instances` lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceSummary {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub munchkin_id: Option<String>,
    pub default: bool,
    pub leads: usize,
    pub activities: usize,
    pub import_jobs: serde_json::Value,
    pub export_jobs: serde_json::Value,
    pub tokens: usize,
}

impl Instances {
    /// The default instance from the flags, then those of `--instances`, each seeded.
    pub fn start(config: &Config, fixtures: Fixtures) -> Result<Instances, InstanceError> {
        let instances = Instances {
            config: config.clone(),
            fixtures: Arc::new(fixtures),
            default_id: config.client_id.clone(),
            map: DashMap::new(),
            token_owners: DashMap::new(),
        };
        instances.create(InstanceSpec {
            seed: config.seed.clone(),
            ..InstanceSpec::new(&config.client_id, &config.client_secret)
        })?;
        let listed = instance_file(config.instances.as_deref())?;
        for spec in listed
            .into_iter()
            .chain(config.extra_instances.iter().cloned())
        {
            instances.create(spec)?;
        }
        Ok(instances)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn default_id(&self) -> &str {
        &self.default_id
    }

    /// Makes an instance: loads its own fixtures if it names them, starts its engines and
    /// loads its seed.
    pub fn create(&self, spec: InstanceSpec) -> Result<(), InstanceError> {
        if spec.client_id.is_empty() || spec.client_secret.is_empty() {
            return Err(InstanceError::Incomplete);
        }
        if self.map.contains_key(&spec.client_id) {
            return Err(InstanceError::Exists(spec.client_id));
        }
        let fixtures = match &spec.fixtures {
            Some(dir) => Arc::new(Fixtures::load(Some(dir))?),
            None => self.fixtures.clone(),
        };
        let world = self.world(&spec, &fixtures)?;
        let instance = Instance {
            spec,
            fixtures,
            world: RwLock::new(world),
        };
        match self.map.entry(instance.spec.client_id.clone()) {
            dashmap::Entry::Occupied(entry) => {
                instance.world().stop();
                Err(InstanceError::Exists(entry.key().clone()))
            }
            dashmap::Entry::Vacant(entry) => {
                entry.insert(Arc::new(instance));
                Ok(())
            }
        }
    }

    /// A fresh world for an instance, seeded.
    fn world(&self, spec: &InstanceSpec, fixtures: &Fixtures) -> Result<AppState, InstanceError> {
        let world = AppState::new(&self.config, spec, fixtures);
        if let Some(path) = &spec.seed
            && let Err(error) = load_seed(&world, path)
        {
            world.stop();
            return Err(error);
        }
        Ok(world)
    }

    /// The current world of an instance.
    pub fn get(&self, client_id: &str) -> Option<AppState> {
        self.map.get(client_id).map(|instance| instance.world())
    }

    /// The default instance's world; it can never be dropped.
    pub fn default_world(&self) -> AppState {
        self.get(&self.default_id)
            .expect("the default instance cannot be dropped")
    }

    /// The world a token was issued by, if its instance still exists.
    pub fn for_token(&self, token: &str) -> Option<AppState> {
        let owner = self.token_owners.get(token)?.value().clone();
        self.get(&owner)
    }

    /// Issues a token to the instance of `client_id`; with `--open-instances`, an unknown
    /// client id first gets an instance of its own, pinned to the secret it sent. Also the
    /// world that answered, whose journal records the call.
    pub fn issue_token(
        &self,
        grant_type: Option<&str>,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> (AppState, Result<IssuedToken, IdentityError>) {
        let known = client_id.and_then(|id| self.get(id));
        let world = match (known, client_id, client_secret) {
            (Some(world), _, _) => world,
            (None, Some(id), Some(secret))
                if self.config.open_instances
                    && !id.is_empty()
                    && !secret.is_empty()
                    && grant_type == Some("client_credentials") =>
            {
                let spec = InstanceSpec::new(id, secret);
                // Two first requests at once: whichever makes it, both then use it.
                let _ = self.create(spec);
                match self.get(id) {
                    Some(world) => world,
                    None => {
                        let unknown = IdentityError::UnknownClient(id.to_owned());
                        return (self.default_world(), Err(unknown));
                    }
                }
            }
            // The default instance's own checks name what is wrong with the request.
            _ => self.default_world(),
        };
        let issued = world.tokens.issue(grant_type, client_id, client_secret);
        if let Ok(token) = &issued {
            self.token_owners
                .insert(token.access_token.clone(), world.client_id().to_owned());
        }
        (world, issued)
    }

    /// Replaces an instance's world with a fresh one from its fixtures and seed: its jobs,
    /// tokens, records, faults and journal are gone, and nothing of the old world can reach
    /// the new one.
    pub fn reset(&self, client_id: &str) -> Result<bool, InstanceError> {
        let Some(instance) = self.map.get(client_id).map(|entry| entry.value().clone()) else {
            return Ok(false);
        };
        let fixtures = match &instance.spec.fixtures {
            Some(dir) => Arc::new(Fixtures::load(Some(dir))?),
            None => match &self.config.fixtures {
                // The server's own directory is read again, as a reset always has.
                Some(dir) => Arc::new(Fixtures::load(Some(dir))?),
                None => instance.fixtures.clone(),
            },
        };
        let fresh = self.world(&instance.spec, &fixtures)?;
        let old = std::mem::replace(
            &mut *instance.world.write().unwrap_or_else(|p| p.into_inner()),
            fresh,
        );
        old.stop();
        // The old world's tokens are gone with it.
        self.token_owners.retain(|_, owner| owner != client_id);
        Ok(true)
    }

    /// Resets every instance.
    pub fn reset_all(&self) -> Result<(), InstanceError> {
        let ids: Vec<String> = self.map.iter().map(|entry| entry.key().clone()).collect();
        for id in ids {
            self.reset(&id)?;
        }
        Ok(())
    }

    /// Drops an instance (never the default one); its tokens then answer 601.
    pub fn remove(&self, client_id: &str) -> bool {
        if client_id == self.default_id {
            return false;
        }
        let Some((_, instance)) = self.map.remove(client_id) else {
            return false;
        };
        instance.world().stop();
        self.token_owners.retain(|_, owner| owner != client_id);
        true
    }

    /// Every instance, the default first, then by client id.
    pub fn summaries(&self) -> Vec<InstanceSummary> {
        let mut tokens: HashMap<String, usize> = HashMap::new();
        for owner in self.token_owners.iter() {
            *tokens.entry(owner.value().clone()).or_default() += 1;
        }
        let mut all: Vec<InstanceSummary> = self
            .map
            .iter()
            .map(|entry| {
                let held = tokens.get(entry.key()).copied().unwrap_or(0);
                self.summarize(entry.key(), entry.value(), held)
            })
            .collect();
        all.sort_by(|a, b| {
            b.default
                .cmp(&a.default)
                .then(a.client_id.cmp(&b.client_id))
        });
        all
    }

    /// One instance, as [`Instances::summaries`] lists it.
    pub fn summary(&self, client_id: &str) -> Option<InstanceSummary> {
        let instance = self.map.get(client_id)?;
        let tokens = self
            .token_owners
            .iter()
            .filter(|owner| owner.value() == client_id)
            .count();
        Some(self.summarize(client_id, instance.value(), tokens))
    }

    fn summarize(&self, client_id: &str, instance: &Instance, tokens: usize) -> InstanceSummary {
        let world = instance.world();
        let db = world.read_db();
        InstanceSummary {
            default: client_id == self.default_id,
            munchkin_id: instance.spec.munchkin_id.clone(),
            leads: db.leads.len(),
            activities: db.activities.len(),
            import_jobs: count_by(
                world
                    .engine
                    .jobs()
                    .iter()
                    .map(|job| format!("{:?}", job.snapshot().status)),
            ),
            export_jobs: count_by(
                world
                    .exports
                    .jobs()
                    .iter()
                    .map(|job| job.status().name().to_owned()),
            ),
            tokens,
            client_id: client_id.to_owned(),
        }
    }

    /// Stops every instance's engines at once: no job starts or goes on.
    pub fn stop_all(&self) {
        for entry in self.map.iter() {
            entry.value().world().stop();
        }
    }

    /// Stops every instance: their jobs get `deadline` to finish.
    pub async fn shutdown(&self, deadline: Duration) -> Vec<u32> {
        let worlds: Vec<AppState> = self.map.iter().map(|entry| entry.value().world()).collect();
        let mut dropped = Vec::new();
        for world in worlds {
            dropped.extend(world.shutdown(deadline).await);
        }
        dropped
    }
}

/// Counts of each status, as an object.
fn count_by(statuses: impl Iterator<Item = String>) -> serde_json::Value {
    let mut counts = serde_json::Map::new();
    for status in statuses {
        let count = counts
            .entry(status)
            .or_insert(serde_json::Value::from(0u64));
        *count = serde_json::Value::from(count.as_u64().unwrap_or(0) + 1);
    }
    serde_json::Value::Object(counts)
}

/// The instances an `--instances` file lists: a JSON array of specs, or an object with an
/// `instances` array.
fn instance_file(path: Option<&Path>) -> Result<Vec<InstanceSpec>, InstanceError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum File {
        List(Vec<InstanceSpec>),
        Wrapped { instances: Vec<InstanceSpec> },
    }
    let invalid = |reason: String| {
        InstanceError::Fixtures(FixtureError::Invalid {
            name: path.display().to_string(),
            reason,
        })
    };
    let text = std::fs::read_to_string(path).map_err(|source| {
        InstanceError::Fixtures(FixtureError::Read {
            path: path.to_owned(),
            source,
        })
    })?;
    let specs = match serde_json::from_str::<File>(&text) {
        Ok(File::List(specs) | File::Wrapped { instances: specs }) => specs,
        Err(error) => {
            // The untagged enum hides why; reading as a plain list names the problem.
            let reason = serde_json::from_str::<Vec<InstanceSpec>>(&text)
                .err()
                .unwrap_or(error);
            return Err(invalid(format!(
                "expected a list of {{clientId, clientSecret, munchkinId?, fixtures?, seed?}}: {reason}"
            )));
        }
    };
    // Relative paths are relative to the file.
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(specs
        .into_iter()
        .map(|mut spec| {
            spec.fixtures = spec.fixtures.map(|dir| base.join(dir));
            spec.seed = spec.seed.map(|file| base.join(file));
            spec
        })
        .collect())
}

/// Loads an export file into a world, as `POST /_mock/seed` would; any record that is not
/// imported fails the load, naming it and why.
fn load_seed(world: &AppState, path: &Path) -> Result<(), InstanceError> {
    let text = std::fs::read_to_string(path).map_err(|source| InstanceError::SeedRead {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |reason: String| InstanceError::SeedInvalid {
        path: path.to_owned(),
        reason,
    };
    let request = serde_json::from_str(&text).map_err(|error| invalid(error.to_string()))?;
    match crate::seed::seed(world, request).first_refusal() {
        Some(refusal) => Err(invalid(refusal)),
        None => Ok(()),
    }
}
