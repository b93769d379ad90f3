"""Finding the `marketo-bulk-mock` server binary that the wheel installs."""

import os
import shutil
import sys
import sysconfig

BINARY_NAME = "marketo-bulk-mock"
ENV_BINARY = "MARKETO_MOCK_BINARY"


def _exe(name):
    return name + ".exe" if sys.platform == "win32" else name


def _candidates():
    """Where pip puts a wheel's scripts: this interpreter's scheme, then the user scheme."""
    seen = []
    schemes = [None]
    user_scheme = sysconfig.get_preferred_scheme("user") if hasattr(sysconfig, "get_preferred_scheme") else (
        "nt_user" if os.name == "nt" else "posix_user"
    )
    schemes.append(user_scheme)
    for scheme in schemes:
        try:
            scripts = sysconfig.get_path("scripts") if scheme is None else sysconfig.get_path("scripts", scheme)
        except KeyError:
            continue
        if scripts and scripts not in seen:
            seen.append(scripts)
    # A venv's interpreter sits beside its scripts even when sysconfig says otherwise.
    beside = os.path.dirname(sys.executable)
    if beside and beside not in seen:
        seen.append(beside)
    return [os.path.join(directory, _exe(BINARY_NAME)) for directory in seen]


def find_binary():
    """The server binary: `$MARKETO_MOCK_BINARY`, else the one installed with this package
    (the interpreter's scripts directory), else `marketo-bulk-mock` on PATH.

    Raises FileNotFoundError naming every place it looked.
    """
    override = os.environ.get(ENV_BINARY)
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return os.path.abspath(override)
        raise FileNotFoundError(f"${ENV_BINARY} names {override!r}, which is not an executable file")
    looked = _candidates()
    for path in looked:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    on_path = shutil.which(BINARY_NAME)
    if on_path:
        return on_path
    raise FileNotFoundError(
        f"cannot find the {BINARY_NAME} binary: looked in {', '.join(looked)} and on PATH; "
        f"install the marketo-bulk-mock wheel, or set ${ENV_BINARY} to a built server "
        f"(e.g. target/release/{BINARY_NAME})"
    )
