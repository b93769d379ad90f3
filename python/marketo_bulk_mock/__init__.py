"""marketo-bulk-mock for Python: the emulator's binary, a handle that starts and drives it,
and a pytest plugin (the `marketo_mock` fixture).

    from marketo_bulk_mock import MarketoMock

    with MarketoMock() as mock:
        mock.seed(leads=[{"email": "ann@example.com"}])
        ...
"""

from ._binary import find_binary
from ._mock import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    MarketoMock,
    MockControls,
    MockError,
    MockInstance,
    MockStartError,
    MockTimeout,
    RunningServer,
    stop_pid,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "MarketoMock",
    "MockControls",
    "MockError",
    "MockInstance",
    "MockStartError",
    "MockTimeout",
    "RunningServer",
    "find_binary",
    "stop_pid",
]
