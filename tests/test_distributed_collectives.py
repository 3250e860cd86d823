"""plexgrad.distributed's collectives on loopback jobs of 2 (and 3) processes, on every backend:
each rank's results are compared with the same reduction computed by torch from every rank's
inputs; mismatched shapes raise on every rank with both shapes named; AVG on integers, bad
arguments and calls before init_process_group raise with what to do."""

import importlib.util
import json

import numpy
import pytest
import torch

import plexgrad
import plexgrad.distributed as dist
from dist_jobs.spawn import spawn
from deadlines import deadline

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                                reason="mpi4py is not installed (pip install 'plexgrad[distributed]')")


def _inputs(rank):
    return torch.arange(6, dtype=torch.float32).reshape(2, 3) + rank


def _expected(world):
    """What every collective of worker.collectives should give on each rank, computed by torch."""
    stacked = torch.stack([_inputs(r) for r in range(world)])
    halves = torch.stack([_inputs(r) * 0.5 for r in range(world)])
    per_rank = []
    for rank in range(world):
        expected = {
            "all_reduce_SUM": stacked.sum(0), "all_reduce_AVG": stacked.mean(0), "all_reduce_PRODUCT": halves.prod(0),
            "all_reduce_MAX": stacked.amax(0), "all_reduce_MIN": stacked.amin(0),
            "all_reduce_int64": torch.stack([torch.tensor([r, 10 - r, 2 ** 40 + r]) for r in range(world)]).sum(0),
            "all_reduce_bool": torch.stack([torch.tensor([r == 0, False, True]) for r in range(world)]).any(0),
            "all_reduce_float16": torch.stack([torch.full((3,), 0.5 + r, dtype=torch.float16)
                                               for r in range(world)]).sum(0),
            "all_reduce_strided": torch.stack([torch.arange(8, dtype=torch.float64).reshape(2, 4)[:, ::2] * (r + 1)
                                               for r in range(world)]).sum(0),
            "all_gather_into_tensor": torch.cat([_inputs(r) for r in range(world)]),
            "reduce_scatter": torch.stack([torch.full((3,), float(r + 10 * rank)) for r in range(world)]).sum(0),
            "reduce_scatter_tensor_MAX": torch.stack([torch.arange(2 * world, dtype=torch.float32) * (r + 1)
                                                      for r in range(world)]).amax(0)[2 * rank:2 * rank + 2],
            "still_works": torch.tensor([float(sum(range(world)))]),
        }
        for src in range(world):
            expected[f"broadcast_{src}"] = torch.full((2,), float(src * 10 + 1))
        per_rank.append(expected)
    return per_rank


def _check(seen, expected, device):
    assert seen["device"] == device
    assert seen["dtype"] == str(expected.dtype).replace("torch.", "plexgrad."), seen
    assert tuple(seen["shape"]) == tuple(expected.shape)
    numpy.testing.assert_allclose(numpy.array(seen["values"], dtype=numpy.float64),
                                  expected.double().numpy(), rtol=1e-6, atol=0)


def _run(world, device, tmp_path, timeout):
    with deadline(timeout + 10):
        results = spawn(world, ["collectives", device, str(tmp_path)], timeout)
    for rank, (code, out, err) in enumerate(results):
        assert code == 0, f"rank {rank} exited with {code}:\n{err[-4000:]}"
    return [json.loads((tmp_path / f"rank_{rank}.json").read_text()) for rank in range(world)]


@pytest.mark.parametrize("world", [2, 3], ids=["2-ranks", "3-ranks"])
def test_every_collective_matches_torch(device, world, tmp_path):
    if world == 3 and device != "cpu":
        pytest.skip("3 ranks only on cpu: each jax process compiles every collective (slow on 2 cores)")
    seen_by_rank = _run(world, device, tmp_path, timeout=120)
    for rank, (seen, expected) in enumerate(zip(seen_by_rank, _expected(world))):
        assert seen["rank"] == rank and seen["world_size"] == world
        for name, value in expected.items():
            _check(seen[name], value, device)
        for index in range(world):
            _check(seen["all_gather"][index], _inputs(index), device)
        assert seen["async_wait"] is True
        # the same message on every rank, naming every rank's shape
        assert "rank 0: all_reduce of a plexgrad.float32 tensor of shape (2,)" in seen["mismatch"]
        assert "rank 1: all_reduce of a plexgrad.float32 tensor of shape (3,)" in seen["mismatch"]
        assert seen["mismatch"] == seen_by_rank[0]["mismatch"]
        assert "ReduceOp.AVG needs a floating-point tensor" in seen["avg_int"]


