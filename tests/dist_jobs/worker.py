"""One rank of a loopback job for the distributed tests: ``worker.py SCENARIO DEVICE OUTPUT_DIR``.

Each scenario writes what it saw to ``OUTPUT_DIR/rank_R.json`` for the test to compare."""

import json
import os
import signal
import sys
import time

import numpy

import plexgrad
import plexgrad.distributed as dist
from plexgrad import nn

ENGINES = {"cpu": "mpi", "jax": "cpu:mpi,jax:jax", "cuda": "cpu:mpi,cuda:nccl"}


def values(tensor):
    return {"dtype": str(tensor.dtype), "device": tensor.device.type, "shape": list(tensor.shape),
            "values": tensor.cpu().tolist()}


def collectives(device, rank, world):
    seen = {}
    x = plexgrad.arange(6, dtype=plexgrad.float32, device=device).reshape(2, 3) + rank
    for op in ("SUM", "AVG", "PRODUCT", "MAX", "MIN"):
        t = x.clone() * (1 if op != "PRODUCT" else 0.5)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        seen[f"all_reduce_{op}"] = values(t)
    integers = plexgrad.tensor([rank, 10 - rank, 2 ** 40 + rank], device=device)
    dist.all_reduce(integers)
    seen["all_reduce_int64"] = values(integers)
    flags = plexgrad.tensor([rank == 0, False, True], device=device)
    dist.all_reduce(flags)
    seen["all_reduce_bool"] = values(flags)
    half = plexgrad.full((3,), 0.5 + rank, dtype=plexgrad.float16, device=device)
    dist.all_reduce(half)
    seen["all_reduce_float16"] = values(half)
    strided = plexgrad.arange(8, dtype=plexgrad.float64, device=device).reshape(2, 4)[:, ::2] * (rank + 1)
    dist.all_reduce(strided)
    seen["all_reduce_strided"] = values(strided)
    handle = dist.all_reduce(x.clone(), async_op=True)
    seen["async_wait"] = handle.wait()
    for src in range(world):
        b = plexgrad.full((2,), float(rank * 10 + 1), device=device)
        dist.broadcast(b, src)
        seen[f"broadcast_{src}"] = values(b)
    outputs = [plexgrad.zeros(2, 3, device=device) for _ in range(world)]
    dist.all_gather(outputs, x)
    seen["all_gather"] = [values(o) for o in outputs]
    stacked = plexgrad.zeros(world * 2, 3, device=device)
    dist.all_gather_into_tensor(stacked, x)
    seen["all_gather_into_tensor"] = values(stacked)
    out = plexgrad.zeros(3, device=device)
    dist.reduce_scatter(out, [plexgrad.full((3,), float(rank + 10 * r), device=device) for r in range(world)])
    seen["reduce_scatter"] = values(out)
    out = plexgrad.zeros(2, device=device)
    dist.reduce_scatter_tensor(out, plexgrad.arange(2 * world, dtype=plexgrad.float32, device=device) * (rank + 1),
                               op=dist.ReduceOp.MAX)
    seen["reduce_scatter_tensor_MAX"] = values(out)
    dist.barrier()
    try:
        dist.all_reduce(plexgrad.zeros(2 + rank, device=device))
    except ValueError as error:
        seen["mismatch"] = str(error)
    try:
        dist.all_reduce(plexgrad.tensor([1, 2], device=device), op=dist.ReduceOp.AVG)
    except TypeError as error:
        seen["avg_int"] = str(error)
    seen["still_works"] = values(_sum_of_ranks(device))
    return seen


def _sum_of_ranks(device):
    t = plexgrad.full((1,), float(dist.get_rank()), device=device)
    dist.all_reduce(t)
    return t


def _mlp():
    return nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 12), nn.Tanh(), nn.Linear(12, 3))


def _data(device):
    rng = numpy.random.default_rng(0)
    inputs = plexgrad.tensor(rng.standard_normal((24, 6)), dtype=plexgrad.float32, device=device)
    targets = plexgrad.tensor(rng.integers(0, 3, 24), device=device)
    return inputs, targets


