//! Fixtures: the schemas and reference data the mock serves, bundled into the binary and
//! optionally overridden file by file from a directory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;

use crate::schema::{FieldDef, Schema};
use crate::store::activities::{ActivityLog, ActivityType};
use crate::store::catalog::{AssetsFixture, CampaignDef, Catalog};
use crate::store::leads::{ListDef, Partition};
use crate::store::objects::CustomObjectDef;
use crate::store::programs::ProgramsFixture;
use crate::store::smart_lists::{SmartList, SmartListDef};
use crate::store::{Db, LeadDb, ObjectDb, ProgramDb};

const LEAD_FIELDS: (&str, &str) = (
    "lead_fields.json",
    include_str!("../fixtures/lead_fields.json"),
);
const PARTITIONS: (&str, &str) = (
    "partitions.json",
    include_str!("../fixtures/partitions.json"),
);
const LISTS: (&str, &str) = ("lists.json", include_str!("../fixtures/lists.json"));
const CUSTOM_OBJECTS: (&str, &str) = (
    "custom_objects.json",
    include_str!("../fixtures/custom_objects.json"),
);
const PROGRAMS: (&str, &str) = ("programs.json", include_str!("../fixtures/programs.json"));
const SMART_LISTS: (&str, &str) = (
    "smart_lists.json",
    include_str!("../fixtures/smart_lists.json"),
);
const ACTIVITY_TYPES: (&str, &str) = (
    "activity_types.json",
    include_str!("../fixtures/activity_types.json"),
);
const CAMPAIGNS: (&str, &str) = ("campaigns.json", include_str!("../fixtures/campaigns.json"));
const ASSETS: (&str, &str) = ("assets.json", include_str!("../fixtures/assets.json"));
const PROGRAM_MEMBER_FIELDS: (&str, &str) = (
    "program_member_fields.json",
    include_str!("../fixtures/program_member_fields.json"),
);

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read fixture {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("fixture {name} is not valid: {source}")]
    Parse {
        name: String,
        source: serde_json::Error,
    },
    #[error("fixture {name} is not valid: {reason}")]
    Invalid { name: String, reason: String },
}

#[derive(Debug, Clone)]
pub struct Fixtures {
    pub lead_fields: Vec<FieldDef>,
    pub partitions: Vec<Partition>,
    pub lists: Vec<ListDef>,
    pub custom_objects: Vec<CustomObjectDef>,
    pub programs: ProgramsFixture,
    pub program_member_fields: Vec<FieldDef>,
    pub smart_lists: Vec<SmartListDef>,
    pub activity_types: Vec<ActivityType>,
    /// Built from the rest the first time a store asks, then shared.
    reference: OnceLock<Arc<Reference>>,
    pub campaigns: Vec<CampaignDef>,
    pub assets: AssetsFixture,
}

impl Fixtures {
    /// Loads every fixture from `dir` where it has the file, else from the bundled copy.
    pub fn load(dir: Option<&Path>) -> Result<Fixtures, FixtureError> {
        let fixtures = Fixtures {
            lead_fields: read(dir, LEAD_FIELDS)?,
            partitions: read(dir, PARTITIONS)?,
            lists: read(dir, LISTS)?,
            custom_objects: read(dir, CUSTOM_OBJECTS)?,
            programs: read(dir, PROGRAMS)?,
            program_member_fields: read(dir, PROGRAM_MEMBER_FIELDS)?,
            smart_lists: read(dir, SMART_LISTS)?,
            activity_types: read(dir, ACTIVITY_TYPES)?,
            reference: OnceLock::new(),
            campaigns: read(dir, CAMPAIGNS)?,
            assets: read(dir, ASSETS)?,
        };
        fixtures.smart_lists(&Schema::new(fixtures.lead_fields.clone()))?;
        Ok(fixtures)
    }

    /// The schemas and reference data every store over these fixtures shares.
    fn reference(&self) -> Arc<Reference> {
        self.reference
            .get_or_init(|| Arc::new(Reference::new(self)))
            .clone()
    }

    /// The smart lists with their rules resolved against the lead schema; a rule on a field
    /// the schema lacks is an invalid fixture.
    pub fn smart_lists(&self, lead_schema: &Schema) -> Result<Vec<SmartList>, FixtureError> {
        self.smart_lists
            .iter()
            .map(|def| {
                SmartList::new(def.clone(), lead_schema).map_err(|reason| FixtureError::Invalid {
                    name: SMART_LISTS.0.to_owned(),
                    reason,
                })
            })
            .collect()
    }
}

fn read<T: DeserializeOwned>(
    dir: Option<&Path>,
    (name, bundled): (&str, &str),
) -> Result<T, FixtureError> {
    let path = dir.map(|dir| dir.join(name)).filter(|path| path.exists());
    let text = match &path {
        Some(path) => std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.clone(),
            source,
        })?,
        None => bundled.to_owned(),
    };
    serde_json::from_str(&text).map_err(|source| FixtureError::Parse {
        name: name.to_owned(),
        source,
    })
}

