"""The ``weights=`` argument of the model builders: only ``None`` works here, since pretrained
weights would have to be downloaded; the error shows how to load a local safetensors state dict."""

__all__ = ["check_weights", "Weights", "weights_enum"]

import enum


class Weights(enum.Enum):
    """torchvision's weight names (``ResNet18_Weights.DEFAULT``...), so code that imports and passes
    them gets the clear error below instead of an ImportError; no weights stand behind them here."""

    def __repr__(self):
        return f"{type(self).__name__}.{self.name}"


def weights_enum(name, versions, default):
    """A ``Weights`` enum with members ``versions`` and ``DEFAULT`` an alias of ``default``."""
    members = [(version, version) for version in versions] + [("DEFAULT", default)]
    return Weights(name, members, module=__name__)


def check_weights(builder, weights, legacy):
    """Raise unless ``weights`` is None (and the old ``pretrained=`` flag unset or False)."""
    pretrained = legacy.pop("pretrained", None)
    if weights is None and not pretrained:
        return
    asked = f"weights={weights!r}" if weights is not None else f"pretrained={pretrained!r}"
    raise RuntimeError(
        f"{builder}({asked}): pretrained weights cannot be downloaded here (plexgrad has no network access "
        f"and no weight registry). Build the model with weights=None and load a local state dict instead. "
        f"Where torchvision and the weights are available, save them as safetensors:\n"
        f"    from safetensors.torch import save_file\n"
        f"    save_file(torchvision.models.{builder}(weights='DEFAULT').state_dict(), '{builder}.safetensors')\n"
        f"then here:\n"
        f"    model = plexgrad.data.models.{builder}(weights=None)\n"
        f"    model.load_state_dict(plexgrad.load('{builder}.safetensors'))")