def ddp(device, rank, world):
    from plexgrad.nn.parallel import DistributedDataParallel
    plexgrad.manual_seed(100 + rank)  # different on every rank: construction must broadcast rank 0's
    model = _mlp().to(device)
    wrapped = DistributedDataParallel(model, bucket_cap_mb=0.0005)  # several buckets for this small model
    inputs, targets = _data(device)
    share = len(inputs) // world
    mine = slice(rank * share, (rank + 1) * share)
    loss_function = nn.CrossEntropyLoss()
    optimizer = plexgrad.optim.SGD(wrapped.parameters(), lr=0.1, momentum=0.9)
    initial = {name: values(p.detach()) for name, p in model.named_parameters()}
    for step in range(4):
        optimizer.zero_grad()
        if step == 2:  # no_sync: two half-batches accumulated locally, averaged by the second backward
            half = share // 2
            with wrapped.no_sync():
                loss_function(wrapped(inputs[mine][:half]), targets[mine][:half]).mul(0.5).backward()
            local_after_no_sync = [values(p.grad) for p in model.parameters()]
            loss_function(wrapped(inputs[mine][half:]), targets[mine][half:]).mul(0.5).backward()
        else:
            loss_function(wrapped(inputs[mine]), targets[mine]).backward()
        optimizer.step()
    state = wrapped.state_dict()
    plain = _mlp().to(device)
    from plexgrad.nn.parallel.distributed import consume_prefix_in_state_dict_if_present
    consume_prefix_in_state_dict_if_present(state, "module.")
    plain.load_state_dict(state)
    return {"initial": initial, "final": {name: values(p.detach()) for name, p in model.named_parameters()},
            "loaded_matches": all(bool((a == b).all()) for a, b in zip(plain.parameters(), model.parameters())),
            "keys": sorted(wrapped.state_dict()), "buckets": len(wrapped._buckets),
            "local_after_no_sync": local_after_no_sync}


class _TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.left = nn.Linear(4, 2)
        self.right = nn.Linear(4, 2)
        self.never = nn.Linear(4, 2)

    def forward(self, x, head):
        return (self.left if head == "left" else self.right)(self.body(x).tanh())


def unused(device, rank, world):
    from plexgrad.nn.parallel import DistributedDataParallel
    plexgrad.manual_seed(0)
    model = _TwoHeads().to(device)
    wrapped = DistributedDataParallel(model, find_unused_parameters=True)
    initial = {name: values(p.detach()) for name, p in model.named_parameters()}
    x = plexgrad.ones(3, 4, device=device) * (rank + 1)
    wrapped(x, "left" if rank == 0 else "right").sum().backward()
    result = {name: None if p.grad is None else values(p.grad) for name, p in model.named_parameters()}
    result["initial"] = initial
    strict = DistributedDataParallel(_TwoHeads().to(device))
    try:
        strict(x, "left").sum().backward()
        result["strict_error"] = None
    except RuntimeError as error:
        result["strict_error"] = str(error)
    return result


def faults(mode, device, rank, world):
    if mode == "killed":
        t = plexgrad.ones(2, device=device)
        dist.all_reduce(t)
        if rank == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        start = time.monotonic()
        try:
            dist.all_reduce(t)
        except dist.DistError as error:
            return {"error": f"{type(error).__name__}: {error}", "seconds": time.monotonic() - start}
        return {"error": None}
    if mode == "stuck":
        dist.barrier()  # every rank joined (on a loaded machine that can take longer than the timeout below)
        from plexgrad.distributed.group import current_group
        current_group("test").timeout = float(os.environ["STUCK_TIMEOUT"])
        if rank == 1:
            time.sleep(60)  # alive, but never joins the collective
        start = time.monotonic()
        try:
            dist.all_reduce(plexgrad.ones(2, device=device))
        except dist.DistError as error:
            return {"error": f"{type(error).__name__}: {error}", "seconds": time.monotonic() - start}
        return {"error": None}
    raise ValueError(mode)


def main():
    scenario, device, output = sys.argv[1], sys.argv[2], sys.argv[3]
    dist.init_process_group(ENGINES[device])
    rank, world = dist.get_rank(), dist.get_world_size()
    if scenario == "collectives":
        result = collectives(device, rank, world)
    elif scenario == "ddp":
        result = ddp(device, rank, world)
    elif scenario == "unused":
        result = unused(device, rank, world)
    else:
        result = faults(scenario, device, rank, world)
    result["rank"], result["world_size"], result["backend"] = rank, world, dist.get_backend()
    with open(os.path.join(output, f"rank_{rank}.json"), "w") as handle:
        json.dump(result, handle)
    if scenario in ("killed", "stuck") and result.get("error"):
        sys.exit(1)


if __name__ == "__main__":
    main()
