//! Marketing assets the fixtures describe and the mock only reads: smart campaigns
//! (`campaigns.json`), and segmentations, emails and My Tokens (`assets.json`).

use serde::{Deserialize, Serialize};

use crate::iso8601::{AssetTime, RestTime};

/// Where the mock's Marketo UI would be: the base of every asset's `url`.
pub const UI_URL: &str = "https://app-mock.marketo.test";

/// Where an asset lives, as the Asset API writes it: a folder or a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum FolderType {
    Folder,
    Program,
}

impl FolderType {
    /// `Folder` or `Program`, in any case, as `folderType` and `folder` parameters name them.
    pub fn parse(text: &str) -> Option<FolderType> {
        match text.trim().to_ascii_lowercase().as_str() {
            "folder" => Some(FolderType::Folder),
            "program" => Some(FolderType::Program),
            _ => None,
        }
    }
}

/// An asset's parent: `{"type": "Folder", "value": 45, "folderName": "Active Marketing Programs"}`.
/// Segmentations carry `folderName: null`, as recorded answers do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FolderRef {
    #[serde(rename = "type")]
    pub kind: FolderType,
    pub value: u32,
    #[serde(default)]
    pub folder_name: Option<String>,
}

/// A smart campaign of `campaigns.json`, serialized as `GET /rest/v1/campaigns.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignDef {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub kind: CampaignType,
    /// Absent for a campaign outside any program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_id: Option<u32>,
    #[serde(default = "crate::store::leads::default_workspace")]
    pub workspace_name: String,
    pub created_at: RestTime,
    pub updated_at: RestTime,
    #[serde(default)]
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CampaignType {
    Batch,
    Trigger,
}

impl CampaignDef {
    /// Whether the API may request it (`isTriggerable=true`): Marketo means an active trigger
    /// campaign listening for "Campaign is Requested" from the Web Service API; the mock keeps
    /// no smart lists for campaigns, so every active trigger campaign qualifies.
    pub fn is_triggerable(&self) -> bool {
        self.kind == CampaignType::Trigger && self.active
    }
}

/// A segmentation, serialized as `GET /rest/asset/v1/segmentation.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SegmentationDef {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub created_at: AssetTime,
    pub updated_at: AssetTime,
    #[serde(default)]
    pub url: Option<String>,
    pub folder: FolderRef,
    /// `approved` or `draft`.
    pub status: String,
    #[serde(default = "crate::store::leads::default_workspace")]
    pub workspace: String,
}

/// A subject, from name, from address or reply address: `{"type": "Text", "value": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeaderField {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// A lead field an email may copy into its CC line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcField {
    pub attribute_id: String,
    pub object_name: String,
    pub display_name: String,
    #[serde(default)]
    pub api_name: Option<String>,
}

/// An email, serialized as `GET /rest/asset/v1/emails.json` lists it, members in Marketo's
/// order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailDef {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub created_at: AssetTime,
    pub updated_at: AssetTime,
    #[serde(default)]
    pub url: Option<String>,
    pub subject: HeaderField,
    pub from_name: HeaderField,
    pub from_email: HeaderField,
    pub reply_email: HeaderField,
    pub folder: FolderRef,
    #[serde(default)]
    pub operational: bool,
    #[serde(default)]
    pub text_only: bool,
    #[serde(default, rename = "publishToMSI")]
    pub publish_to_msi: bool,
    #[serde(default)]
    pub web_view: bool,
    /// `approved` or `draft`.
    pub status: String,
    #[serde(default)]
    pub template: Option<u32>,
    #[serde(default = "crate::store::leads::default_workspace")]
    pub workspace: String,
    #[serde(default)]
    pub is_open_tracking_disabled: bool,
    #[serde(default = "first_version")]
    pub version: u32,
    #[serde(default)]
    pub auto_copy_to_text: bool,
    #[serde(default)]
    pub cc_fields: Vec<CcField>,
    #[serde(default)]
    pub pre_header: Option<String>,
}

fn first_version() -> u32 {
    2
}

/// A My Token: `{"name", "type", "value", "computedUrl"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenDef {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    #[serde(default)]
    pub computed_url: Option<String>,
}

/// The folder a token set belongs to, as the tokens answer writes it (no `folderName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenFolder {
    #[serde(rename = "type")]
    pub kind: FolderType,
    pub value: u32,
}

/// The My Tokens of one folder or program, in the shape of the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenSet {
    pub folder: TokenFolder,
    #[serde(default)]
    pub tokens: Vec<TokenDef>,
}

/// `assets.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetsFixture {
    #[serde(default)]
    pub segmentations: Vec<SegmentationDef>,
    #[serde(default)]
    pub emails: Vec<EmailDef>,
    #[serde(default)]
    pub tokens: Vec<TokenSet>,
}

/// The read-only assets of an instance.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub campaigns: Vec<CampaignDef>,
    pub assets: AssetsFixture,
}

impl Catalog {
    pub fn new(mut campaigns: Vec<CampaignDef>, mut assets: AssetsFixture) -> Catalog {
        campaigns.sort_by_key(|c| c.id);
        assets.segmentations.sort_by_key(|s| s.id);
        assets.emails.sort_by_key(|e| e.id);
        Catalog { campaigns, assets }
    }

    /// The tokens of a folder or program; `None` when the fixture lists none for it.
    pub fn tokens(&self, folder: TokenFolder) -> Option<&[TokenDef]> {
        self.assets
            .tokens
            .iter()
            .find(|set| set.folder == folder)
            .map(|set| set.tokens.as_slice())
    }

    /// Whether a folder of type `Folder` is known: it holds an asset or a token set.
    pub fn has_folder(&self, id: u32) -> bool {
        let is_it = |folder: &FolderRef| folder.kind == FolderType::Folder && folder.value == id;
        self.assets.emails.iter().any(|e| is_it(&e.folder))
            || self.assets.segmentations.iter().any(|s| is_it(&s.folder))
            || self.assets.tokens.iter().any(|set| {
                set.folder
                    == TokenFolder {
                        kind: FolderType::Folder,
                        value: id,
                    }
            })
    }
}
