"""Milliseconds per training step: the seeds' MLP (batch 64 and 512) and the small CNN.

plexgrad on ``cpu`` and ``jax``, eager and compiled (``plexgrad.compile`` of the whole step),
next to torch eager, ``torch.compile`` (when it works on the machine), a hand-written numpy
step and a hand-written ``jax.jit`` step, side by side in one run (medians over repeats, the
columns of a group timed round-robin within each repeat; the jax columns form their own
group, as XLA's thread pool would slow the others).  Ratios: plexgrad cpu / torch and
plexgrad cpu / numpy, cpu compiled / cpu eager, jax compiled / jax.jit by hand, each the
median of the ratios within a repeat (the columns of one repeat ran under the same load);
jax compiled / torch is the ratio of the two medians (different groups).  A second table
gives each compiled column's first-call time (plexgrad: its first two calls, each traced and
compiled: the first step's program, which creates gradients and optimizer state, and the one
every later step replays).

    python benchmarks/train_step.py [--repeats 15] [--steps 20] [--threads 1] [--skip-cnn] [--skip-jax]
                                    [--skip-torch-compile]
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time


def _threads():
    """``--threads`` (default 1), read before numpy loads: BLAS reads its thread count at import."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_known_args()[0].threads


THREADS = _threads()
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, str(THREADS))

import numpy  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
from timing import paired_ratio, round_robin  # noqa: E402  (benchmarks/, on sys.path when run as a script)


class NumpyMLP:
    """The seeds' MLP step written by hand in numpy: forward, backward, SGD with momentum."""

    def __init__(self, rng, sizes=(784, 300, 100, 10), lr=0.01, momentum=0.9, eps=1e-5):
        self.lr, self.momentum, self.eps = lr, momentum, eps
        self.weights = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1 / numpy.sqrt(fan_in)
            self.weights.append([rng.uniform(-bound, bound, (fan_out, fan_in)).astype(numpy.float32),
                                 rng.uniform(-bound, bound, fan_out).astype(numpy.float32)])
        self.norms = [[numpy.ones(n, numpy.float32), numpy.zeros(n, numpy.float32)] for n in sizes[1:-1]]
        self.buffers = [numpy.zeros_like(p) for group in self.weights + self.norms for p in group]

    def step(self, images, labels):
        x = images.reshape(images.shape[0], -1)
        n = x.shape[0]
        cache = []
        h = x
        for (weight, bias), (gamma, beta) in zip(self.weights[:-1], self.norms):
            linear = h @ weight.T + bias
            mean = linear.mean(0)
            centered = linear - mean
            inverse_std = 1 / numpy.sqrt((centered * centered).mean(0) + self.eps)
            normalized = centered * inverse_std
            activated = numpy.maximum(normalized * gamma + beta, 0)
            cache.append((h, normalized, inverse_std, activated))
            h = activated
        weight, bias = self.weights[-1]
        logits = h @ weight.T + bias
        shifted = logits - logits.max(1, keepdims=True)
        exp = numpy.exp(shifted)
        probabilities = exp / exp.sum(1, keepdims=True)
        loss = -numpy.log(probabilities[numpy.arange(n), labels]).mean()
        grad = probabilities
        grad[numpy.arange(n), labels] -= 1
        grad /= n
        grads = [None] * (len(self.weights) + len(self.norms))
        weight_grads, norm_grads = [], []
        weight_grads.append((grad.T @ h, grad.sum(0)))
        grad = grad @ weight
        for index in range(len(self.norms) - 1, -1, -1):
            h_in, normalized, inverse_std, activated = cache[index]
            gamma, beta = self.norms[index]
            grad = grad * (activated > 0)
            norm_grads.append(((grad * normalized).sum(0), grad.sum(0)))
            grad_normalized = grad * gamma
            grad = inverse_std / n * (n * grad_normalized - grad_normalized.sum(0)
                                      - normalized * (grad_normalized * normalized).sum(0))
            weight, _ = self.weights[index]
            weight_grads.append((grad.T @ h_in, grad.sum(0)))
            if index:
                grad = grad @ weight
        grads = [g for pair in reversed(weight_grads) for g in pair] + [g for pair in reversed(norm_grads) for g in pair]
        parameters = [p for group in self.weights + self.norms for p in group]
        for parameter, gradient, buffer in zip(parameters, grads, self.buffers):
            buffer *= self.momentum
            buffer += gradient
            parameter -= self.lr * buffer
        return loss


