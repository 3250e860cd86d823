"""How much of torch's OpInfo database plexgrad covers, and how much of it gives torch's answers.

    python benchmarks/opinfo_coverage.py                  # cpu; --device jax for the jax backend
    python benchmarks/opinfo_coverage.py --failures 40    # also list the worst 40 failures
    python benchmarks/opinfo_coverage.py --json out.json  # every op's outcome

For each OpInfo of ``torch.testing._internal.common_methods_invocations.op_db`` (one per name and
variant) the script looks for a plexgrad counterpart of the same name: ``plexgrad.X``,
``plexgrad.nn.functional.X``, ``plexgrad.linalg.X``, ``plexgrad.fft.X``, ``plexgrad.special.X``, or
the Tensor method ``X``.  It then runs the op's sample inputs (``op.sample_inputs('cpu', dtype)``
for float32 and int64, where the op supports them; at most ``--samples`` of each) under torch and
under plexgrad, and compares: values (float32 to rtol 1e-4), dtype and shape of every output, and
whether both raise.  An op *passes* when every sample it ran agrees.

A failure is classified, worst first: ``wrong values`` (a silent wrong answer), ``wrong dtype``,
``wrong shape``, ``accepted where torch raises``, then ``raises where torch works`` (a missing
argument or case: loud, not wrong).  Needs torch's test helpers (``pip install expecttest``).
"""

import argparse
import collections
import json
import math
import sys
import time
import warnings

import numpy

SEVERITY = ("wrong values", "wrong dtype", "wrong shape", "accepted where torch raises", "raises where torch works")


def _load():
    import torch
    from torch.testing._internal.common_methods_invocations import op_db
    import plexgrad
    return torch, plexgrad, op_db


# OpInfos whose ``op`` is a lambda with its own argument order: the same lambda, spelled for plexgrad
ADAPTERS = {
    "where": lambda lib, self, condition, other, **kwargs: lib.where(condition, self, other, **kwargs),
    "polygamma": lambda lib, x, n, **kwargs: lib.polygamma(n, x, **kwargs),
    "special.polygamma": lambda lib, x, n, **kwargs: lib.special.polygamma(n, x, **kwargs),
    "einsum": lambda lib, tensors, equation: lib.einsum(equation, tensors),
    "nn.functional.embedding": lambda lib, weight, index, **kwargs: lib.nn.functional.embedding(index, weight,
                                                                                                **kwargs),
    "linalg.pinv.singular": lambda lib, a, b: lib.linalg.pinv(a @ b.mT),
    "linalg.lstsq.grad_oriented": lambda lib, a, b, driver: lib.linalg.lstsq(a, b, driver=driver)[:2],
    "T": lambda lib, x: x.T, "H": lambda lib, x: x.H, "mT": lambda lib, x: x.mT, "mH": lambda lib, x: x.mH,
}

# random ops: their values cannot match torch's generator, so only dtypes and shapes are compared
RANDOM = {"empty", "empty_like", "new_empty", "empty_strided", "new_empty_strided", "empty_permuted", "normal",
          "rand_like", "randn", "randn_like", "randint", "randint_like", "bernoulli", "multinomial", "uniform",
          "nn.functional.dropout", "nn.functional.dropout2d", "nn.functional.dropout3d",
          "nn.functional.alpha_dropout", "nn.functional.feature_alpha_dropout", "cauchy", "exponential",
          "geometric", "log_normal", "rand"}

# outputs whose choice torch leaves open (the index among tied values, an eigenvector's sign): only
# the listed outputs are compared
DETERMINED_OUTPUTS = {"kthvalue": (0,), "topk": (0,), "linalg.eigh": (0,), "mode": (0,), "sort": (0,),
                      "msort": (0,)}

# samples plexgrad cannot rebuild: the input is a view into a larger storage the harness does not copy
STORAGE_DEPENDENT = {"as_strided.partial_views", "as_strided_copy", "as_strided_scatter"}


