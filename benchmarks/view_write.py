"""Milliseconds per in-place write through a view of a 1000x1000 tensor, plexgrad on cpu and jax
next to numpy (the same write on a real memory view).

On jax (immutable arrays) a write through a view is a functional update of the root, undone
step by step (``.at[key].set`` for a slice), and every live view re-derives its array; the
cost should follow the view and the number of live views, not the root's size times them.

    python benchmarks/view_write.py [--repeats 7] [--live-views 10]
"""

import argparse
import statistics
import time

import numpy

import plexgrad
from timing import round_robin

SIZE = 1000


def _sampler(function, synchronize):
    def sample():
        start = time.perf_counter()
        function()
        synchronize()
        return (time.perf_counter() - start) * 1e3
    return sample


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--live-views", type=int, default=10)
    arguments = parser.parse_args()

    array = numpy.zeros((SIZE, SIZE), dtype=numpy.float32)
    tensors = {device: plexgrad.zeros(SIZE, SIZE, device=device) for device in ("cpu", "jax")}
    kept = [tensor[row] for tensor in tensors.values() for row in range(0, SIZE, SIZE // max(arguments.live_views, 1))]

    def synchronize_jax():
        tensors["jax"]._data.block_until_ready()

    cases = {
        "x[::2].add_(1)": (lambda t: t[::2].add_(1), lambda a: numpy.add(a[::2], 1, out=a[::2])),
        "x.t()[::3].mul_(2)": (lambda t: t.t()[::3].mul_(2), lambda a: numpy.multiply(a.T[::3], 2, out=a.T[::3])),
        "x[3, 4:10] = 1": (lambda t: t.__setitem__((3, slice(4, 10)), 1.0),
                           lambda a: a.__setitem__((3, slice(4, 10)), 1.0)),
    }
    print(f"ms per write, median of {arguments.repeats} (1000x1000 float32, {len(kept) // 2} live row views "
          "per tensor)")
    print(f"{'write':<22}{'numpy':>10}{'plexgrad cpu':>14}{'plexgrad jax':>14}")
    for name, (on_tensor, on_array) in cases.items():
        samplers = {
            "numpy": _sampler(lambda: on_array(array), lambda: None),
            "cpu": _sampler(lambda: on_tensor(tensors["cpu"]), lambda: None),
            "jax": _sampler(lambda: on_tensor(tensors["jax"]), synchronize_jax),
        }
        for sample in samplers.values():
            sample()  # warm up (jit caches)
        samples = round_robin(samplers, arguments.repeats)
        medians = {key: statistics.median(values) for key, values in samples.items()}
        print(f"{name:<22}{medians['numpy']:>10.3f}{medians['cpu']:>14.3f}{medians['jax']:>14.3f}")


if __name__ == "__main__":
    main()
