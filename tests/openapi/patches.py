"""Every change the OpenAPI check makes to Adobe's document, each with its reason and source.

`swagger-mapi.json` beside this file is Adobe's Swagger 2.0 document of the Marketo REST API,
unchanged (AdobeDocs/marketo-apis `static/swagger-mapi.json` at commit 3d7e817, Apache-2.0;
`prepare.py` checks its SHA-256). The check holds the mock to it. Where the document is wrong
about Marketo, and only there, it is patched here; where the mock is wrong, the mock is fixed.
Nothing else changes the document, and no operation the mock serves is left out of the check.

A patch is a reason, its source and a function that edits the document in place.
"""

from dataclasses import dataclass
from typing import Callable

# The document's own paths, by the templates it writes.
IMPORT_RESULT_FILES = [
    "/bulk/v1/leads/batch/{batchId}/failures.json",
    "/bulk/v1/leads/batch/{batchId}/warnings.json",
    "/bulk/v1/customobjects/{apiName}/import/{batchId}/failures.json",
    "/bulk/v1/customobjects/{apiName}/import/{batchId}/warnings.json",
    "/bulk/v1/program/members/import/{batchId}/failures.json",
    "/bulk/v1/program/members/import/{batchId}/warnings.json",
]
EXPORT_FILES = [
    "/bulk/v1/leads/export/{exportId}/file.json",
    "/bulk/v1/activities/export/{exportId}/file.json",
    "/bulk/v1/program/members/export/{exportId}/file.json",
    "/bulk/v1/customobjects/{apiName}/export/{exportId}/file.json",
]
UPLOADS = [
    "/bulk/v1/leads.json",
    "/bulk/v1/customobjects/{apiName}/import.json",
    "/bulk/v1/program/{programId}/members/import.json",
]

# Every JSON answer may be an error envelope: `{requestId, success: false, errors}`.
ENVELOPE = {"$ref": "#/definitions/ResponseOfErrors"}


@dataclass
class Patch:
    reason: str
    source: str
    apply: Callable[[dict], None]


def envelope_members_optional(doc):
    errors_only = {
        "type": "object",
        "required": ["requestId", "success", "errors"],
        "properties": {
            "requestId": {"type": "string"},
            "success": {"type": "boolean"},
            "errors": {"type": "array", "items": {"$ref": "#/definitions/Error"}},
        },
    }
    doc["definitions"]["ResponseOfErrors"] = errors_only
    for name, definition in doc["definitions"].items():
        if name.startswith("ResponseOf"):
            definition["required"] = [
                member
                for member in definition.get("required", [])
                if member not in ("errors", "warnings", "result")
            ]


def operation(doc, method, path):
    return doc["paths"][path][method]


def import_result_files(doc):
    for path in IMPORT_RESULT_FILES:
        op = operation(doc, "get", path)
        op["produces"] = ["text/csv", "application/json"]
        op["responses"]["404"] = {"description": "No such file for a known batch", "schema": ENVELOPE}


def export_files(doc):
    for path in EXPORT_FILES:
        op = operation(doc, "get", path)
        op["produces"] = ["text/csv", "text/tab-separated-values", "text/plain", "application/json"]
        op["responses"]["206"] = {"description": "The one range asked"}
        op["responses"]["404"] = {"description": "No file (yet): plain text `File not found`"}
        op["responses"]["416"] = {"description": "A range that starts past the end of the file"}


def oversized_uploads(doc):
    for path in UPLOADS:
        operation(doc, "post", path)["responses"]["413"] = {
            "description": "File larger than 10 MB",
            "schema": ENVELOPE,
        }


def create_answers(doc):
    for path, item, required in [
        ("/bulk/v1/leads.json", "ImportLeadResponse", ["batchId", "importId", "status"]),
        (
            "/bulk/v1/customobjects/{apiName}/import.json",
            "ImportCustomObjectResponse",
            ["batchId", "objectApiName", "status"],
        ),
    ]:
        created = {**doc["definitions"][item], "required": required}
        answer = dict(doc["definitions"][f"ResponseOf{item}"])
        answer["properties"] = {**answer["properties"], "result": {"type": "array", "items": created}}
        operation(doc, "post", path)["responses"]["200"]["schema"] = answer


def column_header_names(doc):
    doc["definitions"]["ColumnHeaderNames"] = {
        "type": "object",
        "description": "File header names by field REST API name",
        "additionalProperties": {"type": "string"},
    }


