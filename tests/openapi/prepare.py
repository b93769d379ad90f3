"""Prepares a run of the OpenAPI check against a fresh mock, in DIR:

- `marketo.json`: Adobe's document with the patches of `patches.py`, keeping exactly the
  operations the mock serves (by method and path, as the mock's own route table at
  `/_mock/openapi.json` lists them);
- `records.json`: ids of records made here through Marketo's own API (a finished import of
  each type, a completed export of each type), which `hooks.py` lets requests name.

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
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def answer(response):
        body = response.json()
        if not body.get("success"):
            sys.exit(f"{response.request.method} {response.url}: {body}")
        return body["result"][0]

    def wait(job, status):
        response = session.get(f"{base}/_mock/jobs/{job}/wait", params={"status": status}, timeout=30)
        response.raise_for_status()

    def upload(path, sample, **params):
        with open(SAMPLES / sample, "rb") as file:
            created = answer(session.post(f"{base}{path}", params=params, files={"file": file}, timeout=30))
        wait(created["batchId"], "Complete")
        return created["batchId"]

    def export(kind, body):
        job = answer(session.post(f"{base}/bulk/v1/{kind}/export/create.json", json=body, timeout=30))
        answer(session.post(f"{base}/bulk/v1/{kind}/export/{job['exportId']}/enqueue.json", timeout=30))
        wait(job["exportId"], "Completed")
        return job["exportId"]

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
    exports = [
        export("leads", {"fields": ["id", "email"], "filter": {"staticListId": 2001}}),
        export("program/members", {"fields": ["leadId", "statusName"], "format": "TSV", "filter": {"programId": 1001}}),
        export("customobjects/car_c", {"fields": ["vin", "make"], "filter": {"staticListId": 2001}}),
    ]
    return {
        "batchId": batches,
        "exportId": exports,
        "apiName": ["car_c"],
        "customObjectName": ["car_c"],
        "programId": [1001],
        "leadId": [1],
        "listId": [2001],
    }


def main(base, token, directory):
    directory = Path(directory)
    (directory / "marketo.json").write_text(json.dumps(document(base), indent=1))
    (directory / "records.json").write_text(json.dumps(records(base, token), indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
