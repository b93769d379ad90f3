"""Two real ETL tools, tap-marketo and airbyte-source-marketo, run end to end against the mock.

Seeds a fresh mock through the real API (token, Bulk Import of leads, wait for the batch),
then, for each tool given, runs it the way a pipeline would and checks what it emits:

  tap-marketo:  --discover; select `leads` (with the imported columns) and one activity
                stream in the catalog; sync with --properties (singer-python 6 crashes on
                --catalog). tests/clients/tap_marketo_local.py points it at the mock.
  airbyte:      check; discover; read with a configured catalog of `leads` and the activity
                stream. tests/clients/airbyte_marketo_local.py lowers its 60 s status poll.

Then: every imported lead is in the leads stream with the id the mock gave it and the
values it was imported with; the activity stream holds exactly one activity of the
activity type (default 12, "New Lead") per imported lead, and nothing else.

Standard library only (it runs on any python3); each tool runs in its own venv's python.
Every step's stdout, stderr and the mock's request journal are kept under --work.
Prints `N passed, M failed` last and exits non-zero on any failure.

    etl_check.py --base http://127.0.0.1:PORT --leads fixtures/samples/leads-good.csv \
        --work target/etl-check [--tap VENV/bin/python] [--airbyte VENV/bin/python]
"""

import argparse
import collections
import csv
import datetime
import json
import os
import subprocess
import sys
import traceback
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ID = "mock-client-id"
CLIENT_SECRET = "mock-client-secret"
# tap-marketo cuts the munchkin id out of `endpoint`; the wrapper then replaces the host.
TAP_ENDPOINT = "https://123-ABC-456.mktorest.com/rest"
# Columns every lead export carries besides the imported ones.
LEAD_SYSTEM_FIELDS = ["id", "createdAt", "updatedAt"]
# Imported columns compared as integers (the rest as strings).
INTEGER_FIELDS = {"leadScore"}

results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + (f": {detail}" if detail and not condition else ""), flush=True)
    return bool(condition)


def short(value, limit=1500):
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def tail(text, lines=15):
    return "\n".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------- the mock, over plain HTTP


class Mock:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.token = None

    def call(self, method, path, body=None, headers=None, timeout=60):
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, method, path, **kwargs):
        status, body = self.call(method, path, **kwargs)
        try:
            return status, json.loads(body or b"null")
        except ValueError:
            return status, body.decode("utf-8", "replace")

    def authenticate(self):
        status, answer = self.json(
            "GET",
            f"/identity/oauth/token?grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}",
        )
        if status != 200 or not isinstance(answer, dict) or "access_token" not in answer:
            raise RuntimeError(f"token: HTTP {status} {short(answer)}")
        self.token = answer["access_token"]

    def import_leads(self, path):
        boundary = uuid.uuid4().hex
        with open(path, "rb") as handle:
            content = handle.read()
        body = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{os.path.basename(path)}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        return self.json("POST", "/bulk/v1/leads.json?format=csv", body=body, headers=headers)

    def wait_for_batch(self, batch_id):
        return self.json("GET", f"/_mock/jobs/{batch_id}/wait?status=Complete&timeoutMs=30000", timeout=60)

    def leads(self):
        status, state = self.json("GET", "/_mock/export")
        if status != 200:
            raise RuntimeError(f"/_mock/export: HTTP {status} {short(state)}")
        return state["leads"]

    def clear_journal(self):
        self.call("DELETE", "/_mock/requests")

    def journal(self):
        status, answer = self.json("GET", "/_mock/requests")
        return answer.get("requests", []) if status == 200 and isinstance(answer, dict) else []


def describe_call(entry):
    line = f"{entry.get('method')} {entry.get('path')}"
    if entry.get("query"):
        line += "?" + entry["query"]
    line += f" -> HTTP {entry.get('httpStatus')}"
    if entry.get("code"):
        line += f" code {entry['code']}"
    return line


def first_failed_call(journal):
    for entry in journal:
        if (entry.get("httpStatus") or 0) >= 400 or entry.get("code"):
            return entry
    return None


