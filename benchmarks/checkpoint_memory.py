"""Peak extra memory of plexgrad.save and plexgrad.load against the checkpoint's size.

    PYTHONPATH=$PWD python benchmarks/checkpoint_memory.py [--megabytes 200] [--directory /tmp]

Each measurement runs in a fresh Python process: it builds (or loads) the state dict, then
reports the peak resident set size (``ru_maxrss``) minus the resident size just before the
call, so only what the save or load itself allocated counts. Page cache is not in the RSS,
except for pages a memory-mapped load (``mmap=True``) touches.
"""

__all__ = ["main"]

import argparse
import json
import os
import subprocess
import sys
import tempfile

_MEASURE = r"""
import json, resource, sys
import numpy
import plexgrad

def resident_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024

def peak_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

action, path, megabytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
if action == "save":
    state = {}
    for index in range(megabytes // 4):   # 4 MiB tensors, filled in place: no transient copies
        array = numpy.empty(1 << 20, dtype=numpy.float32)
        array.fill(index)
        state[f"layer{index}.weight"] = plexgrad.from_numpy(array)
    checkpoint = {"model": state, "epoch": 3}
    before = resident_bytes()
    plexgrad.save(checkpoint, path)
else:
    options = {"mmap": True} if action == "load-mmap" else {}
    before = resident_bytes()
    loaded = plexgrad.load(path, **options)
    assert float(loaded["model"]["layer1.weight"][0]) == 1.0
print(json.dumps({"extra": peak_bytes() - before}))
"""


def _measure(action, path, megabytes):
    result = subprocess.run([sys.executable, "-c", _MEASURE, action, path, str(megabytes)], capture_output=True,
                            text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{action} failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["extra"]


def main():
    """Measure save, load and mmap load; print the extra peak memory in MB and as a multiple of the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200, help="size of the state dict's tensors")
    parser.add_argument("--directory", default=tempfile.gettempdir())
    options = parser.parse_args()
    import plexgrad
    print(f"plexgrad from {os.path.dirname(plexgrad.__file__)}")
    with tempfile.TemporaryDirectory(dir=options.directory) as directory:
        path = os.path.join(directory, "checkpoint.safetensors")
        extra_save = _measure("save", path, options.megabytes)
        size = os.path.getsize(path)
        print(f"file: {size / 1e6:.1f} MB")
        actions = ["load"]
        try:
            plexgrad.load(path, mmap=True)
            actions.append("load-mmap")
        except (TypeError, ValueError, RuntimeError):  # a version without mmap support
            pass
        results = [("save", extra_save)] + [(action, _measure(action, path, options.megabytes)) for action in actions]
        for action, extra in results:
            print(f"{action:10s} peak extra RSS {extra / 1e6:8.1f} MB = {extra / size:.2f}x the file")


if __name__ == "__main__":
    main()
