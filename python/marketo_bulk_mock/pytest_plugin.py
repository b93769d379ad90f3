"""pytest plugin: the `marketo_mock` fixture (registered through the `pytest11` entry point).

One server per test session. Without pytest-xdist the session starts a server and the
fixture is its default instance. With pytest-xdist the first worker that needs the mock
starts one server for the whole run and writes its address under the run's shared temporary
directory (behind a file lock); the other workers attach to it. Each worker works in an
instance of its own, `pytest-<worker id>` (made through `/_mock/instances`), so workers never
see each other's records, queues, clocks, faults or journals. The last worker to finish stops
the server (and the controlling process stops it too, should a worker have crashed).

Before each test the fixture resets its instance, unless the test (or its class or module)
is marked `marketo_mock_keep_state`: then it starts from what the previous test on the same
worker left.
"""

import json
import os
from pathlib import Path

import pytest

from ._mock import MarketoMock, MockError, RunningServer, stop_pid

KEEP_STATE = "marketo_mock_keep_state"
_STATE_DIR = "marketo-bulk-mock"


def pytest_addoption(parser):
    group = parser.getgroup("marketo_mock", "marketo-bulk-mock (the marketo_mock fixture)")
    group.addoption(
        "--marketo-mock-arg", action="append", default=[], dest="marketo_mock_args", metavar="ARG",
        help="a start-up argument for the mock server, repeated for each: "
             "--marketo-mock-arg=--clock --marketo-mock-arg=frozen",
    )
    group.addoption(
        "--marketo-mock-binary", default=None, dest="marketo_mock_binary", metavar="PATH",
        help="the server binary (default: $MARKETO_MOCK_BINARY, the installed wheel's, then PATH)",
    )
    group.addoption(
        "--marketo-mock-url", default=None, dest="marketo_mock_url", metavar="URL",
        help="use a server that is already running (e.g. in Docker) instead of starting one; "
             "every worker (or the whole session) gets an instance of its own on it "
             "(default: $MARKETO_MOCK_URL)",
    )
    parser.addini("marketo_mock_args", type="args", default=[],
                  help="start-up arguments for the mock server (before --marketo-mock-arg ones)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        f"{KEEP_STATE}: the marketo_mock fixture does not reset the mock before this test; it "
        "starts from the state the previous test on the same worker left",
    )


def _worker_id(config):
    workerinput = getattr(config, "workerinput", None)
    return workerinput.get("workerid") if workerinput else None


def _server_args(config):
    return [*config.getini("marketo_mock_args"), *config.getoption("marketo_mock_args")]


def _arg_value(args, name):
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _worker_instance(server, name, args):
    """This worker's instance, made fresh (or reset, should one of the name exist)."""
    client_id = f"pytest-{name}"
    seed = _arg_value(args, "--seed")
    try:
        return server.create_instance(client_id, seed=os.path.abspath(seed) if seed else None)
    except MockError as error:
        if error.status != 409:
            raise
        instance = server.instance(client_id)
        instance.reset()
        return instance


