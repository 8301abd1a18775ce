# %% [markdown]
# # CIFAR-10: a baseline CNN, then a better recipe
#
# A common first recipe for CIFAR-10 is a convolutional neural network trained with
# cross-entropy loss and the Adam optimizer, and a commonly quoted result for it is:
#
# |          | Training set | Test set |
# |----------|--------------|----------|
# | Loss     | 0.2397       | 1.1309   |
# | Accuracy | 93.75%       | 66.51%   |
#
# Read that training figure closely: 93.75% is exactly 60/64, and 64 is the batch size
# this recipe is usually run with. It is most likely the accuracy on one mini-batch of 64
# training images, not on the whole training set, so this page measures ours both ways.
#
# This page trains that baseline recipe, then asks why the training and test numbers drift
# apart, and trains a second network with the usual remedies: two against overfitting (data
# augmentation, label smoothing) and three that make a larger network train well in few
# epochs (batch normalization, residual connections, a one-cycle learning-rate schedule),
# plus bfloat16 autocast and the channels-last memory layout when a GPU is present. A
# table at the end puts the quoted numbers next to ours.
#
# **The data** is this site's copy of CIFAR-10 (Krizhevsky, "Learning Multiple Layers of
# Features from Tiny Images", 2009): the same 50,000 training and 10,000 test images of
# 32x32 pixels in ten classes, stored as **JPEG files at quality 75** in
# `train/<class>/*.jpg` and `test/<class>/*.jpg`. JPEG compression loses a little detail,
# so accuracies here are not exactly comparable with results on the original
# (losslessly stored) images. Get the folder by extracting `cifar10-jpeg.tar.xz` and pass
# it with `--data`. Without `--data` and without that folder, the script downloads the
# original CIFAR-10 with torchvision instead (163 MB, once).
#
# **Where this ran matters.** The stamp below says which device produced this page. The
# recipes are meant for a GPU, with two targets: the baseline recipe above the quoted 66.51%
# test accuracy, and the improved one at least 93% in under 5 minutes of training. On a CPU
# the same script runs with a smaller budget (a subset of the training images, fewer epochs
# and a narrower network, see the arguments in the stamp), so its numbers fall far short
# of those targets: they show the method, not what it reaches.

# %%
# How the site renders this page (python -m primersite.render reads these declarations)
RENDER_ARGS = [
    "--data",
    ".data/cifar10",
    "--train-subset",
    "5000",
    "--curve-test-samples",
    "2000",
    "--baseline-epochs",
    "10",
    "--epochs",
    "8",
    "--widths",
    "16,32,64,128",
    "--batch-size",
    "128",
]
GPU_RENDER_ARGS = [
    "--data",
    ".data/cifar10",
    "--baseline-epochs",
    "20",
    "--epochs",
    "24",
    "--widths",
    "64,128,256,256",
    "--batch-size",
    "512",
]
EXAMPLE_DATA = "cifar10"
# one line for the table of examples (docs/examples/index.md)
EXAMPLE_SUMMARY = "a baseline CNN that overfits, then a small ResNet with augmentation, a one-cycle schedule and label smoothing"


from torchprimer.examples_cli import (
    ExampleParser,
    nonnegative_float,
    nonnegative_int,
    parse_args,
    pick_device,
    positive_float,
    positive_int,
    positive_ints,
)

