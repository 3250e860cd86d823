"""The errors plexgrad.distributed raises: each names the rank, the collective and what to do."""

__all__ = ["DistError", "DistBackendError", "DistTimeoutError", "DeadRankError"]


class DistError(RuntimeError):
    """Base class of plexgrad.distributed's errors (a RuntimeError, as torch.distributed's are)."""


class DistBackendError(DistError):
    """A collective engine failed (MPI, JAX or NCCL reported an error)."""


class DistTimeoutError(DistError, TimeoutError):
    """A collective did not finish within the process group's timeout; the message says which
    ranks were alive and which collective each of them was in."""


class DeadRankError(DistError):
    """A peer's process is gone: this rank stopped waiting for it instead of hanging."""
