"""Bulk Extract through the PyPI client marketorestpython (0.5.25, unmodified), pointed at the mock.

Run from marketorestpython_check.py after its import checks, sharing its client and its
`check` helper, so that the whole run ends with one `N passed, M failed` line.

Each export is checked against data imported first: leads through the library's own
`import_lead`, cars (custom object car_c) and program members through plain `requests`
(the library has no call for those two imports). Every export step (create, enqueue, status,
file, cancel, list) goes through the library; `requests` is used only where the library
offers nothing: those two imports, the export list's `batchSize`, and a file download that
must not be HTTP 200 (the library crashes on any other status).
"""

import csv
import hashlib
import io
import json
import re
import time
from datetime import datetime, timedelta, timezone

import requests
from marketorestpython.client import MarketoClient
from marketorestpython.helper.exceptions import MarketoException

# Section 11 of the extract reference: members of a job object, in this order, a member
# with no value left out (never null).
JOB_KEYS = ["exportId", "format", "status", "createdAt", "queuedAt", "startedAt", "finishedAt",
            "numberOfRecords", "fileSize", "fileChecksum"]
CREATE_KEYS = ["exportId", "format", "status", "createdAt"]
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CHECKSUM = re.compile(r"^sha256:[0-9a-f]{64}$")

POLLS, POLL_PAUSE = 200, 0.05

# Each export type as the library names it: its call prefix and the extra keyword it needs.
LEADS = ("leads", {})
MEMBERS = ("program_members", {})
CARS = ("custom_objects", {"object_name": "car_c"})


def call(client, kind, step, *args, **kwargs):
    """client.<step>_<kind>_export_job... with the library's own spelling of each name."""
    name, extra = kind
    names = {
        "create": f"create_{name}_export_job",
        "enqueue": f"enqueue_{name}_export_job",
        "status": f"get_{name}_export_job_status",
        "file": f"get_{name}_export_job_file",
        "cancel": f"cancel_{name}_export_job",
    }
    return getattr(client, names[step])(*args, **kwargs, **extra)


def job_shape_problems(job):
    """What in a job object breaks section 11's rules (empty when nothing does)."""
    problems = []
    keys = list(job)
    if [k for k in keys if k not in JOB_KEYS]:
        problems.append(f"unknown members {[k for k in keys if k not in JOB_KEYS]}")
    if keys != [k for k in JOB_KEYS if k in job]:
        problems.append(f"member order {keys}")
    if any(v is None for v in job.values()):
        problems.append("a null member")
    if not UUID4.match(str(job.get("exportId", ""))):
        problems.append(f"exportId {job.get('exportId')!r}")
    if job.get("format") not in ("CSV", "TSV", "SSV"):
        problems.append(f"format {job.get('format')!r}")
    for k in ("createdAt", "queuedAt", "startedAt", "finishedAt"):
        if k in job and not (isinstance(job[k], str) and TIME.match(job[k])):
            problems.append(f"{k} {job[k]!r}")
    status = job.get("status")
    # which members each state must carry, and which it must not
    required = {"Created": CREATE_KEYS, "Queued": CREATE_KEYS + ["queuedAt"],
                "Processing": CREATE_KEYS + ["queuedAt", "startedAt"], "Completed": JOB_KEYS,
                "Cancelled": CREATE_KEYS, "Failed": CREATE_KEYS}.get(status)
    if required is None:
        problems.append(f"status {status!r}")
    else:
        missing = [k for k in required if k not in job]
        if missing:
            problems.append(f"{status} lacks {missing}")
        if status != "Completed":
            extra = [k for k in ("numberOfRecords", "fileSize", "fileChecksum") if k in job]
            if extra:
                problems.append(f"{status} has {extra}")
        if status in ("Created", "Queued") and ("startedAt" in job or "finishedAt" in job):
            problems.append(f"{status} has startedAt/finishedAt")
    if status == "Completed":
        if not (isinstance(job.get("numberOfRecords"), int) and isinstance(job.get("fileSize"), int)):
            problems.append("numberOfRecords/fileSize not integers")
        if not CHECKSUM.match(str(job.get("fileChecksum", ""))):
            problems.append(f"fileChecksum {job.get('fileChecksum')!r}")
    return problems


