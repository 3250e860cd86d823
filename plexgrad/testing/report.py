"""The kit's report: one result per case, and from them a status per declared op.

An op's status on the device: ``declared-missing`` when the backend neither implements it
nor can run its decomposition (reported, not failed); ``fail`` when a failing case ran it
and no passing case cleared it (so a broken ``exp`` is blamed, not every op ``softmax``
also ran); ``pass`` when cases ran it and none of the failures is blamed on it;
``not-exercised`` when no case ran it (a gap in the kit, not in the backend).
"""

__all__ = ["CaseResult", "OpStatus", "Report", "CASE_STATUSES", "OP_STATUSES"]

from dataclasses import dataclass, field

CASE_STATUSES = ("pass", "fail", "missing", "unsupported-dtype")
OP_STATUSES = ("pass", "fail", "declared-missing", "not-exercised")


@dataclass
class CaseResult:
    """A case's outcome: ``status`` (in ``CASE_STATUSES``), ``message`` (what differed, or which op
    is missing / which dtype unsupported), ``ops``, the declared ops it ran on the device, and
    ``seconds``, how long it took."""

    id: str
    kind: str
    subject: str
    dtype: str
    status: str
    message: str = ""
    ops: frozenset = frozenset()
    seconds: float = 0.0


@dataclass
class OpStatus:
    """A declared op on the device: ``status`` (in ``OP_STATUSES``), how it runs there
    (``native``, ``decomposed``, ``missing``), how many cases ran it, and the failing cases blamed on it."""

    name: str
    status: str
    runs: str
    cases: int = 0
    failures: list = field(default_factory=list)


@dataclass
class Report:
    """What ``plexgrad.testing.run(device)`` returns: ``ok`` is True when no case failed."""

    device: str
    backend: str
    cases: list
    ops: dict
    dtypes: dict

    @property
    def ok(self):
        return not any(result.status == "fail" for result in self.cases)

    def counts(self):
        """``{case status: count}``."""
        counts = dict.fromkeys(CASE_STATUSES, 0)
        for result in self.cases:
            counts[result.status] += 1
        return counts

    def op_counts(self):
        """``{op status: count}``."""
        counts = dict.fromkeys(OP_STATUSES, 0)
        for status in self.ops.values():
            counts[status.status] += 1
        return counts

    def seconds_by_kind(self):
        """``{case kind: seconds spent}`` (what the kit costs on this backend)."""
        spent = {}
        for result in self.cases:
            spent[result.kind] = spent.get(result.kind, 0.0) + result.seconds
        return spent

    def failures(self):
        """The failing case results."""
        return [result for result in self.cases if result.status == "fail"]

    def as_dict(self):
        """The report as plain data (for ``--json``)."""
        return {
            "device": self.device, "backend": self.backend, "ok": self.ok, "counts": self.counts(),
            "op_counts": self.op_counts(), "dtypes": self.dtypes, "seconds": self.seconds_by_kind(),
            "ops": {name: {"status": op.status, "runs": op.runs, "cases": op.cases, "failures": op.failures}
                    for name, op in sorted(self.ops.items())},
            "failures": [{"id": result.id, "message": result.message, "ops": sorted(result.ops)}
                         for result in self.failures()],
            "missing": [{"id": result.id, "message": result.message} for result in self.cases
                        if result.status == "missing"],
        }

    def format(self, verbose=False):
        """The summary as text: totals, dtype coverage, one line per op, then each failure."""
        counts = self.counts()
        op_counts = self.op_counts()
        lines = [f"plexgrad conformance kit: device {self.device} (backend {self.backend}): "
                 f"{'PASS' if self.ok else 'FAIL'}",
                 f"cases: {counts['pass']} passed, {counts['fail']} failed, {counts['missing']} hit a declared-missing "
                 f"op, {counts['unsupported-dtype']} need a dtype the backend does not hold",
                 f"ops: {op_counts['pass']} pass, {op_counts['fail']} fail, {op_counts['declared-missing']} "
                 f"declared-missing, {op_counts['not-exercised']} not exercised (of {len(self.ops)} declared)"]
        held = [name for name, supported in self.dtypes.items() if supported is True]
        lacking = [name for name, supported in self.dtypes.items() if supported is not True]
        lines.append(f"dtypes: {len(held)} of {len(self.dtypes)} held: {', '.join(held)}"
                     + (f"; not held: {', '.join(lacking)}" if lacking else ""))
        lines.append("")
        width = max((len(name) for name in self.ops), default=10)
        for name in sorted(self.ops):
            op = self.ops[name]
            if verbose or op.status != "pass":
                blamed = f"  ({', '.join(op.failures[:3])}{', ...' if len(op.failures) > 3 else ''})" \
                    if op.failures else ""
                lines.append(f"  {name.ljust(width)}  {op.runs:<10}  {op.status:<16} {op.cases:>4} cases{blamed}")
        if not verbose:
            lines.append(f"  (the other {op_counts['pass']} ops pass; --verbose lists every op)")
        for result in self.failures():
            lines += ["", f"FAIL {result.id}", f"    {result.message}"]
        missing = [result for result in self.cases if result.status == "missing"]
        if missing:
            lines += ["", f"{len(missing)} cases reached an op the backend declares it does not implement "
                          "(reported, not failed), e.g.:"]
            lines += [f"    {result.id}: {result.message}" for result in missing[:5]]
        return "\n".join(lines)