def _timed_ms(steppers, steps, repeats):
    """ms per step of each stepper in every repeat, timed round-robin within each repeat (so a change
    in machine load hits every column alike)."""
    for step in steppers.values():
        step()
        step()

    def sampler(step):
        def sample():
            started = time.perf_counter()
            for _ in range(steps):
                step()
            return (time.perf_counter() - started) / steps * 1e3
        return sample
    return round_robin({name: sampler(step) for name, step in steppers.items()}, repeats)


def plexgrad_step(model_name, batch, device, compiled=False):
    import plexgrad as torch
    from train_fashion_mnist import Net, SmallCNN
    torch.manual_seed(0)
    model = (Net() if model_name == "mlp" else SmallCNN()).to(device)
    return _sgd_step(torch, model, torch.randn(batch, 1, 28, 28, device=device),
                     torch.randint(0, 10, (batch,), device=device), compiled)


def _sgd_step(library, model, images, labels, compiled=False):
    """One SGD-with-momentum training step of ``model`` in ``library`` (plexgrad or torch), as a closure;
    ``compiled``: the step (without reading the loss) through ``library.compile``."""
    optimizer = library.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = library.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss
    if compiled:
        step = library.compile(step)
    return lambda: step().item()


def _first_call_seconds(stepper, calls=2):
    """Wall time of a fresh stepper's first ``calls`` calls (compiling happens there)."""
    started = time.perf_counter()
    for _ in range(calls):
        stepper()
    return time.perf_counter() - started


def torch_step(model_name, batch, compiled=False):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.manual_seed(0)
    if model_name == "mlp":
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer1 = nn.Sequential(nn.Linear(784, 300), nn.BatchNorm1d(300))
                self.layer2 = nn.Sequential(nn.Linear(300, 100), nn.BatchNorm1d(100))
                self.layer3 = nn.Sequential(nn.Linear(100, 10))

            def forward(self, x):
                x = x.view(x.size(0), -1)
                return self.layer3(F.relu(self.layer2(F.relu(self.layer1(x)))))
        model = Net()
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 10))
    return _sgd_step(torch, model, torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,)), compiled)


def torch_compile_step(model_name, batch):
    """A torch.compile stepper with its first-call seconds, or ``(None, reason)`` where it fails here."""
    try:
        stepper = torch_step(model_name, batch, compiled=True)
        return stepper, _first_call_seconds(stepper, 1)
    except Exception as error:  # inductor needs a working C++ toolchain; report, do not stop the run
        return None, f"{type(error).__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}"


