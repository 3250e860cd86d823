"""Per-op overhead on tiny tensors: plexgrad (cpu, jax) next to raw numpy, raw jax.numpy and torch.

Run: python benchmarks/overhead.py [--repeats 15] [--number 2000]

Times are medians over repeats of the mean time per call, the peers timed round-robin
within each repeat so that load changes affect them alike; ratios compare plexgrad on
cpu with torch (and with raw numpy), and plexgrad on jax with raw jax.numpy, each the
median of the ratios within a repeat.  Peers that are not installed are left out of
the table.
"""

import argparse
import statistics
import timeit

import numpy

import plexgrad
from timing import paired_ratio, round_robin

SIZE = 10
MATRIX = 4


def _interleaved_us(statements, number, repeats):
    """us per call of each statement in every repeat, timed round-robin so load changes hit all alike."""
    timers = {name: timeit.Timer(statement) for name, statement in statements.items()}
    for timer in timers.values():
        timer.timeit(max(number // 10, 10))  # warm up (caches, jit)
    return round_robin({name: lambda timer=timer: timer.timeit(number) / number * 1e6
                        for name, timer in timers.items()}, repeats)


def plexgrad_cases(device, requires_grad):
    generator = numpy.random.default_rng(0)

    def make(*shape):
        return plexgrad.tensor(generator.standard_normal(shape).astype(numpy.float32), device=device,
                               requires_grad=requires_grad)
    return _tensor_cases(make(SIZE), make(SIZE), make(SIZE), make(MATRIX, MATRIX), make(MATRIX, MATRIX),
                         requires_grad)


def _tensor_cases(a, b, c, m1, m2, requires_grad):
    """The statements for a library with torch's Tensor API (plexgrad and torch itself)."""
    cases = {
        "add": lambda: a + b,
        "mul": lambda: a * b,
        "relu": lambda: a.relu(),
        "sum": lambda: a.sum(),
        "matmul": lambda: m1 @ m2,
    }
    if requires_grad:
        cases["fwd+bwd relu(a*b+c).sum()"] = lambda: (a * b + c).relu().sum().backward()
    return cases


def numpy_cases(requires_grad):
    generator = numpy.random.default_rng(0)
    a, b, c = (generator.standard_normal(SIZE).astype(numpy.float32) for _ in range(3))
    m1, m2 = (generator.standard_normal((MATRIX, MATRIX)).astype(numpy.float32) for _ in range(2))
    cases = {
        "add": lambda: numpy.add(a, b),
        "mul": lambda: numpy.multiply(a, b),
        "relu": lambda: numpy.maximum(a, 0),
        "sum": lambda: a.sum(),
        "matmul": lambda: m1 @ m2,
    }
    if requires_grad:
        def by_hand():  # forward and hand-written backward of relu(a*b+c).sum()
            product = a * b
            pre = product + c
            out = numpy.maximum(pre, 0)
            out.sum()
            grad_pre = (pre > 0).astype(numpy.float32)
            return grad_pre * b, grad_pre * a, grad_pre
        cases["fwd+bwd relu(a*b+c).sum()"] = by_hand
    return cases


def jax_cases(requires_grad):
    import jax  # JAX's defaults, as a user has them: plexgrad turns x64 on only inside its own calls
    import jax.numpy as jnp
    generator = numpy.random.default_rng(0)
    a, b, c = (jnp.asarray(generator.standard_normal(SIZE).astype(numpy.float32)) for _ in range(3))
    m1, m2 = (jnp.asarray(generator.standard_normal((MATRIX, MATRIX)).astype(numpy.float32)) for _ in range(2))
    cases = {
        "add": lambda: jnp.add(a, b),
        "mul": lambda: jnp.multiply(a, b),
        "relu": lambda: jnp.maximum(a, 0),
        "sum": lambda: jnp.sum(a),
        "matmul": lambda: jnp.matmul(m1, m2),
    }
    if requires_grad:
        gradient = jax.grad(lambda x, y, z: jnp.sum(jnp.maximum(x * y + z, 0)), argnums=(0, 1, 2))
        cases["fwd+bwd relu(a*b+c).sum()"] = lambda: gradient(a, b, c)
    return cases


def torch_cases(requires_grad):
    import torch
    torch.manual_seed(0)
    a, b, c = (torch.randn(SIZE, requires_grad=requires_grad) for _ in range(3))
    m1, m2 = (torch.randn(MATRIX, MATRIX, requires_grad=requires_grad) for _ in range(2))
    return _tensor_cases(a, b, c, m1, m2, requires_grad)


def _available(module):
    import importlib.util
    return importlib.util.find_spec(module) is not None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--number", type=int, default=2000)
    arguments = parser.parse_args()
    has_jax, has_torch = _available("jax"), _available("torch")
    if has_torch:
        import torch
        torch.set_num_threads(1)
    columns = ["plexgrad cpu", "numpy"] + (["torch"] if has_torch else []) + \
        (["plexgrad jax", "jax.numpy"] if has_jax else [])
    print(f"median us per call (tiny tensors: {SIZE} floats, {MATRIX}x{MATRIX} matmul), "
          f"{arguments.repeats} repeats x {arguments.number} calls")
    header = f"{'op':<28}{'grad':<6}" + "".join(f"{name:>14}" for name in columns)
    ratio_names = (["cpu/torch"] if has_torch else []) + ["cpu/numpy"] + (["jax/jnp"] if has_jax else [])
    print(header + "".join(f"{name:>11}" for name in ratio_names))
    for requires_grad in (False, True):
        suites = {"plexgrad cpu": plexgrad_cases("cpu", requires_grad), "numpy": numpy_cases(requires_grad)}
        if has_torch:
            suites["torch"] = torch_cases(requires_grad)
        if has_jax:
            suites["plexgrad jax"] = plexgrad_cases("jax", requires_grad)
            suites["jax.numpy"] = jax_cases(requires_grad)
        for name in suites["plexgrad cpu"]:
            number = arguments.number // 10 if "bwd" in name else arguments.number
            samples = _interleaved_us({column: suites[column][name] for column in columns}, number,
                                      arguments.repeats)
            row = f"{name:<28}{'yes' if requires_grad else 'no':<6}" + "".join(
                f"{statistics.median(samples[column]):>14.2f}" for column in columns)
            ratios = []
            if has_torch:
                ratios.append(paired_ratio(samples, "plexgrad cpu", "torch"))
            ratios.append(paired_ratio(samples, "plexgrad cpu", "numpy"))
            if has_jax:
                ratios.append(paired_ratio(samples, "plexgrad jax", "jax.numpy"))
            print(row + "".join(f"{ratio:>10.2f}x" for ratio in ratios))


if __name__ == "__main__":
    main()
