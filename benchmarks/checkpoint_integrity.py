"""Single-bit flips in a small checkpoint's header: how many raise, and how many load silently.

    PYTHONPATH=$PWD python benchmarks/checkpoint_integrity.py

Every bit of the length field and JSON header is flipped in turn and the damaged bytes are
loaded; a load that returns values different from what was saved is the failure that counts.
"""

__all__ = ["main"]

import io
import struct

import plexgrad


def _checkpoint():
    return {"model": {"weight": plexgrad.arange(6, dtype=plexgrad.float32).reshape(2, 3),
                      "bias": plexgrad.zeros(2, dtype=plexgrad.float64)},
            "optimizer": {"state": {0: {"momentum_buffer": plexgrad.ones(3)}},
                          "param_groups": [{"lr": 0.1, "momentum": 0.9, "nesterov": False, "params": [0, 1]}]},
            "epoch": 7, "name": "run-a", "shape": plexgrad.Size([2, 3])}


def _same(first, second):
    if isinstance(first, plexgrad.Tensor):
        return (isinstance(second, plexgrad.Tensor) and first.dtype is second.dtype and first.shape == second.shape
                and first.tolist() == second.tolist())
    if isinstance(first, dict):
        return (type(first) is type(second) and list(first) == list(second)
                and all(_same(first[key], second[key]) for key in first))
    if isinstance(first, (list, tuple)):
        return type(first) is type(second) and len(first) == len(second) and all(map(_same, first, second))
    return type(first) is type(second) and first == second


def main():
    """Flip every header bit once and print the outcome counts."""
    buffer = io.BytesIO()
    plexgrad.save(_checkpoint(), buffer)
    data = buffer.getvalue()
    length = struct.unpack("<Q", data[:8])[0]
    counts = {"RuntimeError": 0, "other exception": 0, "same values": 0, "different values": 0}
    for position in range(8 + length):
        for bit in range(8):
            damaged = bytearray(data)
            damaged[position] ^= 1 << bit
            try:
                loaded = plexgrad.load(io.BytesIO(bytes(damaged)))
            except RuntimeError:
                counts["RuntimeError"] += 1
                continue
            except Exception:
                counts["other exception"] += 1
                continue
            counts["same values" if _same(loaded, _checkpoint()) else "different values"] += 1
    total = 8 * (8 + length)
    print(f"plexgrad from {plexgrad.__file__}")
    print(f"{total} single-bit flips in a {8 + length}-byte header: " + ", ".join(
        f"{count} {outcome}" for outcome, count in counts.items())
        + f" ({100 * counts['different values'] / total:.1f}% silently different)")


if __name__ == "__main__":
    main()
