"""A script for the launcher tests: ``launched.py MODE``; every rank sums its rank, then
``raise`` makes rank 1 raise, ``exit`` makes rank 1 ``sys.exit(3)``, ``kill`` makes rank 1 kill
itself; the other ranks wait in a barrier (the launcher must stop them)."""

import os
import signal
import sys

import plexgrad
import plexgrad.distributed as dist

dist.init_process_group()
rank = dist.get_rank()
total = plexgrad.tensor([float(rank)])
dist.all_reduce(total)
print(f"rank {rank} of {dist.get_world_size()} local {os.environ.get('LOCAL_RANK', '-')} sum {total.item()}", flush=True)
mode = sys.argv[1]
if rank == 1 and mode == "raise":
    raise ValueError("rank 1 fails on purpose")
if rank == 1 and mode == "exit":
    sys.exit(3)
if rank == 1 and mode == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
if mode != "ok":
    dist.barrier()
