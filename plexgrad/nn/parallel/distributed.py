"""``DistributedDataParallel``: one model replica per process, gradients averaged over the ranks
during ``backward()``.

At construction rank 0's parameters and buffers are broadcast to every rank (each tensor's
shape checked on every rank first), and the parameters are grouped into buckets of about
``bucket_cap_mb`` MB, last layer first (the order backward finishes them).  Each parameter
gets a "gradient ready" hook (``register_post_accumulate_grad_hook``): when the last gradient
of a bucket is final, the bucket is flattened and its all-reduce starts (nonblocking) while
backward goes on through the layers below.  Buckets start in the same order on every rank.
When backward has finished (the autograd engine's queued callback) the reductions are
waited for and the averages copied into ``.grad``, so ``optimizer.step()`` sees averaged
gradients, exactly as with torch.
"""

__all__ = ["DistributedDataParallel", "consume_prefix_in_state_dict_if_present"]

import contextlib

from ...core.autograd import no_grad
from ...core.autograd.engine import queue_callback
from ...core.autograd.node import Node
from ...core.ops.shape import cat
from ...core.tensor import Tensor
from ..modules.module import Module

_MB = 1024 * 1024


class _Bucket:
    """Parameters whose gradients are reduced together in one flat buffer."""

    __slots__ = ("parameters", "indices", "ready", "work", "buffer")

    def __init__(self):
        self.parameters = []
        self.indices = []  # positions in DistributedDataParallel._parameters
        self.ready = 0
        self.work = None
        self.buffer = None


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward()`` averages its gradients over the process group.

    ``bucket_cap_mb`` (default 25) sizes the buckets; ``find_unused_parameters=True`` lets some
    parameters get no gradient in an iteration (they are found by walking the graph after
    ``forward``; a parameter no rank used keeps ``.grad``); ``broadcast_buffers`` (default True)
    copies rank 0's buffers (BatchNorm's running statistics) to every rank before each
    forward.  ``no_sync()`` accumulates gradients locally; the first backward after it
    averages the accumulated sums.  ``state_dict()`` keys start with ``module.``; load them
    into an undistributed model with ``model.load_state_dict(ddp.module.state_dict())`` or
    ``consume_prefix_in_state_dict_if_present(state, "module.")``.

        model = DistributedDataParallel(Net())
        loss_fn(model(x), y).backward()      # .grad is now the average over ranks
        optimizer.step()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        from ...distributed.group import current_group
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps an nn.Module, got {type(module).__name__}")
        self.module = module
        group = process_group or current_group("DistributedDataParallel")
        object.__setattr__(self, "process_group", group)
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * _MB)
        parameters, seen = [], set()
        for parameter in module.parameters():
            if parameter.requires_grad and id(parameter) not in seen:
                seen.add(id(parameter))
                parameters.append(parameter)
        devices = {parameter.device.type for parameter in parameters}
        if len(devices) > 1:
            raise ValueError(f"DistributedDataParallel: the module's parameters are on several device types "
                             f"({', '.join(sorted(devices))}); put the whole replica on one device")
        object.__setattr__(self, "_parameters_in_order", parameters)
        self._verify_and_broadcast(module)
        buckets = self._make_buckets(parameters)
        object.__setattr__(self, "_buckets", buckets)
        object.__setattr__(self, "_bucket_of", {index: bucket for bucket in buckets for index in bucket.indices})
        object.__setattr__(self, "_hook_handles", [
            parameter.register_post_accumulate_grad_hook(self._make_hook(index))
            for index, parameter in enumerate(parameters)])
        self._reset_iteration(sync=False)

    # ---- construction ------------------------------------------------------------------------
    def _verify_and_broadcast(self, module):
        """Rank 0's parameters and buffers on every rank; a shape that differs raises on every
        rank with the shapes named (the checked broadcast)."""
        from ...distributed.collectives import broadcast
        with no_grad():
            for tensor in list(module.parameters()) + list(module.buffers()):
                broadcast(tensor.detach(), 0, group=self.process_group)

    def _make_buckets(self, parameters):
        buckets, current, current_bytes, current_key = [], None, 0, None
        for index in reversed(range(len(parameters))):  # backward finishes the last layers first
            parameter = parameters[index]
            size = parameter.numel() * parameter.element_size()
            key = (parameter.device, parameter.dtype)
            if current is None or key != current_key or current_bytes + size > self.bucket_bytes_cap \
                    and current.parameters:
                current = _Bucket()
                buckets.append(current)
                current_bytes, current_key = 0, key
            current.parameters.append(parameter)
            current.indices.append(index)
            current_bytes += size
        return buckets

    # ---- one iteration -----------------------------------------------------------------------
    def _reset_iteration(self, sync):
        object.__setattr__(self, "_sync", sync)
        object.__setattr__(self, "_ready", set())
        object.__setattr__(self, "_next_bucket", 0)
        object.__setattr__(self, "_callback_queued", False)
        object.__setattr__(self, "_locally_used", None)
        for bucket in self._buckets:
            bucket.ready = 0
            bucket.work = None
            bucket.buffer = None

    def forward(self, *inputs, **kwargs):
        sync = self.require_backward_grad_sync and _grad_enabled()
        if self._sync and self._callback_queued:  # the previous backward stopped before it finished
            self._raise_unfinished()
        self._reset_iteration(sync)
        if self.broadcast_buffers and self.process_group.world_size > 1:
            self._broadcast_buffers()
        output = self.module(*inputs, **kwargs)
        if sync and self.find_unused_parameters:
            used = _reachable_leaves(output)
            object.__setattr__(self, "_locally_used", used)
            for index, parameter in enumerate(self._parameters_in_order):
                if id(parameter) not in used:
                    self._mark_ready(index, from_backward=False)
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Within this block, backward accumulates gradients locally without averaging them; the
        first backward after it averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _broadcast_buffers(self):
        from ...distributed.collectives import start_broadcast_unchecked
        buffers = [buffer for buffer in self.module.buffers() if buffer is not None]
        groups = {}
        for buffer in buffers:
            groups.setdefault((buffer.device, buffer.dtype), []).append(buffer)
        with no_grad():
            for members in groups.values():
                flat = cat([buffer.detach().reshape(-1) for buffer in members])
                start_broadcast_unchecked(flat, 0, self.process_group).wait()
                offset = 0
                for buffer in members:
                    count = buffer.numel()
                    buffer.copy_(flat[offset:offset + count].reshape(buffer.shape))
                    offset += count

    def _make_hook(self, index):
        def gradient_ready(parameter):
            if self._sync:
                self._mark_ready(index, from_backward=True)
        return gradient_ready

    def _mark_ready(self, index, from_backward):
        if index in self._ready:
            return  # a parameter used by several backward calls of one forward: counted once
        self._ready.add(index)
        if from_backward and not self._callback_queued:
            object.__setattr__(self, "_callback_queued", True)
            queue_callback(self._finish_reduction)
        bucket = self._bucket_of[index]
        bucket.ready += 1
        if bucket.ready == len(bucket.parameters):
            self._start_ready_buckets()

    def _start_ready_buckets(self):
        """Start every complete bucket, in bucket order (the same order on every rank: MPI and NCCL
        match collectives by the order they are started in)."""
        from ...distributed.collectives import start_all_reduce_unchecked
        from ...distributed.reduce_op import ReduceOp
        buckets = self._buckets
        while self._next_bucket < len(buckets) and buckets[self._next_bucket].ready == \
                len(buckets[self._next_bucket].parameters):
            bucket = buckets[self._next_bucket]
            with no_grad():
                pieces = [(parameter.grad if parameter.grad is not None else _zeros_like(parameter)).reshape(-1)
                          for parameter in bucket.parameters]
                bucket.buffer = cat(pieces) if len(pieces) > 1 else pieces[0].clone()
            bucket.work = start_all_reduce_unchecked(bucket.buffer, ReduceOp.AVG, self.process_group)
            object.__setattr__(self, "_next_bucket", self._next_bucket + 1)

    def _finish_reduction(self):
        """After backward: wait for every bucket and write the averages into ``.grad``."""
        if not self._sync:
            return
        if self._next_bucket < len(self._buckets):
            self._raise_unfinished()
        globally_used = self._globally_used() if self.find_unused_parameters else None
        with no_grad():
            for bucket in self._buckets:
                bucket.work.wait()
                offset = 0
                for parameter, index in zip(bucket.parameters, bucket.indices):
                    count = parameter.numel()
                    average = bucket.buffer[offset:offset + count].reshape(parameter.shape)
                    offset += count
                    if globally_used is not None and not globally_used[index]:
                        continue  # no rank used it: its .grad stays as it was, as in torch
                    if parameter.grad is None:
                        parameter.grad = average
                    else:
                        parameter.grad.copy_(average)
        self._reset_iteration(sync=False)

    def _globally_used(self):
        """Which parameters some rank used this iteration (one small all-reduce)."""
        from ...core.factories import tensor
        from ...distributed.collectives import start_all_reduce_unchecked
        from ...distributed.reduce_op import ReduceOp
        used = self._locally_used or set()
        parameters = self._parameters_in_order
        flags = tensor([1 if id(parameter) in used else 0 for parameter in parameters], dtype=_int32(),
                       device=parameters[0].device)
        start_all_reduce_unchecked(flags, ReduceOp.MAX, self.process_group).wait()
        return [bool(flag) for flag in flags.tolist()]

    def _raise_unfinished(self):
        missing = [index for index in range(len(self._parameters_in_order)) if index not in self._ready]
        names = {id(parameter): name for name, parameter in self.module.named_parameters()}
        listed = ", ".join(names.get(id(self._parameters_in_order[i]), str(i)) for i in missing)
        self._reset_iteration(sync=False)
        raise RuntimeError(
            "Expected to have finished reduction in the prior iteration before starting a new one. This error "
            "indicates that your module has parameters that were not used in producing loss. You can enable "
            "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
            "`plexgrad.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
            f"participate in calculating loss. Parameters that did not receive grad for rank "
            f"{self.process_group.rank}: {listed}")


def _grad_enabled():
    from ...core.autograd import is_grad_enabled
    return is_grad_enabled()


def _int32():
    from ...core import dtypes
    return dtypes.int32


def _zeros_like(parameter):
    from ...core.factories import zeros_like
    return zeros_like(parameter)


def _reachable_leaves(output):
    """ids of the leaf tensors the autograd graph of ``output`` (tensors in any nesting) reaches."""
    stack, seen, leaves = [], set(), set()

    def collect(value):
        if isinstance(value, Tensor):
            if value._grad_fn is not None:
                stack.append(value._grad_fn)
            elif value.requires_grad:
                leaves.add(id(value))
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
    collect(output)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.edges:
            if type(edge) is Node:
                stack.append(edge)
            elif edge is not None:
                leaves.add(id(edge))
    return leaves


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` (``"module."`` for a DistributedDataParallel state dict) from the keys, in
    place, so the state dict loads into the undistributed model."""
    for key in [key for key in state_dict if key.startswith(prefix)]:
        state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in [key for key in metadata if key.startswith(prefix) or key == prefix.rstrip(".")]:
            metadata[key[len(prefix):] if key.startswith(prefix) else ""] = metadata.pop(key)
