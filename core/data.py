"""Image datasets as in-memory tensors: Fashion-MNIST (offline, Debian package), scikit-learn digits (instant),
CIFAR-10 (online only) and the student's own zip of one folder per class.

Everything becomes an ImageData (images that read as float tensors in [0, 1], N×C×H×W) so one subset/split/loader
path serves every source, and the exported script can repeat the exact same steps. The big sets keep their pixels as
bytes (`Pixels`) and become floats a batch at a time.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import UserError

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_ZIP_IMAGES = 5000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # PIL's own bomb guard only warns below 2x its default; refuse earlier
MIN_TRAIN = 2  # training images left after the test split: one for the training set, one for validation


@dataclass
class ImageData:
    name: str
    classes: list[str]
    x_train: object  # N×C×H×W in [0, 1]: a torch.FloatTensor, or Pixels (indexing gives one)
    y_train: object
    x_test: object
    y_test: object
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason) for uploads

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])


def fashion_mnist(root: Path, online: bool = False) -> ImageData:
    """root is the folder holding FashionMNIST/raw (the asset registry prepares it from the Debian package)."""
    from torchvision.datasets import FashionMNIST

    try:
        train = FashionMNIST(str(root), train=True, download=online)
        test = FashionMNIST(str(root), train=False, download=online)
    except RuntimeError as exc:
        raise UserError("data.fashion_missing", str(exc)) from exc
    as_x = lambda d: Pixels(d.data.unsqueeze(1))  # noqa: E731
    return ImageData("fashion_mnist", FASHION_CLASSES, as_x(train), train.targets.clone(), as_x(test),
                     test.targets.clone())


class Pixels:
    """Images kept as bytes (uint8, N×C×H×W) that read as float tensors in [0, 1]: indexing (an image, a slice, a
    batch of indices) converts only the images it picks, exactly as `x.float() / 255` would. Fashion-MNIST's 70,000
    images take 55 MB this way instead of 220 MB as float32, for every page that shares the process's copy."""

    def __init__(self, u8):
        self.u8 = u8

    def __len__(self) -> int:
        return len(self.u8)

    @property
    def shape(self):
        return self.u8.shape

    def __getitem__(self, idx):
        return self.u8[idx].float() / 255.0


# how an exported script loads the same training images as the app (its test split held out), in plain PyTorch
SCRIPT_DATA = {
    "digits": '''from sklearn.datasets import load_digits
d = load_digits()
{x} = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
{y} = torch.tensor(d.target, dtype=torch.long)
perm0 = torch.randperm(len({x}), generator=torch.Generator().manual_seed(0))
{x}, {y} = {x}[perm0[360:]], {y}[perm0[360:]]  # the app keeps the first 360 as its test set''',
    "fashion_mnist": '''from torchvision.datasets import FashionMNIST
train_set = FashionMNIST({root!r}, train=True, download=False)  # set download=True on Colab
{x} = train_set.data.unsqueeze(1).float() / 255.0
{y} = train_set.targets''',
}


def script_data(dataset: str, root: str, x: str = "x", y: str = "y") -> str:
    """The lines of an exported script that load `dataset`'s training images into variables x and y."""
    return SCRIPT_DATA[dataset].format(root=root, x=x, y=y)


def digits() -> ImageData:
    """scikit-learn's 1,797 8×8 digits: trains in a second, ideal for a first try."""
    import torch
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(d.target, dtype=torch.long)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(x), generator=g)
    test, train = perm[:360], perm[360:]
    return ImageData("digits", [str(i) for i in range(10)], x[train], y[train], x[test], y[test])


def cifar10(root: Path, online: bool) -> ImageData:
    import numpy as np
    import torch
    from torchvision.datasets import CIFAR10

    if not online:
        raise UserError("data.cifar_offline", "CIFAR-10 needs the internet")
    try:
        train = CIFAR10(str(root), train=True, download=True)
        test = CIFAR10(str(root), train=False, download=True)
    except Exception as exc:  # network errors come in many types
        raise UserError("data.download_failed", str(exc), reason=str(exc)) from exc
    as_x = lambda d: Pixels(torch.tensor(np.asarray(d.data)).permute(0, 3, 1, 2).contiguous())  # noqa: E731
    return ImageData("cifar10", CIFAR_CLASSES, as_x(train), torch.tensor(train.targets), as_x(test),
                     torch.tensor(test.targets))


