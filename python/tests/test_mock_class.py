"""The MarketoMock class: start, stop, start-up flags, and each control call."""

import json
import os
import socket
import sysconfig
import urllib.error
import urllib.request

import pytest

from conftest import emails
from marketo_bulk_mock import MarketoMock, MockError, MockInstance, MockStartError, MockTimeout, find_binary


def refuses_connections(url):
    try:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url + "/_mock/health", timeout=2)
    except urllib.error.URLError as error:
        return isinstance(error.reason, ConnectionRefusedError)
    except ConnectionError:
        return True
    return False


@pytest.fixture(scope="module")
def mock():
    with MarketoMock() as started:
        yield started


@pytest.fixture
def fresh(mock):
    mock.reset()
    return mock


def test_the_installed_package_finds_the_binary_its_wheel_carries():
    if os.environ.get("MARKETO_MOCK_BINARY"):
        pytest.skip("MARKETO_MOCK_BINARY overrides the bundled binary")
    binary = find_binary()
    assert os.path.dirname(binary) == sysconfig.get_path("scripts")
    assert os.access(binary, os.X_OK)


def test_a_mock_starts_on_a_free_port_answers_and_stops_on_close():
    mock = MarketoMock()
    try:
        assert mock.running
        assert mock.base_url == f"http://127.0.0.1:{mock.port}"
        assert mock.port not in (0, 8080)
        assert mock.health() == {"status": "ok"}
        assert mock.ready()["status"] == "ready"
        assert (mock.client_id, mock.client_secret) == ("mock-client-id", "mock-client-secret")
        assert mock.identity_url == mock.base_url + "/identity"
        assert "listening on" in mock.log()
    finally:
        mock.close()
    assert not mock.running
    assert mock.process.returncode == 0  # stopped gracefully, by SIGTERM
    assert refuses_connections(mock.base_url)
    assert not os.path.exists(mock.log_path)
    mock.close()  # twice is harmless


def test_two_mocks_run_side_by_side_without_sharing_anything():
    with MarketoMock() as first, MarketoMock() as second:
        assert first.port != second.port
        first.seed(leads=[{"email": "only-in-first@example.com"}])
        assert emails(first) == ["only-in-first@example.com"]
        assert emails(second) == []


def test_start_up_keywords_and_args_reach_the_server(tmp_path):
    with MarketoMock(
        clock="frozen",
        client_id="my-id",
        client_secret="my-secret",
        queue_delay_ms=5000,
        args=["--rows-per-second", "7", "--journal-size", "3"],
    ) as mock:
        assert mock.clock()["mode"] == "frozen"
        assert mock.timing() == {"queueDelayMs": 5000, "rowsPerSecond": 7}
        assert (mock.client_id, mock.client_secret) == ("my-id", "my-secret")
        assert mock.access_token()  # the identity endpoint accepts the handle's credentials


def test_a_seed_file_given_at_start_up_is_loaded(tmp_path):
    with MarketoMock() as source:
        source.seed(leads=[{"email": "seeded@example.com", "firstName": "Seed"}])
        state = source.export()
    seed = tmp_path / "state.json"
    seed.write_text(json.dumps(state))
    with MarketoMock(seed=seed) as mock:
        assert emails(mock) == ["seeded@example.com"]
        mock.seed(leads=[{"email": "later@example.com"}])
        mock.reset()  # the seed comes back, the rest goes
        assert emails(mock) == ["seeded@example.com"]


def test_a_server_that_cannot_start_raises_with_the_end_of_its_log(tmp_path):
    missing = tmp_path / "missing.json"
    with pytest.raises(MockStartError) as failed:
        MarketoMock(seed=missing)
    assert "missing.json" in str(failed.value)


def test_a_port_in_use_is_reported_not_raced():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(MockStartError) as failed:
            MarketoMock(port=port)
        assert "cannot listen" in str(failed.value)


def test_a_binary_override_that_is_not_there_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKETO_MOCK_BINARY", str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError) as missing:
        MarketoMock()
    assert "MARKETO_MOCK_BINARY" in str(missing.value)


def test_the_clock_freezes_advances_and_runs_again(fresh):
    frozen = fresh.freeze_clock()
    assert frozen["mode"] == "frozen"
    assert fresh.clock()["now"] == frozen["now"]
    moved = fresh.advance_clock(3600)
    assert moved["now"] > frozen["now"]
    assert fresh.advance_clock(milliseconds=1500)["now"] > moved["now"]
    assert fresh.unfreeze_clock()["mode"] == "real"
    with pytest.raises(ValueError):
        fresh.advance_clock()