parser = ExampleParser(
    prog="cifar10_train.py",
    description="Train a baseline CNN and an improved ResNet on CIFAR-10.",
    smoke={
        "baseline_epochs": 1,
        "epochs": 1,
        "widths": (8, 16, 16, 32),
        "batch_size": 16,
        "baseline_batch_size": 16,
    },
)
parser.add_argument(
    "--data",
    default=None,
    help="folder with train/ and test/ (default .data/cifar10; where that is missing, the "
    "original CIFAR-10 is downloaded with torchvision into .data/torchvision)",
)
parser.add_argument(
    "--out", default="runs/cifar10_train", help="where checkpoints go (default runs/cifar10_train)"
)
parser.add_argument(
    "--train-subset",
    type=nonnegative_int,
    default=0,
    help="train on this many images (0: all 50,000)",
)
parser.add_argument(
    "--curve-test-samples",
    type=nonnegative_int,
    default=0,
    help="test images scored after each epoch for the curves (0: all); the final score uses all",
)
parser.add_argument(
    "--baseline-epochs",
    type=positive_int,
    default=20,
    help="epochs of the baseline recipe (default 20)",
)
parser.add_argument(
    "--baseline-batch-size",
    type=positive_int,
    default=64,
    help="batch size of the baseline recipe (default 64)",
)
parser.add_argument(
    "--epochs", type=positive_int, default=24, help="epochs of the improved recipe (default 24)"
)
parser.add_argument(
    "--batch-size",
    type=positive_int,
    default=512,
    help="batch size of the improved recipe (default 512)",
)
parser.add_argument(
    "--lr",
    type=positive_float,
    default=0.4,
    help="peak learning rate of the one-cycle schedule (default 0.4)",
)
parser.add_argument(
    "--widths",
    type=positive_ints(4, "32,64,128,256"),
    default=(64, 128, 256, 256),
    help="ResNetSmall widths (default 64,128,256,256)",
)
parser.add_argument("--label-smoothing", type=nonnegative_float, default=0.2, help="default 0.2")
parser.add_argument("--seed", type=nonnegative_int, default=0, help="random seed (default 0)")
args = parse_args(parser)
device = pick_device(args.smoke)
print(f"device: {device}")

# %% [markdown]
# ## The data
#
# `load_cifar10_folder` decodes every JPEG once into one `uint8` tensor of shape
# `(N, 3, 32, 32)`; from then on an epoch costs no decoding at all. The loader checks the
# layout (ten class folders, 32x32 RGB JPEGs) and stops with one clear error naming the
# path if anything is off. `download_cifar10` gives the same two tensors from
# torchvision's copy of the original data.

# %%
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from torchprimer.cifar import CLASSES, download_cifar10, load_cifar10_folder

torch.manual_seed(args.seed)
started = time.perf_counter()
if args.data is None and not Path(".data/cifar10").is_dir():
    print(
        "no .data/cifar10 folder: using the original CIFAR-10 from torchvision (.data/torchvision)"
    )
    train_set, test_set = download_cifar10(".data/torchvision")
    data_name = "CIFAR-10, the original (through torchvision)"
else:
    folder = args.data or ".data/cifar10"
    train_set, test_set = load_cifar10_folder(folder, "train"), load_cifar10_folder(folder, "test")
    data_name = "CIFAR-10, this site's JPEG (quality 75) copy"
train_images, train_labels = train_set.tensors
test_images, test_labels = test_set.tensors
print(
    f"{data_name}: {len(train_images) + len(test_images)} images ready in "
    f"{time.perf_counter() - started:.1f} s"
)
print("train:", tuple(train_images.shape), train_images.dtype, " test:", tuple(test_images.shape))
print("train images per class:", torch.bincount(train_labels).tolist())

full_train_size = len(train_images)
if args.train_subset and args.train_subset < len(train_images):
    keep = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(args.seed))[
        : args.train_subset
    ]
    train_images, train_labels = train_images[keep], train_labels[keep]
    print(
        f"training on a random subset of {len(train_images)} images:",
        torch.bincount(train_labels, minlength=10).tolist(),
    )

fig, axes = plt.subplots(2, 8, figsize=(10, 3))
step = len(test_images) // 16  # spread over the classes (the files are sorted by class)
for ax, i in zip(axes.flat, range(0, 16 * step, step)):
    ax.imshow(test_images[i].permute(1, 2, 0))
    ax.set_title(CLASSES[test_labels[i]], fontsize=9)
    ax.axis("off")
fig.suptitle("Test images (32x32, JPEG quality 75)")
plt.show()

# %% [markdown]
# Networks train better on inputs centred around zero with unit spread, so every image is
# normalised per channel with a mean and standard deviation (on the 0-255 scale).
# `torchprimer.models` stores the values commonly used for CIFAR-10, measured on the
# original training set; the cell prints them next to those of the images this run trains
# on. JPEG compression smooths fine detail, which narrows the spread a little.

# %%
from torchprimer.models import CIFAR10_MEAN, CIFAR10_STD, normalize

pixels = train_images.permute(1, 0, 2, 3).reshape(3, -1).float()
print(
    "mean of this training set:",
    [round(v, 1) for v in pixels.mean(1).tolist()],
    " stored:",
    list(CIFAR10_MEAN),
)
print(
    "std of this training set: ",
    [round(v, 1) for v in pixels.std(1).tolist()],
    " stored:",
    list(CIFAR10_STD),
)

