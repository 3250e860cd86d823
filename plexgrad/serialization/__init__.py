"""Checkpoints: ``plexgrad.save(obj, path)`` / ``plexgrad.load(path, map_location=...)`` in safetensors files.

The files are standard safetensors (any safetensors reader opens them), written and read by
plexgrad itself one tensor at a time, so the safetensors package is not needed; nothing is
pickled. The header and the data carry CRC-32 checksums.
"""

__all__ = ["save", "load"]

from .api import load, save