def numpy_step(batch):
    rng = numpy.random.default_rng(0)
    model = NumpyMLP(rng)
    images = rng.standard_normal((batch, 1, 28, 28)).astype(numpy.float32)
    labels = rng.integers(0, 10, batch)
    return lambda: model.step(images, labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--skip-cnn", action="store_true")
    parser.add_argument("--skip-jax", action="store_true")
    parser.add_argument("--skip-torch-compile", action="store_true", help="torch.compile takes 10-60 s per model")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads for numpy, plexgrad and torch (default 1: with more, the "
                             "libraries' spinning thread pools slow each other down in a round-robin run)")
    arguments = parser.parse_args()
    has_torch = importlib.util.find_spec("torch") is not None
    has_jax = importlib.util.find_spec("jax") is not None and not arguments.skip_jax
    torch_compiles = has_torch and not arguments.skip_torch_compile
    if has_torch:
        import torch
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    cases = [("mlp", 64), ("mlp", 512)] + ([] if arguments.skip_cnn else [("cnn", 64)])
    columns = ["plexgrad cpu", "cpu compiled"] + (["torch"] if has_torch else []) + \
        (["torch.compile"] if torch_compiles else []) + ["numpy by hand"] + \
        (["plexgrad jax", "jax compiled", "jax.jit by hand"] if has_jax else [])
    ratios = ([("plexgrad cpu", "torch")] if has_torch else []) + [("plexgrad cpu", "numpy by hand"),
                                                                   ("cpu compiled", "plexgrad cpu")] + \
        ([("jax compiled", "jax.jit by hand")] if has_jax else [])
    labels = {"plexgrad cpu": "cpu", "numpy by hand": "numpy", "cpu compiled": "cpu-c", "jax compiled": "jax-c",
              "jax.jit by hand": "jit", "torch": "torch"}
    print(f"ms per training step (median of {arguments.repeats} x {arguments.steps} steps, "
          f"{os.environ['OPENBLAS_NUM_THREADS']} BLAS thread(s))")
    header = "".join(f"{labels[a] + '/' + labels[b]:>12}" for a, b in ratios) + ("   jax-c/torch" if has_jax and
                                                                                has_torch else "")
    print(f"{'model':<6}{'batch':>6}" + "".join(f"{c:>16}" for c in columns) + header)
    first_calls = []
    for model_name, batch in cases:
        steps = max(arguments.steps // (4 if model_name == "cnn" else 1), 3)
        first = {}
        compiled_cpu = plexgrad_step(model_name, batch, "cpu", compiled=True)
        first["cpu compiled"] = _first_call_seconds(compiled_cpu)
        steppers = {"plexgrad cpu": plexgrad_step(model_name, batch, "cpu"), "cpu compiled": compiled_cpu}
        if has_torch:
            steppers["torch"] = torch_step(model_name, batch)
        if torch_compiles:
            stepper, seconds = torch_compile_step(model_name, batch)
            first["torch.compile"] = seconds
            if stepper is not None:
                steppers["torch.compile"] = stepper
        if model_name == "mlp":
            steppers["numpy by hand"] = numpy_step(batch)
        samples = _timed_ms(steppers, steps, arguments.repeats)
        if has_jax:  # timed on their own: XLA's thread pool would slow the columns the ratios compare
            import jax_by_hand
            compiled_jax = plexgrad_step(model_name, batch, "jax", compiled=True)
            first["jax compiled"] = _first_call_seconds(compiled_jax)
            by_hand = (jax_by_hand.mlp_step if model_name == "mlp" else jax_by_hand.cnn_step)(batch)
            first["jax.jit by hand"] = _first_call_seconds(by_hand, 1)
            samples.update(_timed_ms({"plexgrad jax": plexgrad_step(model_name, batch, "jax"),
                                      "jax compiled": compiled_jax, "jax.jit by hand": by_hand}, steps,
                                     arguments.repeats))
        timings = {name: statistics.median(values) for name, values in samples.items()}
        row = f"{model_name:<6}{batch:>6}" + "".join(f"{timings.get(c, float('nan')):>16.3f}" for c in columns)
        for a, b in ratios:
            row += f"{paired_ratio(samples, a, b):>11.2f}x" if a in samples and b in samples else f"{'-':>12}"
        if has_jax and has_torch:
            row += f"{timings['jax compiled'] / timings['torch']:>13.2f}x"
        print(row, flush=True)
        first_calls.append((model_name, batch, first))
    print("\nfirst call, seconds (plexgrad compiled: its first two calls, each traced and compiled; "
          "torch.compile and jax.jit: their first call)")
    for model_name, batch, first in first_calls:
        print(f"{model_name:<6}{batch:>6}" + "".join(
            f"  {name}: {value:.2f}" if isinstance(value, float) else f"  {name}: failed ({value})"
            for name, value in first.items()), flush=True)


if __name__ == "__main__":
    main()
