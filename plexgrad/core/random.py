"""Random numbers: ``manual_seed`` and ``Generator``.

Samples are drawn on the host with numpy's PCG64 and moved to the target device,
so one seed gives the same numbers on every backend.
"""

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator", "get_rng_state",
           "set_rng_state", "resolve_generator"]

import numpy

from .tracing import GraphBreak, traced_sampler


class Generator:
    """A random number generator: ``g = plexgrad.Generator().manual_seed(0)``; pass ``generator=g``."""

    def __init__(self, device="cpu"):
        self.device = device
        self._initial_seed = 67280421310721
        self._numpy = numpy.random.Generator(numpy.random.PCG64(self._initial_seed))

    def manual_seed(self, seed):
        """Reseed; returns self."""
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF
        self._initial_seed = seed
        self._numpy = numpy.random.Generator(numpy.random.PCG64(seed))
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        new_seed = int(numpy.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(new_seed)
        return new_seed

    def initial_seed(self):
        return self._initial_seed

    def get_state(self):
        """The generator state (a uint8 tensor), for ``set_state``."""
        import json
        from .factories import tensor
        encoded = json.dumps(self._numpy.bit_generator.state).encode()
        return tensor(list(encoded), dtype="uint8")

    def set_state(self, state):
        import json
        data = bytes(state.tolist())
        self._numpy.bit_generator.state = json.loads(data.decode())
        return self

    @property
    def numpy_generator(self):
        return self._numpy


default_generator = Generator()


def resolve_generator(generator):
    """The numpy generator behind ``generator`` (default: the global one) for a host draw.

    Inside a traced step a host draw would repeat one call's numbers on every replay,
    so it is a graph break there."""
    if traced_sampler() is not None:
        raise GraphBreak("random numbers drawn on the host (a generator= argument, randint, randperm or "
                         "a data transform) inside a compiled step")
    return (generator or default_generator)._numpy


def manual_seed(seed):
    """Seed the default generator (all backends draw from it); returns it."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