def counterpart(plexgrad, name, variant=""):
    """``(function, how)`` for an OpInfo name, or ``(None, None)``: ``how`` is 'function' or 'method'."""
    label = f"{name}.{variant}" if variant else name
    if label in ADAPTERS or name in ADAPTERS:
        adapter = ADAPTERS.get(label) or ADAPTERS[name]
        return (lambda *args, **kwargs: adapter(plexgrad, *args, **kwargs)), "function"
    parts = name.split(".")
    modules = {"nn": "nn", "linalg": "linalg", "fft": "fft", "special": "special", "signal": "signal"}
    if len(parts) > 1:
        if parts[0] not in modules:
            return None, None
        target = plexgrad
        try:
            for part in parts[:-1]:
                target = getattr(target, part)
            function = getattr(target, parts[-1])
        except (AttributeError, ImportError):
            return None, None
        if getattr(function, "needs_complex", False):  # a placeholder that explains why it is missing
            return None, None
        return function, "function"
    function = getattr(plexgrad, name, None)
    if callable(function) and not isinstance(function, type):
        return function, "function"
    if callable(getattr(plexgrad.Tensor, name, None)):
        return name, "method"
    if name.startswith("__r") and callable(getattr(plexgrad.Tensor, name, None)):
        return name, "method"
    return None, None


