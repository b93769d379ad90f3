//! Fault injection: rules a test adds to make requests, jobs or rows fail on purpose.
//! Pure bookkeeping; the HTTP layer and the engine consult it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a request rule does to the requests it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum RequestEffect {
    /// Answer with this Marketo code in the envelope, with Marketo's message for it.
    Code(String),
    /// Answer with this HTTP status and no envelope, as a proxy in front of Marketo would.
    HttpStatus(u16),
    /// Wait this long (real time), then serve normally.
    LatencyMs(u64),
    /// Panic inside the request, to exercise the 611 path.
    Panic(bool),
}

/// A kind of job: the three imports and the four exports, as jobs show their type and fault
/// rules name the jobs they apply to (where `Any` is every job).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum JobType {
    /// A lead import (`POST /bulk/v1/leads.json`).
    Leads,
    /// A custom object import (`POST /bulk/v1/customobjects/{apiName}/import.json`).
    CustomObjects,
    /// A program member import (`POST /bulk/v1/program/{programId}/members/import.json`).
    ProgramMembers,
    /// A lead export (`/bulk/v1/leads/export/...`).
    LeadsExport,
    /// A program member export (`/bulk/v1/program/members/export/...`).
    ProgramMembersExport,
    /// A custom object export (`/bulk/v1/customobjects/{apiName}/export/...`).
    CustomObjectsExport,
    /// An activity export (`/bulk/v1/activities/export/...`).
    ActivitiesExport,
    /// Any job, in a fault rule.
    Any,
}

impl JobType {
    /// Whether a rule for this type applies to a job of type `job`.
    fn matches(self, job: JobType) -> bool {
        self == JobType::Any || self == job
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobFault {
    #[serde(rename = "type", default = "any")]
    pub job_type: JobType,
    /// End the job `Failed` with this message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_with: Option<String>,
    /// Panic inside the job's processing instead, to exercise that path.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub panic: bool,
}

/// What a job rule does to the job it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFaultAction {
    Fail(String),
    Panic,
}

fn any() -> JobType {
    JobType::Any
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowFault {
    #[serde(rename = "type", default = "any")]
    pub job_type: JobType,
    /// A header name, matched without case.
    pub column: String,
    /// The cell value that fails the row, matched exactly.
    pub value: String,
    pub reason: String,
}

/// What a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", untagged)]
pub enum Target {
    Request {
        #[serde(skip_serializing_if = "Option::is_none")]
        method: Option<String>,
        path: String,
        #[serde(flatten)]
        effect: RequestEffect,
    },
    Job {
        job: JobFault,
    },
    Row {
        row: RowFault,
    },
}

/// A fault rule, as posted to `POST /_mock/faults`: what it applies to (requests to a path,
/// jobs, or rows), what it does, and how often.
///
/// ```
/// use std::time::Duration;
/// use marketo_bulk_mock::{FaultRule, JobType};
///
/// // The next two creates of a lead import answer Marketo's 1016 "Too many imports".
/// let busy = FaultRule::request("/bulk/v1/leads.json").method("POST").code("1016").times(2);
/// // Every status read waits a second first.
/// let slow = FaultRule::request("/bulk/v1/leads/batch/*").latency(Duration::from_secs(1));
/// // The next custom object import fails as a whole.
/// let failed = FaultRule::job_failure(JobType::CustomObjects, "Import failed").times(1);
/// // Rows whose email is blocked@example.com fail with this reason.
/// let row = FaultRule::row_failure(JobType::Leads, "email", "blocked@example.com", "Blocked");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    panic: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<JobFault>,
    #[serde(skip_serializing_if = "Option::is_none")]
    row: Option<RowFault>,
    #[serde(skip_serializing_if = "Option::is_none")]
    times: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
}

impl FaultRule {
    /// A rule for the emulated calls whose path matches `path`, a glob where `*` matches
    /// anything (slashes too) and `?` one character. Give it one effect: [`code`],
    /// [`http_status`] or [`latency`].
    ///
    /// [`code`]: FaultRule::code
    /// [`http_status`]: FaultRule::http_status
    /// [`latency`]: FaultRule::latency
    pub fn request(path: &str) -> FaultRule {
        FaultRule {
            path: Some(path.to_owned()),
            ..FaultRule::default()
        }
    }

    /// Limits a request rule to one HTTP method (`"POST"`).
    pub fn method(mut self, method: &str) -> FaultRule {
        self.method = Some(method.to_owned());
        self
    }