# ---------------------------------------------------------------- running a tool


class Step:
    """One run of a tool: its exit status, output and the calls the mock saw meanwhile."""

    def __init__(self, mock, work, name, argv, timeout, env=None):
        self.name = name
        mock.clear_journal()
        run_env = dict(os.environ)
        run_env.update(env or {})
        # Nothing of this may leave the machine: no proxy for the mock's address.
        run_env["NO_PROXY"] = run_env["no_proxy"] = "127.0.0.1,localhost"
        run_env["PYTHONDONTWRITEBYTECODE"] = "1"
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=run_env, cwd=work)
            self.returncode, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as expired:
            self.returncode = None
            self.stdout = expired.stdout.decode() if isinstance(expired.stdout, bytes) else expired.stdout or ""
            self.stderr = (expired.stderr.decode() if isinstance(expired.stderr, bytes) else expired.stderr or "")
            self.stderr += f"\n(timed out after {timeout} s)"
        self.journal = mock.journal()
        for suffix, text in (("stdout", self.stdout), ("stderr", self.stderr)):
            with open(os.path.join(work, f"{name}.{suffix}"), "w") as handle:
                handle.write(text)
        with open(os.path.join(work, f"{name}.requests.json"), "w") as handle:
            json.dump(self.journal, handle, indent=1)

    @property
    def ok(self):
        return self.returncode == 0

    def diagnosis(self):
        parts = [f"exit {self.returncode}"]
        failed = first_failed_call(self.journal)
        if failed:
            parts.append("first failing call: " + describe_call(failed))
        parts.append(f"{len(self.journal)} calls reached the mock")
        errors = airbyte_errors(self.stdout)
        if errors:
            parts.append("errors: " + short(errors, 800))
        parts.append("stderr tail:\n" + tail(self.stderr))
        return "; ".join(parts[:-1]) + "\n" + parts[-1]

    def messages(self):
        for line in self.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    yield json.loads(line)
                except ValueError:
                    pass


def airbyte_errors(stdout):
    errors = []
    for line in stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        if message.get("type") == "TRACE" and message.get("trace", {}).get("type") == "ERROR":
            error = message["trace"]["error"]
            errors.append(error.get("message") or error.get("internal_message"))
        elif message.get("type") == "LOG" and message.get("log", {}).get("level") in ("ERROR", "FATAL"):
            first = (message["log"].get("message") or "").strip().splitlines()[:1]
            if first and first[0] not in errors:
                errors.append(first[0][:300])
    return errors


def reached_mock(tool, step):
    check(f"{tool}: {step.name} talks to the mock (its calls are in the request journal)",
          len(step.journal) > 0, step.diagnosis())


# ---------------------------------------------------------------- what the records must be


