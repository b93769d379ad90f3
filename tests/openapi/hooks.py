"""Schemathesis hooks: let part of the generated requests name records that exist.

Left to itself, schemathesis draws ids that name nothing and upload files the mock cannot read,
so the check would see little but not-found answers. In about half of the generated requests
these hooks put in what `prepare.py` wrote to `$OPENAPI_RECORDS`: ids of records that exist
and, for some operations, query values and upload files the mock accepts. Everything else stays
as schemathesis generates it, valid and invalid alike.
"""

import json
import os
from pathlib import Path

import schemathesis
from hypothesis import strategies as st

RECORDS = json.loads(Path(os.environ["OPENAPI_RECORDS"]).read_text())
SAMPLES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "samples"


def sometimes(generated, known):
    """The generated value as it is, or with the known values put in."""
    if not isinstance(generated, dict) or known is None:
        return st.just(generated)
    return st.one_of(st.just(generated), known.map(lambda values: {**generated, **values}))


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    ids = RECORDS["path"]
    names = [name for name in path_parameters or {} if name in ids]
    known = st.fixed_dictionaries({name: st.sampled_from(ids[name]) for name in names})
    return sometimes(path_parameters, known if names else None)


@schemathesis.hook
def flatmap_query(context, query):
    values = RECORDS["query"].get(context.operation.path)
    return sometimes(query, st.just(values) if values else None)


@schemathesis.hook
def flatmap_body(context, body):
    sample = RECORDS["upload"].get(context.operation.path)
    return sometimes(body, st.just({"file": (SAMPLES / sample).read_bytes()}) if sample else None)