class Converter:
    """torch values -> plexgrad values (tensors through numpy, dtypes by name)."""

    def __init__(self, torch, plexgrad, device):
        self.torch, self.plexgrad, self.device = torch, plexgrad, device

    def __call__(self, value):
        torch, plexgrad = self.torch, self.plexgrad
        if isinstance(value, torch.Tensor):
            data = value.detach().cpu()
            if data.is_complex() or data.dtype not in _DTYPE_NAMES:
                raise _Unsupported(f"dtype {data.dtype}")
            array = data.numpy() if data.dtype != torch.bfloat16 else data.float().numpy()
            result = plexgrad.tensor(array, dtype=getattr(plexgrad, _DTYPE_NAMES[data.dtype]), device=self.device)
            return result.requires_grad_(value.requires_grad) if value.is_floating_point() else result
        if isinstance(value, torch.dtype):
            if value not in _DTYPE_NAMES:
                raise _Unsupported(f"dtype {value}")
            return getattr(plexgrad, _DTYPE_NAMES[value])
        if isinstance(value, torch.device):
            return self.device
        if isinstance(value, torch.memory_format):
            return getattr(plexgrad, str(value).replace("torch.", ""))
        if isinstance(value, torch.Size):
            return tuple(value)
        if isinstance(value, list):
            return [self(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self(item) for item in value)
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        return value


class _Unsupported(Exception):
    """A sample plexgrad cannot express (complex or unsigned 16+ bit inputs): skipped, not failed."""


_DTYPE_NAMES = {}


def _flat(value):
    if isinstance(value, (tuple, list)):
        return [item for part in value for item in _flat(part)]
    return [value]


def compare(torch, plexgrad, expected, actual, values=True, outputs=None):
    """None when ``actual`` (plexgrad) agrees with ``expected`` (torch), else ``(category, detail)``;
    ``values=False`` compares dtypes and shapes only, ``outputs`` limits the comparison to those outputs."""
    expected, actual = _flat(expected), _flat(actual)
    if len(expected) != len(actual):
        return "wrong shape", f"{len(actual)} outputs, torch {len(expected)}"
    for position, (wanted, found) in enumerate(zip(expected, actual)):
        if outputs is not None and position not in outputs:
            continue
        if isinstance(wanted, torch.Tensor):
            if not isinstance(found, plexgrad.Tensor):
                return "wrong dtype", f"output {position} is {type(found).__name__}, torch a Tensor"
            wanted_name = str(wanted.dtype).replace("torch.", "")
            if str(found.dtype).replace("plexgrad.", "") != wanted_name:
                return "wrong dtype", f"output {position}: {found.dtype}, torch {wanted.dtype}"
            if tuple(found.shape) != tuple(wanted.shape):
                return "wrong shape", f"output {position}: {tuple(found.shape)}, torch {tuple(wanted.shape)}"
            host = found.detach().cpu().numpy()
            reference = wanted.detach().cpu()
            reference = (reference.float() if reference.dtype == torch.bfloat16 else reference).numpy()
            if not values:
                continue
            if wanted.is_floating_point():
                tolerance = {"float64": (1e-7, 1e-9), "float32": (1e-4, 1e-5)}.get(wanted_name, (1e-2, 1e-2))
                if not numpy.allclose(host.astype(numpy.float64), reference.astype(numpy.float64),
                                      rtol=tolerance[0], atol=tolerance[1], equal_nan=True):
                    return "wrong values", f"output {position}: max difference " \
                                           f"{_max_difference(host, reference)}"
            elif not numpy.array_equal(host, reference):
                return "wrong values", f"output {position}: {host.reshape(-1)[:6]} vs torch {reference.reshape(-1)[:6]}"
        elif isinstance(wanted, (bool, int, float)) and not isinstance(wanted, torch.Tensor):
            found_value = found.item() if isinstance(found, plexgrad.Tensor) and found.numel() == 1 else found
            if isinstance(wanted, float) and isinstance(found_value, (int, float)):
                if not (math.isclose(wanted, found_value, rel_tol=1e-5, abs_tol=1e-6) or
                        math.isnan(wanted) and math.isnan(found_value)):
                    return "wrong values", f"output {position}: {found_value}, torch {wanted}"
            elif found_value != wanted:
                return "wrong values", f"output {position}: {found_value!r}, torch {wanted!r}"
        elif isinstance(wanted, torch.Size):
            if tuple(found) != tuple(wanted):
                return "wrong shape", f"output {position}: {tuple(found)}, torch {tuple(wanted)}"
    return None


def _max_difference(found, wanted):
    with numpy.errstate(invalid="ignore"):
        difference = numpy.abs(found.astype(numpy.float64) - wanted.astype(numpy.float64))
    difference = difference[~numpy.isnan(difference)]
    return float(difference.max()) if difference.size else float("nan")


def run_op(torch, plexgrad, opinfo, function, how, device, samples_per_dtype):
    """``(samples run, failures)``: failures are ``(category, detail, dtype)``."""
    label = opinfo.name + (f".{opinfo.variant_test_name}" if opinfo.variant_test_name else "")
    if label in STORAGE_DEPENDENT:
        return 0, []
    values = opinfo.name not in RANDOM
    outputs = DETERMINED_OUTPUTS.get(opinfo.name)
    convert = Converter(torch, plexgrad, device)
    run = 0
    failures = []
    for dtype in (torch.float32, torch.int64):
        if not opinfo.supports_dtype(dtype, "cpu"):
            continue
        try:
            samples = list(opinfo.sample_inputs("cpu", dtype, requires_grad=False))[:samples_per_dtype]
        except Exception:  # noqa: BLE001  (a broken sample generator is torch's, not ours)
            continue
        for sample in samples:
            try:
                inputs = convert(sample.input)
                args = convert(tuple(sample.args))
                kwargs = convert(dict(sample.kwargs))
            except _Unsupported:
                continue
            try:
                expected = opinfo.op(sample.input, *sample.args, **sample.kwargs)
                torch_error = None
            except Exception as error:  # noqa: BLE001
                expected, torch_error = None, error
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if how == "method":
                        target = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
                        actual = getattr(target, function)(*args, **kwargs)
                    else:
                        actual = function(inputs, *args, **kwargs)
                plexgrad_error = None
            except Exception as error:  # noqa: BLE001
                actual, plexgrad_error = None, error
            run += 1
            dtype_name = str(dtype).replace("torch.", "")
            if torch_error is not None:
                if plexgrad_error is None:
                    failures.append(("accepted where torch raises", f"torch: {type(torch_error).__name__}: "
                                     f"{str(torch_error)[:120]}", dtype_name))
                continue
            if plexgrad_error is not None:
                failures.append(("raises where torch works", f"{type(plexgrad_error).__name__}: "
                                 f"{str(plexgrad_error)[:160]}", dtype_name))
                continue
            try:
                problem = compare(torch, plexgrad, expected, actual, values, outputs)
            except Exception as error:  # noqa: BLE001  (an output plexgrad cannot read back)
                problem = ("wrong values", f"comparison failed: {type(error).__name__}: {error}")
            if problem is not None:
                failures.append(problem + (dtype_name,))
    return run, failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--samples", type=int, default=6, help="sample inputs per op and dtype (default 6)")
    parser.add_argument("--failures", type=int, default=0, help="list this many failing ops, worst first")
    parser.add_argument("--only", default=None, help="only OpInfos whose name contains this")
    parser.add_argument("--json", default=None, help="write every op's outcome to this file")
    options = parser.parse_args(argv)
    torch, plexgrad, op_db = _load()
    for torch_dtype in (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
                        torch.bfloat16, torch.float32, torch.float64):
        _DTYPE_NAMES[torch_dtype] = str(torch_dtype).replace("torch.", "")
    started = time.time()
    outcomes = []
    for opinfo in op_db:
        label = opinfo.name + (f".{opinfo.variant_test_name}" if opinfo.variant_test_name else "")
        if options.only and options.only not in label:
            continue
        function, how = counterpart(plexgrad, opinfo.name, opinfo.variant_test_name)
        if function is None:
            outcomes.append({"op": label, "counterpart": False})
            continue
        try:
            run, failures = run_op(torch, plexgrad, opinfo, function, how, options.device, options.samples)
        except Exception as error:  # noqa: BLE001  (keep counting the other ops)
            run, failures = 1, [("raises where torch works", f"harness: {type(error).__name__}: {error}", "-")]
        outcomes.append({"op": label, "counterpart": True, "samples": run, "failures": failures})
    _report(outcomes, options, time.time() - started)
    if options.json:
        with open(options.json, "w") as handle:
            json.dump(outcomes, handle, indent=1)
    return 0


def _worst(failures):
    return min(SEVERITY.index(category) for category, _, _ in failures)


def _report(outcomes, options, seconds):
    total = len(outcomes)
    names = {outcome["op"].split(".")[0] if not outcome["op"].startswith(("nn.", "linalg.", "fft.", "special."))
             else outcome["op"] for outcome in outcomes}
    with_counterpart = [outcome for outcome in outcomes if outcome["counterpart"]]
    ran = [outcome for outcome in with_counterpart if outcome["samples"]]
    passing = [outcome for outcome in ran if not outcome["failures"]]
    print(f"OpInfo entries: {total} ({len(names)} distinct names), device {options.device}, "
          f"{seconds:.0f} s")
    print(f"  with a plexgrad counterpart: {len(with_counterpart)}")
    print(f"  ran at least one sample:     {len(ran)}")
    print(f"  every sample agrees:         {len(passing)}")
    categories = collections.Counter()
    for outcome in ran:
        if outcome["failures"]:
            categories[SEVERITY[_worst(outcome["failures"])]] += 1
    for category in SEVERITY:
        print(f"  worst failure '{category}': {categories[category]}")
    if options.failures:
        failing = sorted((outcome for outcome in ran if outcome["failures"]),
                         key=lambda outcome: (_worst(outcome["failures"]), outcome["op"]))
        print()
        for outcome in failing[:options.failures]:
            category, detail, dtype = sorted(outcome["failures"], key=lambda f: SEVERITY.index(f[0]))[0]
            print(f"{outcome['op']:<40} {category:<28} [{dtype}] {detail[:150]}")


if __name__ == "__main__":
    sys.exit(main())
