"""``plexgrad.nn.functional``: the stateless form of every layer and loss."""

__all__ = []
