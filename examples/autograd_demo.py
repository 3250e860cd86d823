"""A short autograd demo on every available device (the main job until training lands)."""

import plexgrad as torch


def main():
    for device in ("cpu", "jax"):
        try:
            x = torch.arange(4.0, device=device).requires_grad_(True)
        except RuntimeError as error:
            print(f"{device}: skipped ({error})")
            continue
        y = 2 * torch.dot(x, x)
        y.backward()
        print(f"{device}: y = {y.item():.1f}, dy/dx = {x.grad.tolist()} (expected 4 * x = {(4 * x).tolist()})")


if __name__ == "__main__":
    main()
