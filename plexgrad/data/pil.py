"""Pillow is an optional dependency: ``require_pil()`` imports it or says how to install it."""

__all__ = ["require_pil", "is_pil_image"]

import sys


def require_pil():
    """The ``PIL.Image`` module; an ImportError naming the fix when Pillow is missing."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("this feature needs Pillow, which is not installed: pip install pillow "
                          "(or pip install 'plexgrad[examples]')") from None
    return Image


def is_pil_image(value):
    """True when ``value`` is a Pillow image (without importing Pillow when nobody has)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(value, module.Image)
