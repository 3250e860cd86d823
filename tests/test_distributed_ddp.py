"""DistributedDataParallel on 2-process loopback jobs, on every backend: the same parameters
after N steps as one process training on the global batch (float32 tolerance), no_sync
accumulation, find_unused_parameters, state dicts that load into the plain model; and
DistributedSampler's indices against torch's."""

import importlib.util
import json

import numpy
import pytest
import torch
from torch.utils.data import DistributedSampler as TorchDistributedSampler

import plexgrad
from plexgrad.data import DistributedSampler
from dist_jobs.spawn import spawn
from deadlines import deadline

needs_mpi = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                               reason="mpi4py is not installed (pip install 'plexgrad[distributed]')")


def _torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.Tanh(), torch.nn.Linear(12, 12), torch.nn.Tanh(),
                               torch.nn.Linear(12, 3))


def _run(scenario, device, tmp_path, world=2, timeout=120):
    with deadline(timeout + 10):
        results = spawn(world, [scenario, device, str(tmp_path)], timeout)
    for rank, (code, out, err) in enumerate(results):
        assert code == 0, f"rank {rank} exited with {code}:\n{err[-4000:]}"
    return [json.loads((tmp_path / f"rank_{rank}.json").read_text()) for rank in range(world)]


@needs_mpi
def test_ddp_matches_one_process_on_the_global_batch(device, tmp_path):
    seen = _run("ddp", device, tmp_path)
    # torch, one process, rank 0's initial parameters, the whole batch each step (the no_sync step
    # is two half-batches per rank: their accumulated mean is the global batch's gradient too)
    model = _torch_mlp()
    with torch.no_grad():
        for (name, parameter) in model.named_parameters():
            parameter.copy_(torch.tensor(seen[0]["initial"][name]["values"]))
    rng = numpy.random.default_rng(0)
    inputs = torch.tensor(rng.standard_normal((24, 6)), dtype=torch.float32)
    targets = torch.tensor(rng.integers(0, 3, 24))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(4):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
    for rank in range(2):
        assert seen[rank]["initial"] == seen[0]["initial"], "construction must broadcast rank 0's parameters"
        assert seen[rank]["loaded_matches"]
        assert seen[rank]["keys"] == sorted(f"module.{key}" for key in model.state_dict())
        assert seen[rank]["buckets"] > 1
        for name, parameter in model.named_parameters():
            numpy.testing.assert_allclose(numpy.array(seen[rank]["final"][name]["values"]),
                                          parameter.detach().numpy(), rtol=1e-5, atol=1e-6)
    # inside no_sync the gradients stayed local: the ranks' differ
    assert seen[0]["local_after_no_sync"] != seen[1]["local_after_no_sync"]


@needs_mpi
def test_find_unused_parameters(device, tmp_path):
    seen = _run("unused", device, tmp_path)
    # rank 0 used body + left, rank 1 body + right; torch's DDP averages each gradient over the
    # ranks (a rank that did not use a parameter contributes zeros); "never" was used by no rank
    # and keeps grad None
    gradients = []
    for rank, head in ((0, "left"), (1, "right")):
        modules = {name: torch.nn.Linear(4, 4 if name == "body" else 2) for name in ("body", "left", "right")}
        with torch.no_grad():
            for name, module in modules.items():
                module.weight.copy_(torch.tensor(seen[0]["initial"][f"{name}.weight"]["values"]))
                module.bias.copy_(torch.tensor(seen[0]["initial"][f"{name}.bias"]["values"]))
        x = torch.ones(3, 4) * (rank + 1)
        modules[head](modules["body"](x).tanh()).sum().backward()
        gradients.append({f"{name}.{kind}": getattr(module, kind).grad for name, module in modules.items()
                          for kind in ("weight", "bias")})
    for rank in range(2):
        assert seen[rank]["never.weight"] is None and seen[rank]["never.bias"] is None
        for name in gradients[0]:
            pieces = [g[name] if g[name] is not None else torch.zeros(()) for g in gradients]
            expected = (pieces[0] + pieces[1]) / 2
            numpy.testing.assert_allclose(numpy.array(seen[rank][name]["values"]), expected.numpy(), rtol=1e-5,
                                          atol=1e-6, err_msg=name)
        assert "find_unused_parameters=True" in seen[rank]["strict_error"]
        assert "right.weight" in seen[rank]["strict_error"] and "never.weight" in seen[rank]["strict_error"]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("size,replicas", [(10, 3), (12, 4), (5, 8), (7, 2)])
def test_distributed_sampler_matches_torch(size, replicas, shuffle, drop_last):
    dataset = list(range(size))
    partitions = []
    for rank in range(replicas):
        ours = DistributedSampler(dataset, num_replicas=replicas, rank=rank, shuffle=shuffle, drop_last=drop_last)
        theirs = TorchDistributedSampler(dataset, num_replicas=replicas, rank=rank, shuffle=shuffle,
                                         drop_last=drop_last)
        assert len(ours) == len(theirs) == len(list(ours))
        if not shuffle:
            assert list(ours) == list(theirs)
        partitions.append(list(ours))
    every = [index for part in partitions for index in part]
    if drop_last:
        assert len(set(every)) == len(every) == (size // replicas) * replicas  # disjoint, nothing padded
    else:
        assert set(every) == set(range(size))  # every index is visited, padded by repetition


def test_distributed_sampler_epochs_reshuffle_alike_on_every_rank():
    dataset = list(range(20))
    samplers = [DistributedSampler(dataset, num_replicas=2, rank=rank, seed=3) for rank in range(2)]
    orders = []
    for epoch in range(3):
        for sampler in samplers:
            sampler.set_epoch(epoch)
        parts = [list(sampler) for sampler in samplers]
        assert sorted(parts[0] + parts[1]) == list(range(20))  # one permutation, split
        orders.append(parts[0])
    assert orders[0] != orders[1] != orders[2]
    again = DistributedSampler(dataset, num_replicas=2, rank=0, seed=3)
    again.set_epoch(1)
    assert list(again) == orders[1]


def test_distributed_sampler_bad_input():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 1\]"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=3)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(list(range(4)))