def expected_leads(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = {}
    for row in rows:
        lead = {}
        for field, value in row.items():
            if value in ("", None):
                lead[field] = None
            elif field in INTEGER_FIELDS:
                lead[field] = int(value)
            else:
                lead[field] = value
        expected[row["email"].lower()] = lead
    return expected


def check_records(tool, leads, activities, expected, server_leads, activity_stream, activity_type_id):
    """leads, activities: the record dicts a tool emitted for each stream."""
    server_ids = {lead["email"].lower(): lead["id"] for lead in server_leads if lead.get("email")}
    by_id = {}
    for record in leads:  # a lead can come twice (tap-marketo's 0-1 s tail window); the last wins
        by_id[record.get("id")] = record
    by_email = {(record.get("email") or "").lower(): record for record in by_id.values()}

    missing = sorted(set(expected) - set(by_email))
    check(f"{tool}: the leads stream holds every imported lead ({len(expected)})", not missing,
          f"missing {missing}; emitted {sorted(by_email)}")
    extra = sorted(set(by_email) - set(expected))
    check(f"{tool}: the leads stream holds no other lead", not extra, f"unexpected {extra}")
    wrong_ids = {email: (by_email[email].get("id"), server_ids.get(email))
                 for email in expected if email in by_email and by_email[email].get("id") != server_ids.get(email)}
    check(f"{tool}: each lead carries the id the mock gave it", not wrong_ids and len(server_ids) >= len(expected),
          f"(emitted, mock's) {wrong_ids}; mock holds {server_ids}")
    for email, values in expected.items():
        record = by_email.get(email)
        if record is None:
            check(f"{tool}: lead {email} reads back with its imported values and its dates", False, "not emitted")
            continue
        wrong = {field: (record.get(field), value) for field, value in values.items()
                 if field != "email" and record.get(field) != value}
        if (record.get("email") or "").lower() != email:
            wrong["email"] = (record.get("email"), email)
        no_dates = [field for field in ("createdAt", "updatedAt") if not record.get(field)]
        check(f"{tool}: lead {email} reads back with its imported values and its dates", not wrong and not no_dates,
              f"(emitted, imported) {wrong}; without {no_dates}; record {short(record, 600)}")

    by_guid = {}
    for record in activities:  # duplicates from an overlapping window count once
        by_guid[record.get("marketoGUID")] = record
    no_guid = [record for record in activities if not record.get("marketoGUID")]
    check(f"{tool}: every {activity_stream} record has a marketoGUID and an activityDate",
          activities and not no_guid and all(record.get("activityDate") for record in by_guid.values()),
          f"{len(activities)} records; without a GUID: {short(no_guid, 600)}")
    other_types = [record for record in by_guid.values() if record.get("activityTypeId") != activity_type_id]
    check(f"{tool}: every {activity_stream} record has activityTypeId {activity_type_id}", not other_types,
          short(other_types, 600))
    per_lead = collections.Counter(record.get("leadId") for record in by_guid.values()
                                   if record.get("activityTypeId") == activity_type_id)
    wanted = {server_ids[email]: 1 for email in expected if email in server_ids}
    check(f"{tool}: {activity_stream} holds exactly one activity per imported lead",
          wanted and dict(per_lead) == wanted,
          f"activities per leadId {dict(per_lead)}; imported lead ids {sorted(wanted)}")


# ---------------------------------------------------------------- tap-marketo


def run_tap(mock, python, work, expected, server_leads, args):
    tool = "tap-marketo"
    work = os.path.join(work, "tap-marketo")
    os.makedirs(work, exist_ok=True)
    wrapper = os.path.join(HERE, "tap_marketo_local.py")
    config = {
        "start_date": args.start_date,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "endpoint": TAP_ENDPOINT,
        "base_url": mock.base,  # read by the wrapper
        "poll_interval": args.poll_interval,
        "job_timeout": args.job_timeout,
        "request_timeout": 60,
    }
    config_path = os.path.join(work, "config.json")
    with open(config_path, "w") as handle:
        json.dump(config, handle, indent=1)

    discover = Step(mock, work, "discover", [python, wrapper, "--config", config_path, "--discover"], args.timeout)
    reached_mock(tool, discover)
    if not check(f"{tool}: --discover exits 0", discover.ok, discover.diagnosis()):
        return
    try:
        catalog = json.loads(discover.stdout)
    except ValueError:
        check(f"{tool}: --discover prints a catalog", False, short(discover.stdout, 600))
        return
    streams = {stream["tap_stream_id"]: stream for stream in catalog.get("streams", [])}
    check(f"{tool}: the catalog lists leads and {args.activity_stream}",
          "leads" in streams and args.activity_stream in streams, sorted(streams))
    if "leads" not in streams or args.activity_stream not in streams:
        return
    lead_fields = list(next(iter(expected.values())).keys()) + LEAD_SYSTEM_FIELDS
    absent = [field for field in lead_fields if field not in streams["leads"]["schema"]["properties"]]
    check(f"{tool}: the leads schema has the imported columns", not absent, f"absent: {absent}")
    activity_id = next((entry["metadata"].get("marketo.activity-id") for entry in streams[args.activity_stream]["metadata"]
                        if entry["breadcrumb"] == []), None)
    check(f"{tool}: {args.activity_stream} is activity type {args.activity_type_id}",
          activity_id == args.activity_type_id, f"marketo.activity-id {activity_id}")

    select_stream(streams["leads"], lead_fields)
    select_stream(streams[args.activity_stream], None)
    properties_path = os.path.join(work, "properties.json")
    with open(properties_path, "w") as handle:
        json.dump(catalog, handle, indent=1)

    # --properties, not --catalog: singer-python 6 turns --catalog into an object the tap
    # then indexes like a dict.
    sync = Step(mock, work, "sync", [python, wrapper, "--config", config_path, "--properties", properties_path],
                args.timeout)
    reached_mock(tool, sync)
    check(f"{tool}: the sync exits 0", sync.ok, sync.diagnosis())
    records = collections.defaultdict(list)
    for message in sync.messages():
        if message.get("type") == "RECORD":
            records[message["stream"]].append(message["record"])
    print(f"     {tool} emitted " + ", ".join(f"{len(v)} {k}" for k, v in records.items()) if records else
          f"     {tool} emitted no records", flush=True)
    check_records(tool, records["leads"], records[args.activity_stream], expected, server_leads,
                  args.activity_stream, args.activity_type_id)


def select_stream(stream, fields):
    """Marks a discovered tap-marketo stream selected, with the given fields (None: all)."""
    for entry in stream["metadata"]:
        breadcrumb = entry["breadcrumb"]
        if breadcrumb == []:
            entry["metadata"]["selected"] = True
        elif len(breadcrumb) == 2 and breadcrumb[0] == "properties":
            if entry["metadata"].get("inclusion") == "unsupported":
                continue
            if fields is None or breadcrumb[1] in fields:
                entry["metadata"]["selected"] = True


# ---------------------------------------------------------------- airbyte-source-marketo


def run_airbyte(mock, python, work, expected, server_leads, args):
    tool = "airbyte"
    work = os.path.join(work, "airbyte")
    os.makedirs(work, exist_ok=True)
    wrapper = os.path.join(HERE, "airbyte_marketo_local.py")
    config = {
        "domain_url": mock.base,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "start_date": args.start_date,
    }
    config_path = os.path.join(work, "config.json")
    with open(config_path, "w") as handle:
        json.dump(config, handle, indent=1)
    env = {"AIRBYTE_POLL_INTERVAL": str(args.poll_interval)}

    checked = Step(mock, work, "check", [python, wrapper, "check", "--config", config_path], args.timeout, env)
    reached_mock(tool, checked)
    status = next((m["connectionStatus"] for m in checked.messages() if m.get("type") == "CONNECTION_STATUS"), None)
    check(f"{tool}: check answers SUCCEEDED", checked.ok and status and status.get("status") == "SUCCEEDED",
          f"status {status}; {checked.diagnosis()}")

    discover = Step(mock, work, "discover", [python, wrapper, "discover", "--config", config_path], args.timeout, env)
    reached_mock(tool, discover)
    catalog = next((m["catalog"] for m in discover.messages() if m.get("type") == "CATALOG"), None)
    if not check(f"{tool}: discover exits 0 with a catalog", discover.ok and catalog, discover.diagnosis()):
        return
    streams = {stream["name"]: stream for stream in catalog.get("streams", [])}
    check(f"{tool}: the catalog lists leads and {args.activity_stream}",
          "leads" in streams and args.activity_stream in streams, sorted(streams))
    if "leads" not in streams or args.activity_stream not in streams:
        return
    lead_fields = list(next(iter(expected.values())).keys()) + LEAD_SYSTEM_FIELDS
    lead_schema = streams["leads"]["json_schema"]
    absent = [field for field in lead_fields if field not in lead_schema.get("properties", {})]
    check(f"{tool}: the leads schema has the imported columns", not absent, f"absent: {absent}")
    # The source asks the export for the configured fields that describe.json confirms.
    lead_schema = dict(lead_schema, properties={field: spec for field, spec in lead_schema["properties"].items()
                                                if field in lead_fields})
    configured = {"streams": [configure(dict(streams["leads"], json_schema=lead_schema)),
                              configure(streams[args.activity_stream])]}
    catalog_path = os.path.join(work, "configured_catalog.json")
    with open(catalog_path, "w") as handle:
        json.dump(configured, handle, indent=1)

    read = Step(mock, work, "read", [python, wrapper, "read", "--config", config_path, "--catalog", catalog_path],
                args.timeout, env)
    reached_mock(tool, read)
    check(f"{tool}: read exits 0 without errors", read.ok and not airbyte_errors(read.stdout), read.diagnosis())
    records = collections.defaultdict(list)
    for message in read.messages():
        if message.get("type") == "RECORD":
            records[message["record"]["stream"]].append(message["record"]["data"])
    print(f"     {tool} emitted " + ", ".join(f"{len(v)} {k}" for k, v in records.items()) if records else
          f"     {tool} emitted no records", flush=True)
    check_records(tool, records["leads"], records[args.activity_stream], expected, server_leads,
                  args.activity_stream, args.activity_type_id)


def configure(stream):
    incremental = "incremental" in stream.get("supported_sync_modes", [])
    entry = {
        "stream": stream,
        "sync_mode": "incremental" if incremental else "full_refresh",
        "destination_sync_mode": "append",
    }
    if incremental and stream.get("default_cursor_field"):
        entry["cursor_field"] = stream["default_cursor_field"]
    return entry


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the mock, http://127.0.0.1:PORT")
    parser.add_argument("--leads", required=True, help="CSV of leads to import (header: lead field names)")
    parser.add_argument("--work", required=True, help="directory for configs, catalogs, outputs and journals")
    parser.add_argument("--tap", help="python of a venv with tap-marketo")
    parser.add_argument("--airbyte", help="python of a venv with airbyte-source-marketo")
    parser.add_argument("--activity-stream", default="activities_new_lead")
    parser.add_argument("--activity-type-id", type=int, default=12)
    parser.add_argument("--poll-interval", type=float, default=0.2, help="seconds between export status polls")
    parser.add_argument("--job-timeout", type=int, default=120, help="tap-marketo's job_timeout, seconds")
    parser.add_argument("--timeout", type=int, default=300, help="seconds a tool run may take")
    args = parser.parse_args()
    if not args.tap and not args.airbyte:
        parser.error("name at least one tool: --tap and/or --airbyte")
    # A day ago, to the second: both tools take it, and the import happens inside the window.
    args.start_date = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    os.makedirs(args.work, exist_ok=True)
    args.work = os.path.abspath(args.work)
    # The tools run from their work directory: keep a venv's python as named (not resolved).
    args.tap = args.tap and (os.path.abspath(args.tap) if os.sep in args.tap else args.tap)
    args.airbyte = args.airbyte and (os.path.abspath(args.airbyte) if os.sep in args.airbyte else args.airbyte)

    mock = Mock(args.base)
    expected = expected_leads(args.leads)
    try:
        mock.authenticate()
        status, created = mock.import_leads(args.leads)
        batch = created["result"][0]["batchId"] if status == 200 and created.get("success") else None
        check("seed: the leads import is accepted", batch is not None, f"HTTP {status} {short(created)}")
        if batch is None:
            raise RuntimeError("no batch to wait for")
        status, job = mock.wait_for_batch(batch)
        check("seed: the batch completes with every row imported",
              status == 200 and isinstance(job, dict) and job.get("status") == "Complete"
              and job.get("numOfRowsProcessed") == len(expected) and job.get("numOfRowsFailed") == 0,
              f"HTTP {status} {short(job)}")
        server_leads = mock.leads()
        check("seed: the mock holds the imported leads",
              {lead.get("email", "").lower() for lead in server_leads} >= set(expected),
              short([lead.get("email") for lead in server_leads]))
    except Exception:
        check("seed: the mock is seeded", False, traceback.format_exc())
        return finish()

    for flag, runner in ((args.tap, run_tap), (args.airbyte, run_airbyte)):
        if not flag:
            continue
        try:
            runner(mock, flag, args.work, expected, server_leads, args)
        except Exception:  # a crash of the checker counts as one failure; the rest still runs
            check(f"{runner.__name__} runs to the end", False, traceback.format_exc())
    return finish()


def finish():
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed", flush=True)
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