def run_export_checks(client, check, base, samples):
    session = requests.Session()

    def auth():
        client.authenticate()
        return {"Authorization": "Bearer " + client.token}

    # A second client that gives up at once on a retryable code: the library retries 1029
    # (the code of every refused enqueue or cancel) for up to max_retry_time, 300 s by default.
    strict = MarketoClient("000-MCK-000", "mock-client-id", "mock-client-secret", max_retry_time=0)
    strict.host = client.host

    def error_code(fn, *args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except MarketoException as e:
            return e.code, e.message
        return None, result

    def wait_import(path):
        status = None
        for _ in range(POLLS):
            answer = session.get(base + path, headers=auth()).json()
            status = answer["result"][0] if answer.get("success") else answer
            if status.get("status") in ("Complete", "Failed"):
                break
            time.sleep(POLL_PAUSE)
        return status

    def wait_export(kind, export_id):
        status = None
        for _ in range(POLLS):
            status = call(client, kind, "status", export_id)[0]
            if status["status"] in ("Completed", "Failed", "Cancelled"):
                break
            time.sleep(POLL_PAUSE)
        return status

    made = {"leads": [], "program_members": [], "custom_objects": []}

    def export(label, kind, fields, filters, **options):
        """create, enqueue, poll and download one export; returns (status, bytes) or None."""
        created = call(client, kind, "create", fields=fields, filters=filters, **options)
        job = created[0]
        made[kind[0]].append(job["exportId"])
        check(f"{label}: create answers exactly exportId, format, status Created, createdAt",
              list(job) == CREATE_KEYS and job["status"] == "Created" and not job_shape_problems(job), created)
        queued = call(client, kind, "enqueue", job["exportId"])[0]
        check(f"{label}: enqueue answers a well-formed job past Created",
              queued["exportId"] == job["exportId"] and queued["status"] in ("Queued", "Processing", "Completed")
              and not job_shape_problems(queued), (queued, job_shape_problems(queued)))
        status = wait_export(kind, job["exportId"])
        check(f"{label}: the job completes", status["status"] == "Completed", status)
        if status["status"] != "Completed":
            return None
        check(f"{label}: the Completed status has exactly section 11's members, in order",
              list(status) == JOB_KEYS and not job_shape_problems(status), (status, job_shape_problems(status)))
        body = call(client, kind, "file", job["exportId"])
        check(f"{label}: the file downloads", isinstance(body, bytes), type(body))
        if not isinstance(body, bytes):
            return None
        check(f"{label}: fileSize is the byte count", status["fileSize"] == len(body), (status["fileSize"], len(body)))
        check(f"{label}: fileChecksum is sha256 of the bytes",
              status["fileChecksum"] == "sha256:" + hashlib.sha256(body).hexdigest(), status["fileChecksum"])
        check(f"{label}: LF line ends with a final LF",
              body.endswith(b"\n") and b"\r" not in body, body[-40:])
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline=""),
                               delimiter="\t" if options.get("format", "CSV").upper() == "TSV" else ","))
        check(f"{label}: numberOfRecords counts the rows after the header",
              status["numberOfRecords"] == len(rows) - 1, (status["numberOfRecords"], len(rows) - 1))
        check(f"{label}: every row has the header's column count",
              rows and all(len(r) == len(rows[0]) for r in rows), rows)
        return status, body, rows

    now = datetime.now(timezone.utc)
    window = {"startAt": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "endAt": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}

    # ---------------------------------------------------------------- imports first
    with open(f"{samples}/leads-good.csv", newline="") as f:
        good = list(csv.DictReader(f))
    created = client.import_lead(format="csv", file=f"{samples}/leads-good.csv", lookupField="email", listId=2001)
    batch = created[0]["batchId"]
    status = None
    for _ in range(POLLS):
        status = client.get_import_lead_status(batch)[0]
        if status["status"] in ("Complete", "Failed"):
            break
        time.sleep(POLL_PAUSE)
    check("leads-good.csv imports completely (for the exports)",
          status["status"] == "Complete" and status["numOfLeadsProcessed"] == 3 and status["numOfRowsFailed"] == 0,
          status)

    with open(f"{samples}/cars.csv", "rb") as f:
        answer = session.post(base + "/bulk/v1/customobjects/car_c/import.json", params={"format": "csv"},
                              files={"file": ("cars.csv", f, "text/csv")}, headers=auth()).json()
    check("cars.csv import is accepted", answer.get("success") is True, answer)
    car_batch = answer["result"][0]["batchId"] if answer.get("success") else None
    car_status = wait_import(f"/bulk/v1/customobjects/car_c/import/{car_batch}/status.json")
    check("cars.csv import completes: 3 cars, 1 failed (year 'nineteen')",
          car_status.get("status") == "Complete" and car_status.get("numOfObjectsProcessed") == 3
          and car_status.get("numOfRowsFailed") == 1, car_status)
    failed = session.get(base + f"/bulk/v1/customobjects/car_c/import/{car_batch}/failures.json", headers=auth()).text
    failed_vins = {r["vin"] for r in csv.DictReader(io.StringIO(failed))}
    with open(f"{samples}/cars.csv", newline="") as f:
        cars = [r for r in csv.DictReader(f) if r["vin"] not in failed_vins]
    check("the car import's failure file names the Honda", failed_vins == {"1HGCM82633A004352"}, failed)

    with open(f"{samples}/program-members.csv", "rb") as f:
        answer = session.post(base + "/bulk/v1/program/1001/members/import.json",
                              params={"format": "csv", "programMemberStatus": "On List"},
                              files={"file": ("program-members.csv", f, "text/csv")}, headers=auth()).json()
    check("program-members.csv import into program 1001 is accepted", answer.get("success") is True, answer)
    pm_batch = answer["result"][0]["batchId"] if answer.get("success") else None
    pm_status = wait_import(f"/bulk/v1/program/members/import/{pm_batch}/status.json")
    check("program-members.csv import completes: 3 members, 1 failed (leadScore text)",
          pm_status.get("status") == "Complete" and pm_status.get("numOfLeadsProcessed") == 3
          and pm_status.get("numOfRowsFailed") == 1, pm_status)
    failed = session.get(base + f"/bulk/v1/program/members/import/{pm_batch}/failures.json", headers=auth()).text
    failed_emails = {r["email"] for r in csv.DictReader(io.StringIO(failed))}
    with open(f"{samples}/program-members.csv", newline="") as f:
        members = [r for r in csv.DictReader(f) if r["email"] not in failed_emails]
    check("the member import's failure file names Aerys", failed_emails == {"Aerys@Targaryen.com"}, failed)

    # Every lead this run made (the import checks' leads-mixed.csv included), with its id.
    with open(f"{samples}/leads-mixed.expected.json") as f:
        mixed = [r["email"] for r in json.load(f)["rows"] if r["outcome"] in ("imported", "warned")]
    all_emails = mixed + [r["email"] for r in good] + [r["email"] for r in members]
    read_back = client.get_multiple_leads_by_filter_type(
        "email", all_emails, fields=["id", "email", "firstName", "leadScore", "title", "company"])
    by_email = {l["email"].lower(): l for l in read_back}
    check("every imported lead reads back by email", len(by_email) == len(all_emails),
          sorted(set(e.lower() for e in all_emails) - set(by_email)))
    lead_id = {e: by_email[e]["id"] for e in by_email}

    def cell(value):
        return "null" if value is None or value == "" else str(value)

    # ---------------------------------------------------------------- 1. leads
    fields = ["id", "email", "firstName", "leadScore", "title", "company"]
    got = export("leads by createdAt", LEADS, fields, {"createdAt": window},
                 columnHeaderNames={"firstName": "First Name", "leadScore": "Score"})
    if got:
        status, body, rows = got
        check("leads by createdAt: header follows fields, renamed by columnHeaderNames",
              rows[0] == ["id", "email", "First Name", "Score", "title", "company"], rows[0])
        file_rows = {r[1].lower(): r for r in rows[1:]}
        check("leads by createdAt: exactly the leads this run created",
              sorted(file_rows) == sorted(by_email) and len(rows) - 1 == len(by_email),
              (sorted(file_rows), sorted(by_email)))
        expected = {l: [cell(by_email[l][f]) if f in by_email[l] else "null" for f in fields] for l in by_email}
        wrong = {l: (file_rows.get(l), expected[l]) for l in expected if file_rows.get(l) != expected[l]}
        check("leads by createdAt: each row holds the lead's values (null where empty)", not wrong, wrong)
        source = {r["email"]: r for r in good}
        wrong = {e: file_rows.get(e) for e, r in source.items() if file_rows.get(e) is None
                 or file_rows[e][2:] != [r["firstName"], r["leadScore"], r["title"], r["company"]]}
        check("leads by createdAt: leads-good.csv's values come back as imported", not wrong, wrong)
        alice = source["alice.nguyen@example.com"]
        line = f'{lead_id["alice.nguyen@example.com"]},alice.nguyen@example.com,Alice,85,{alice["title"]},"Acme, Inc."\n'
        check("leads by createdAt: minimal quoting (only the cell with a comma)", line.encode() in body, body)

        high = sorted(e for e, r in file_rows.items() if r[3] != "null" and int(r[3]) > 50)
        got = export("leads by smartListId 3001 (leadScore > 50)", LEADS, ["email", "leadScore"],
                     {"smartListId": 3001})
        if got:
            rows = got[2]
            check("leads by smartListId: exactly the leads scoring above 50",
                  sorted(r[0].lower() for r in rows[1:]) == high, (rows, high))

    got = export("leads created in January 2020 (none)", LEADS, ["id", "email"],
                 {"createdAt": {"startAt": "2020-01-01T00:00:00Z", "endAt": "2020-01-31T00:00:00Z"}})
    if got:
        check("an export that matches nothing is the header row alone, numberOfRecords 0",
              got[1] == b"id,email\n" and got[0]["numberOfRecords"] == 0, got[1])

    listed = client.get_multiple_leads_by_list_id(2001, fields=["email"])
    in_list = sorted(l["email"].lower() for l in listed)
    check("static list 2001 holds leads-mixed's and leads-good's imported leads",
          in_list == sorted(set(e.lower() for e in mixed + [r["email"] for r in good])), in_list)
    got = export("leads by staticListId 2001 (TSV)", LEADS, ["email", "company", "id"], {"staticListId": 2001},
                 format="TSV")
    if got:
        status, body, rows = got
        check("leads by staticListId: format echoed TSV", status["format"] == "TSV", status)
        check("leads by staticListId: exactly the list's leads",
              sorted(r[0].lower() for r in rows[1:]) == in_list, (rows, in_list))
        check("leads by staticListId: TSV leaves a comma unquoted",
              f"alice.nguyen@example.com\tAcme, Inc.\t{lead_id['alice.nguyen@example.com']}\n".encode() in body, body)
    got = export("leads by staticListName", LEADS, ["email"], {"staticListName": "Partner Leads"})
    if got:
        check("leads by staticListName: the same leads as by id",
              sorted(r[0].lower() for r in got[2][1:]) == in_list, got[2])

    # ---------------------------------------------------------------- 2. program members
    fields = ["leadId", "email", "statusName", "reachedSuccess", "membershipDate", "firstName"]
    got = export("program members of 1001", MEMBERS, fields, {"programId": 1001})
    if got:
        rows = got[2]
        check("program members: header follows fields", rows[0] == fields, rows[0])
        file_rows = {r[1]: r for r in rows[1:]}
        expected = {m["email"]: [str(lead_id[m["email"].lower()]), m["email"], "On List", "false"] for m in members}
        check("program members: exactly the imported members",
              sorted(file_rows) == sorted(expected), (sorted(file_rows), sorted(expected)))
        wrong = {e: file_rows.get(e) for e in expected if file_rows.get(e) is None
                 or file_rows[e][:4] != expected[e] or not TIME.match(file_rows[e][4])
                 or file_rows[e][5] != next(m["firstName"] for m in members if m["email"] == e)}
        check("program members: leadId, status On List, reachedSuccess false, membershipDate, firstName",
              not wrong, wrong)
    got = export("program members of 1001 and 1002", MEMBERS, ["leadId", "email"], {"programIds": [1001, 1002]})
    if got:
        rows = got[2]
        check("program members by programIds: a leading programId column",
              rows[0] == ["programId", "leadId", "email"], rows[0])
        check("program members by programIds: 1001's members, 1002 has none",
              sorted((r[0], r[2]) for r in rows[1:]) == sorted(("1001", m["email"]) for m in members), rows)
    got = export("program members of 1001 in status On List or Not in Program", MEMBERS, ["email"],
                 {"programId": 1001, "statusNames": ["On List", "Not in Program"]})
    if got:
        check("program members by programId and statusNames (ANDed, names ORed): the imported members",
              sorted(r[0] for r in got[2][1:]) == sorted(m["email"] for m in members), got[2])
    # The library's own read-back of membership (it sends POST ...?_method=GET with a form body).
    try:
        in_program = client.get_multiple_leads_by_program_id(1001, fields=["email"])
        check("get_multiple_leads_by_program_id agrees with the member export",
              sorted(l["email"] for l in in_program) == sorted(m["email"] for m in members), in_program)
    except MarketoException as e:
        check("get_multiple_leads_by_program_id agrees with the member export", False, str(e))

    # ---------------------------------------------------------------- 3. custom objects
    got = export("car_c by staticListId 2001", CARS, ["vin", "make", "leadId"], {"staticListId": 2001})
    if got:
        rows = got[2]
        check("car_c: header follows fields (leadId the virtual link)", rows[0] == ["vin", "make", "leadId"], rows[0])
        expected = sorted([c["vin"], c["make"], str(lead_id[c["customerEmail"].lower()])] for c in cars)
        check("car_c by staticListId: the cars of the list's leads, each with its lead's id",
              sorted(rows[1:]) == expected, (rows[1:], expected))
    stored = client.get_custom_objects("car_c", [{"vin": c["vin"]} for c in cars], "vin",
                                       fields=["marketoGUID", "vin", "year", "customerEmail", "updatedAt"])
    check("the cars read back through get_custom_objects", len(stored) == len(cars), stored)
    fields = ["marketoGUID", "vin", "year", "customerEmail", "updatedAt"]
    got = export("car_c by updatedAt", CARS, fields, {"updatedAt": window},
                 columnHeaderNames={"vin": "VIN"})
    if got:
        rows = got[2]
        check("car_c by updatedAt: header renamed by columnHeaderNames",
              rows[0] == ["marketoGUID", "VIN", "year", "customerEmail", "updatedAt"], rows[0])
        expected = sorted([cell(s.get(f)) for f in fields] for s in stored)
        check("car_c by updatedAt: the rows match the stored records (guid, vin, year, owner, updatedAt)",
              sorted(rows[1:]) == expected, (rows[1:], expected))
        check("car_c by updatedAt: years as imported",
              sorted(r[2] for r in rows[1:]) == sorted(c["year"] for c in cars), rows)

    # ---------------------------------------------------------------- 4. lifecycle
    job = client.create_leads_export_job(fields=["email"], filters={"staticListId": 2001})[0]
    made["leads"].append(job["exportId"])
    first = client.get_leads_export_job_status(job["exportId"])[0]
    check("a created job reads Created with exactly exportId, format, status, createdAt",
          first["status"] == "Created" and list(first) == CREATE_KEYS and not job_shape_problems(first), first)
    cancelled = client.cancel_leads_export_job(job["exportId"])[0]
    check("cancel of a Created job answers Cancelled", cancelled["status"] == "Cancelled"
          and not job_shape_problems(cancelled), cancelled)
    after = client.get_leads_export_job_status(job["exportId"])[0]
    check("the cancelled job reads Cancelled, with no queuedAt, startedAt or file counters",
          after["status"] == "Cancelled" and list(after) == CREATE_KEYS and not job_shape_problems(after), after)
    r = session.get(base + f"/bulk/v1/leads/export/{job['exportId']}/file.json", headers=auth())
    check("the cancelled job's file is HTTP 404 text/plain 'File not found'",
          r.status_code == 404 and r.headers.get("content-type", "").startswith("text/plain")
          and r.text == "File not found", (r.status_code, r.headers.get("content-type"), r.text))
    code, answer = error_code(strict.enqueue_leads_export_job, job["exportId"])
    check("enqueue of a cancelled job is 1029", code == "1029", (code, answer))

    completed = made["leads"][0]
    code, answer = error_code(strict.cancel_leads_export_job, completed)
    check("cancel of a Completed job is 1029", code == "1029", (code, answer))
    code, answer = error_code(strict.enqueue_leads_export_job, completed)
    check("enqueue of a Completed job is 1029 Job already queued",
          code == "1029" and "already queued" in str(answer), (code, answer))
    code, answer = error_code(strict.get_leads_export_job_status, "00000000-0000-4000-8000-000000000000")
    check("status of an unknown exportId is 1013 Export job not found",
          code == "1013" and answer == "Export job not found", (code, answer))
    code, answer = error_code(strict.get_program_members_export_job_status, completed)
    check("a leads exportId is unknown to the program member routes (1013)", code == "1013", (code, answer))
    code, answer = error_code(strict.create_leads_export_job, fields=["email", "nosuchField"],
                              filters={"staticListId": 2001})
    check("create with an unknown field is 1003 Invalid fields [nosuchField]",
          code == "1003" and answer == "Invalid fields [nosuchField]", (code, answer))
    code, answer = error_code(strict.create_leads_export_job, fields=["email"],
                              filters={"staticListId": 2001, "smartListId": 3001})
    check("create with two lead filter types is 1003", code == "1003", (code, answer))

    jobs = client.get_leads_export_jobs_list()
    ids = [j["exportId"] for j in jobs]
    check("get_leads_export_jobs_list includes every leads job made",
          all(i in ids for i in made["leads"]), (made["leads"], ids))
    listed = {j["exportId"]: j for j in jobs}
    check("the leads list shows the cancelled job as Cancelled",
          listed.get(job["exportId"], {}).get("status") == "Cancelled", listed.get(job["exportId"]))
    check("the leads list shows a completed job as its status does",
          listed.get(completed) == call(client, LEADS, "status", completed)[0], listed.get(completed))
    bad = {j["exportId"]: job_shape_problems(j) for j in jobs if job_shape_problems(j)}
    check("every listed leads job is well-formed (section 11)", not bad, bad)
    check("the leads list holds no other type's jobs",
          not [i for i in made["program_members"] + made["custom_objects"] if i in ids], ids)
    pm_ids = [j["exportId"] for j in client.get_program_members_export_jobs_list()]
    check("get_program_members_export_jobs_list holds exactly the member jobs made",
          sorted(pm_ids) == sorted(made["program_members"]), (pm_ids, made["program_members"]))
    car_ids = [j["exportId"] for j in client.get_custom_objects_export_jobs_list("car_c")]
    check("get_custom_objects_export_jobs_list('car_c') holds exactly the car jobs made",
          sorted(car_ids) == sorted(made["custom_objects"]), (car_ids, made["custom_objects"]))
    sub_ids = client.get_custom_objects_export_jobs_list("subscription_c")
    check("the subscription_c list is empty (lists are per apiName)", sub_ids == [], sub_ids)

    # Paging: the library never sends batchSize, so page by hand and compare.
    pages, token, seen = 0, None, []
    while pages < 50:
        params = {"batchSize": 2} if token is None else {"batchSize": 2, "nextPageToken": token}
        answer = session.get(base + "/bulk/v1/leads/export.json", params=params, headers=auth()).json()
        pages += 1
        seen += [j["exportId"] for j in answer.get("result", [])]
        token = answer.get("nextPageToken")
        if not token:
            break
    check("the leads list pages by batchSize=2 to the same jobs, no token on the last page",
          seen == ids and pages == (len(ids) + 1) // 2, (pages, seen, ids))
