"""Batch and instance normalization layers with running statistics, as torch's ``BatchNorm1d/2d/3d``
and ``InstanceNorm1d/2d/3d``."""

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]

from ...core import dtypes
from ...core.factories import ones, tensor, zeros
from .. import functional as F
from .affine import register_affine, reset_affine
from .module import Module


class _BatchNorm(Module):
    """Normalizes each channel with batch statistics in training and running statistics in eval.

    ``momentum=None`` keeps a cumulative average of the batch statistics.  The
    running variance is updated with the unbiased batch variance, as in torch.
    """

    _version = 2
    expected_dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        register_affine(self, num_features, affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=dtypes.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Reset the running statistics, weight to 1 and bias to 0."""
        self.reset_running_stats()
        reset_affine(self)

    def _check_input_dim(self, input):
        if input.dim() not in self.expected_dims:
            wanted = " or ".join(f"{dims}D" for dims in self.expected_dims)
            raise ValueError(f"expected {wanted} input (got {input.dim()}D input)")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) got input with {input.shape[1]} channels "
                             f"(dimension 1) in shape {list(input.shape)}; the channel count must match "
                             "num_features")

    def forward(self, input):
        self._check_input_dim(input)
        buffers, parameters = self._buffers, self._parameters  # one lookup each, not __getattr__ per use
        running_mean, running_var = buffers.get("running_mean"), buffers.get("running_var")
        tracked = buffers.get("num_batches_tracked")
        training = self.training
        factor = 0.0 if self.momentum is None else self.momentum
        if training and self.track_running_stats and tracked is not None:
            tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(tracked)
        use_batch_statistics = training or (running_mean is None and running_var is None)
        track = not training or self.track_running_stats
        return F.batch_norm(input, running_mean if track else None, running_var if track else None,
                            parameters.get("weight"), parameters.get("bias"), use_batch_statistics, factor, self.eps)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = self.num_batches_tracked if self.num_batches_tracked is not None else \
                    tensor(0, dtype=dtypes.int64)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over ``(N, C)`` or ``(N, C, L)`` input."""
    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over ``(N, C, H, W)`` input."""
    expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization over ``(N, C, D, H, W)`` input."""
    expected_dims = (5,)


class _InstanceNorm(_BatchNorm):
    """Normalizes each channel of each sample over its spatial dimensions.  Unlike batch norm, the
    defaults are ``affine=False, track_running_stats=False``; with tracking, training updates the
    running statistics (``num_batches_tracked`` stays 0, as in torch) and eval uses them."""

    no_batch_dims = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input):
        wanted = (self.no_batch_dims, self.no_batch_dims + 1)
        if input.dim() not in wanted:
            raise ValueError(f"expected {wanted[0]}D or {wanted[1]}D input (got {input.dim()}D input)")
        feature_dim = input.dim() - self.no_batch_dims
        if input.shape[feature_dim] != self.num_features and self.affine:
            raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                             f"({self.num_features}), but got: {input.shape[feature_dim]}.")
        batched = input.dim() == self.no_batch_dims + 1
        if not batched:
            input = input.unsqueeze(0)
        output = F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                                 self.training or not self.track_running_stats,
                                 0.0 if self.momentum is None else self.momentum, self.eps)
        return output if batched else output.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over ``(N, C, L)`` or unbatched ``(C, L)`` input."""
    no_batch_dims = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over ``(N, C, H, W)`` or unbatched ``(C, H, W)`` input."""
    no_batch_dims = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)`` input."""
    no_batch_dims = 4