/// What every instance on the same fixtures shares, built once: the schemas and reference
/// data a store reads and never changes. A thousand instances hold one copy.
#[derive(Debug)]
pub struct Reference {
    lead_schema: Arc<Schema>,
    partitions: Vec<Partition>,
    lists: Vec<ListDef>,
    /// The custom object types, without records.
    object_types: ObjectDb,
    programs: Arc<ProgramsFixture>,
    member_schema: Arc<Schema>,
    smart_lists: Arc<Vec<SmartList>>,
    activity_types: Arc<Vec<ActivityType>>,
    catalog: Arc<Catalog>,
}

impl Reference {
    fn new(fixtures: &Fixtures) -> Reference {
        let lead_schema = Arc::new(Schema::new(fixtures.lead_fields.clone()));
        // Checked when the fixtures load, so each resolves against the lead schema.
        let smart_lists = fixtures.smart_lists(&lead_schema).unwrap_or_default();
        Reference {
            partitions: fixtures.partitions.clone(),
            lists: fixtures.lists.clone(),
            object_types: ObjectDb::new(fixtures.custom_objects.clone()),
            programs: Arc::new(fixtures.programs.clone()),
            member_schema: Arc::new(Schema::new(fixtures.program_member_fields.clone())),
            smart_lists: Arc::new(smart_lists),
            activity_types: Arc::new(fixtures.activity_types.clone()),
            catalog: Arc::new(Catalog::new(
                fixtures.campaigns.clone(),
                fixtures.assets.clone(),
            )),
            lead_schema,
        }
    }
}

impl Fixtures {
    /// An empty database over these fixtures' schemas and reference data, which it shares
    /// with every other database of the same fixtures.
    pub fn db(&self) -> Db {
        let reference = self.reference();
        Db {
            leads: LeadDb::new(
                reference.lead_schema.clone(),
                reference.partitions.clone(),
                reference.lists.clone(),
            ),
            objects: reference.object_types.clone(),
            programs: ProgramDb::new(reference.programs.clone(), reference.member_schema.clone()),
            smart_lists: reference.smart_lists.clone(),
            activities: ActivityLog::default(),
            activity_types: reference.activity_types.clone(),
            catalog: reference.catalog.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DataType;

    #[test]
    fn the_bundled_fixtures_load_and_hold_the_documented_fields() {
        let fixtures = Fixtures::load(None).unwrap();
        let schema = Schema::new(fixtures.lead_fields);
        let score = schema.field(schema.find("leadScore").unwrap());
        assert_eq!(
            (score.display_name.as_str(), score.data_type),
            ("Lead Score", DataType::Integer)
        );
        for name in [
            "email",
            "firstName",
            "lastName",
            "company",
            "title",
            "phone",
            "id",
            "createdAt",
            "updatedAt",
        ] {
            assert!(schema.find(name).is_some(), "{name}");
        }
        assert_eq!(fixtures.partitions[0].name, "Default");
        assert!(!fixtures.lists.is_empty());
        assert!(!fixtures.smart_lists.is_empty());
        let new_lead = fixtures.activity_types.iter().find(|t| t.id == 12).unwrap();
        assert_eq!(new_lead.name, "New Lead");
        assert!(new_lead.primary_attribute.is_none());
        assert!(!fixtures.campaigns.is_empty());
        assert!(!fixtures.assets.segmentations.is_empty());
        assert!(!fixtures.assets.emails.is_empty());
        assert!(!fixtures.assets.tokens.is_empty());
    }

    #[test]
    fn a_time_that_does_not_parse_fails_the_load_and_names_the_file() {
        let dir = std::env::temp_dir().join(format!("mbm-times-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("campaigns.json"),
            r#"[{"id":1,"name":"C","type":"batch","createdAt":"soon","updatedAt":"2024-01-01T00:00:00Z"}]"#,
        )
        .unwrap();
        let error = Fixtures::load(Some(&dir)).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            error.contains("campaigns.json") && error.contains("'soon'"),
            "{error}"
        );
    }

    #[test]
    fn a_smart_list_over_a_field_the_schema_lacks_fails_the_load_and_names_it() {
        let dir = std::env::temp_dir().join(format!("mbm-smart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("smart_lists.json"),
            r#"[{"id":1,"name":"Bad","rules":[{"field":"shoeSize","operator":"is","values":["9"]}]}]"#,
        )
        .unwrap();
        let error = Fixtures::load(Some(&dir)).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            error.contains("smart_lists.json") && error.contains("'shoeSize'"),
            "{error}"
        );
    }

    #[test]
    fn a_directory_overrides_only_the_files_it_has() {
        let dir = std::env::temp_dir().join(format!("mbm-fixtures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("partitions.json"),
            r#"[{"id":1,"name":"Only","description":"x"}]"#,
        )
        .unwrap();
        let fixtures = Fixtures::load(Some(&dir)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(fixtures.partitions.len(), 1);
        assert_eq!(fixtures.partitions[0].name, "Only");
        assert!(fixtures.lead_fields.len() > 10);
    }
}