def open_image(data: bytes | object, size: int | None = None):
    """Any image (bytes or PIL) opened but not yet decoded, its pixel count checked from the header; with `size`,
    a JPEG is set to decode at the smallest scale still at least size x size (its own DCT scaling, far cheaper
    than decoding every pixel and shrinking them after). Its .size is what decoding will cost."""
    from PIL import Image

    try:
        img = data if hasattr(data, "convert") else Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # PIL refuses past 2x its own limit at open
        raise UserError("data.image_too_big", "image too large", limit=MAX_IMAGE_PIXELS) from exc
    except (OSError, ValueError) as exc:  # UnidentifiedImageError (not an image) is an OSError
        raise UserError("data.not_image", "not an image") from exc
    if img.width * img.height > MAX_IMAGE_PIXELS:  # a 100 KB PNG can declare 50000x50000 pixels
        raise UserError("data.image_too_big", "image too large", limit=MAX_IMAGE_PIXELS)
    if size is not None and img.format == "JPEG":
        img.draft(img.mode, (size, size))
    return img


def load_image(data: bytes | object, size: int, channels: int):
    """Any image (bytes or PIL) → C×size×size float tensor; colour and size are converted, not refused."""
    return _to_tensor(open_image(data, size), size, channels)


def _to_tensor(img, size: int, channels: int):
    import numpy as np
    import torch
    from PIL import ImageOps

    try:
        img = ImageOps.exif_transpose(img).convert("L" if channels == 1 else "RGB")
        img = ImageOps.fit(img, (size, size))
    except (OSError, ValueError, SyntaxError) as exc:  # a truncated or corrupt file fails only when decoded
        raise UserError("data.not_image", "broken image") from exc
    arr = np.asarray(img, dtype=np.float32) / 255.0
    t = torch.from_numpy(arr)
    return t.unsqueeze(0) if channels == 1 else t.permute(2, 0, 1)


