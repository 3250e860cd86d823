"""``DataParallel``: torch's single-process wrapper, here a pass-through to the wrapped module."""

__all__ = ["DataParallel"]

from ..modules.module import Module


class DataParallel(Module):
    """Wrap ``module`` as torch's ``nn.DataParallel`` does; calls run the module itself.

    torch splits each batch across the GPUs in ``device_ids``; on a CPU it calls the module
    directly.  plexgrad always does the latter: the results (values, gradients, the
    ``module.``-prefixed ``state_dict`` keys) are those of torch's, only no batch is split.
    For several devices, use ``DistributedDataParallel``.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel expects an nn.Module to wrap, got {type(module).__name__}")
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
