"""The complete test python/README.md shows runs, as it is written there."""

import os
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readmes_marketorestpython_example_passes_alone_and_under_xdist(pytester, monkeypatch):
    for key in list(os.environ):
        if key.startswith("PYTEST_XDIST"):
            monkeypatch.delenv(key)
    blocks = re.findall(r"```python\n(# test_leads\.py\n.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1, "the README's example test is missing"
    pytester.makepyfile(test_leads=blocks[0])

    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider").assert_outcomes(passed=1)
