"""Round-robin timing shared by the benchmark scripts: peers measured in turn within each repeat,
so that a change in machine load hits them alike, and ratios taken within a repeat."""

import statistics

__all__ = ["round_robin", "paired_ratio"]


def round_robin(samplers, repeats):
    """``{name: [sample, ...]}``: each sampler (a callable returning one time) called once per repeat, in turn."""
    samples = {name: [] for name in samplers}
    for _ in range(repeats):
        for name, sample in samplers.items():
            samples[name].append(sample())
    return samples


def paired_ratio(samples, numerator, denominator):
    """Median over repeats of the ratio of two columns timed side by side in the same repeat
    (NaN when ``denominator`` was not measured)."""
    if denominator not in samples:
        return float("nan")
    return statistics.median(a / b for a, b in zip(samples[numerator], samples[denominator]))
