"""tap.py - run the Python suite with pytest and report it in TAP, one
test point per pytest test, so that `make check` and tools/tally-tests
count each (the TAP driver reads stdout; pytest's own report follows
as TAP comments).  Usage: tap.py DIR [pytest args]."""
import contextlib
import io
import sys

import pytest


class Tap:
    def __init__(self):
        self.points = []

    def pytest_runtest_logreport(self, report):
        # One point per test: its call, or the phase that kept it from
        # running (a skip or a failed setup), or a failed teardown.
        if report.when == "call" or (report.when == "setup"
                                     and not report.passed) or \
                (report.when == "teardown" and report.failed):
            self.points.append(report)


def main():
    tap = Tap()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = pytest.main(["-q", "-p", "no:cacheprovider", "-rfEs"]
                         + sys.argv[1:], plugins=[tap])
    print(f"1..{len(tap.points)}")
    for i, r in enumerate(tap.points, 1):
        name = r.nodeid.replace("#", "")
        if r.skipped:
            why = r.longrepr[2] if isinstance(r.longrepr, tuple) else ""
            print(f"ok {i} - {name} # SKIP {why}")
        elif r.passed:
            print(f"ok {i} - {name}")
        else:
            print(f"not ok {i} - {name} ({r.when})")
    for line in out.getvalue().splitlines():
        print(f"# {line}")
    if not tap.points and rc != 0:
        print("Bail out! pytest collected nothing (exit %d)" % rc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
