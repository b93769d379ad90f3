"""Runs tap-marketo (the Singer tap, PyPI `tap-marketo`) against a server other than Marketo.

The tap builds every URL, the token's included, as `https://<munchkin>.mktorest.com/<path>`
(`Client.get_url`), with the munchkin id cut out of the config's `endpoint`; no config key
changes host or scheme. This wrapper swaps the `Client` class that `tap_marketo._main()`
instantiates for a subclass whose `get_url()` prefixes the config key `base_url` instead
(e.g. `http://127.0.0.1:8080`), then hands over to the tap's own `main()`: same command line
(`--config`, `--discover`, `--properties`, `--state`), same output.

`base_url` is required: without it the tap would talk to the real Marketo.
"""

import sys

import tap_marketo
from tap_marketo.client import Client


class LocalClient(Client):
    def __init__(self, *args, base_url=None, **kwargs):
        if not base_url:
            raise SystemExit("tap_marketo_local: the config needs `base_url` (e.g. http://127.0.0.1:8080)")
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/")

    def get_url(self, url):
        return "{}/{}".format(self.base_url, url.lstrip("/"))


# `_main()` looks `Client` up in the package's namespace at call time.
tap_marketo.Client = LocalClient

if __name__ == "__main__":
    sys.exit(tap_marketo.main())
