"""The seeds' MLP step and the small CNN step written by hand as one ``jax.jit`` each.

What ``plexgrad.compile`` on ``jax`` is measured against: forward, BatchNorm in training
mode (running statistics updated), cross entropy, ``jax.grad``, SGD with momentum, the
parameters, momentum buffers and running statistics passed in and out and donated.
"""

__all__ = ["mlp_step", "cnn_step"]

import numpy

EPS, MOMENTUM, LR, BN_MOMENTUM = 1e-5, 0.9, 0.01, 0.1


def _uniform(rng, bound, shape):
    return rng.uniform(-bound, bound, shape).astype(numpy.float32)


def _batch_norm(jnp, x, gamma, beta, axes):
    mean = x.mean(axes)
    var = x.var(axes)
    shape = [1] * x.ndim
    shape[1] = -1
    normalized = (x - mean.reshape(shape)) / jnp.sqrt(var.reshape(shape) + EPS)
    return normalized * gamma.reshape(shape) + beta.reshape(shape), mean, var


def _sgd(jax, loss_of, params, buffers, stats, *batch):
    (loss, new_stats), grads = jax.value_and_grad(loss_of, has_aux=True)(params, stats, *batch)
    buffers = jax.tree_util.tree_map(lambda b, g: MOMENTUM * b + g, buffers, grads)
    params = jax.tree_util.tree_map(lambda p, b: p - LR * b, params, buffers)
    return params, buffers, new_stats, loss


def _running(stats, name, mean, var, count):
    unbiased = var * count / (count - 1)
    return {name + "mean": (1 - BN_MOMENTUM) * stats[name + "mean"] + BN_MOMENTUM * mean,
            name + "var": (1 - BN_MOMENTUM) * stats[name + "var"] + BN_MOMENTUM * unbiased}


def _cross_entropy(jax, logits, labels):
    log_probabilities = jax.nn.log_softmax(logits)
    return -log_probabilities[numpy.arange(logits.shape[0]), labels].mean()


def _stepper(jax, step, params, stats, *batch):
    buffers = jax.tree_util.tree_map(lambda p: p * 0, params)
    jitted = jax.jit(step, donate_argnums=(0, 1, 2))
    state = [params, buffers, stats]

    def run():
        state[0], state[1], state[2], loss = jitted(*state, *batch)
        return float(loss)
    return run


def mlp_step(batch, sizes=(784, 300, 100, 10)):
    """A closure running one jitted MLP training step (returns the loss as a float)."""
    import jax
    import jax.numpy as jnp
    rng = numpy.random.default_rng(0)
    params, stats = {}, {}
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"w{index}"] = _uniform(rng, 1 / numpy.sqrt(fan_in), (fan_out, fan_in))
        params[f"b{index}"] = _uniform(rng, 1 / numpy.sqrt(fan_in), (fan_out,))
        if index < len(sizes) - 2:
            params[f"g{index}"], params[f"beta{index}"] = numpy.ones(fan_out, "f4"), numpy.zeros(fan_out, "f4")
            stats[f"bn{index}mean"], stats[f"bn{index}var"] = numpy.zeros(fan_out, "f4"), numpy.ones(fan_out, "f4")
    layers = len(sizes) - 1

    def loss_of(params, stats, images, labels):
        h = images.reshape(images.shape[0], -1)
        new_stats = {}
        for index in range(layers):
            h = h @ params[f"w{index}"].T + params[f"b{index}"]
            if index < layers - 1:
                h, mean, var = _batch_norm(jnp, h, params[f"g{index}"], params[f"beta{index}"], 0)
                new_stats.update(_running(stats, f"bn{index}", mean, var, h.shape[0]))
                h = jnp.maximum(h, 0)
        return _cross_entropy(jax, h, labels), new_stats

    def step(params, buffers, stats, images, labels):
        return _sgd(jax, loss_of, params, buffers, stats, images, labels)
    images = jnp.asarray(rng.standard_normal((batch, 1, 28, 28)).astype(numpy.float32))
    labels = jnp.asarray(rng.integers(0, 10, batch))
    return _stepper(jax, step, jax.tree_util.tree_map(jnp.asarray, params),
                    jax.tree_util.tree_map(jnp.asarray, stats), images, labels)


def cnn_step(batch):
    """A closure running one jitted step of the small CNN (dropout 0.25 from a key carried along)."""
    import jax
    import jax.numpy as jnp
    rng = numpy.random.default_rng(0)
    params = {"c0": _uniform(rng, 1 / 3, (32, 1, 3, 3)), "cb0": _uniform(rng, 1 / 3, (32,)),
              "c1": _uniform(rng, 1 / numpy.sqrt(288), (64, 32, 3, 3)), "cb1": _uniform(rng, 0.05, (64,)),
              "g0": numpy.ones(32, "f4"), "beta0": numpy.zeros(32, "f4"),
              "g1": numpy.ones(64, "f4"), "beta1": numpy.zeros(64, "f4"),
              "w": _uniform(rng, 1 / numpy.sqrt(3136), (10, 3136)), "b": _uniform(rng, 0.01, (10,))}
    stats = {"bn0mean": numpy.zeros(32, "f4"), "bn0var": numpy.ones(32, "f4"),
             "bn1mean": numpy.zeros(64, "f4"), "bn1var": numpy.ones(64, "f4"),
             "key": numpy.zeros(2, numpy.uint32)}

    def block(h, params, stats, new_stats, index):
        h = jax.lax.conv_general_dilated(h, params[f"c{index}"], (1, 1), ((1, 1), (1, 1)),
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
        h = h + params[f"cb{index}"].reshape(1, -1, 1, 1)
        h, mean, var = _batch_norm(jnp, h, params[f"g{index}"], params[f"beta{index}"], (0, 2, 3))
        new_stats.update(_running(stats, f"bn{index}", mean, var, h.shape[0] * h.shape[2] * h.shape[3]))
        h = jnp.maximum(h, 0)
        return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss_of(params, stats, images, labels):
        new_stats = {}
        h = block(images, params, stats, new_stats, 0)
        h = block(h, params, stats, new_stats, 1).reshape(images.shape[0], -1)
        key, subkey = jax.random.split(stats["key"])
        keep = jax.random.uniform(subkey, h.shape) >= 0.25
        h = jnp.where(keep, h / 0.75, 0)
        new_stats["key"] = key
        return _cross_entropy(jax, h @ params["w"].T + params["b"], labels), new_stats

    def step(params, buffers, stats, images, labels):
        return _sgd(jax, loss_of, params, buffers, stats, images, labels)
    images = jnp.asarray(rng.standard_normal((batch, 1, 28, 28)).astype(numpy.float32))
    labels = jnp.asarray(rng.integers(0, 10, batch))
    return _stepper(jax, step, jax.tree_util.tree_map(jnp.asarray, params),
                    jax.tree_util.tree_map(jnp.asarray, stats), images, labels)
