"""A handle on a running mock (`MarketoMock` starts one) and on one of its instances."""

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref

from ._binary import find_binary

DEFAULT_CLIENT_ID = "mock-client-id"
DEFAULT_CLIENT_SECRET = "mock-client-secret"

# Loopback calls never go through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_LISTENING = re.compile(r"listening on (http://\S+?)(?:\"|\s|$)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class MockError(Exception):
    """The mock refused a call: `status` is the HTTP status, `error` the mock's reason (the
    control plane's `{"error": ...}`, or Marketo's `code` and `message`), `body` the parsed
    answer."""

    def __init__(self, method, url, status, error, body=None, code=None):
        self.method = method
        self.url = url
        self.status = status
        self.error = error
        self.code = code
        self.body = body
        where = urllib.parse.urlsplit(url).path
        what = f"Marketo error {code}: {error}" if code else error
        super().__init__(f"{method} {where} answered HTTP {status}: {what}")


class MockTimeout(MockError, TimeoutError):
    """A wait ended before the job reached the status; `job` is the job as it was then."""

    def __init__(self, method, url, status, error, body=None):
        super().__init__(method, url, status, error, body)
        self.job = body


class MockStartError(RuntimeError):
    """The server did not start; the message carries the end of its log."""


def _drop_none(values):
    return {key: value for key, value in values.items() if value is not None}


