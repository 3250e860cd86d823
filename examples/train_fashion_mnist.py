"""Train the seeds' network on Fashion-MNIST with plexgrad — PyTorch code with one import changed.

    python examples/train_fashion_mnist.py --model mlp --epochs 10
    python examples/train_fashion_mnist.py --model cnn --device jax --epochs 10
    python examples/train_fashion_mnist.py --model mlp --device jax --compile

``mlp`` is the seeds' network: 784-300-100-10 with BatchNorm1d and ReLU, SGD with
momentum 0.9, the learning rate stepped down through ``optimizer.param_groups``.
``cnn`` is a small convolutional network.  Each epoch shows a progress bar, prints
train and test loss and accuracy, and saves a checkpoint; at the end the loss and
accuracy curves are written as a PNG and the final test accuracy is printed.
``--resume`` continues from the checkpoint in ``--out``.  ``--compile`` runs each training
step (forward, loss, backward, optimizer step) and each test step as one program made by
``torch.compile`` (one ``jax.jit`` on ``jax``; eager on ``cpu``).

Data-parallel over processes, with the same code (torch's DistributedDataParallel recipe):

    python -m plexgrad.distributed.run --nproc-per-node 2 examples/train_fashion_mnist.py

Under the launcher (``WORLD_SIZE`` > 1) each rank trains a ``DistributedDataParallel`` replica on
its share of every epoch (``DistributedSampler``); ``--batch-size`` is the global batch, split
across the ranks; the metrics are summed over the ranks; rank 0 alone prints, saves the
checkpoint (the plain model's state dict) and draws the curves.
"""

import argparse
import json
import os
import sys
import time

import plexgrad as torch
from plexgrad import nn, optim
from plexgrad.data import BatchSampler, DataLoader, DistributedSampler, RandomSampler, SequentialSampler, TensorDataset
from plexgrad.data import datasets
import plexgrad.distributed as dist
import plexgrad.nn.functional as F


class Net(nn.Module):
    """The seeds' MLP: two hidden layers, each Linear + BatchNorm1d, ReLU between."""

    def __init__(self, in_dim=784, n_hidden_1=300, n_hidden_2=100, out_dim=10):
        super().__init__()
        self.layer1 = nn.Sequential(nn.Linear(in_dim, n_hidden_1), nn.BatchNorm1d(n_hidden_1))
        self.layer2 = nn.Sequential(nn.Linear(n_hidden_1, n_hidden_2), nn.BatchNorm1d(n_hidden_2))
        self.layer3 = nn.Sequential(nn.Linear(n_hidden_2, out_dim))

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


class SmallCNN(nn.Module):
    """Two 3x3 convolutions with BatchNorm, ReLU and max pooling, then a linear classifier."""

    def __init__(self, out_dim=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, out_dim))

    def forward(self, x):
        return self.classifier(self.features(x))


def load_split(data_dir, train, device):
    """Fashion-MNIST as normalised tensors: ToTensor() then Normalize([0.5], [0.5]), done once."""
    dataset = datasets.FashionMNIST(data_dir, train=train, download=False)
    images = (dataset.data.float().div(255.0) - 0.5) / 0.5
    return TensorDataset(images.unsqueeze(1).to(device), dataset.targets.to(device))


def batches(dataset, batch_size, shuffle, sampler=None):
    """Whole batches fetched with one indexing op each (DataLoader over a BatchSampler)."""
    if sampler is None:
        sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
    return DataLoader(dataset, batch_size=None, sampler=BatchSampler(sampler, batch_size, drop_last=False))


