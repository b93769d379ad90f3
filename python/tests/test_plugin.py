"""The pytest plugin: the marketo_mock fixture in this run, and in inner pytest runs (with and
without xdist) for what one run cannot show about itself."""

import json
import os
import urllib.error
import urllib.request

import pytest

from conftest import emails


@pytest.fixture
def inner_env(monkeypatch):
    """An inner pytest run that knows nothing of this run's xdist worker."""
    for key in list(os.environ):
        if key.startswith("PYTEST_XDIST") or key in ("PYTEST_ADDOPTS", "MARKETO_MOCK_URL"):
            monkeypatch.delenv(key)


def refuses_connections(url):
    try:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url + "/_mock/health", timeout=2)
    except urllib.error.URLError as error:
        return isinstance(error.reason, ConnectionRefusedError)
    except ConnectionError:
        return True
    return False


def test_each_xdist_worker_of_this_run_works_in_an_instance_named_after_it(marketo_mock, marketo_mock_server, worker_id):
    if worker_id == "master":
        assert marketo_mock is marketo_mock_server
        assert marketo_mock.client_id == marketo_mock_server.instances()["defaultClientId"]
    else:
        assert marketo_mock.client_id == f"pytest-{worker_id}"
        assert marketo_mock.control_url.endswith(f"/_mock/instances/pytest-{worker_id}")
        assert marketo_mock.client_id in [one["clientId"] for one in marketo_mock_server.instances()["instances"]]
    assert marketo_mock.access_token()


def test_the_fixture_starts_every_test_from_a_fresh_instance(marketo_mock):
    assert emails(marketo_mock) == []
    assert marketo_mock.jobs() == []
    assert marketo_mock.faults() == []
    assert marketo_mock.clock()["mode"] == "real"
    # Leave state behind: the next test on this worker must not see it.
    marketo_mock.seed(leads=[{"email": "left-behind@example.com"}])
    marketo_mock.freeze_clock()
    marketo_mock.add_fault(path="/rest/*", code="606")


def test_the_keep_state_marker_is_registered(pytester, inner_env):
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.marketo_mock_keep_state:*"])


KEEP_STATE_TESTS = '''
import pytest


def emails(mock):
    return sorted(lead["email"] for lead in mock.export()["leads"])


def test_1_seeds_a_lead_and_freezes_the_clock(marketo_mock):
    marketo_mock.seed(leads=[{"email": "kept@example.com"}])
    marketo_mock.freeze_clock()
    assert emails(marketo_mock) == ["kept@example.com"]


@pytest.mark.marketo_mock_keep_state
def test_2_marked_keep_state_sees_what_test_1_left(marketo_mock):
    assert emails(marketo_mock) == ["kept@example.com"]
    assert marketo_mock.clock()["mode"] == "frozen"


def test_3_unmarked_starts_fresh(marketo_mock):
    assert emails(marketo_mock) == []
    assert marketo_mock.clock()["mode"] == "real"


@pytest.mark.marketo_mock_keep_state
class TestMarkedClass:
    def test_4_adds_a_lead(self, marketo_mock):
        marketo_mock.seed(leads=[{"email": "class@example.com"}])

    def test_5_still_sees_it(self, marketo_mock):
        assert emails(marketo_mock) == ["class@example.com"]
'''


def test_a_test_marked_keep_state_sees_the_previous_tests_state_and_others_start_fresh(pytester, inner_env):
    pytester.makepyfile(test_keep=KEEP_STATE_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--strict-markers", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=5)


def test_without_the_marker_the_same_tests_fail_so_the_reset_is_real(pytester, inner_env):
    pytester.makepyfile(test_keep=KEEP_STATE_TESTS.replace("@pytest.mark.marketo_mock_keep_state", ""))
    result = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=2)