    /// Answers with this Marketo error code (`"606"`, `"1016"`) and Marketo's message for it.
    pub fn code(mut self, code: &str) -> FaultRule {
        self.code = Some(code.to_owned());
        self
    }

    /// Answers with this HTTP status and no Marketo envelope, as a proxy in front of Marketo
    /// would.
    pub fn http_status(mut self, status: u16) -> FaultRule {
        self.http_status = Some(status);
        self
    }

    /// Waits this long (real time), then serves the call normally.
    pub fn latency(mut self, latency: Duration) -> FaultRule {
        self.latency_ms = Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// A rule that makes the next job of `job_type` that starts end `Failed` with `message`.
    pub fn job_failure(job_type: JobType, message: &str) -> FaultRule {
        FaultRule {
            job: Some(JobFault {
                job_type,
                fail_with: Some(message.to_owned()),
                panic: false,
            }),
            ..FaultRule::default()
        }
    }

    /// A rule that fails every imported row of a `job_type` job whose `column` (any case)
    /// holds exactly `value`, with `reason` in the failures file.
    pub fn row_failure(job_type: JobType, column: &str, value: &str, reason: &str) -> FaultRule {
        FaultRule {
            row: Some(RowFault {
                job_type,
                column: column.to_owned(),
                value: value.to_owned(),
                reason: reason.to_owned(),
            }),
            ..FaultRule::default()
        }
    }

    /// Fires this many times, then goes; without it, a rule fires for ever.
    pub fn times(mut self, times: u64) -> FaultRule {
        self.times = Some(times);
        self
    }

    /// Fires on this share (0 to 100) of the matches only.
    pub fn percent(mut self, percent: f64) -> FaultRule {
        self.percent = Some(percent);
        self
    }

    /// Seeds the draws of [`percent`](FaultRule::percent), so a run repeats exactly.
    pub fn seed(mut self, seed: u64) -> FaultRule {
        self.seed = Some(seed);
        self
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRule(pub String);

/// An active rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: u64,
    #[serde(flatten)]
    pub target: Target,
    /// How many more times it fires; absent means for ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub hits: u64,
    #[serde(skip)]
    rng: SplitMix64,
}

impl FaultRule {
    /// Checks the rule has exactly one target and one effect.
    pub(crate) fn into_rule(self, id: u64) -> Result<Rule, InvalidRule> {
        let effects = [
            self.code.is_some(),
            self.http_status.is_some(),
            self.latency_ms.is_some(),
            self.panic.is_some(),
        ];
        let effect_count = effects.iter().filter(|e| **e).count();
        let target = match (self.path, self.job, self.row) {
            (Some(path), None, None) => {
                if effect_count != 1 {
                    return Err(InvalidRule(
                        "a request rule needs exactly one of \"code\", \"httpStatus\", \"latencyMs\" or \"panic\"".into(),
                    ));
                }
                let effect = if let Some(code) = self.code {
                    if crate::error::ApiError::for_code(&code).is_none() {
                        return Err(InvalidRule(format!(
                            "no Marketo message is known for code '{code}'"
                        )));
                    }
                    RequestEffect::Code(code)
                } else if let Some(status) = self.http_status {
                    if !(100..600).contains(&status) {
                        return Err(InvalidRule("\"httpStatus\" must be from 100 to 599".into()));
                    }
                    RequestEffect::HttpStatus(status)
                } else if let Some(ms) = self.latency_ms {
                    RequestEffect::LatencyMs(ms)
                } else {
                    RequestEffect::Panic(true)
                };
                Target::Request {
                    method: self.method.map(|m| m.to_ascii_uppercase()),
                    path,
                    effect,
                }
            }
            (None, Some(job), None) if effect_count == 0 && self.method.is_none() => {
                if job.fail_with.is_some() == job.panic {
                    return Err(InvalidRule(
                        "a job rule needs exactly one of \"failWith\" or \"panic\"".into(),
                    ));
                }
                Target::Job { job }
            }
            (None, None, Some(row)) if effect_count == 0 && self.method.is_none() => {
                Target::Row { row }
            }
            _ => {
                return Err(InvalidRule(
                    "a rule needs exactly one of \"path\", \"job\" or \"row\"".into(),
                ));
            }
        };
        if let Some(percent) = self.percent
            && !(0.0..=100.0).contains(&percent)
        {
            return Err(InvalidRule("\"percent\" must be between 0 and 100".into()));
        }
        if self.times == Some(0) {
            return Err(InvalidRule("\"times\" must be at least 1".into()));
        }
        Ok(Rule {
            id,
            target,
            times: self.times,
            percent: self.percent,
            seed: self.seed,
            hits: 0,
            rng: SplitMix64(self.seed.unwrap_or(id)),
        })
    }
}

/// A small deterministic generator, so `percent` with a `seed` repeats exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Rule {
    /// Counts a match and says whether the rule fires; an exhausted rule is then removed.
    fn fire(&mut self) -> bool {
        if let Some(percent) = self.percent
            && self.rng.next_unit() * 100.0 >= percent
        {
            return false;
        }
        self.hits += 1;
        if let Some(times) = &mut self.times {
            *times -= 1;
        }
        true
    }

    fn exhausted(&self) -> bool {
        self.times == Some(0)
    }
}

/// `*` matches any run of characters (slashes included), `?` any one character.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Active rules kept at most, so the set stays bounded.
pub const MAX_RULES: usize = 1000;

/// The set of active rules.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<(u64, Vec<Rule>)>,
    /// Whether any rule is active, so every call skips the lock when none is.
    any: AtomicBool,
}

/// The rules under their lock; dropping it records whether any rule is left.
struct Locked<'a> {
    guard: std::sync::MutexGuard<'a, (u64, Vec<Rule>)>,
    any: &'a AtomicBool,
}

