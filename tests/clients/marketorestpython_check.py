"""A real Marketo client, the PyPI package marketorestpython, pointed at the mock.

It must not be able to tell the mock from Marketo: token, lead import, status polling,
failure and warning files, and read-back all go through the library's own calls. Then
marketorestpython_exports.py drives Bulk Extract (leads, program members, custom objects).
Prints `N passed, M failed` and exits non-zero on any failure.
"""

import sys
import time
import traceback

from marketorestpython.client import MarketoClient

BASE = sys.argv[1]
SAMPLES = sys.argv[2]

results = []


def check(name, condition, detail=""):
    results.append(condition)
    print(("ok   " if condition else "FAIL ") + name + (f": {detail}" if detail and not condition else ""))


client = MarketoClient("000-MCK-000", "mock-client-id", "mock-client-secret")
client.host = BASE  # the library builds https://<munchkin>.mktorest.com; the mock stands in for it

client.authenticate()
check("authenticates and keeps the token", bool(client.token), repr(client.token))

# The library opens the file itself and sends its absolute path as the part's filename.
created = client.import_lead(format="csv", file=f"{SAMPLES}/leads-mixed.csv", lookupField="email", listId=2001)
check("import_lead returns a queued batch", created[0]["status"] in ("Queued", "Importing", "Complete"), created)
batch = created[0]["batchId"]

status = None
for _ in range(200):
    status = client.get_import_lead_status(batch)[0]
    if status["status"] in ("Complete", "Failed"):
        break
    time.sleep(0.05)
check("the batch completes", status["status"] == "Complete", status)
check(
    "counters match the sample",
    (status["numOfLeadsProcessed"], status["numOfRowsFailed"], status["numOfRowsWithWarning"]) == (4, 3, 2),
    status,
)

failures = client.get_import_failure_file(batch)
check("the failure file is CSV with the reason column",
      failures.splitlines()[0].endswith(",Import Failure Reason") and len(failures.splitlines()) == 4, failures)
warnings = client.get_import_warning_file(batch)
check("the warning file names the bad email", "Invalid email address" in warnings, warnings)

leads = client.get_multiple_leads_by_filter_type(
    "email", ["ana.lima@example.com", "grace.kim@example.com"], fields=["email", "leadScore", "company"]
)
check("leads read back by email", sorted(l["email"] for l in leads) == ["ana.lima@example.com", "grace.kim@example.com"], leads)
check("typed values read back", {l["email"]: l["leadScore"] for l in leads}.get("ana.lima@example.com") == 42, leads)

lead = client.get_lead_by_id(leads[0]["id"], fields=["email", "firstName"])
check("a lead reads back by id", lead and lead[0]["email"] == leads[0]["email"], lead)

fields = client.describe()
check("describe lists Lead Score", any(f.get("displayName") == "Lead Score" for f in fields), len(fields))

partitions = client.get_lead_partitions()
check("partitions list Default", any(p["name"] == "Default" for p in partitions), partitions)

members = client.get_multiple_leads_by_list_id(2001, fields=["email"])
check("the static list holds the imported leads", len(members) == 4, members)

# Bulk Extract of leads, program members and custom objects: tests/clients/marketorestpython_exports.py
try:
    from marketorestpython_exports import run_export_checks

    run_export_checks(client, check, BASE, SAMPLES)
except Exception:  # a crash counts as one failure; the tally below still prints
    check("the export checks run to the end", False, traceback.format_exc())

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