class _FileLock:
    """An exclusive lock on a file, shared by the workers of one run (standard library only)."""

    def __init__(self, path):
        self.path = path
        self.file = None

    def __enter__(self):
        self.file = open(self.path, "a+b")
        if os.name == "nt":  # pragma: no cover
            import msvcrt
            import time

            while True:
                try:
                    self.file.seek(0)
                    msvcrt.locking(self.file.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
        else:
            import fcntl

            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if os.name == "nt":  # pragma: no cover
            import msvcrt

            self.file.seek(0)
            msvcrt.locking(self.file.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
        self.file.close()


class _SharedServer:
    """One server for every xdist worker of a run: `server.json` names it, `users/` holds one
    file per worker using it; both change only under `lock`."""

    def __init__(self, directory, worker):
        self.directory = Path(directory)
        self.worker = worker
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "users").mkdir(exist_ok=True)
        self.lock = self.directory / "lock"
        self.state = self.directory / "server.json"
        self.mock = None

    def acquire(self, args, binary):
        with _FileLock(self.lock):
            server = self._running()
            if server is None:
                self.mock = MarketoMock(args, binary=binary, log_path=self.directory / "server.log")
                self.state.write_text(json.dumps({
                    "baseUrl": self.mock.base_url,
                    "pid": self.mock.pid,
                    "clientId": self.mock.client_id,
                    "clientSecret": self.mock.client_secret,
                    "adminToken": self.mock.admin_token,
                    "startedBy": self.worker,
                }))
                server = self.mock
            (self.directory / "users" / self.worker).write_text(str(os.getpid()))
            return server

    def _running(self):
        try:
            state = json.loads(self.state.read_text())
        except (OSError, ValueError):
            return None
        server = RunningServer(state["baseUrl"], state["clientId"], state["clientSecret"],
                               admin_token=state.get("adminToken"))
        try:
            server.health()
        except (OSError, MockError):
            return None
        return server

    def release(self):
        with _FileLock(self.lock):
            try:
                (self.directory / "users" / self.worker).unlink()
            except FileNotFoundError:
                pass
            if any((self.directory / "users").iterdir()):
                if self.mock is not None:
                    self.mock.detach()  # another worker still uses it; the last one stops it
                return
            if self.mock is not None:
                self.mock.close()
            else:
                stop_shared_server(self.directory)
            try:
                self.state.unlink()
            except FileNotFoundError:
                pass


def stop_shared_server(directory):
    """Stop the server a run's state directory names, if it still runs."""
    try:
        state = json.loads((Path(directory) / "server.json").read_text())
    except (OSError, ValueError):
        return
    stop_pid(int(state["pid"]))


@pytest.fixture(scope="session")
def marketo_mock_server(request, tmp_path_factory):
    """The mock server of this session: a `MarketoMock` this process started, or a
    `RunningServer` (shared with the other xdist workers, or given by --marketo-mock-url)."""
    config = request.config
    args = _server_args(config)
    binary = config.getoption("marketo_mock_binary")
    url = config.getoption("marketo_mock_url") or os.environ.get("MARKETO_MOCK_URL")
    worker = _worker_id(config)
    if url:
        yield RunningServer(url, admin_token=os.environ.get("MARKETO_MOCK_ADMIN_TOKEN"))
    elif worker is None:
        mock = MarketoMock(args, binary=binary)
        try:
            yield mock
        finally:
            mock.close()
    else:
        shared = _SharedServer(tmp_path_factory.getbasetemp().parent / _STATE_DIR, worker)
        server = shared.acquire(args, binary)
        try:
            yield server
        finally:
            shared.release()


@pytest.fixture(scope="session")
def marketo_mock_session(request, marketo_mock_server):
    """This worker's instance for the whole session, never reset by itself: the server's
    default instance when the session has the server to itself, else `pytest-<worker id>`."""
    config = request.config
    worker = _worker_id(config)
    url = config.getoption("marketo_mock_url") or os.environ.get("MARKETO_MOCK_URL")
    if worker is None and not url:
        yield marketo_mock_server
        return
    instance = _worker_instance(marketo_mock_server, worker or "main", _server_args(config))
    try:
        yield instance
    finally:
        try:
            instance.remove()
        except (OSError, MockError):
            pass


@pytest.fixture
def marketo_mock(request, marketo_mock_session):
    """A Marketo instance for this test: `base_url`, `identity_url`, `client_id`,
    `client_secret` and the control calls (`advance_clock`, `wait_for_job`, `seed`, ...).
    Reset before the test unless it is marked `marketo_mock_keep_state`."""
    if request.node.get_closest_marker(KEEP_STATE) is None:
        marketo_mock_session.reset()
    return marketo_mock_session


def pytest_unconfigure(config):
    # The controlling process of an xdist run stops a shared server a crashed worker left.
    if _worker_id(config) is not None or not getattr(config.option, "numprocesses", None):
        return
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return
    try:
        directory = factory.getbasetemp() / _STATE_DIR
    except (OSError, ValueError):
        return
    if (directory / "server.json").exists():
        stop_shared_server(directory)