def test_timing_takes_values_and_presets(fresh):
    assert fresh.set_timing(queue_delay_ms=2500) == {"queueDelayMs": 2500, "rowsPerSecond": 0}
    assert fresh.set_timing(rows_per_second=10) == {"queueDelayMs": 2500, "rowsPerSecond": 10}
    assert fresh.set_timing(preset="marketo") == {"queueDelayMs": 90000, "rowsPerSecond": 250}
    fresh.reset()
    assert fresh.timing() == {"queueDelayMs": 0, "rowsPerSecond": 0}


def test_fault_rules_are_added_listed_removed_and_cleared(fresh):
    first = fresh.add_fault({"path": "/rest/v1/leads.json", "code": "606"})
    second = fresh.add_fault(path="/identity/*", latencyMs=10)
    assert [fault["id"] for fault in fresh.faults()] == [first["id"], second["id"]]
    fresh.remove_fault(first["id"])
    assert [fault["id"] for fault in fresh.faults()] == [second["id"]]
    fresh.clear_faults()
    assert fresh.faults() == []


def test_a_refused_control_call_raises_an_error_naming_the_reason(fresh):
    with pytest.raises(MockError) as missing:
        fresh.remove_fault(999)
    assert missing.value.status == 404
    assert "no fault 999" in str(missing.value)
    assert "/_mock/faults/999" in str(missing.value)
    with pytest.raises(MockError) as bad:
        fresh.set_timing(preset="glacial")
    assert bad.value.status == 400
    assert "unknown preset 'glacial'" in bad.value.error


def test_an_identity_refusal_names_marketos_error(fresh):
    wrong = MockInstance(fresh.base_url, "mock-client-id", "wrong-secret")
    with pytest.raises(MockError) as refused:
        wrong.access_token()
    assert refused.value.status == 401


def test_waiting_past_the_timeout_raises_with_the_job_as_it_was(fresh, marketo_client, leads_csv):
    fresh.freeze_clock()
    fresh.set_timing(queue_delay_ms=10_000)
    batch = marketo_client(fresh).import_lead(format="csv", file=str(leads_csv), lookupField="email")[0]["batchId"]
    with pytest.raises(MockTimeout) as late:
        fresh.wait_for_job(batch, "Complete", timeout=0.2)
    assert late.value.status == 408
    assert late.value.job["status"] == "Queued"
    assert "timed out; the job is Queued" in str(late.value)
    fresh.advance_clock(10)
    assert fresh.wait_for_job(batch)["status"] == "Complete"
    assert [job["batchId"] for job in fresh.jobs()] == [batch]


def test_seed_export_journal_and_reset_work_together(fresh, marketo_client):
    report = fresh.seed(leads=[{"email": "ann@example.com", "leadScore": 12}])
    assert report
    assert emails(fresh) == ["ann@example.com"]
    marketo_client(fresh).get_multiple_leads_by_filter_type("email", ["ann@example.com"])
    assert any(call["path"] == "/rest/v1/leads.json" for call in fresh.journal())
    fresh.clear_journal()
    assert fresh.journal() == []
    fresh.reset()
    assert emails(fresh) == []


def test_an_instance_handle_is_scoped_to_its_own_client_id(fresh, marketo_client):
    instance = fresh.create_instance("team-a")
    try:
        assert instance.client_secret == "team-a-secret"
        assert instance.control_url == fresh.base_url + "/_mock/instances/team-a"
        instance.seed(leads=[{"email": "a@example.com"}])
        instance.freeze_clock()
        instance.add_fault(path="/bulk/*", code="1029")

        assert emails(instance) == ["a@example.com"]
        assert emails(fresh) == []
        assert instance.clock()["mode"] == "frozen"
        assert fresh.clock()["mode"] == "real"
        assert len(instance.faults()) == 1
        assert fresh.faults() == []
        found = marketo_client(instance).get_multiple_leads_by_filter_type("email", ["a@example.com"])
        assert [lead["email"] for lead in found] == ["a@example.com"]
        assert marketo_client(fresh).get_multiple_leads_by_filter_type("email", ["a@example.com"]) == []
        assert "team-a" in [one["clientId"] for one in fresh.instances()["instances"]]
        with pytest.raises(MockError) as taken:
            fresh.create_instance("team-a")
        assert taken.value.status == 409
    finally:
        instance.remove()
    assert "team-a" not in [one["clientId"] for one in fresh.instances()["instances"]]


def test_an_admin_token_is_sent_with_every_control_call():
    with MarketoMock(admin_token="s3cret") as mock:
        mock.seed(leads=[{"email": "guarded@example.com"}])
        assert emails(mock) == ["guarded@example.com"]
        instance = mock.create_instance("guarded")
        assert instance.admin_token == "s3cret"
        assert instance.clock()["mode"] == "real"
        stranger = MockInstance(mock.base_url, "guarded", "guarded-secret")
        with pytest.raises(MockError) as refused:
            stranger.clock()
        assert refused.value.status == 401
        assert "admin token" in str(refused.value)
