"""marketorestpython against the marketo_mock fixture: the README's example, and more."""

import pytest

from conftest import emails


def test_a_csv_bulk_import_through_marketorestpython_is_read_back(marketo_mock, marketo_client, leads_csv):
    client = marketo_client(marketo_mock)

    created = client.import_lead(format="csv", file=str(leads_csv), lookupField="email")
    batch = created[0]["batchId"]

    job = marketo_mock.wait_for_job(batch, "Complete", timeout=30)
    assert job["status"] == "Complete"
    assert (job["numOfRowsProcessed"], job["numOfRowsFailed"]) == (3, 1)

    status = client.get_import_lead_status(batch)[0]
    assert status["numOfLeadsProcessed"] == 3
    assert "Value for lookup field 'email' not found" in client.get_import_failure_file(batch)

    leads = client.get_multiple_leads_by_filter_type(
        "email", ["ana.lima@example.com", "chloe.martin@example.com"], fields=["email", "leadScore", "company"]
    )
    assert {lead["email"]: lead["leadScore"] for lead in leads} == {
        "ana.lima@example.com": 42,
        "chloe.martin@example.com": 58,
    }
    # The same, through the control plane.
    assert emails(marketo_mock) == ["ana.lima@example.com", "ben.okafor@example.com", "chloe.martin@example.com"]
    calls = [(call["method"], call["path"]) for call in marketo_mock.journal()]
    assert ("POST", "/bulk/v1/leads.json") in calls


def test_a_queued_import_waits_for_the_frozen_clock_to_move(marketo_mock, marketo_client, leads_csv):
    marketo_mock.freeze_clock()
    marketo_mock.set_timing(queue_delay_ms=60_000)
    client = marketo_client(marketo_mock)

    batch = client.import_lead(format="csv", file=str(leads_csv), lookupField="email")[0]["batchId"]

    assert marketo_mock.job(batch)["status"] == "Queued"
    with pytest.raises(TimeoutError):
        marketo_mock.wait_for_job(batch, "Importing", timeout=0.3)
    marketo_mock.advance_clock(60)
    assert marketo_mock.wait_for_job(batch, timeout=30)["status"] == "Complete"
    assert client.get_import_lead_status(batch)[0]["status"] == "Complete"


def test_a_fault_rule_reaches_marketorestpython_as_a_marketo_error(marketo_mock, marketo_client):
    marketo_mock.seed(leads=[{"email": "ann@example.com", "firstName": "Ann"}])
    client = marketo_client(marketo_mock)
    rule = marketo_mock.add_fault(path="/rest/v1/leads.json", code="1003", times=1)

    with pytest.raises(Exception) as refused:
        client.get_multiple_leads_by_filter_type("email", ["ann@example.com"], fields=["email"])
    assert "1003" in str(refused.value)

    assert rule["id"] not in [fault["id"] for fault in marketo_mock.faults()]  # its one time is used
    found = client.get_multiple_leads_by_filter_type("email", ["ann@example.com"], fields=["email", "firstName"])
    assert [lead["firstName"] for lead in found] == ["Ann"]
    reads = [call.get("code") for call in marketo_mock.journal() if call["path"] == "/rest/v1/leads.json"]
    assert reads == ["1003", None]
