"""Data-parallel scaling: the seeds' MLP (784-300-100-10 with BatchNorm) at global batch 512,
1 rank against 2 ranks (DistributedDataParallel, batch 256 each, mpi engine), 1 BLAS thread per
rank.

Reports per configuration the median step time (forward, backward with the gradient
all-reduce, SGD step), samples/s, and for 2 ranks the time spent in all-reduce: the wait at
the end of backward (what the overlap did not hide) and a bare all-reduce of a buffer the size
of the model's gradients.  Scaling efficiency = (1-rank step time / 2-rank step time) / 2.

    python benchmarks/ddp.py [--steps 40] [--warmup 5] [--repeats 3]

On a shared 2-core machine the two ranks compete with everything else running: read the
numbers as that machine's, not as the method's.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"  # 1 thread per rank, read before numpy loads

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GLOBAL_BATCH = 512


def _arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="alternating 1-rank / 2-rank runs")
    parser.add_argument("--role", choices=("driver", "single", "rank"), default="driver", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _measure(arguments, distributed):
    """Run the steps in this process; returns its timings (ms)."""
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    import numpy
    import plexgrad
    from plexgrad import nn, optim
    from train_fashion_mnist import Net
    rank, world = 0, 1
    if distributed:
        import plexgrad.distributed as dist
        dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
    plexgrad.manual_seed(0)
    model = Net()
    wrapped = model
    waits = []
    if distributed:
        from plexgrad.nn.parallel import DistributedDataParallel
        wrapped = DistributedDataParallel(model)
        finish = wrapped._finish_reduction

        def timed_finish():
            started = time.perf_counter()
            finish()
            waits.append(time.perf_counter() - started)
        object.__setattr__(wrapped, "_finish_reduction", timed_finish)  # the queued callback
    batch = GLOBAL_BATCH // world
    rng = numpy.random.default_rng(rank)
    images = plexgrad.tensor(rng.standard_normal((batch, 1, 28, 28)), dtype=plexgrad.float32)
    labels = plexgrad.tensor(rng.integers(0, 10, batch))
    optimizer = optim.SGD(wrapped.parameters(), lr=0.01, momentum=0.9)
    loss_function = nn.CrossEntropyLoss()
    times = []
    for step in range(arguments.warmup + arguments.steps):
        started = time.perf_counter()
        optimizer.zero_grad()
        loss_function(wrapped(images), labels).backward()
        optimizer.step()
        times.append(time.perf_counter() - started)
    result = {"step_ms": 1e3 * statistics.median(times[arguments.warmup:])}
    if distributed:
        result["finish_wait_ms"] = 1e3 * statistics.median(waits[arguments.warmup:])
        import plexgrad.distributed as dist
        gradient_numel = sum(p.numel() for p in model.parameters())
        buffer = plexgrad.zeros(gradient_numel)
        bare = []
        for _ in range(arguments.warmup + arguments.steps):
            dist.barrier()
            started = time.perf_counter()
            dist.all_reduce(buffer)
            bare.append(time.perf_counter() - started)
        result["bare_all_reduce_ms"] = 1e3 * statistics.median(bare[arguments.warmup:])
        result["gradient_megabytes"] = gradient_numel * 4 / 1e6
        result["buckets"] = len(wrapped._buckets)
        result["rank"] = rank
    sys.stdout.flush()
    os.write(1, ("RESULT " + json.dumps(result) + "\n").encode())  # one write: two ranks share the pipe


def _run(command):
    finished = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")})
    if finished.returncode != 0:
        raise SystemExit(f"benchmark run failed ({' '.join(command)}):\n{finished.stderr[-3000:]}")
    chunks = finished.stdout.split("RESULT ")[1:]
    return [json.JSONDecoder().raw_decode(chunk)[0] for chunk in chunks]


def main(argv=None):
    arguments = _arguments(argv)
    if arguments.role != "driver":
        return _measure(arguments, distributed=arguments.role == "rank")
    common = ["--steps", str(arguments.steps), "--warmup", str(arguments.warmup)]
    singles, doubles = [], []
    for _ in range(arguments.repeats):  # alternate, so both see the same machine load
        singles += _run([sys.executable, __file__, "--role", "single"] + common)
        doubles.append(_run([sys.executable, "-m", "plexgrad.distributed.run", "--nproc-per-node", "2",
                             "--master-port", "0", __file__, "--role", "rank"] + common))
    one = statistics.median(run["step_ms"] for run in singles)
    two = statistics.median(max(rank["step_ms"] for rank in ranks) for ranks in doubles)
    wait = statistics.median(statistics.mean(rank["finish_wait_ms"] for rank in ranks) for ranks in doubles)
    bare = statistics.median(statistics.mean(rank["bare_all_reduce_ms"] for rank in ranks) for ranks in doubles)
    megabytes = doubles[0][0]["gradient_megabytes"]
    print(f"seeds' MLP, global batch {GLOBAL_BATCH}, 1 thread per rank, mpi engine; medians of "
          f"{arguments.repeats} runs x {arguments.steps} steps")
    print(f"{'ranks':>5} {'batch/rank':>10} {'step ms':>8} {'samples/s':>10}")
    print(f"{1:>5} {GLOBAL_BATCH:>10} {one:>8.2f} {GLOBAL_BATCH / one * 1e3:>10.0f}")
    print(f"{2:>5} {GLOBAL_BATCH // 2:>10} {two:>8.2f} {GLOBAL_BATCH / two * 1e3:>10.0f}")
    print(f"2 ranks: all-reduce left waiting at the end of backward {wait:.2f} ms/step; a bare all-reduce of the "
          f"{megabytes:.2f} MB of gradients {bare:.2f} ms; {doubles[0][0]['buckets']} bucket(s)")
    print(f"speedup {one / two:.2f}x, scaling efficiency {one / two / 2:.0%}")
    print("(a shared 2-core machine: other processes compete with the two ranks for the cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
