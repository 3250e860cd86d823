"""Native kernels for the core's fused ops, written once against ``xp``.

``linear``, ``linear_backward``, ``relu_backward``, ``batch_norm_train``,
``batch_norm_backward``, ``cross_entropy_indices`` and
``cross_entropy_indices_backward`` are ops the core declares like any other (their
signatures, derivatives and decompositions live in ``plexgrad/core/ops``); a
backend that lacks one runs its decomposition.  A training step spends most of its
Python time dispatching the dozen small ops of those decompositions, so numpy and
jax run these one-call versions natively.  They never implement derivatives: the
backward kernels serve first-order gradients of the core's rules.

Each builder takes ``xp`` and ``compile(function, static_argnums)``: the identity for
numpy and cupy, ``jax.jit`` for jax, where one compiled call replaces a dozen
dispatched ones (``static_argnums`` are the hashable parameters: dims, shapes, eps,
which gradients are needed).  The kernel signatures (see ``python -m plexgrad.backends
--ops``):

``linear(x, weight, bias)``
    ``x @ weight.T + bias`` for a 2-d ``x`` (``bias`` may be ``None``).
``linear_backward(grad, x, weight, need_input, need_weight, need_bias)``
    ``(grad @ weight, grad.T @ x, grad.sum(0))``, each ``None`` where not needed.
``relu_backward(grad, output)``
    ``grad`` where ``output > 0``, else 0.
``batch_norm_train(x, weight, bias, eps, dims, shape)``
    ``(output, centered, inverse_std, mean, variance)``: ``mean`` and the biased
    ``variance`` flat per channel, ``centered`` and ``inverse_std`` for backward.
``batch_norm_backward(grad, centered, inverse_std, weight, dims, shape, need_input)``
    ``(grad_input or None, grad_weight, grad_bias)``.
``cross_entropy_indices(logits, target, scale)``
    ``(loss, probabilities)`` for ``(N, C)`` logits and int ``(N,)`` targets, where
    ``loss`` is the summed negative log-likelihood times ``scale``, or
    ``None`` when a target lies outside ``[0, C)`` (the caller then takes the
    general path, which handles ``ignore_index`` and reports bad targets).
``cross_entropy_indices_backward(probabilities, target, grad, scale)``
    ``(probabilities - one_hot(target)) * (grad * scale)``.
"""

__all__ = ["FUSED_BUILDERS", "build_fused_kernels"]


def _eager(function, static_argnums=()):
    return function


def _linear(xp, compile=_eager):
    matmul = xp.matmul

    def linear(x, weight, bias):
        result = matmul(x, weight.T)
        return result if bias is None else result + bias
    return compile(linear)


def _linear_backward(xp, compile=_eager):
    matmul = xp.matmul

    def linear_backward(grad, x, weight, need_input, need_weight, need_bias):
        return (matmul(grad, weight) if need_input else None, matmul(grad.T, x) if need_weight else None,
                grad.sum(axis=0) if need_bias else None)
    return compile(linear_backward, static_argnums=(3, 4, 5))


def _relu_backward(xp, compile=_eager):
    def relu_backward(grad, output):
        return grad * xp.logical_not(output <= 0)  # torch's threshold_backward: a NaN output passes
    return compile(relu_backward)


def _batch_norm_train(xp, compile=_eager):
    def batch_norm_train(x, weight, bias, eps, dims, shape):
        if x.dtype.itemsize < 4:  # float16/bfloat16: statistics in float32, as torch does
            results = batch_norm_train(x.astype(xp.float32), None if weight is None else weight.astype(xp.float32),
                                       None if bias is None else bias.astype(xp.float32), eps, dims, shape)
            return tuple(result.astype(x.dtype) for result in results)
        inverse_count = 1 / (x.size // x.shape[1])
        mean = x.sum(axis=dims, keepdims=True) * inverse_count
        centered = x - mean
        variance = (centered * centered).sum(axis=dims, keepdims=True) * inverse_count
        inverse_std = 1 / xp.sqrt(variance + eps)
        scale = inverse_std if weight is None else inverse_std * weight.reshape(shape)
        output = centered * scale
        if bias is not None:
            output = output + bias.reshape(shape)
        return output, centered, inverse_std, mean.reshape(-1), variance.reshape(-1)
    return compile(batch_norm_train, static_argnums=(3, 4, 5))


def _batch_norm_backward(xp, compile=_eager):
    def batch_norm_backward(grad, centered, inverse_std, weight, dims, shape, need_input):
        count = grad.size // grad.shape[1]
        inverse_flat = inverse_std.reshape(-1)
        grad_bias = grad.sum(axis=dims)
        grad_weight = (grad * centered).sum(axis=dims) * inverse_flat
        if not need_input:
            return None, grad_weight, grad_bias
        scale = inverse_flat if weight is None else inverse_flat * weight
        # grad * s - mean(grad) * s - normalized * mean(grad * normalized) * s, with normalized = centered * inv
        grad_input = (grad * scale.reshape(shape) - (scale * grad_bias / count).reshape(shape)
                      - centered * (scale * inverse_flat * grad_weight / count).reshape(shape))
        return grad_input, grad_weight, grad_bias
    return compile(batch_norm_backward, static_argnums=(4, 5, 6))


def _cross_entropy_indices(xp, compile=_eager):
    def loss_and_probabilities(logits, target, scale):
        shifted = logits - logits.max(axis=1, keepdims=True)
        exponentials = xp.exp(shifted)
        sums = exponentials.sum(axis=1, keepdims=True)
        picked = xp.take_along_axis(shifted, target.reshape(-1, 1), axis=1)
        loss = xp.asarray((xp.log(sums) - picked).sum() * scale, dtype=logits.dtype)
        return loss, exponentials / sums
    compiled = compile(loss_and_probabilities)

    def cross_entropy_indices(logits, target, scale):
        classes = logits.shape[1]
        if not bool(((target >= 0) & (target < classes)).all()):  # outside the compiled part: it looks at data
            return None
        return compiled(logits, target, scale)
    return cross_entropy_indices


def _cross_entropy_indices_backward(xp, compile=_eager):
    def cross_entropy_indices_backward(probabilities, target, grad, scale):
        one_hot = xp.arange(probabilities.shape[1]) == target.reshape(-1, 1)
        return (probabilities - one_hot) * (grad * scale)
    return compile(cross_entropy_indices_backward)


FUSED_BUILDERS = {
    "linear": _linear,
    "linear_backward": _linear_backward,
    "relu_backward": _relu_backward,
    "batch_norm_train": _batch_norm_train,
    "batch_norm_backward": _batch_norm_backward,
    "cross_entropy_indices": _cross_entropy_indices,
    "cross_entropy_indices_backward": _cross_entropy_indices_backward,
}


def build_fused_kernels(xp, compile=_eager):
    """Every fused kernel for ``xp``, by name, each compiled with ``compile`` (see the module docstring)."""
    return {name: builder(xp, compile) for name, builder in FUSED_BUILDERS.items()}
