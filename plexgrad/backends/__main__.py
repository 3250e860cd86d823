"""``python -m plexgrad.backends``: list every backend, its status and its op coverage.

Coverage counts the core's declared ops three ways: run by the backend's own kernel
(native), run by the op's decomposition into ops the backend does run (decomposed),
and missing.

    python -m plexgrad.backends            # aligned table; loads available backends
    python -m plexgrad.backends --no-load  # declared coverage only, imports nothing heavy
    python -m plexgrad.backends --json     # the same facts as JSON
    python -m plexgrad.backends --ops      # every core op's declared contract (markdown table)
    python -m plexgrad.backends --contract # the backend contract: required/optional kernels, hooks

The exit status is 1 when a plugin failed (to import, to declare, to load) or a backend is
incompatible (wrong API version, kernels that do not fit the declared ops), else 0.
"""

__all__ = ["main", "format_table", "rows_with_coverage", "op_contracts"]

import argparse
import json
import sys
import textwrap

from . import registry
from .hookspec import API_VERSION

COLUMNS = ("BACKEND", "DISTRIBUTION", "DEVICES", "STATUS", "OPS", "REASON")


def rows_with_coverage(rows):
    """The registry's rows with the core's view of each: ``implemented`` (native op count),
    ``decomposed`` (op names run by decomposition), ``missing``, ``extra`` (kernels no op declares)
    and ``total``; ``None`` where the backend's kernels are unknown."""
    import plexgrad  # noqa: F401  (declares every op)
    from ..core.dispatch import OPS, coverage
    total = len(OPS)
    for row in rows:
        ops = row.pop("ops")
        if ops is None:
            row.update(implemented=None, decomposed=None, missing=None, extra=None, total=total)
            continue
        native, decomposed, missing = coverage(ops)
        unknown = sorted(set(ops) - set(OPS))
        if unknown and row["status"] in ("active", "available"):
            reason = f"it declares ops no op is declared as: {unknown}"
            for device_type in row["device_types"]:
                registry.reject(device_type, reason)
            row.update(status="incompatible", reason=reason)
        row.update(implemented=len(native), decomposed=decomposed, missing=missing,
                   extra=sorted(set(ops) - set(OPS)), total=total)
    return rows


def _cells(row):
    if row["implemented"] is None:
        coverage = "?"
    else:
        decomposed = len(row.get("decomposed") or ())
        coverage = f"{row['implemented']}/{row['total']} native, {decomposed} decomposed"
    return (row["name"], f"{row['distribution']} {row['version']}", ",".join(row["device_types"]) or "-",
            row["status"], coverage, row["reason"])


def format_table(rows):
    """The listing as text: one aligned line per backend, then the core ops each one lacks."""
    table = [COLUMNS] + [_cells(row) for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]
    for row in rows:
        if row["missing"]:
            text = f"{row['name']} lacks {len(row['missing'])} core ops: " + ", ".join(row["missing"])
            lines.append("")
            lines.extend(textwrap.wrap(text, width=100, subsequent_indent="    "))
    return "\n".join(lines)


def op_contracts():
    """Every declared op's contract as a markdown table, generated from the declarations: kernel
    signature, dtype rule, derivative (graph node name) and decomposition (the ops it uses)."""
    import plexgrad  # noqa: F401  (declares every op)
    from ..core.dispatch import OPS, signature_text
    lines = ["| op | kernel signature | dtype rule | derivative | decomposition |", "| --- | --- | --- | --- | --- |"]
    for name in sorted(OPS):
        op = OPS[name]
        derivative = op.rule.node_name if op.rule is not None else "-"
        decomposition = "into " + ", ".join(op.uses) if op.decomposition is not None else "- (primitive)"
        lines.append(f"| `{name}` | `{name}({signature_text(op)})` | {op.dtype_rule.name} | {derivative} | "
                     f"{decomposition} |")
    return "\n".join(lines)


def _header():
    from .. import __version__
    autoload = "off (PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD is set)" if registry.autoload_disabled() else "on"
    return (f"plexgrad {__version__}, plugin API version {API_VERSION}; "
            f"entry-point group '{registry.ENTRY_POINT_GROUP}', autoload {autoload}")


def main(argv=None):
    """Print the backend listing; returns the exit status: 1 when a backend failed or is incompatible."""
    parser = argparse.ArgumentParser(prog="python -m plexgrad.backends",
                                     description="List plexgrad backends, their status and op coverage.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-load", action="store_true",
                        help="do not load available backends (status stays 'available', coverage is declared)")
    parser.add_argument("--contract", action="store_true",
                        help="print the backend contract (required and optional kernels with their signatures, "
                             "backend functions, error translation) as markdown")
    parser.add_argument("--ops", action="store_true",
                        help="print every core op's declared contract (signature, dtype rule, derivative, "
                             "decomposition) instead of the backends")
    arguments = parser.parse_args(argv)
    if arguments.ops:
        print(op_contracts())
        return 0
    if arguments.contract:
        from .contract import contract_markdown
        print(contract_markdown())
        return 0
    if not arguments.no_load:
        _load_through_dispatch()
    rows = rows_with_coverage(registry.describe(load=not arguments.no_load))
    if arguments.json:
        print(json.dumps(rows, indent=2))
    else:
        print(_header())
        print()
        print(format_table(rows))
    broken = [row["name"] for row in rows if row["status"] in ("failed", "incompatible")]
    if broken:
        print(f"\n{len(broken)} backend(s) failed or are incompatible: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


def _load_through_dispatch():
    """Load every usable backend the way a first use does, so its kernels are checked against the
    declared ops (a mismatch marks it ``incompatible``; the listing then shows why)."""
    from ..core import dispatch
    for record in registry.records():
        if record.usable:
            for device_type in record.device_types:
                try:
                    dispatch.backend_for_type(device_type)
                except Exception:  # noqa: BLE001  (the record now says what went wrong)
                    pass


if __name__ == "__main__":
    sys.exit(main())
