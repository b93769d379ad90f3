"""Schemathesis hooks: let part of the generated requests name records that exist.

Left to itself, schemathesis draws ids that name nothing and upload files the mock cannot read,
so the check would see little but not-found answers. In about half of the generated requests
these hooks put in ids that exist (the records `prepare.py` made, named in `$OPENAPI_RECORDS`)
and, for the operations below, query values and upload files the mock accepts. Everything else
stays as schemathesis generates it, valid and invalid alike.
"""

import json
import os
from pathlib import Path

import schemathesis
from hypothesis import strategies as st

RECORDS = json.loads(Path(os.environ["OPENAPI_RECORDS"]).read_text())
SAMPLES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "samples"

# Query values that make a request one the mock can serve, by the document's path.
QUERIES = {
    "/bulk/v1/leads.json": {"format": "csv", "lookupField": "email"},
    "/bulk/v1/customobjects/{apiName}/import.json": {"format": "csv"},
    "/bulk/v1/program/{programId}/members/import.json": {"format": "CSV", "programMemberStatus": "On List"},
    "/rest/v1/leads.json": {"filterType": "email", "filterValues": ["ana.lima@example.com"]},
    "/rest/v1/programs/{programId}/members.json": {"filterType": "leadId", "filterValues": ["1", "2"]},
    "/rest/v1/customobjects/{customObjectName}.json": {"filterType": "vin", "filterValues": ["WBA4R7C55HK895912"]},
}
UPLOADS = {
    "/bulk/v1/leads.json": "leads-mixed.csv",
    "/bulk/v1/customobjects/{apiName}/import.json": "cars.csv",
    "/bulk/v1/program/{programId}/members/import.json": "program-members.csv",
}


def sometimes(generated, known):
    """The generated value as it is, or with the known values put in."""
    if not isinstance(generated, dict) or known is None:
        return st.just(generated)
    return st.one_of(st.just(generated), known.map(lambda values: {**generated, **values}))


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    names = [name for name in path_parameters or {} if name in RECORDS]
    known = st.fixed_dictionaries({name: st.sampled_from(RECORDS[name]) for name in names})
    return sometimes(path_parameters, known if names else None)


@schemathesis.hook
def flatmap_query(context, query):
    values = QUERIES.get(context.operation.path)
    return sometimes(query, st.just(values) if values else None)


@schemathesis.hook
def flatmap_body(context, body):
    sample = UPLOADS.get(context.operation.path)
    return sometimes(body, st.just({"file": (SAMPLES / sample).read_bytes()}) if sample else None)