# The tensors move to the training device once; batches are cut from them there.
train_images, train_labels = train_images.to(device), train_labels.to(device)
test_images, test_labels = test_images.to(device), test_labels.to(device)
curve_n = args.curve_test_samples or len(test_images)
curve_index = torch.randperm(len(test_images), generator=torch.Generator().manual_seed(args.seed))[
    :curve_n
].to(device)
print(
    f"learning curves score {curve_n} test images after each epoch; final scores use all {len(test_images)}"
)

# %% [markdown]
# ## The baseline recipe
#
# The recipe names no exact network, so the baseline is the classic small design it
# suggests: two 3x3 convolutions, each followed by ReLU and 2x2 max-pooling, then two
# linear layers (the baseline CNN, `torchprimer.models.BaselineCNN`; the cell prints how
# many weights it has). Loss: cross-entropy. Optimizer: Adam with its default learning
# rate of 0.001. Nothing else: no augmentation, no normalization layers, no schedule.
#
# `train_one_epoch` and `evaluate` are the loop the training pages build by hand
# (`torchprimer.training`). After each epoch the curves record the training loss and
# accuracy (averaged over the epoch's batches, while the weights were still changing)
# and the same two numbers on held-out test images. A `tqdm` bar counts the epochs.

# %%
import sys

from torch import nn
from tqdm.auto import tqdm

from torchprimer.batches import TensorBatches
from torchprimer.models import BaselineCNN, count_parameters
from torchprimer.training import evaluate, train_one_epoch