def activity_attribute_values(doc):
    del doc["definitions"]["Attribute"]["properties"]["value"]["type"]


def activity_types_without_primary_attribute(doc):
    doc["definitions"]["ActivityType"]["required"].remove("primaryAttribute")


def usage_dates(doc):
    doc["definitions"]["UsageData"]["properties"]["date"]["format"] = "date"


def custom_object_metadata(doc):
    definition = doc["definitions"]["ObjectMetaData"]
    definition["required"] = [
        member
        for member in definition["required"]
        if member not in ("apiName", "pluralName", "fields", "status", "version")
    ]


PATCHES = [
    Patch(
        "Answers leave out empty `errors` and `warnings`, and an error answer has no `result`: "
        "`{requestId, success: false, errors: [...]}`. The document requires all three of every "
        "envelope.",
        "every response in Adobe's Lead Database and Bulk pages, e.g. "
        '`{"requestId":"57ad#149ca702500","result":[...],"success":true}`; recorded real '
        "responses in MadKudu/node-marketo `fixtures/`; Adobe's Error Codes page",
        envelope_members_optional,
    ),
    Patch(
        "Failures and warnings files are text in the job's format, served as "
        "`text/csv;charset=UTF-8`, and a batch without such a file answers HTTP 404. The "
        "document declares JSON only and no 404.",
        "Adobe's Bulk Custom Object Import page (404 when there is no file); rudder-server's "
        "`apiService.go` tests the exact content type",
        import_result_files,
    ),
    Patch(
        "An export file is the file itself (`text/csv`, or `text/tab-separated-values` for "
        "TSV); before `Completed` it is HTTP 404 with a plain-text body; one `Range` is 206, a "
        "range past the end 416. The document declares JSON and 200 only.",
        "Adobe's Bulk Extract page (404 before completion, `Range` answered 206 with "
        "`Content-Range`); RFC 7233 for 416",
        export_files,
    ),
    Patch(
        "An upload over 10 MB is HTTP 413. The document declares 200 only.",
        "Adobe's Bulk Custom Object Import page and Error Codes page (413 Request Entity Too "
        "Large)",
        oversized_uploads,
    ),
    Patch(
        "Creating an import answers the new batch: `batchId`, `importId` and `status` for leads, "
        "`batchId`, `status` and `objectApiName` for custom objects. The counters and the "
        "custom object's `operation` first appear in the batch's status. The document gives "
        "create and status one result type that requires them; only the create answers are "
        "relaxed, to what Adobe's create examples show.",
        "Adobe's Bulk Import, Bulk Lead Import and Bulk Custom Object Import pages, their create "
        "and status examples",
        create_answers,
    ),
    Patch(
        "`columnHeaderNames` of an export is a map from field name to header name, as the "
        "document's own description of the create body shows "
        '(`{"firstName":"First Name", ...}`); its `ColumnHeaderNames` model is one '
        "`{name, value}` pair instead, so requests generated from it named fields `name` and "
        "`value`.",
        "Adobe's Bulk Extract pages; the create operations' descriptions in this document",
        column_header_names,
    ),
    Patch(
        "An activity attribute's `value` is a plain JSON value, a string or a number; the "
        "document types it `object`.",
        "Adobe's Activities page, Get Lead Changes example "
        '(`{"name":"Source","value":"Web service API"}`, `{"name":"Lead ID","value":775}`)',
        activity_attribute_values,
    ),
    Patch(
        "Some activity types, such as New Lead, have no primary attribute; the document "
        "requires `primaryAttribute` of every type.",
        "singer-io/tap-marketo `tap_marketo/discover.py`, which reads it only `if "
        '"primaryAttribute" in` a type',
        activity_types_without_primary_attribute,
    ),
    Patch(
        "The usage of a day is dated by the day alone (`2015-10-17`); the document formats "
        "`date` as a date-time.",
        "Adobe's Usage page, Get Daily Usage example",
        usage_dates,
    ),
    Patch(
        "List Custom Objects and Describe Custom Object answer `name, displayName, description, "
        "createdAt, updatedAt, idField, dedupeFields, searchableFields, relationships` (and "
        "`fields` in the describe). The document's `ObjectMetaData` is shared with the Custom "
        "Object Types (schema) API and requires that API's `apiName`, `pluralName`, `version` "
        "and a `status` it does not even declare (its property is `state`).",
        "Adobe's Custom Objects page, List and Describe examples",
        custom_object_metadata,
    ),
]