class MockControls:
    """The control plane (`/_mock/...`) of one Marketo instance of a running server, and
    the credentials and URLs a Marketo client needs for it.

    `MarketoMock` is one (the server's default instance); `create_instance` and `instance`
    return others, whose calls go to `/_mock/instances/{clientId}/...`.
    """

    def __init__(self, base_url, client_id, client_secret, *, scoped=False, admin_token=None,
                 munchkin_id="000-MCK-000"):
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.munchkin_id = munchkin_id
        self.admin_token = admin_token
        self._scoped = scoped

    def __repr__(self):
        return f"<{type(self).__name__} {self.base_url} client_id={self.client_id!r}>"

    # URLs a Marketo client is given.

    @property
    def identity_url(self):
        """Marketo's identity endpoint (`.../identity`; the token is at `/oauth/token`)."""
        return self.base_url + "/identity"

    @property
    def rest_url(self):
        """Marketo's REST endpoint (`.../rest`); the Bulk API is at `base_url + "/bulk"`."""
        return self.base_url + "/rest"

    @property
    def control_url(self):
        """Where this instance's control routes live."""
        if self._scoped:
            return f"{self.base_url}/_mock/instances/{urllib.parse.quote(self.client_id, safe='')}"
        return self.base_url + "/_mock"

    # Plumbing.

    def _call(self, method, url, body=None, query=None, timeout=60.0, raw=False):
        if query:
            url += "?" + urllib.parse.urlencode(_drop_none(query))
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.admin_token:
            headers["X-Admin-Token"] = self.admin_token
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as failure:
            payload = failure.read()
            try:
                parsed = json.loads(payload) if payload else None
            except ValueError:
                parsed = None
            error = None
            code = None
            if isinstance(parsed, dict):
                if "error" in parsed:
                    error = str(parsed["error"])
                elif parsed.get("errors"):
                    first = parsed["errors"][0]
                    code, error = first.get("code"), first.get("message")
            if error is None:
                error = payload.decode("utf-8", "replace").strip() or str(failure.reason)
            if failure.code == 408:
                now = parsed.get("status") if isinstance(parsed, dict) else None
                reason = "the wait timed out" + (f"; the job is {now}" if now else "")
                raise MockTimeout(method, url, failure.code, reason, parsed) from None
            raise MockError(method, url, failure.code, error, parsed, code) from None
        if raw:
            return payload
        if not payload:
            return None
        return json.loads(payload)

    def control(self, method, path, body=None, query=None, timeout=60.0):
        """Any control route of this instance: `control("GET", "/limits")`."""
        return self._call(method, self.control_url + path, body, query, timeout)

    # Health.

    def health(self):
        return self._call("GET", self.base_url + "/_mock/health")

    def ready(self):
        return self.control("GET", "/ready")

    # The clock.

    def clock(self):
        """`{"mode": "real" | "frozen", "now": "<RFC 3339>"}`."""
        return self.control("GET", "/clock")

    def set_clock(self, mode):
        """Switch the clock to `"real"` or `"frozen"` (without a jump)."""
        return self.control("PUT", "/clock", {"mode": mode})

    def freeze_clock(self):
        return self.set_clock("frozen")

    def unfreeze_clock(self):
        return self.set_clock("real")

    def advance_clock(self, seconds=None, *, milliseconds=None):
        """Move the clock forward; returns the clock. Fractions of a second are allowed."""
        if (seconds is None) == (milliseconds is None):
            raise ValueError("give exactly one of seconds or milliseconds")
        if milliseconds is None:
            milliseconds = seconds * 1000
        milliseconds = int(round(milliseconds))
        if milliseconds % 1000 == 0:
            return self.control("POST", "/clock/advance", {"seconds": milliseconds // 1000})
        return self.control("POST", "/clock/advance", {"milliseconds": milliseconds})

    # Job timing.

    def timing(self):
        """`{"queueDelayMs": N, "rowsPerSecond": N}`."""
        return self.control("GET", "/timing")

    def set_timing(self, queue_delay_ms=None, rows_per_second=None, *, preset=None):
        """Set the queue delay and processing rate (the one left out keeps its value), or a
        preset: `"instant"` or `"marketo"`."""
        if preset is not None:
            if queue_delay_ms is not None or rows_per_second is not None:
                raise ValueError("give a preset or values, not both")
            return self.control("PUT", "/timing", {"preset": preset})
        current = self.timing()
        if queue_delay_ms is not None:
            current["queueDelayMs"] = int(queue_delay_ms)
        if rows_per_second is not None:
            current["rowsPerSecond"] = int(rows_per_second)
        return self.control("PUT", "/timing", current)

    # Jobs.

    def jobs(self):
        """Every job: imports (by `batchId`) then exports (by `exportId`)."""
        return self.control("GET", "/jobs")["jobs"]

    def job(self, job_id):
        return self.control("GET", f"/jobs/{job_id}")

    def wait_for_job(self, job_id, status=None, timeout=30.0, *, rows=None):
        """Block until the import (batch id) or export (export id) reaches `status` or a
        later one; returns the job. The default status is its end (`Complete` of an import,
        `Completed` of an export; a failed or cancelled job ends the wait too). `rows`: an
        import has handled at least that many rows. Raises MockTimeout after `timeout`
        seconds of real time (its `job` is the job as it was)."""
        query = {"status": status, "rows": rows, "timeoutMs": int(timeout * 1000)}
        return self.control("GET", f"/jobs/{job_id}/wait", query=query, timeout=timeout + 30)

    def export_file(self, export_id):
        """A completed export's file, as bytes."""
        return self._call("GET", f"{self.control_url}/jobs/{export_id}/file", raw=True)

    # Faults.

    def faults(self):
        return self.control("GET", "/faults")["faults"]

    def add_fault(self, rule=None, **fields):
        """Add a fault rule (a dict in the README's shape, or its fields as keywords, e.g.
        `add_fault(path="/rest/v1/leads.json", code="606", times=1)`); returns it with its
        `id`."""
        spec = dict(rule or {})
        spec.update(fields)
        return self.control("POST", "/faults", spec)

    def remove_fault(self, fault_id):
        if isinstance(fault_id, dict):
            fault_id = fault_id["id"]
        self.control("DELETE", f"/faults/{fault_id}")

    def clear_faults(self):
        self.control("DELETE", "/faults")

    # Limits and tokens.

    def limits(self):
        return self.control("GET", "/limits")

    def set_limits(self, rate_limit=None, rate_window_secs=20, concurrency_limit=None, daily_quota=None):
        """Marketo's call limits; `None` turns one off."""
        return self.control("PUT", "/limits", {
            "rateLimit": rate_limit,
            "rateWindowSecs": rate_window_secs,
            "concurrencyLimit": concurrency_limit,
            "dailyQuota": daily_quota,
        })

    def export_limits(self):
        return self.control("GET", "/export-limits")

    def set_export_limits(self, **limits):
        """`max_queued`, `max_processing`, `daily_quota_mb`, `file_retention_hours`,
        `job_retention_hours` (those left out keep their values)."""
        names = {
            "max_queued": "maxQueued",
            "max_processing": "maxProcessing",
            "daily_quota_mb": "dailyQuotaMb",
            "file_retention_hours": "fileRetentionHours",
            "job_retention_hours": "jobRetentionHours",
        }
        current = self.export_limits()
        current.pop("quota", None)
        for key, value in limits.items():
            if key not in names:
                raise TypeError(f"unknown export limit {key!r}")
            current[names[key]] = value
        return self.control("PUT", "/export-limits", current)

    def expire_tokens(self):
        """Every issued token answers 602 from now on."""
        self.control("POST", "/tokens/expire")

    def access_token(self):
        """A fresh access token for this instance, from Marketo's identity endpoint."""
        answer = self._call("GET", self.identity_url + "/oauth/token", query={
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        })
        return answer["access_token"]

    # The journal.

    def journal(self):
        """The emulated calls made so far (not `/_mock/` ones), oldest first."""
        return self.control("GET", "/requests")["requests"]

    def clear_journal(self):
        self.control("DELETE", "/requests")

    # State.

    def reset(self):
        """Forget every job, token, record, fault and journal entry; reload the fixtures and
        seed; clock mode, timing and limits return to their start-up settings."""
        self.control("POST", "/reset")

    def seed(self, data=None, *, leads=None, custom_objects=None, program_members=None):
        """Upsert records as an import would: `seed({"leads": [...], "customObjects": {...},
        "programMembers": {...}})` or the keywords. Returns the mock's report."""
        body = dict(data or {})
        body.update(_drop_none({"leads": leads, "customObjects": custom_objects,
                                "programMembers": program_members}))
        return self.control("POST", "/seed", body)

    def export(self):
        """The whole state, in the shape `seed` and `--seed FILE` take."""
        return self.control("GET", "/export")


class MockInstance(MockControls):
    """One instance of a server that holds many, reached under `/_mock/instances/{clientId}`."""

    def __init__(self, base_url, client_id, client_secret, *, admin_token=None, munchkin_id="000-MCK-000"):
        super().__init__(base_url, client_id, client_secret, scoped=True, admin_token=admin_token,
                         munchkin_id=munchkin_id)

    def info(self):
        """The instance with its counts."""
        return self._call("GET", self.control_url)

    def remove(self):
        """Drop the instance; its tokens answer 601 from then on."""
        self._call("DELETE", self.control_url)


class _ServerCalls:
    """Calls about the server as a whole, shared by MarketoMock and an attached server."""

    def instances(self):
        """Every instance with its counts: `{"defaultClientId", "openInstances", "instances"}`."""
        return self._call("GET", self.base_url + "/_mock/instances")

    def create_instance(self, client_id, client_secret=None, *, munchkin_id=None, fixtures=None, seed=None):
        """Add an instance (its own records, queues, clock, faults, journal) and return its
        handle. The secret defaults to `<client_id>-secret`. Raises MockError (409) when the
        client id is taken."""
        secret = client_secret or f"{client_id}-secret"
        spec = _drop_none({
            "clientId": client_id,
            "clientSecret": secret,
            "munchkinId": munchkin_id,
            "fixtures": os.fspath(fixtures) if fixtures is not None else None,
            "seed": os.fspath(seed) if seed is not None else None,
        })
        self._call("POST", self.base_url + "/_mock/instances", spec)
        return self.instance(client_id, secret, munchkin_id=munchkin_id)

    def instance(self, client_id, client_secret=None, *, munchkin_id=None):
        """A handle on an existing instance."""
        return MockInstance(self.base_url, client_id, client_secret or f"{client_id}-secret",
                            admin_token=self.admin_token, munchkin_id=munchkin_id or "000-MCK-000")

    def remove_instance(self, client_id):
        self._call("DELETE", f"{self.base_url}/_mock/instances/{urllib.parse.quote(client_id, safe='')}")

    def reset_all(self):
        """Reset every instance."""
        self._call("POST", self.base_url + "/_mock/reset", query={"all": "true"})


class RunningServer(_ServerCalls, MockControls):
    """A server someone else started (a shared one, or one in Docker), reached by URL; its
    default instance is the one the credentials name."""

    def __init__(self, base_url, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, *,
                 admin_token=None):
        super().__init__(base_url, client_id, client_secret, admin_token=admin_token)


def _flag(args, name):
    return any(arg == name or arg.startswith(name + "=") for arg in args)


def _pid_alive(pid):
    """True while the process runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_pid(pid, timeout=15.0):
    """Ask a server by process id to stop (SIGTERM: in-flight jobs get their deadline), and
    kill it after `timeout` seconds. For a server this process did not start."""
    if not _pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    except ProcessLookupError:
        pass


def _stop_process(process, timeout):
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class MarketoMock(_ServerCalls, MockControls):
    """Starts the `marketo-bulk-mock` server on a free loopback port and stops it on
    `close()` (or at the end of a `with` block). Its control methods act on the server's
    default instance; `create_instance` makes more.

        with MarketoMock(clock="frozen") as mock:
            client = MarketoClient(mock.munchkin_id, mock.client_id, mock.client_secret)
            client.host = mock.base_url

    Keywords map to the server's start-up flags (`--help` lists them all); `args` passes any
    others as they are, e.g. `args=["--rate-limit", "100"]`.
    """

    def __init__(self, args=(), *, binary=None, host="127.0.0.1", port=0, client_id=None,
                 client_secret=None, clock=None, timing_preset=None, queue_delay_ms=None,
                 rows_per_second=None, seed=None, fixtures=None, instances=None,
                 open_instances=False, admin_token=None, env=None, log_path=None,
                 startup_timeout=30.0, stop_timeout=15.0):
        args = [os.fspath(arg) for arg in args]
        flags = []

        def add(name, value):
            if value is not None:
                if _flag(args, name):
                    raise ValueError(f"{name} is given both as a keyword and in args")
                flags.extend([name, os.fspath(value) if isinstance(value, os.PathLike) else str(value)])

        add("--host", None if _flag(args, "--host") else host)
        add("--port", None if _flag(args, "--port") else port)
        add("--client-id", client_id)
        add("--client-secret", client_secret)
        add("--clock", clock)
        add("--timing-preset", timing_preset)
        add("--queue-delay-ms", queue_delay_ms)
        add("--rows-per-second", rows_per_second)
        add("--seed", seed)
        add("--fixtures", fixtures)
        add("--instances", instances)
        add("--admin-token", admin_token)
        if open_instances:
            flags.append("--open-instances")
        self.binary = os.fspath(binary) if binary else find_binary()
        self.command = [self.binary, *flags, *args]
        self.stop_timeout = stop_timeout

        child_env = dict(os.environ)
        child_env.update(env or {})
        # The bound address is read from the "listening on" line: keep it whatever RUST_LOG says.
        level = child_env.get("RUST_LOG") or "info"
        child_env["RUST_LOG"] = level + ",marketo_bulk_mock::app=info"
        child_env.setdefault("NO_COLOR", "1")

        self._own_log = log_path is None
        if log_path is None:
            handle, log_path = tempfile.mkstemp(prefix="marketo-bulk-mock-", suffix=".log")
            os.close(handle)
        self.log_path = os.fspath(log_path)
        self.process = None
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=child_env,
            )
        self._finalizer = weakref.finalize(self, _stop_process, self.process, stop_timeout)
        try:
            base_url = self._await_address(startup_timeout)
        except BaseException:
            self._finalizer()
            raise
        super().__init__(
            base_url,
            client_id or _from_args(args, "--client-id") or child_env.get("MARKETO_MOCK_CLIENT_ID") or DEFAULT_CLIENT_ID,
            client_secret or _from_args(args, "--client-secret") or child_env.get("MARKETO_MOCK_CLIENT_SECRET")
            or DEFAULT_CLIENT_SECRET,
            admin_token=admin_token or _from_args(args, "--admin-token") or child_env.get("MARKETO_MOCK_ADMIN_TOKEN"),
        )
        try:
            self._await_health(startup_timeout)
        except BaseException:
            self._finalizer()
            raise

    @property
    def pid(self):
        return self.process.pid

    @property
    def port(self):
        return urllib.parse.urlsplit(self.base_url).port

    def log(self):
        """What the server has logged so far."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return _ANSI.sub("", log.read())
        except FileNotFoundError:
            return ""

    def _failed(self, why):
        tail = "\n".join(self.log().strip().splitlines()[-20:])
        return MockStartError(f"{why} ({' '.join(self.command)})" + (f"; its log:\n{tail}" if tail else ""))

    def _await_address(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            found = _LISTENING.search(self.log())
            if found:
                url = found.group(1).rstrip("/")
                parts = urllib.parse.urlsplit(url)
                # A server on every address is reached on loopback.
                loopback = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(parts.hostname or "")
                if loopback:
                    url = f"http://{loopback}:{parts.port}"
                return url
            if self.process.poll() is not None:
                raise self._failed(f"the server exited with status {self.process.returncode} before listening")
            if time.monotonic() > deadline:
                raise self._failed(f"the server did not report its address within {timeout} s")
            time.sleep(0.01)

    def _await_health(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.health()
                return
            except (OSError, MockError):
                if self.process.poll() is not None:
                    raise self._failed(f"the server exited with status {self.process.returncode}") from None
                if time.monotonic() > deadline:
                    raise self._failed(f"the server did not answer /_mock/health within {timeout} s") from None
                time.sleep(0.02)

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def close(self):
        """Stop the server (SIGTERM, then kill after `stop_timeout` seconds) and remove the
        log file this handle made. Safe to call twice."""
        self._finalizer()
        if self._own_log:
            try:
                os.remove(self.log_path)
            except OSError:
                pass

    def detach(self):
        """Leave the server running after this handle is gone (someone else stops it, e.g.
        with `stop_pid`); returns its process id."""
        self._finalizer.detach()
        self._own_log = False
        return self.process.pid

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _from_args(args, name):
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None