torch.manual_seed(args.seed)
baseline_model = BaselineCNN().to(device)
print(f"baseline CNN (BaselineCNN): {count_parameters(baseline_model):,} weights")
optimizer = torch.optim.Adam(baseline_model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
generator = torch.Generator().manual_seed(args.seed)
train_batches = TensorBatches(
    train_images, train_labels, args.baseline_batch_size, transform=normalize, generator=generator
)
curve_batches = TensorBatches(
    test_images[curve_index], test_labels[curve_index], 1000, shuffle=False, transform=normalize
)


def run_epochs(model, optimizer, loss_fn, train_batches, epochs, desc, **train_kwargs):
    """Train for `epochs`, scoring the curve test images after each; return the history and seconds spent training."""
    history, train_seconds = [], 0.0
    bar = tqdm(range(1, epochs + 1), desc=desc, unit="epoch", file=sys.stdout)
    for epoch in bar:
        tick = time.perf_counter()
        train = train_one_epoch(
            model, train_batches, loss_fn, optimizer, device=device, **train_kwargs
        )
        if device == "cuda":
            torch.cuda.synchronize()
        train_seconds += time.perf_counter() - tick
        test = evaluate(
            model,
            curve_batches,
            loss_fn,
            device=device,
            autocast_dtype=train_kwargs.get("autocast_dtype"),
        )
        history.append(
            {
                "epoch": epoch,
                "train_loss": train.loss,
                "train_acc": train.accuracy,
                "test_loss": test.loss,
                "test_acc": test.accuracy,
            }
        )
        bar.write(
            f"epoch {epoch:2d}  train loss {train.loss:.4f} acc {train.accuracy:6.2%}   "
            f"test loss {test.loss:.4f} acc {test.accuracy:6.2%}   ({train_seconds:.0f} s training so far)"
        )
        bar.set_postfix(test_acc=f"{test.accuracy:.2%}")
    bar.close()
    return history, train_seconds


baseline_history, baseline_seconds = run_epochs(
    baseline_model, optimizer, loss_fn, train_batches, args.baseline_epochs, "baseline recipe"
)

# %% [markdown]
# Measured the same way for both sets (a pass over all the images with the final weights,
# in eval mode), ours are below. Then the other way the quoted 93.75% was most likely
# measured: accuracy on single mini-batches of 64 training images. On 64 images accuracy
# moves in steps of 1/64 and varies from batch to batch, so the second cell shows its
# spread over every mini-batch of 64 of the training set, with the same final weights.

# %%
train_eval = TensorBatches(train_images, train_labels, 1000, shuffle=False, transform=normalize)
test_eval = TensorBatches(test_images, test_labels, 1000, shuffle=False, transform=normalize)
baseline_train = evaluate(baseline_model, train_eval, loss_fn, device=device)
baseline_test = evaluate(baseline_model, test_eval, loss_fn, device=device)
print(
    f"baseline recipe, final weights: train loss {baseline_train.loss:.4f} acc {baseline_train.accuracy:.2%} | "
    f"test loss {baseline_test.loss:.4f} acc {baseline_test.accuracy:.2%} (all {baseline_test.samples} test images)"
)
print(f"training time: {baseline_seconds:.0f} s on {device}")


# %%
def batch_accuracies(model, images, labels, size):
    """Accuracy on each consecutive mini-batch of `size` images (eval mode, final weights)."""
    model.eval()
    with torch.inference_mode():
        right = torch.cat(
            [
                model(normalize(images[i : i + 1000])).argmax(1) == labels[i : i + 1000]
                for i in range(0, len(images), 1000)
            ]
        )
    usable = len(right) // size * size
    return right[:usable].view(-1, size).float().mean(1)


size = min(64, len(train_images))  # 64 but for the tiny smoke-test data
per_batch = batch_accuracies(baseline_model, train_images, train_labels, size)
print(
    f"baseline recipe, accuracy on each of {len(per_batch)} mini-batches of {size} training images: "
    f"lowest {per_batch.min():.2%}, median {per_batch.median():.2%}, highest {per_batch.max():.2%}; "
    f"{(per_batch >= 60 / 64).float().mean():.1%} of them at 60/64 = 93.75% or above"
)


# %% [markdown]
# ## Why the training and test numbers drift apart
#
# Read the curves below for two things. Training loss falls epoch after epoch: the
# network gets better *at the images it sees*. If test loss stops following it, turns and
# climbs, the network has begun to fit details of its own training images (their exact
# pixels, their JPEG artefacts) that do not carry over to new ones: **overfitting**. With
# about a million weights and nothing to stop it, that is what a small CNN does given
# enough epochs. Cross-entropy punishes confident mistakes hard, so test *loss* can climb
# while test *accuracy* still creeps up: the network is right on a few more test images
# but far more sure of itself on those it gets wrong. The cell under the curves prints
# where the test loss was lowest and the gap between training and test accuracy at the
# end, so the curves can be read in numbers.
#
# Two of the remedies below fight overfitting directly: augmentation shows the network a
# slightly different version of each image every epoch, and label smoothing stops
# rewarding over-confidence. The other three (batch normalization, residual connections,
# a learning-rate schedule) are not cures for overfitting: they make optimisation better
# behaved, so that a larger network trains well in few epochs.


# %%
def plot_curves(history, title):
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], "o-", label="train (during the epoch)")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], "s-", label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.plot(
        epochs, [100 * h["train_acc"] for h in history], "o-", label="train (during the epoch)"
    )
    ax_acc.plot(epochs, [100 * h["test_acc"] for h in history], "s-", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()


plot_curves(baseline_history, "The baseline recipe: baseline CNN, cross-entropy, Adam")
best = min(baseline_history, key=lambda h: h["test_loss"])
print(
    f"test loss was lowest after epoch {best['epoch']} ({best['test_loss']:.4f}); "
    f"after the last epoch it is {baseline_history[-1]['test_loss']:.4f}"
)
last = baseline_history[-1]
print(
    f"test accuracy after that epoch {best['test_acc']:.2%}; after the last epoch {last['test_acc']:.2%}"
)
print(
    f"gap between train and test accuracy after the last epoch: "
    f"{100 * (last['train_acc'] - last['test_acc']):.1f} points"
)

# %% [markdown]
# ## The improved recipe
#
# Each change and why:
#
# - **Augmentation** (`torchprimer.batches.crop_flip`): every epoch, each training
#   image is padded by 4 pixels, cut back to 32x32 at a random offset, and mirrored with
#   probability 1/2. The label does not change, but the pixels do, so memorising pixels
#   stops paying. It runs on whole batches on the training device.
# - **A small residual network with batch norm** (`torchprimer.models.ResNetSmall`, in
#   the style of the 9-layer ResNet of David Page's "How to train your ResNet", 2018):
#   batch normalization keeps each layer's inputs in a steady range, which allows a much
#   higher learning rate; residual blocks (`x + f(x)`) give gradients a direct path
#   through the network.
# - **One-cycle learning-rate schedule** (`torch.optim.lr_scheduler.OneCycleLR`,
#   Smith and Topin, 2017): the rate ramps up for the first 25% of the steps, then anneals
#   to almost zero; with SGD and Nesterov momentum and a little weight decay, this trains
#   in far fewer epochs than a constant rate. By default OneCycleLR also cycles the
#   momentum the other way, from 0.95 down to 0.85 while the rate rises and back up while
#   it falls, replacing the 0.9 the optimizer is built with.
# - **Label smoothing** (`nn.CrossEntropyLoss(label_smoothing=0.2)`): the target puts
#   80% (plus its share of the rest) on the true class and spreads the rest, so the
#   network is never pushed to infinite confidence.
# - **On a GPU only: bfloat16 autocast and channels-last.** On Ampere and newer GPUs,
#   PyTorch already runs float32 convolutions on the matrix units in TF32 by default
#   (`torch.backends.cudnn.allow_tf32`); bfloat16 goes further, with half the bytes to
#   move and twice TF32's peak rate on those units. cuDNN's convolutions prefer the NHWC
#   layout that `memory_format=torch.channels_last` gives. On a CPU the recipe leaves both
#   off and trains in float32; the pretrained-inference example measures what bfloat16,
#   channels-last and `torch.compile` do for inference on the machine it ran on.

# %%
from torchprimer.batches import crop_flip
from torchprimer.models import ResNetSmall

torch.manual_seed(args.seed)
model = ResNetSmall(widths=args.widths).to(device)
autocast_dtype = None
if device == "cuda":
    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels once
    model = model.to(memory_format=torch.channels_last)
    autocast_dtype = torch.bfloat16
print(
    f"ResNetSmall{args.widths}: {count_parameters(model):,} weights; autocast: {autocast_dtype}; "
    f"channels_last: {device == 'cuda'}"
)

aug_generator = torch.Generator().manual_seed(args.seed + 1)


def augment_and_normalize(images):
    x = normalize(crop_flip(images, aug_generator))
    return x.contiguous(memory_format=torch.channels_last) if device == "cuda" else x


train_batches = TensorBatches(
    train_images,
    train_labels,
    args.batch_size,
    transform=augment_and_normalize,
    drop_last=len(train_images) >= 4 * args.batch_size,
    generator=torch.Generator().manual_seed(args.seed),
)
optimizer = torch.optim.SGD(
    model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4
)
scheduler = torch.optim.lr_scheduler.OneCycleLR(
    optimizer,
    max_lr=args.lr,
    epochs=args.epochs,
    steps_per_epoch=len(train_batches),
    pct_start=0.25,
)
smooth_loss = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
history, improved_seconds = run_epochs(
    model,
    optimizer,
    smooth_loss,
    train_batches,
    args.epochs,
    "improved recipe",
    scheduler=scheduler,
    autocast_dtype=autocast_dtype,
)
plot_curves(
    history,
    f"Improved recipe: ResNetSmall{args.widths}, augmentation, one-cycle SGD, label smoothing",
)

# %% [markdown]
# The curves' loss is the smoothed loss the network trained on, and the training
# accuracy is measured on augmented images; the final scores below use plain
# cross-entropy on the unaugmented images, like the quoted numbers, and run in float32
# on a GPU too: that is the accuracy the checkpoint records, so that anyone who loads it
# can measure it again without autocast.

# %%
improved_train = evaluate(model, train_eval, loss_fn, device=device)
improved_test = evaluate(model, test_eval, loss_fn, device=device)
print(
    f"improved recipe, final weights: train loss {improved_train.loss:.4f} acc {improved_train.accuracy:.2%} | "
    f"test loss {improved_test.loss:.4f} acc {improved_test.accuracy:.2%} (all {improved_test.samples} test images)"
)
print(f"training time: {improved_seconds:.0f} s on {device} ({improved_seconds / 60:.1f} min)")

# %% [markdown]
# ## Checkpoints
#
# Both networks are saved with `torchprimer.checkpoint.save_checkpoint`: the weights go
# to `<name>.pt`, and a `<name>.json` beside it records the file's SHA-256, the
# architecture and how it was trained. Each file is written to a temporary name and
# renamed into place, so an interrupted save never leaves half a file. A run stopped
# between the two files leaves a `.pt` whose hash is not the one its `.json` records, and
# loading refuses such a pair. `make weights` publishes a run's checkpoints as the ones
# `hubconf.py` serves (see the pretrained-inference example).

# %%
from pathlib import Path

import torchvision

from torchprimer.checkpoint import save_checkpoint
from torchprimer.machine import device_name

where = device_name(device)
common = {
    "data": data_name,
    "device": where,
    "torch": torch.__version__,
    "torchvision": torchvision.__version__,
    "train_images": len(train_images),
    "trained_by": "examples/cifar10_train.py",
}
checkpoints = {
    "cifar10_baseline_cnn": (
        baseline_model,
        "BaselineCNN",
        {},
        {
            **common,
            "recipe": "baseline: cross-entropy, Adam lr 1e-3",
            "epochs": args.baseline_epochs,
            "batch_size": args.baseline_batch_size,
            "test_accuracy": round(baseline_test.accuracy, 4),
            "train_seconds": round(baseline_seconds, 1),
        },
    ),
    "cifar10_resnet_small": (
        model,
        "ResNetSmall",
        {"widths": list(args.widths)},
        {
            **common,
            "recipe": "augmentation, one-cycle SGD, label smoothing " + str(args.label_smoothing),
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "test_accuracy": round(improved_test.accuracy, 4),
            "test_accuracy_measured": "float32, no autocast",
            "train_seconds": round(improved_seconds, 1),
        },
    ),
}
folder = Path(args.out)
for name, (net, arch, kwargs, metadata) in checkpoints.items():
    # replacing last run's files is the point here, so overwrite=True (the write is still atomic)
    info = save_checkpoint(
        net.to(memory_format=torch.contiguous_format),
        folder / f"{name}.pt",
        arch=arch,
        kwargs=kwargs,
        metadata=metadata,
        overwrite=True,
    )
    print(f"{folder / name}.pt  {info['bytes'] / 1e6:.2f} MB  sha256 {info['sha256'][:16]}...")

# %% [markdown]
# ## The quoted numbers and ours
#
# One table, every number labelled with where it came from. The commonly quoted result
# for this recipe does not say what hardware or how many epochs it used, nor which
# network exactly; its data is the original CIFAR-10, and its training accuracy is most
# likely one mini-batch's (see above). Ours are measured over every image of each set,
# in eval mode, with the final weights; "where" and "budget" are this render's (see the
# stamp at the top).

# %%
import pandas as pd
from IPython.display import display

pd.set_option("display.width", 250)
pd.set_option("display.max_columns", 10)
pd.set_option("display.max_colwidth", 60)

budget_note = f"{len(train_images):,} training images" + (
    " (subset)" if len(train_images) < full_train_size else ""
)
short_data = "CIFAR-10 JPEG q75" if "JPEG" in data_name else "CIFAR-10 (original)"
rows = [
    (
        "baseline recipe, commonly quoted",
        "not stated",
        "CIFAR-10 (original)",
        "not stated",
        "not stated (60/64: one batch of 64?)",
        0.2397,
        0.9375,
        1.1309,
        0.6651,
    ),
    (
        "baseline recipe, this page",
        where,
        short_data,
        f"{args.baseline_epochs} epochs, {budget_note}",
        "every image, eval mode",
        baseline_train.loss,
        baseline_train.accuracy,
        baseline_test.loss,
        baseline_test.accuracy,
    ),
    (
        "improved recipe, this page",
        where,
        short_data,
        f"{args.epochs} epochs, {budget_note}, {improved_seconds / 60:.1f} min training",
        "every image, eval mode",
        improved_train.loss,
        improved_train.accuracy,
        improved_test.loss,
        improved_test.accuracy,
    ),
]
columns = ["train loss", "train acc", "test loss", "test acc"]
table = pd.DataFrame(rows, columns=["run", "where", "data", "budget", "measured on", *columns])
for column in ("train acc", "test acc"):
    table[column] = table[column].map(lambda v: f"{100 * v:.2f}%")
for column in ("train loss", "test loss"):
    table[column] = table[column].map(lambda v: f"{v:.4f}")
display(table.set_index("run"))  # a table in the notebook, text when run as a script

# %%
target_note = "the GPU targets are: baseline recipe > 66.51% test, improved >= 93% test in < 5 min of training"
print(
    f"baseline recipe test accuracy {baseline_test.accuracy:.2%} vs the quoted 66.51%: "
    f"{'above' if baseline_test.accuracy > 0.6651 else 'below'}"
)
print(
    f"improved recipe test accuracy {improved_test.accuracy:.2%} after {improved_seconds / 60:.1f} min of training: "
    f"{'meets' if improved_test.accuracy >= 0.93 and improved_seconds < 300 else 'does not meet'} "
    "the 93% in 5 minutes target"
)
if device == "cpu":
    print(f"this run was on the CPU with a reduced budget; {target_note}")
