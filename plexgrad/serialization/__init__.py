"""Checkpoints: ``plexgrad.save(obj, path)`` / ``plexgrad.load(path, map_location=...)`` in safetensors files.

safetensors is an optional dependency (``pip install safetensors``); nothing is pickled.
"""

__all__ = ["save", "load"]

from .api import load, save
