"""Milliseconds per forward+backward of the brief's small Fashion-MNIST CNN (batch 64), and per
convolution/pooling kernel, plexgrad cpu next to torch, interleaved so both see the same load.

    python benchmarks/conv_cnn.py [--steps 40]

The model: Conv2d(1, 32, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(32, 64, 3, padding=1), ReLU,
MaxPool2d(2), Flatten, Linear(64 * 7 * 7, 10), cross-entropy.  Reports the minimum and the median:
on a shared machine the minimum is the better estimate of the uncontended time.
"""

import argparse
import importlib.util
import statistics
import time


def make_step(library):
    library.manual_seed(0)
    nn = library.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64 * 7 * 7, 10))
    images = library.randn(64, 1, 28, 28)
    labels = library.randint(0, 10, (64,))

    def step():
        model.zero_grad()
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        return loss.item()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    arguments = parser.parse_args()
    import plexgrad
    steps = {"plexgrad cpu": make_step(plexgrad)}
    if importlib.util.find_spec("torch") is not None:
        import torch
        steps["torch"] = make_step(torch)
    samples = {name: [] for name in steps}
    for step in steps.values():
        step()
        step()
    for _ in range(arguments.steps):
        for name, step in steps.items():
            started = time.perf_counter()
            step()
            samples[name].append((time.perf_counter() - started) * 1e3)
    print("ms per batch-64 forward+backward (min / median)")
    for name, values in samples.items():
        print(f"{name:>14}: {min(values):8.1f} / {statistics.median(values):8.1f}")


if __name__ == "__main__":
    main()