def world():
    """(rank, world size): from the process group when the launcher started several ranks."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group()
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def summed_over_ranks(values, device):
    """The element-wise sum of ``values`` (Python numbers) over the ranks."""
    if not dist.is_initialized():
        return values
    total = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(total)
    return total.tolist()


def progress(iterable, total, description, enabled):
    if not enabled:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=description, leave=False, dynamic_ncols=True)


def make_steps(model, criterion, optimizer, compiled):
    """The training and test steps on one batch, each returning (loss, number correct) as tensors;
    with ``compiled``, each is one program (``torch.compile``)."""
    def train_step(images, labels):
        output = model(images)
        loss = criterion(output, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        _, predicted = output.max(1)
        return loss, (predicted == labels).sum()

    def test_step(images, labels):
        output = model(images)
        _, predicted = output.max(1)
        return criterion(output, labels), (predicted == labels).sum()
    if compiled:
        return torch.compile(train_step), torch.compile(test_step)
    return train_step, test_step


def run_epoch(model, loader, step, training, description, show_progress):
    """One pass over ``loader`` with ``step`` (training or test). Returns (mean loss, accuracy)."""
    model.train(training)
    total_loss, correct, seen = 0.0, 0, 0
    with torch.set_grad_enabled(training):
        for images, labels in progress(loader, len(loader), description, show_progress):
            loss, batch_correct = step(images, labels)
            count = labels.shape[0]
            total_loss += loss.item() * count
            correct += batch_correct.item()
            seen += count
    total_loss, correct, seen = summed_over_ranks([total_loss, correct, seen], labels.device) if training else \
        (total_loss, correct, seen)
    return total_loss / seen, correct / seen


def save_curves(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; skipping the curves PNG (pip install matplotlib)")
        return None
    epochs = [entry["epoch"] for entry in history]
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, [e["train_loss"] for e in history], "o-", label="train")
    loss_axis.plot(epochs, [e["test_loss"] for e in history], "s-", label="test")
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("loss")
    loss_axis.legend()
    accuracy_axis.plot(epochs, [e["train_accuracy"] for e in history], "o-", label="train")
    accuracy_axis.plot(epochs, [e["test_accuracy"] for e in history], "s-", label="test")
    accuracy_axis.set_xlabel("epoch")
    accuracy_axis.set_ylabel("accuracy")
    accuracy_axis.legend()
    figure.suptitle("Fashion-MNIST with plexgrad")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description="Train the seeds' network on Fashion-MNIST with plexgrad.")
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--device", default=None, help="cpu, jax, jax:N, cuda... (default: PLEXGRAD_DEVICE or cpu)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=None, help="default: 0.01")
    parser.add_argument("--data-dir", default="data", help="root holding FashionMNIST/raw (Debian's copy is "
                        "found automatically when dataset-fashion-mnist is installed)")
    parser.add_argument("--out", default="runs/fashion_mnist", help="folder for checkpoint, history and PNG")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images (smoke tests)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--compile", action="store_true", help="run each step as one compiled program "
                        "(torch.compile; one jax.jit on jax)")
    return parser.parse_args(argv)


def main(argv=None):
    arguments = parse_arguments(argv)
    rank, world_size = world()
    leader = rank == 0
    if arguments.batch_size % world_size:
        print(f"error: --batch-size {arguments.batch_size} (the global batch) must be divisible by the "
              f"{world_size} ranks", file=sys.stderr)
        return 2
    torch.manual_seed(arguments.seed)
    device = torch.device(arguments.device) if arguments.device else torch.get_default_device()
    try:
        train_set = load_split(arguments.data_dir, True, device)
        test_set = load_split(arguments.data_dir, False, device)
    except (FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if arguments.limit:
        train_set = TensorDataset(*(t[:arguments.limit] for t in train_set.tensors))
        test_set = TensorDataset(*(t[:max(arguments.limit // 6, 1)] for t in test_set.tensors))
    model = (Net() if arguments.model == "mlp" else SmallCNN()).to(device)
    plain_model = model
    if world_size > 1:  # rank 0's parameters everywhere; gradients averaged during backward
        model = nn.parallel.DistributedDataParallel(model)
    learning_rate = arguments.lr or 0.01
    optimizer = optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    os.makedirs(arguments.out, exist_ok=True)
    checkpoint_path = os.path.join(arguments.out, f"{arguments.model}_checkpoint.safetensors")
    history, start_epoch = [], 0
    if arguments.resume and os.path.exists(checkpoint_path):
        checkpoint = torch.load(checkpoint_path, map_location=device)
        plain_model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        history, start_epoch = checkpoint["history"], checkpoint["epoch"] + 1
        if leader:
            print(f"resumed from {checkpoint_path} after epoch {start_epoch}")
    if leader:
        ranks = f", {world_size} ranks x batch {arguments.batch_size // world_size}" if world_size > 1 else ""
        print(f"training {arguments.model} on {device}{' (compiled)' if arguments.compile else ''}: "
              f"{len(train_set)} train / {len(test_set)} test images, "
              f"{sum(p.numel() for p in plain_model.parameters())} parameters{ranks}")
    train_step, test_step = make_steps(model, criterion, optimizer, arguments.compile)
    train_sampler = DistributedSampler(train_set, seed=arguments.seed) if world_size > 1 else None
    train_loader = batches(train_set, arguments.batch_size // world_size, shuffle=True, sampler=train_sampler)
    test_loader = batches(test_set, 1000, shuffle=False)
    for epoch in range(start_epoch, arguments.epochs):
        if epoch > 0 and epoch % 4 == 0:  # the seeds step the learning rate down through param_groups
            for group in optimizer.param_groups:
                group["lr"] *= 0.3
        if train_sampler is not None:
            train_sampler.set_epoch(epoch)  # a new order each epoch, the same on every rank
        started = time.perf_counter()
        train_loss, train_accuracy = run_epoch(model, train_loader, train_step, True, f"epoch {epoch}",
                                               leader and not arguments.no_progress)
        train_seconds = time.perf_counter() - started
        test_loss, test_accuracy = run_epoch(model, test_loader, test_step, False, "test", False)
        history.append({"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy,
                        "test_loss": test_loss, "test_accuracy": test_accuracy, "seconds": train_seconds,
                        "lr": optimizer.param_groups[0]["lr"]})
        if not leader:
            continue
        print(f"epoch:{epoch}, Train Loss:{train_loss:.4f}, Train Acc:{train_accuracy:.4f}, "
              f"Test Loss:{test_loss:.4f}, Test Acc:{test_accuracy:.4f}, {train_seconds:.1f}s", flush=True)
        torch.save({"model": plain_model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                    "history": history}, checkpoint_path)
    if not leader:
        return 0
    with open(os.path.join(arguments.out, f"{arguments.model}_history.json"), "w") as handle:
        json.dump(history, handle, indent=1)
    curves = save_curves(history, os.path.join(arguments.out, f"{arguments.model}_curves.png")) if history else None
    if curves:
        print(f"curves: {curves}")
    if history:
        print(f"final test accuracy: {history[-1]['test_accuracy']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
