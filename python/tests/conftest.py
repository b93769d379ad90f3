"""Shared helpers for the package's own tests. The plugin under test (marketo_mock fixture)
comes from the installed wheel through its pytest11 entry point, not from this directory."""

import pytest

pytest_plugins = ["pytester"]


def emails(handle):
    """The emails of every lead the instance holds, sorted."""
    return sorted(lead["email"] for lead in handle.export()["leads"])


@pytest.fixture
def marketo_client():
    """A marketorestpython client pointed at a mock instance (any handle)."""
    from marketorestpython.client import MarketoClient

    def make(handle):
        client = MarketoClient(handle.munchkin_id, handle.client_id, handle.client_secret)
        client.host = handle.base_url  # instead of https://<munchkin id>.mktorest.com
        return client

    return make


@pytest.fixture
def leads_csv(tmp_path):
    """A lead file of three good rows and one without an email."""
    path = tmp_path / "leads.csv"
    path.write_text(
        "email,firstName,lastName,company,leadScore\n"
        "ana.lima@example.com,Ana,Lima,Acme,42\n"
        "ben.okafor@example.com,Ben,Okafor,Evergreen,17\n"
        "chloe.martin@example.com,Chloe,Martin,Foxglove,58\n"
        ",Dan,Nobody,Nowhere,1\n"
    )
    return path