impl std::ops::Deref for Locked<'_> {
    type Target = (u64, Vec<Rule>);

    fn deref(&self) -> &(u64, Vec<Rule>) {
        &self.guard
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut (u64, Vec<Rule>) {
        &mut self.guard
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        self.any.store(!self.guard.1.is_empty(), Ordering::Release);
    }
}

impl Faults {
    fn lock(&self) -> Locked<'_> {
        Locked {
            guard: self.state.lock().unwrap_or_else(|p| p.into_inner()),
            any: &self.any,
        }
    }

    pub fn add(&self, spec: FaultRule) -> Result<Rule, InvalidRule> {
        let mut state = self.lock();
        if state.1.len() >= MAX_RULES {
            return Err(InvalidRule(format!(
                "at most {MAX_RULES} fault rules may be active"
            )));
        }
        let rule = spec.into_rule(state.0 + 1)?;
        state.0 += 1;
        state.1.push(rule.clone());
        Ok(rule)
    }

    pub fn list(&self) -> Vec<Rule> {
        self.lock().1.clone()
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut state = self.lock();
        let before = state.1.len();
        state.1.retain(|rule| rule.id != id);
        state.1.len() != before
    }

    pub fn clear(&self) {
        self.lock().1.clear();
    }

    /// Runs the first rule `select` picks that fires, removing it once exhausted.
    fn first_firing<T>(&self, mut select: impl FnMut(&Rule) -> Option<T>) -> Option<T> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.lock();
        let rules = &mut state.1;
        for at in 0..rules.len() {
            let Some(found) = select(&rules[at]) else {
                continue;
            };
            if rules[at].fire() {
                if rules[at].exhausted() {
                    rules.remove(at);
                }
                return Some(found);
            }
        }
        None
    }

    /// The effect of the first firing request rule matching this request.
    pub fn for_request(&self, method: &str, path: &str) -> Option<RequestEffect> {
        self.first_firing(|rule| match &rule.target {
            Target::Request {
                method: wanted,
                path: pattern,
                effect,
            } if wanted.as_deref().is_none_or(|m| m == method) && glob_matches(pattern, path) => {
                Some(effect.clone())
            }
            _ => None,
        })
    }

    /// What a starting job must suffer, if a job rule takes it.
    pub fn for_job(&self, kind: JobType) -> Option<JobFaultAction> {
        self.first_firing(|rule| match &rule.target {
            Target::Job { job } if job.job_type.matches(kind) => Some(match &job.fail_with {
                Some(message) => JobFaultAction::Fail(message.clone()),
                None => JobFaultAction::Panic,
            }),
            _ => None,
        })
    }

    /// Whether any row rule exists for a job type (so imports skip the check otherwise).
    pub fn has_row_rules(&self, kind: JobType) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        self.lock()
            .1
            .iter()
            .any(|rule| matches!(&rule.target, Target::Row { row } if row.job_type.matches(kind)))
    }

    /// The reason a row must fail, given a lookup of its cells by header name.
    pub fn for_row<'a>(
        &self,
        kind: JobType,
        cell: impl Fn(&str) -> Option<&'a str>,
    ) -> Option<String> {
        self.first_firing(|rule| match &rule.target {
            Target::Row { row }
                if row.job_type.matches(kind) && cell(&row.column) == Some(row.value.as_str()) =>
            {
                Some(row.reason.clone())
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> FaultRule {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn globs_match_whole_paths_with_stars_across_segments() {
        assert!(glob_matches(
            "/bulk/v1/leads/batch/*",
            "/bulk/v1/leads/batch/1001.json"
        ));
        assert!(glob_matches(
            "/bulk/v1/leads/batch/*",
            "/bulk/v1/leads/batch/1001/failures.json"
        ));
        assert!(glob_matches("/bulk/*/leads.json", "/bulk/v1/leads.json"));
        assert!(glob_matches("/rest/v1/lead/?.json", "/rest/v1/lead/7.json"));
        assert!(!glob_matches("/bulk/v1/leads.json", "/bulk/v1/leads.jsonx"));
        assert!(!glob_matches(
            "/bulk/v1/leads/batch/*",
            "/bulk/v1/leads.json"
        ));
    }

    #[test]
    fn a_rule_with_times_fires_that_often_then_goes() {
        let faults = Faults::default();
        faults
            .add(spec(
                serde_json::json!({"path": "/x", "code": "606", "times": 2}),
            ))
            .unwrap();
        assert_eq!(
            faults.for_request("GET", "/x"),
            Some(RequestEffect::Code("606".into()))
        );
        assert_eq!(
            faults.for_request("POST", "/x"),
            Some(RequestEffect::Code("606".into()))
        );
        assert_eq!(faults.for_request("GET", "/x"), None);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn a_method_limits_a_rule() {
        let faults = Faults::default();
        faults
            .add(spec(
                serde_json::json!({"method": "post", "path": "/x", "httpStatus": 503}),
            ))
            .unwrap();
        assert_eq!(faults.for_request("GET", "/x"), None);
        assert_eq!(
            faults.for_request("POST", "/x"),
            Some(RequestEffect::HttpStatus(503))
        );
    }

    #[test]
    fn percent_with_a_seed_repeats_exactly() {
        let draws = |seed: u64| {
            let faults = Faults::default();
            faults
                .add(spec(
                    serde_json::json!({"path": "*", "code": "611", "percent": 30, "seed": seed}),
                ))
                .unwrap();
            (0..200)
                .map(|_| faults.for_request("GET", "/a").is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let fired = draws(7).iter().filter(|f| **f).count();
        assert!((30..90).contains(&fired), "{fired} of 200 at 30%");
    }

    #[test]
    fn job_and_row_rules_match_their_types() {
        let faults = Faults::default();
        faults.add(spec(serde_json::json!({"job": {"type": "customObjects", "failWith": "boom"}, "times": 1}))).unwrap();
        assert_eq!(faults.for_job(JobType::Leads), None);
        assert_eq!(
            faults.for_job(JobType::CustomObjects),
            Some(JobFaultAction::Fail("boom".into()))
        );
        assert_eq!(faults.for_job(JobType::CustomObjects), None);
        faults
            .add(spec(serde_json::json!({"row": {"column": "email", "value": "x@y.z", "reason": "Blocked"}})))
            .unwrap();
        assert!(faults.has_row_rules(JobType::Leads));
        let cell = |name: &str| (name == "email").then_some("x@y.z");
        assert_eq!(
            faults.for_row(JobType::Leads, cell).as_deref(),
            Some("Blocked")
        );
    }

    #[test]
    fn malformed_rules_are_refused_with_a_reason() {
        let faults = Faults::default();
        for bad in [
            serde_json::json!({"path": "/x"}),
            serde_json::json!({"path": "/x", "code": "606", "httpStatus": 500}),
            serde_json::json!({"code": "606"}),
            serde_json::json!({"path": "/x", "code": "999"}),
            serde_json::json!({"path": "/x", "code": "606", "percent": 150}),
            serde_json::json!({"job": {"failWith": "x"}, "code": "606"}),
            serde_json::json!({"job": {"failWith": "x", "panic": true}}),
            serde_json::json!({"job": {"type": "leads"}}),
            serde_json::json!({"path": "/x", "code": "606", "times": 0}),
        ] {
            assert!(faults.add(spec(bad.clone())).is_err(), "{bad}");
        }
    }
}
