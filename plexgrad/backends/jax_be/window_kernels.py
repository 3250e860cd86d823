"""Convolution and pooling kernels for jax: ``lax.conv_general_dilated`` and
``lax.reduce_window``, everything compiled once per shape and parameter set.

The two convolution adjoints are the pullbacks of the forward convolution, which
XLA compiles into the transposed convolutions (the forward is dead code and
dropped).  That is jax computing a kernel, not plexgrad's autograd: the core's
derivative rules still call these kernels as primitives.  The max-pool index
search and the average-pool adjoint are the shared ``xp`` kernels, jitted.
"""

__all__ = ["build_window_kernels"]

from ..window_kernels import build_window_kernels as build_shared, output_length

_DIMENSIONS = ("NCHW", "OIHW", "NCHW")


def build_window_kernels(jax):
    """The six sliding-window kernels for jax."""
    import jax.numpy as jnp
    from jax import lax

    def convolve(x, weight, stride, padding, dilation, groups):
        return lax.conv_general_dilated(x, weight, window_strides=stride, padding=padding,
                                        rhs_dilation=dilation, feature_group_count=groups,
                                        dimension_numbers=_DIMENSIONS)

    def widen(grad, input_shape, kernel, stride, padding, dilation):
        # a transposed convolution's output_padding can leave trailing windows its gradient never
        # saw: they get zero gradient
        extra = [output_length(extent, size, step, sum(pair), spacing) - have for extent, size, step, pair, spacing, have
                 in zip(input_shape[2:], kernel, stride, padding, dilation, grad.shape[2:])]
        if any(extra):
            grad = jnp.pad(grad, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
        return grad

    def conv2d_input_grad(grad, weight, input_shape, stride, padding, dilation, groups):
        zeros = jnp.zeros(input_shape, grad.dtype)
        _, pullback = jax.vjp(lambda x: convolve(x, weight, stride, padding, dilation, groups), zeros)
        return pullback(widen(grad, input_shape, weight.shape[2:], stride, padding, dilation))[0]

    def conv2d_weight_grad(x, grad, weight_shape, stride, padding, dilation, groups):
        zeros = jnp.zeros(weight_shape, grad.dtype)
        _, pullback = jax.vjp(lambda weight: convolve(x, weight, stride, padding, dilation, groups), zeros)
        return pullback(widen(grad, x.shape, weight_shape[2:], stride, padding, dilation))[0]

    shared = build_shared(jnp, add_into=lambda buffer, key, values: buffer.at[key].add(values), concrete=False)

    def avg_pool2d(x, kernel, stride, padding, count_include_pad, divisor_override):
        total = lax.reduce_window(x, jnp.zeros((), x.dtype), lax.add, (1, 1) + tuple(kernel), (1, 1) + tuple(stride),
                                  ((0, 0), (0, 0)) + tuple(padding))
        divisor = shared["pool_divisor"](x.shape, kernel, stride, padding, count_include_pad, divisor_override,
                                         total.shape[-2], total.shape[-1])
        return (total / divisor).astype(x.dtype)

    def compiled(function, static):
        return jax.jit(function, static_argnums=static)

    return {
        "conv2d": compiled(convolve, (2, 3, 4, 5)),
        "conv2d_input_grad": compiled(conv2d_input_grad, (2, 3, 4, 5, 6)),
        "conv2d_weight_grad": compiled(conv2d_weight_grad, (2, 3, 4, 5, 6)),
        "max_pool2d_indices": compiled(shared["max_pool2d_indices"], (1, 2, 3, 4)),
        "avg_pool2d": compiled(avg_pool2d, (1, 2, 3, 4, 5)),
        "avg_pool2d_backward": compiled(shared["avg_pool2d_backward"], (1, 2, 3, 4, 5, 6)),
    }