XDIST_TESTS = '''
import json
import os
import time
from pathlib import Path

from marketo_bulk_mock import MockInstance

RECORDS = Path(os.environ["MOCK_RECORDS"])


def emails(mock):
    return sorted(lead["email"] for lead in mock.export()["leads"])


def wait_for(name, count):
    deadline = time.monotonic() + 60
    while len(list(RECORDS.glob(name))) < count:
        assert time.monotonic() < deadline, f"the other worker never wrote {name}"
        time.sleep(0.02)


def test_workers_share_one_server_and_never_see_each_others_data(marketo_mock, worker_id):
    email = f"{worker_id}@example.com"
    marketo_mock.seed(leads=[{"email": email}])
    marketo_mock.add_fault(path=f"/rest/{worker_id}/*", code="606")
    if worker_id == "gw0":
        marketo_mock.freeze_clock()
        marketo_mock.advance_clock(86400)
    me = {"worker": worker_id, "pid": os.getpid(), "baseUrl": marketo_mock.base_url,
          "clientId": marketo_mock.client_id, "clientSecret": marketo_mock.client_secret, "email": email}
    (RECORDS / f"{worker_id}.json").write_text(json.dumps(me))
    wait_for("gw*.json", 2)  # both workers hold data now

    [other] = [json.loads(p.read_text()) for p in RECORDS.glob("gw*.json") if p.stem != worker_id]
    neighbour = MockInstance(other["baseUrl"], other["clientId"], other["clientSecret"])
    try:
        assert other["baseUrl"] == marketo_mock.base_url
        assert other["pid"] != os.getpid()
        assert other["clientId"] != marketo_mock.client_id
        assert emails(marketo_mock) == [email]
        assert emails(neighbour) == [other["email"]]
        assert [f["path"] for f in marketo_mock.faults()] == [f"/rest/{worker_id}/*"]
        assert marketo_mock.clock()["mode"] == ("frozen" if worker_id == "gw0" else "real")
        assert neighbour.clock()["mode"] == ("frozen" if other["worker"] == "gw0" else "real")
        (RECORDS / f"checked-{worker_id}").write_text("")
        wait_for("checked-*", 2)
        if worker_id == "gw0":
            marketo_mock.reset()  # a reset reaches this worker's instance only
            assert emails(marketo_mock) == []
            assert emails(neighbour) == [other["email"]]
            (RECORDS / "reset-by-gw0").write_text("")
        else:
            wait_for("reset-by-gw0", 1)
            assert emails(marketo_mock) == [email]
    finally:
        (RECORDS / f"done-{worker_id}").write_text("")
        wait_for("done-*", 2)  # neither instance goes before both workers have looked
'''


def test_xdist_workers_share_one_server_but_never_see_each_others_data(pytester, inner_env, tmp_path, monkeypatch):
    records = tmp_path / "records"
    records.mkdir()
    monkeypatch.setenv("MOCK_RECORDS", str(records))
    pytester.makepyfile(test_workers=XDIST_TESTS)

    result = pytester.runpytest_subprocess("-n", "2", "--dist", "each", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)
    seen = [json.loads((records / f"gw{n}.json").read_text()) for n in (0, 1)]
    assert seen[0]["baseUrl"] == seen[1]["baseUrl"]
    assert {one["clientId"] for one in seen} == {"pytest-gw0", "pytest-gw1"}
    assert refuses_connections(seen[0]["baseUrl"])  # the last worker stopped the shared server


def test_start_up_arguments_from_the_command_line_reach_every_workers_instance(pytester, inner_env, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"leads": [{"email": "from-the-seed@example.com", "firstName": "Seed"}]}))
    pytester.makepyfile(test_args='''
def test_the_clock_starts_frozen_with_the_queue_delay_and_the_seed(marketo_mock):
    assert marketo_mock.clock()["mode"] == "frozen"
    assert marketo_mock.timing()["queueDelayMs"] == 4000
    assert [lead["email"] for lead in marketo_mock.export()["leads"]] == ["from-the-seed@example.com"]
''')
    args = ["--marketo-mock-arg=--clock", "--marketo-mock-arg=frozen", "--marketo-mock-arg=--queue-delay-ms=4000",
            "--marketo-mock-arg=--seed", f"--marketo-mock-arg={seed}"]
    alone = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider", *args)
    alone.assert_outcomes(passed=1)
    workers = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", *args)
    workers.assert_outcomes(passed=1)


URL_TESTS = '''
import os


def test_the_worker_uses_the_given_server(marketo_mock, worker_id):
    assert marketo_mock.base_url == os.environ["EXPECTED_URL"]
    assert marketo_mock.client_id == f"pytest-{worker_id}"
    marketo_mock.seed(leads=[{"email": "url@example.com"}])
'''


def test_a_server_given_by_url_gets_an_instance_per_worker_and_is_left_running(pytester, inner_env, monkeypatch):
    from marketo_bulk_mock import MarketoMock

    pytester.makepyfile(test_url=URL_TESTS)
    with MarketoMock() as server:
        monkeypatch.setenv("EXPECTED_URL", server.base_url)
        result = pytester.runpytest_subprocess(
            "-n", "2", "--dist", "each", "-p", "no:cacheprovider", f"--marketo-mock-url={server.base_url}",
        )
        result.assert_outcomes(passed=2)
        assert server.health() == {"status": "ok"}  # the run did not stop it
        assert [one["clientId"] for one in server.instances()["instances"]] == [server.client_id]
        assert server.export()["leads"] == []  # the default instance was never touched


CRASH_TESTS = '''
import os
from pathlib import Path


def test_the_worker_dies_holding_the_shared_server(marketo_mock):
    Path(os.environ["MOCK_URL_FILE"]).write_text(marketo_mock.base_url)
    os._exit(3)
'''


def test_a_shared_server_is_stopped_even_when_a_worker_crashes(pytester, inner_env, tmp_path, monkeypatch):
    url_file = tmp_path / "url"
    monkeypatch.setenv("MOCK_URL_FILE", str(url_file))
    pytester.makepyfile(test_crash=CRASH_TESTS)

    result = pytester.runpytest_subprocess("-n", "1", "--max-worker-restart=0", "-p", "no:cacheprovider")

    assert result.ret != 0
    assert "crashed" in result.stdout.str()
    assert refuses_connections(url_file.read_text())  # the controlling process stopped it
