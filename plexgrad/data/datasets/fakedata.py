"""``FakeData``: random images and labels for trying a pipeline without any files."""

__all__ = ["FakeData"]

from ...core import dtypes
from ...core.factories import rand, randint
from ...core.random import Generator
from ..dataset import Dataset
from .mnist import MNIST


class FakeData(Dataset):
    """``size`` random Pillow images of ``image_size`` (C, H, W) with random labels in
    ``[0, num_classes)``.  Sample ``i`` is drawn from its own generator seeded ``i + random_offset``,
    so it is the same every time it is read and the global random state is left alone.
    (The pixels are uniform noise; torchvision's come from torch's own generator, so the values
    differ from torchvision's, the shapes, types and determinism do not.)"""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None, target_transform=None,
                 random_offset=0):
        self.size = size
        self.num_classes = num_classes
        self.image_size = tuple(image_size)
        self.transform = transform
        self.target_transform = target_transform
        self.random_offset = random_offset
        self.root = None

    def __getitem__(self, index):
        from ..transforms.functional import to_pil_image
        if not -self.size <= index < self.size:
            raise IndexError(f"{type(self).__name__} index out of range: {index} (size {self.size})")
        index = index % self.size
        generator = Generator().manual_seed(index + self.random_offset)
        pixels = (rand(*self.image_size, generator=generator) * 256).floor().clamp(0, 255).to(dtypes.uint8)
        target = int(randint(0, self.num_classes, (1,), generator=generator)[0])
        image = to_pil_image(pixels)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self):
        return self.size

    def __repr__(self):
        # torchvision's VisionDataset layout, without the root and split lines FakeData has no use for
        text = MNIST.__repr__(self).splitlines()
        return "\n".join(text[:2] + text[4:])

    def extra_repr(self):
        return ""
