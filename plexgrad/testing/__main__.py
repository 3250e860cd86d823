"""``python -m plexgrad.testing DEVICE``: run the conformance kit on DEVICE and print a summary.

    python -m plexgrad.testing cpu             # summary; exit status 1 when a case fails
    python -m plexgrad.testing toy --verbose   # every op's line, not only the failing ones
    python -m plexgrad.testing jax --json      # the report as JSON
    python -m plexgrad.testing cpu --kind gradient --kind values

Exit status: 0 when every case passes (declared-missing ops and dtypes the backend does not
hold are reported, not failed), 1 when a case fails, 2 when the device cannot be used.
"""

__all__ = ["main"]

import argparse
import json
import sys

from . import KINDS, DeviceUnusable, run


def main(argv=None):
    """Run the kit; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m plexgrad.testing",
                                     description="Run plexgrad's backend conformance kit on a device.")
    parser.add_argument("device", help="the device to test, e.g. cpu, jax, toy, toy:1")
    parser.add_argument("--kind", action="append", choices=KINDS, help="run only cases of this kind (repeatable)")
    parser.add_argument("--subject", action="append", help="run only cases of this op-table entry or behaviour")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--verbose", action="store_true", help="list every op, not only those that do not pass")
    arguments = parser.parse_args(argv)
    try:
        report = run(arguments.device, kinds=arguments.kind, subjects=arguments.subject)
    except DeviceUnusable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if arguments.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report.format(verbose=arguments.verbose))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
