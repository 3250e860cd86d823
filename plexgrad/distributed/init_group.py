"""``init_process_group`` and friends: who this process is, from arguments, the environment
(``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``, ``LOCAL_RANK``) or an MPI launch,
and which engine serves each device type."""

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available", "get_rank",
           "get_world_size", "get_backend", "is_mpi_launch", "DEFAULT_TIMEOUT_SECONDS", "TIMEOUT_VARIABLE"]

import datetime
import os

from . import engine_registry, exit_state
from .engine import EngineContext
from .group import ProcessGroup, current_group, set_current_group
from .liveness import local_address_towards

DEFAULT_TIMEOUT_SECONDS = 180.0
"""How long any collective may take before it fails (a dead peer is named much sooner)."""
TIMEOUT_VARIABLE = "PLEXGRAD_DIST_TIMEOUT"

_MPI_RANK_VARIABLES = (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                       ("MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE"))
_ALIASES = {"gloo": None}  # torch scripts say backend="gloo" for CPU: plexgrad's CPU engine serves it


def is_available():
    """True: plexgrad.distributed is always importable (engines may still be missing)."""
    return True


def is_initialized():
    """True once ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    from . import group
    return group._current is not None


def is_mpi_launch():
    """True when this process was started by ``mpirun``/``mpiexec`` (its PMI is in the environment)."""
    return "PMI_FD" in os.environ or "OMPI_COMM_WORLD_SIZE" in os.environ or \
        ("PMI_RANK" in os.environ and "PMI_PORT" in os.environ and "PLEXGRAD_RENDEZVOUS_HOSTED" not in os.environ)


def _seconds(timeout):
    if timeout is None:
        return float(os.environ.get(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_SECONDS))
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


def _from_environment(name, what):
    value = os.environ.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"init_process_group: environment variable {name}={value!r} must be an integer "
                         f"({what})") from None


def _rank_and_size(rank, world_size):
    if rank is None or rank < 0:
        rank = _from_environment("RANK", "this process's rank")
    if world_size is None or world_size < 0:
        world_size = _from_environment("WORLD_SIZE", "the number of processes")
    if (rank is None or world_size is None) and is_mpi_launch():
        for rank_name, size_name in _MPI_RANK_VARIABLES:
            if rank_name in os.environ and size_name in os.environ:
                rank = int(os.environ[rank_name]) if rank is None else rank
                world_size = int(os.environ[size_name]) if world_size is None else world_size
                break
    if rank is None or world_size is None:
        missing = " and ".join(n for n, v in (("rank", rank), ("world_size", world_size)) if v is None)
        raise ValueError(
            f"init_process_group: {missing} unknown. Start the script with `python -m plexgrad.distributed.run "
            f"--nproc-per-node N script.py` or `mpirun -n N python script.py`, set RANK and WORLD_SIZE, or pass "
            f"rank= and world_size=")
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"init_process_group: rank {rank} is not in range for world_size {world_size} "
                         f"(ranks go from 0 to world_size - 1)")
    return rank, world_size


def _address(init_method):
    if init_method is None or init_method == "env://":
        address = os.environ.get("MASTER_ADDR", "127.0.0.1")
        port = _from_environment("MASTER_PORT", "the rendezvous port")
        return address, port
    if init_method.startswith("tcp://"):
        host, _, port = init_method[len("tcp://"):].rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"init_process_group: init_method {init_method!r} must look like 'tcp://host:port'")
        return host.strip("[]"), int(port)
    raise ValueError(f"init_process_group: init_method {init_method!r} is not supported; use 'env://' (MASTER_ADDR, "
                     f"MASTER_PORT) or 'tcp://host:port'")


def _engine_plan(backend):
    """device type -> engine name, from ``backend`` ('mpi', 'cpu:mpi,jax:jax', None: the defaults)."""
    from ..core.device import get_default_device
    plan = {}
    if backend is None or backend in _ALIASES:
        device_types = ["cpu"]
        default_type = get_default_device().type
        if default_type != "cpu":
            device_types.append(default_type)
        for device_type in device_types:
            record = engine_registry.default_engine_for(device_type)
            if record is not None:
                plan[device_type] = record.name
        if not plan:
            raise RuntimeError("init_process_group: no collective engine is available for cpu tensors; install one "
                               "with: pip install 'plexgrad[distributed]' (mpi4py and the mpich wheel)")
        return plan
    for part in str(backend).split(","):
        part = part.strip().lower()
        if ":" in part:
            device_type, name = part.split(":", 1)
            engine_registry.record_named(name)
            plan[device_type] = name
        else:
            record = engine_registry.record_named(part)
            for device_type in record.declaration.device_types:
                plan.setdefault(device_type, part)
    return plan


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join this process to the job's default process group (torch.distributed's signature).

    ``backend``: an engine name (``"mpi"``, ``"jax"``, ``"nccl"``, a plugin's), ``"cpu:mpi,jax:jax"``
    pairs, or None (the CPU engine, plus the engine for the default device).  ``"gloo"`` is taken
    as plexgrad's CPU engine.  Rank and world size come from the arguments, else ``RANK`` and
    ``WORLD_SIZE``, else an ``mpirun`` launch; the rendezvous address from ``init_method``
    (``'env://'``: ``MASTER_ADDR``/``MASTER_PORT``; ``'tcp://host:port'``).  ``timeout`` (a
    ``datetime.timedelta`` or seconds; default ``PLEXGRAD_DIST_TIMEOUT`` or 180 s) bounds joining
    and every collective.

        import plexgrad.distributed as dist
        dist.init_process_group("mpi")          # under python -m plexgrad.distributed.run
        dist.all_reduce(tensor)                 # sums over ranks, in place
    """
    if is_initialized():
        raise RuntimeError("trying to initialize the default process group twice! Call "
                           "destroy_process_group() first")
    if store is not None:
        raise NotImplementedError("init_process_group(store=...) is not supported; use init_method or the "
                                  "MASTER_ADDR/MASTER_PORT environment variables")
    rank, world_size = _rank_and_size(rank, world_size)
    seconds = _seconds(timeout)
    master_addr, master_port = _address(init_method)
    launched_by_mpi = is_mpi_launch()
    plan = _engine_plan(backend)
    if master_port is None and not (launched_by_mpi and set(plan.values()) <= {"mpi"}):
        raise ValueError("init_process_group: MASTER_PORT is not set; set MASTER_ADDR and MASTER_PORT (the "
                         "launcher does), or pass init_method='tcp://host:port'")
    group = ProcessGroup(rank, world_size, seconds, master_addr)
    local_rank = _from_environment("LOCAL_RANK", "the rank on this node")
    try:
        order = sorted(plan.items(), key=lambda item: item[0] != "cpu")  # the cpu engine first: others lean on it
        started = {}
        for device_type, name in order:
            if name not in started:
                engine_class = engine_registry.record_named(name).declaration.load()
                context = EngineContext(
                    rank=rank, world_size=world_size, master_addr=master_addr, master_port=master_port,
                    timeout=seconds, local_rank=local_rank if local_rank is not None else rank,
                    launched_by_mpi=launched_by_mpi,
                    rendezvous_hosted=os.environ.get("PLEXGRAD_RENDEZVOUS_HOSTED") == "1",
                    host_engine=group.host_engine)
                context.group = group
                started[name] = engine_class(context)
            group.add_engine((device_type,), name, started[name])
        group.exchange_addresses(local_address_towards(master_addr))
    except BaseException:
        group.liveness.close()
        raise
    exit_state.install(group)
    set_current_group(group)


def destroy_process_group(group=None):
    """Leave the default process group (its engines' communicators are freed; MPI itself stays
    initialised until exit, as MPI cannot be initialised twice)."""
    current = current_group("destroy_process_group")
    set_current_group(None)
    current.close()


def get_rank(group=None):
    """This process's rank in the default group (0 ... world_size - 1)."""
    return current_group("get_rank").rank


def get_world_size(group=None):
    """The number of processes in the default group."""
    return current_group("get_world_size").world_size


def get_backend(group=None):
    """The engines of the default group, as ``init_process_group`` accepts them: ``'cpu:mpi,jax:jax'``."""
    names = current_group("get_backend").engine_names
    values = set(names.values())
    return values.pop() if len(values) == 1 else ",".join(f"{d}:{n}" for d, n in names.items())