@pytest.mark.parametrize("call", [
    lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.barrier(),
    lambda: dist.all_reduce(plexgrad.ones(2)), lambda: dist.broadcast(plexgrad.ones(2), 0),
], ids=["get_rank", "get_world_size", "barrier", "all_reduce", "broadcast"])
def test_before_init_says_how_to_initialise(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized") as caught:  # torch's type
        call()
    assert "init_process_group" in str(caught.value) and "plexgrad.distributed.run" in str(caught.value)


def test_init_without_rank_says_where_ranks_come_from(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "PMI_FD", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="rank and world_size unknown.*--nproc-per-node"):
        dist.init_process_group("mpi")
    with pytest.raises(ValueError, match="rank 2 is not in range for world_size 2"):
        dist.init_process_group("mpi", rank=2, world_size=2, init_method="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="unknown collective engine 'carrier-pigeon'; known engines: mpi"):
        dist.init_process_group("carrier-pigeon", rank=0, world_size=1, init_method="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="init_method 'file:///tmp/x' is not supported"):
        dist.init_process_group("mpi", rank=0, world_size=1, init_method="file:///tmp/x")
    assert not dist.is_initialized()


def test_reduce_op_matches_torch_names():
    assert [op.name for op in dist.ReduceOp] == ["SUM", "AVG", "PRODUCT", "MAX", "MIN"]
    for name in ("SUM", "AVG", "PRODUCT", "MAX", "MIN"):
        assert hasattr(torch.distributed.ReduceOp, name)


_PLUGIN = '''
"""A third-party collective engine: one process, every collective returns its input."""
import numpy
from plexgrad.distributed import CollectiveEngine, EngineDeclaration, hookimpl
from plexgrad.distributed.engine import DoneWork

CALLS = []


class LoopbackEngine(CollectiveEngine):
    name = "loopback"
    device_types = ("cpu",)

    def all_reduce(self, array, op):
        CALLS.append("all_reduce")
        return DoneWork(array)

    def broadcast(self, array, src):
        return DoneWork(array)

    def all_gather(self, array):
        return DoneWork(array[None])

    def reduce_scatter(self, array, op):
        return DoneWork(array[0])

    def barrier(self):
        return DoneWork(None)

    def gather_host(self, values):
        return DoneWork(numpy.asarray(values)[None])


@hookimpl
def plexgrad_collective_engines():
    return [EngineDeclaration("loopback", ("cpu",), 1, lambda: LoopbackEngine)]
'''


def test_a_third_party_engine_plugs_in_through_an_entry_point(tmp_path, monkeypatch):
    from importlib import metadata
    from plexgrad.distributed import engine_registry
    (tmp_path / "plexgrad_loopback_engine.py").write_text(_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    entry_point = metadata.EntryPoint("loopback", "plexgrad_loopback_engine", engine_registry.ENGINE_ENTRY_POINT_GROUP)
    real_entry_points = metadata.entry_points
    monkeypatch.setattr(engine_registry.metadata, "entry_points", lambda group=None: [entry_point]
                        if group == engine_registry.ENGINE_ENTRY_POINT_GROUP else real_entry_points(group=group))
    engine_registry.reset()
    try:
        assert "loopback" in [record.name for record in engine_registry.records()]
        dist.init_process_group("loopback", rank=0, world_size=1, init_method="tcp://127.0.0.1:29400")
        try:
            assert dist.get_backend() == "loopback" and dist.get_world_size() == 1
            t = plexgrad.tensor([1.0, 2.0])
            dist.all_reduce(t)
            assert t.tolist() == [1.0, 2.0]
            import plexgrad_loopback_engine
            assert plexgrad_loopback_engine.CALLS == ["all_reduce"]
            with pytest.raises(RuntimeError, match="no collective engine for 'jax' tensors.*backend='cpu:mpi,jax:jax'"):
                dist.all_reduce(plexgrad.ones(1, device="jax") if importlib.util.find_spec("jax") else
                                _fake_jax_tensor())
        finally:
            dist.destroy_process_group()
    finally:
        engine_registry.reset()
    assert not dist.is_initialized()


def _fake_jax_tensor():
    pytest.skip("jax is not installed")
