"""Runs airbyte-source-marketo (PyPI `airbyte-source-marketo`) with a short status poll.

The source takes the server from its config's `domain_url` as is, so nothing is needed to
point it at the mock. But between two polls of a bulk export's status it sleeps
`MarketoExportBase.poll_interval`, a hard-coded 60 s; this wrapper lowers it to
`AIRBYTE_POLL_INTERVAL` seconds (default 0.2) and then runs the source's own entry point:
same command line (`spec`, `check`, `discover`, `read`), same output.
"""

import os

from source_marketo import source
from source_marketo.run import run

source.MarketoExportBase.poll_interval = float(os.environ.get("AIRBYTE_POLL_INTERVAL", "0.2"))

if __name__ == "__main__":
    run()