def image_zip(data: bytes, size: int = 32, channels: int = 3, test_frac: float = 0.2, seed: int = 0) -> ImageData:
    """A zip with one folder per class (Teachable-Machine style). Bad files are skipped and listed.

    Every image is read once and opened (header only) first, its pixels charged to the zip's budget
    (core.uploads.IMAGE_ZIP_PIXELS): a zip whose images would take too long to decode is refused before the first
    one is decoded."""
    from core import uploads
    from core.safe_zip import ZipLimits, open_checked, read_member, unsafe_name

    if not data:
        raise UserError("data.zip_empty", "the file is empty")
    if len(data) > MAX_ZIP_BYTES:
        raise UserError("data.zip_too_big", "zip too big", limit_mb=MAX_ZIP_BYTES // 2**20)
    # every check happens on the central directory, before a single byte is inflated
    zf = open_checked(data, ZipLimits(max_entries=2 * MAX_ZIP_IMAGES, max_entry_bytes=MAX_IMAGE_BYTES,
                                      max_total_bytes=4 * MAX_ZIP_BYTES), bad_key="data.zip_bad")
    by_class: dict[str, list] = {}
    skipped: list[tuple[str, str]] = []
    for info in zf.infolist():
        if info.is_dir() or "__MACOSX" in info.filename or Path(info.filename).name.startswith("."):
            continue
        if unsafe_name(info.filename):
            skipped.append((info.filename[:80], "unsafe path"))
            continue
        parts = Path(info.filename).parts
        if len(parts) < 2:
            skipped.append((info.filename, "not in a class folder"))
            continue
        if Path(info.filename).suffix.lower() not in IMAGE_EXTS:
            skipped.append((info.filename, "not an image type"))
            continue
        by_class.setdefault(parts[-2], []).append(info)
    if len(by_class) < 2:
        raise UserError("data.zip_classes", "need at least two class folders", found=len(by_class))
    if sum(len(v) for v in by_class.values()) > MAX_ZIP_IMAGES:
        raise UserError("data.zip_too_many", "too many images", limit=MAX_ZIP_IMAGES)
    classes = sorted(by_class)
    pixels = uploads.Budget(uploads.IMAGE_ZIP_PIXELS, "data.zip_pixels", limit_mp=uploads.IMAGE_ZIP_PIXELS // 10**6,
                            side=_fitting_side(uploads.IMAGE_ZIP_PIXELS, MAX_ZIP_IMAGES))
    opened = []  # (label, name, PIL image not yet decoded)
    for label, cls in enumerate(classes):
        for info in by_class[cls]:
            try:
                img = open_image(read_member(zf, info, MAX_IMAGE_BYTES), size)
            except Exception as exc:  # PIL raises several types for corrupt files, zipfile for bad CRCs
                skipped.append((info.filename, f"unreadable image ({type(exc).__name__})"))
                continue
            pixels.spend(img.width * img.height)  # past the budget: the whole zip is refused, nothing decoded yet
            opened.append((label, info.filename, img))
    xs, ys = [], []
    for label, name, img in opened:
        try:
            xs.append(_to_tensor(img, size, channels))
            ys.append(label)
        except Exception as exc:  # a truncated or corrupt file fails only when decoded
            skipped.append((name, f"unreadable image ({type(exc).__name__})"))
    opened.clear()
    counts = {c: ys.count(i) for i, c in enumerate(classes)}
    empty = [c for c, n in counts.items() if n == 0]
    if empty:
        raise UserError("data.zip_empty_class", "a class has no readable image", classes=", ".join(empty))
    import torch

    x, y = torch.stack(xs), torch.tensor(ys)
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    n_test = max(len(classes), int(len(x) * test_frac))
    if len(x) - n_test < MIN_TRAIN:  # one image to train on and one to validate with, at the very least
        raise UserError("data.zip_too_few", "too few images", n=len(x), test=n_test, need=n_test + MIN_TRAIN)
    test, train = perm[:n_test], perm[n_test:]
    return ImageData("upload", classes, x[train], y[train], x[test], y[test], skipped)


def _fitting_side(pixels: int, images: int) -> int:
    """The square side at which `images` images fit in `pixels`: the size to shrink photos to, for the message."""
    return int((pixels / images) ** 0.5)


@dataclass
class Split:
    x_train: object
    y_train: object
    x_val: object
    y_val: object


def subset_split(data: ImageData, subset: int, val_frac: float, seed: int) -> Split:
    """A seeded random subset of the training set, split into train and validation."""
    import torch

    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(data.x_train), generator=g)[: min(subset, len(data.x_train))]
    x, y = data.x_train[perm], data.y_train[perm]
    n_val = max(1, int(len(x) * val_frac))
    if len(x) - n_val < 1:
        raise UserError("data.too_few_train", "no training image left", n=len(x), val=n_val)
    return Split(x[n_val:], y[n_val:], x[:n_val], y[:n_val])


AUGMENTATIONS = ("flip", "crop", "rotate", "normalize")


def make_transform(augment: tuple[str, ...], shape: tuple[int, int, int]):
    """torchvision v2 transforms on tensors; None when nothing is selected."""
    from torchvision.transforms import v2

    ops = []
    if "flip" in augment:
        ops.append(v2.RandomHorizontalFlip())
    if "crop" in augment:
        ops.append(v2.RandomCrop(shape[1], padding=max(1, shape[1] // 8)))
    if "rotate" in augment:
        ops.append(v2.RandomRotation(15))
    if "normalize" in augment:
        ops.append(v2.Normalize([0.5] * shape[0], [0.5] * shape[0]))
    return v2.Compose(ops) if ops else None


class TransformDataset:
    """(x, y) pairs with a per-sample transform (torch.utils.data.Dataset protocol)."""

    def __init__(self, x, y, transform=None):
        self.x, self.y, self.transform = x, y, transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        x = self.x[i]
        return (self.transform(x) if self.transform else x), self.y[i]


def loaders(split: Split, batch_size: int, seed: int, train_transform=None, eval_transform=None):
    """Seeded shuffling, num_workers=0: the same seed gives the same batches (and the exported script too)."""
    import torch
    from torch.utils.data import DataLoader

    train_ds = TransformDataset(split.x_train, split.y_train, train_transform)
    val_ds = TransformDataset(split.x_val, split.y_val, eval_transform)
    g = torch.Generator().manual_seed(seed)
    return (DataLoader(train_ds, batch_size=batch_size, shuffle=True, generator=g),
            DataLoader(val_ds, batch_size=512))
