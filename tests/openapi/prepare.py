"""Prepares a run of the OpenAPI check against a fresh mock, in DIR:

- `marketo.json`: Adobe's document with the patches of `patches.py`, keeping exactly the
  operations the mock serves (by method and path, as the mock's own route table at
  `/_mock/openapi.json` lists them);
- `records.json`: records made here through Marketo's own API (a finished import of each
  type, a completed export of each type, a paging token), and the path ids, query values and
  upload files that name them or that the mock accepts, which `hooks.py` puts in part of the
  generated requests.

Usage: prepare.py BASE_URL TOKEN DIR
"""

import hashlib
import json
import re
import sys
from pathlib import Path

import requests

from patches import PATCHES

HERE = Path(__file__).parent
SAMPLES = HERE.parent.parent / "fixtures" / "samples"
SOURCE = HERE / "swagger-mapi.json"
# AdobeDocs/marketo-apis `static/swagger-mapi.json` at commit 3d7e817.
SOURCE_SHA256 = "eb7902ec7c35f2c87d721484af2e19230adab2a6127c1e06cd944c75ba76d659"
METHODS = ("get", "post", "put", "delete", "patch")


def shape(path):
    """A path with its parameters unnamed: the document and the mock name some differently."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def document(base):
    raw = SOURCE.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"{SOURCE} is not Adobe's document as vendored (sha256 {digest})")
    doc = json.loads(raw)
    for patch in PATCHES:
        before = json.dumps(doc, sort_keys=True)
        patch.apply(doc)
        if json.dumps(doc, sort_keys=True) == before:
            sys.exit(f"a patch has nothing left to change, so it must go: {patch.reason}")
    routes = requests.get(f"{base}/_mock/openapi.json", timeout=10).json()["paths"]
    served = {
        (method, shape(path)): f"{method.upper()} {path}"
        for path, item in routes.items()
        for method in item
        if path.startswith(("/bulk/", "/rest/"))
    }
    checked = set()
    for path in list(doc["paths"]):
        item = doc["paths"][path]
        for method in [m for m in item if m in METHODS]:
            if (method, shape(path)) in served:
                checked.add((method, shape(path)))
            else:
                del item[method]
        if not any(method in item for method in METHODS):
            del doc["paths"][path]
    print(f"   {len(checked)} operations of Adobe's document are served by the mock; {len(PATCHES)} patches")
    for route in sorted(route for key, route in served.items() if key not in checked):
        print(f"   served but not in Adobe's document: {route}")
    return doc


def records(base, token):
    """Records made through Marketo's API, and the values that name them: path parameters by
    name, query parameters and upload files by the document's path."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def answer(response):
        body = response.json()
        if not body.get("success"):
            sys.exit(f"{response.request.method} {response.url}: {body}")
        return body

    def wait(job, status):
        response = session.get(f"{base}/_mock/jobs/{job}/wait", params={"status": status}, timeout=30)
        response.raise_for_status()

    def upload(path, sample, **params):
        with open(SAMPLES / sample, "rb") as file:
            body = answer(session.post(f"{base}{path}", params=params, files={"file": file}, timeout=30))
        batch = body["result"][0]["batchId"]
        wait(batch, "Complete")
        return batch

    def export(kind, body):
        job = answer(session.post(f"{base}/bulk/v1/{kind}/export/create.json", json=body, timeout=30))
        export_id = job["result"][0]["exportId"]
        answer(session.post(f"{base}/bulk/v1/{kind}/export/{export_id}/enqueue.json", timeout=30))
        wait(export_id, "Completed")
        return export_id

    batches = [
        upload("/bulk/v1/leads.json", "leads-mixed.csv", format="csv", listId=2001),
        upload("/bulk/v1/customobjects/car_c/import.json", "cars.csv", format="csv"),
        upload(
            "/bulk/v1/program/1001/members/import.json",
            "program-members.csv",
            format="csv",
            programMemberStatus="On List",
        ),
    ]
    today = session.get(f"{base}/_mock/clock", timeout=10).json()["now"][:10]
    exports = [
        export("leads", {"fields": ["id", "email"], "filter": {"staticListId": 2001}}),
        export("activities", {"filter": {"createdAt": {"startAt": today, "endAt": f"{today}T23:59:59Z"}}}),
        export("program/members", {"fields": ["leadId", "statusName"], "format": "TSV", "filter": {"programId": 1001}}),
        export("customobjects/car_c", {"fields": ["vin", "make"], "filter": {"staticListId": 2001}}),
    ]
    token_answer = answer(
        session.get(f"{base}/rest/v1/activities/pagingtoken.json", params={"sinceDatetime": today}, timeout=10)
    )
    since_today = token_answer["nextPageToken"]
    return {
        "path": {
            "batchId": batches,
            "exportId": exports,
            "apiName": ["car_c"],
            "customObjectName": ["car_c"],
            "programId": [1001],
            "leadId": [1],
            "listId": [2001],
        },
        "query": {
            "/bulk/v1/leads.json": {"format": "csv", "lookupField": "email"},
            "/bulk/v1/customobjects/{apiName}/import.json": {"format": "csv"},
            "/bulk/v1/program/{programId}/members/import.json": {"format": "CSV", "programMemberStatus": "On List"},
            "/rest/v1/leads.json": {"filterType": "email", "filterValues": ["ana.lima@example.com"]},
            "/rest/v1/programs/{programId}/members.json": {"filterType": "leadId", "filterValues": ["1", "2"]},
            "/rest/v1/customobjects/{customObjectName}.json": {"filterType": "vin", "filterValues": ["WBA4R7C55HK895912"]},
            "/rest/v1/activities.json": {"nextPageToken": since_today, "activityTypeIds": [12, 13]},
            "/rest/v1/activities/leadchanges.json": {"nextPageToken": since_today, "fields": ["email", "leadScore"]},
        },
        "upload": {
            "/bulk/v1/leads.json": "leads-mixed.csv",
            "/bulk/v1/customobjects/{apiName}/import.json": "cars.csv",
            "/bulk/v1/program/{programId}/members/import.json": "program-members.csv",
        },
    }


def main(base, token, directory):
    directory = Path(directory)
    (directory / "marketo.json").write_text(json.dumps(document(base), indent=1))
    (directory / "records.json").write_text(json.dumps(records(base, token), indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
