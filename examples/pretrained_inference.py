# %% [markdown]
# # Pretrained inference: torch.hub, checked weights, eval mode, throughput
#
# Training is done once; inference is what a model is for. This page takes the network
# that this repository's `hubconf.py` publishes, trained by the script of the
# [CIFAR-10 example](../cifar10_train/) (its sidecar, printed below, says on which device,
# when and how well), and uses it the way a stranger would: load it through `torch.hub`,
# check that the file is the one whose hash was recorded, switch it to evaluation mode,
# classify test images, score the whole test set, and measure how many images per second
# it handles with and without bfloat16, the channels-last layout and `torch.compile`.
#
# The kernel that ran this page is a fresh process: it never saw the training. Everything
# it knows about the model comes from `hubconf.py` and two committed files,
# `src/torchprimer/weights/cifar10_resnet_small.pt` (the weights) and its `.json` sidecar
# (their SHA-256, the architecture, and where and how they were trained).

# %%
# How the site renders this page (python -m primersite.render reads these declarations)
RENDER_ARGS = ["--data", ".data/cifar10", "--batch-sizes", "1,64,256"]
GPU_RENDER_ARGS = [
    "--data",
    ".data/cifar10",
    "--batch-sizes",
    "1,64,512,2048",
    "--bench-seconds",
    "1",
]
EXAMPLE_DATA = "cifar10"
# one line for the table of examples (docs/examples/index.md)
EXAMPLE_SUMMARY = "the trained network loaded through `torch.hub`, its weights checked, eval mode, throughput by batch size"

from torchprimer.examples_cli import (
    ExampleParser,
    parse_args,
    pick_device,
    positive_float,
    positive_int_list,
    repo_root,
)

parser = ExampleParser(
    prog="pretrained_inference.py",
    description="Load a published model through torch.hub and use it.",
    smoke={"batch_sizes": [1, 4], "bench_seconds": 0.1, "no_compile": True},
)
parser.add_argument(
    "--data",
    default=".data/cifar10",
    help="CIFAR-10 folder with train/ and test/ (default .data/cifar10)",
)
parser.add_argument(
    "--entry",
    default="resnet_small",
    choices=["resnet_small", "baseline_cnn"],
    help="hubconf.py entry: resnet_small (the improved recipe) or baseline_cnn (the baseline CNN)",
)
parser.add_argument(
    "--repo", default=None, help="folder holding hubconf.py (default: this checkout)"
)
parser.add_argument(
    "--checkpoint",
    default=None,
    help="load this .pt file (with its .json) instead of the hub entry",
)
parser.add_argument(
    "--batch-sizes", type=positive_int_list, default=[1, 64, 256], help="for the throughput table"
)
parser.add_argument(
    "--bench-seconds",
    type=positive_float,
    default=2.0,
    help="seconds spent timing each cell of the table, in five slices (the best counts)",
)
parser.add_argument(
    "--no-compile", action="store_true", help="leave torch.compile out of the throughput table"
)
parser.add_argument(
    "--torchvision-download",
    action="store_true",
    help="download torchvision's ResNet-18 weights (needs internet) and classify a photo",
)
args = parse_args(parser)
device = pick_device(args.smoke)
repo = args.repo or str(repo_root())
print(f"device: {device}; hubconf.py from: {'this checkout' if args.repo is None else repo}")

# %% [markdown]
# ## Loading through torch.hub
#
# `torch.hub.load(repo, entry, source="local", pretrained=True)` imports `hubconf.py`
# from the folder and calls the entry. The same call with `"owner/repo"` and
# `source="github"` is what a user runs against a published repository; `"local"` is the
# offline form. The entry rebuilds the architecture the sidecar names and loads the
# weights only after their SHA-256 matches the one recorded (next section).
#
# `torch.hub.list` would list the entries, but it only accepts a GitHub repository, not a
# folder (it has no `source` argument in torch 2.14); `torchprimer.hub.list_local` applies
# its rule (every public callable in `hubconf.py`) to a folder.

# %%
import json

import torch

from torchprimer.checkpoint import load_model, read_sidecar
from torchprimer.hub import list_local
from torchprimer.machine import device_name
from torchprimer.pretrained import weights_path

print("entries in hubconf.py:", list_local(repo))
if args.checkpoint:
    model = load_model(args.checkpoint, map_location=device)
    info = read_sidecar(args.checkpoint)
else:
    model = torch.hub.load(repo, args.entry, source="local", pretrained=True).to(device)
    info = model.checkpoint_info
print(
    f"{type(model).__name__}{tuple(info['kwargs'].get('widths', ()))}: {sum(p.numel() for p in model.parameters()):,} weights, "
    f"in {'training' if model.training else 'eval'} mode"
)
print("what the sidecar says about its training:")
print(json.dumps(info["metadata"], indent=2))

# %% [markdown]
# ## Are these the published weights?
#
# A checkpoint is a file anyone could have replaced or a download could have cut short.
# `torchprimer.checkpoint.load_checkpoint` hashes the file and compares it with the
# recorded SHA-256 *before* `torch.load` reads a byte of it, then loads with
# `weights_only=True`. Below: the recorded and the actual hash, then the same load on a
# copy with one byte changed, and on a copy cut in half.
#
# A match proves integrity, not origin: the file is the one whose hash was written into
# the sidecar beside it, but whoever could replace the file could replace the sidecar
# too. To know where weights came from, compare the hash with one from a source you trust
# (the CIFAR-10 page prints the hash of each checkpoint it saved), or pin it in your
# own code.

# %%
import shutil
import tempfile
from pathlib import Path

from torchprimer.checkpoint import CheckpointError, sha256_file

# the file behind the entry: hubconf.py's entries are one line over torchprimer.pretrained
weights_file = Path(args.checkpoint) if args.checkpoint else weights_path(Path(info["file"]).stem)
print("recorded SHA-256:", info["sha256"])
print("file's SHA-256:  ", sha256_file(weights_file))

with tempfile.TemporaryDirectory() as tmp:
    for damage in ("one byte changed", "cut in half"):
        copy = Path(shutil.copy(weights_file, tmp))
        shutil.copy(weights_file.with_suffix(".json"), tmp)
        data = bytearray(copy.read_bytes())
        if damage == "one byte changed":
            data[len(data) // 2] ^= 0x01
        else:
            data = data[: len(data) // 2]
        copy.write_bytes(bytes(data))
        try:
            load_model(copy)
        except CheckpointError as err:
            print(f"{damage}: CheckpointError: {str(err).split(': ', 1)[1]}")

# %% [markdown]
# Why `weights_only=True` matters even with a matching hash: a `.pt` file is a pickle,
# and unpickling can call any importable function. `weights_only=True` (the default since
# torch 2.6) unpickles with an allowlist: tensors, plain containers and the few types
# torch adds to it, and refuses anything else. That is much safer, not a guarantee: such
# allowlists have had bypasses (CVE-2025-32434 let a crafted file run code through
# `weights_only=True` in torch 2.5.1 and older), so keep torch up to date as well.

# %%
import os

with tempfile.TemporaryDirectory() as tmp:
    suspicious = Path(tmp) / "suspicious.pt"
    # a reference to os.system, pickled
    torch.save({"weight": torch.zeros(2), "hook": os.system}, suspicious)
    try:
        torch.load(suspicious, weights_only=True)
    except Exception as err:  # pickle.UnpicklingError
        lines = str(err).splitlines()
        print(f"{type(err).__name__}: {lines[0]}")
        # the line that names what was refused
        print(next((line.strip() for line in lines if "GLOBAL" in line or "global" in line), ""))

# %% [markdown]
# ## Eval mode, and what changes without it
#
# The model came back in eval mode (`model.training` is `False`), but not because of
# `torch.hub`: `torch.hub.load` only calls the entry, and this repository's entry calls
# `.eval()` before returning the model. Not every entry does; torchvision's model
# builders return models in training mode (the cell checks one), so call `.eval()`
# yourself before inference. Eval mode matters for this network because of batch
# normalization: in training mode each batch
# norm layer normalises with the mean and variance *of the current batch* (and updates
# its running averages as a side effect); in eval mode it uses the running averages
# stored in the checkpoint. So in training mode an image's prediction depends on which
# other images share its batch, and merely running the model changes it. The baseline
# CNN (the `baseline_cnn` entry) has no batch norm or dropout, so for it the two modes give
# the same outputs.

# %%
import copy as copy_module

from torchvision.models import resnet18

from torchprimer.cifar import CLASSES, load_cifar10_folder
from torchprimer.models import normalize

print("torchvision's resnet18() comes back in training mode:", resnet18().training)

test_images, test_labels = load_cifar10_folder(args.data, "test").tensors
test_images, test_labels = test_images.to(device), test_labels.to(device)
batch = normalize(test_images[:256])
in_train_mode = copy_module.deepcopy(
    model
).train()  # a copy: a training-mode forward changes the model
with torch.no_grad():
    eval_all, eval_one = model(batch), model(batch[:1])
    train_all, train_one = in_train_mode(batch), in_train_mode(batch[:1])
labels = test_labels[:256]
print(
    f"accuracy on {len(batch)} test images: eval mode {(eval_all.argmax(1) == labels).float().mean():.2%}, "
    f"training mode {(train_all.argmax(1) == labels).float().mean():.2%}"
)
print(
    f"image 0's logits, alone vs in a batch of {len(batch)}: "
    f"eval mode differ by {(eval_one[0] - eval_all[0]).abs().max():.2e}, "
    f"training mode by {(train_one[0] - train_all[0]).abs().max():.2e}"
)
bn = [m for m in in_train_mode.modules() if isinstance(m, torch.nn.BatchNorm2d)]
if bn:
    published = dict(model.named_buffers())
    moved = max(
        (b - published[n]).abs().max().item()
        for n, b in in_train_mode.named_buffers()
        if "running_mean" in n
    )
    print(
        f"after those two forward passes in training mode, running means moved by up to {moved:.3f}"
    )

# %% [markdown]
# ## Predictions
#
# The model outputs ten *logits*; `softmax` turns them into probabilities that sum to 1.
# Below, test images with the model's three most probable classes (green: the first
# guess is right).

# %%
import matplotlib.pyplot as plt

step = len(test_images) // 12
picks = list(range(step // 2, 12 * step, step))[:12]
with torch.no_grad():
    probabilities = torch.softmax(model(normalize(test_images[picks])).float(), dim=1)
top = probabilities.topk(3, dim=1)
fig, axes = plt.subplots(2, 6, figsize=(12, 6.4))
for ax, i, p, k in zip(axes.flat, picks, top.values, top.indices):
    ax.imshow(test_images[i].permute(1, 2, 0).cpu())
    ax.set_xticks([])
    ax.set_yticks([])
    right = int(k[0]) == int(test_labels[i])
    ax.set_title(f"true: {CLASSES[test_labels[i]]}", fontsize=9)
    ax.set_xlabel(
        "\n".join(f"{CLASSES[c]} {v:.0%}" for c, v in zip(k.tolist(), p.tolist())),
        fontsize=9,
        color="green" if right else "red",
    )
fig.suptitle(f"{type(model).__name__}: top-3 probabilities on test images")
fig.tight_layout(h_pad=2.5)
plt.show()

# %% [markdown]
# ## The whole test set
#
# The sidecar recorded the test accuracy measured right after training, in float32.
# Measured again here in float32, on the same 10,000 test images, through the loaded
# copy, it should agree: if it did not, the weights, the preprocessing or the model's mode
# would differ from training time. On a GPU it can differ by an image or two, where
# kernels other than the training run's (TF32 convolutions, another cuDNN algorithm)
# round a near-tie the other way; the cell counts the difference in images.

# %%
import pandas as pd
from torch import nn

from torchprimer.batches import TensorBatches
from torchprimer.training import evaluate

result = evaluate(
    model,
    TensorBatches(test_images, test_labels, 500, shuffle=False, transform=normalize),
    nn.CrossEntropyLoss(),
    device=device,
)
recorded = info["metadata"].get("test_accuracy", float("nan"))
print(
    f"test accuracy here: {result.accuracy:.2%} on {result.samples} images; "
    f"recorded at training time: {recorded:.2%} "
    f"(a difference of {round(abs(result.accuracy - recorded) * result.samples)} images)"
)
with torch.no_grad():
    predicted = torch.cat(
        [
            model(normalize(test_images[i : i + 500])).argmax(1)
            for i in range(0, len(test_images), 500)
        ]
    )
per_class = [(predicted[test_labels == k] == k).float().mean().item() for k in range(len(CLASSES))]
print(
    pd.Series(
        [f"{v:.1%}" for v in per_class], index=list(CLASSES), name="accuracy per class"
    ).to_string()
)

# %% [markdown]
# ## Throughput
#
# Images per second at a few batch sizes, for four ways of running the same weights:
#
# - **eager fp32**: the model as loaded, one Python call per layer, float32 throughout;
# - **bf16**: the same under `torch.autocast(dtype=torch.bfloat16)`, so matrix products
#   and convolutions run in bfloat16 (half the bytes, and on GPUs and on CPUs with bf16
#   matrix units faster arithmetic, once a batch holds enough work: at batch 1 the casts
#   cost more than they save, and bf16 can be the slower column);
# - **bf16 + channels_last**: weights and inputs in the NHWC memory layout that
#   convolution kernels prefer;
# - **compiled**: `torch.compile` on top of that, which traces the model once and
#   generates fused kernels (the first call at each batch size pays the compilation,
#   reported separately; torch keeps compiled kernels in an on-disk cache, which a
#   second run on the same machine can reuse).
#
# Each cell is timed for `--bench-seconds` in all, in five slices taken in turns with the
# other columns (after warm-up calls), and the best slice counts, so that other work on a
# shared machine slows all columns alike. Timings still vary from run to run; compare
# columns within a row.

# %%
import logging
import time

# torch.compile on a machine without CUDA logs a notice about CUDA_HOME; it does not matter here
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)


def synchronize():
    if device == "cuda":
        torch.cuda.synchronize()


def images_per_second(runs, x_by_run, seconds, rounds=5):
    """Best images/s of each run over `rounds` interleaved slices of `seconds / rounds`, so
    that a burst of other work on a shared machine slows every column alike instead of one."""
    for name, run in runs.items():
        for _ in range(2):  # warm-up: allocator, cuDNN autotuning, caches
            run(x_by_run[name])
    synchronize()
    best = dict.fromkeys(runs, 0.0)
    for _ in range(rounds):
        for name, run in runs.items():
            x = x_by_run[name]
            calls, start = 0, time.perf_counter()
            while True:
                run(x)
                calls += 1
                synchronize()
                elapsed = time.perf_counter() - start
                if elapsed >= seconds / rounds:
                    break
            best[name] = max(best[name], calls * len(x) / elapsed)
    return best


fp32 = model
channels_last = copy_module.deepcopy(model).to(memory_format=torch.channels_last)
compiled = None if args.no_compile else torch.compile(channels_last, dynamic=False)


def bf16(m):
    def run(x):
        with torch.autocast(device_type=device, dtype=torch.bfloat16):
            return m(x)

    return run


rows = []
with torch.inference_mode():
    for size in args.batch_sizes:
        x = normalize(test_images[torch.arange(size, device=device) % len(test_images)])
        x_cl = x.contiguous(memory_format=torch.channels_last)
        runs = {"eager fp32": fp32, "bf16": bf16(fp32), "bf16 + channels_last": bf16(channels_last)}
        inputs = {"eager fp32": x, "bf16": x, "bf16 + channels_last": x_cl}
        row = {"batch size": size}
        if compiled is not None:
            start = time.perf_counter()
            bf16(compiled)(x_cl)  # first call at this shape: compiles
            synchronize()
            row["compile (s)"] = time.perf_counter() - start
            runs["bf16 + channels_last + compiled"] = bf16(compiled)
            inputs["bf16 + channels_last + compiled"] = x_cl
        row.update(images_per_second(runs, inputs, args.bench_seconds))
        rows.append(row)
        print(f"batch {size}: done", flush=True)

table = pd.DataFrame(rows).set_index("batch size")
speedup = table.iloc[:, -1] / table["eager fp32"]
formatted = (
    table.map(lambda v: f"{v:,.0f}")
    if hasattr(table, "map")
    else table.applymap(lambda v: f"{v:,.0f}")
)
if "compile (s)" in table:
    formatted["compile (s)"] = table["compile (s)"].map(lambda v: f"{v:.1f}")
formatted["last column / eager fp32"] = speedup.map(lambda v: f"{v:.2f}x")
where = device_name(device) + (f", {torch.get_num_threads()} threads" if device == "cpu" else "")
print(f"images per second on {where} ({type(model).__name__}, torch {torch.__version__})")
print(formatted.to_string())

# %% [markdown]
# ## torchvision's pretrained weights
#
# torchvision publishes weights for its models through enums such as
# `ResNet18_Weights`. Each member carries everything needed to use it: the download
# URL and checksum, the preprocessing the network was trained with (`transforms()`),
# the class names (`meta["categories"]`) and the accuracy it reached. All of that is
# available without a download:

# %%
from torchvision.models import ResNet18_Weights, resnet18

weights = ResNet18_Weights.DEFAULT
print("DEFAULT is", weights)
print("preprocessing:", weights.transforms())
print("categories:", len(weights.meta["categories"]), weights.meta["categories"][:5], "...")
print(
    "ImageNet-1K accuracy:",
    weights.meta["_metrics"]["ImageNet-1K"],
    "| parameters:",
    f"{weights.meta['num_params']:,}",
)
print("file:", weights.url)

# %% [markdown]
# Creating the network with those weights downloads the file from `download.pytorch.org`
# (and checks it against the hash in its name). The machine that renders this site is
# offline, so the next cell only runs with `--torchvision-download`; on a connected
# machine it classifies scikit-image's bundled photo of a cat (`skimage.data.chelsea()`).

# %%
if args.torchvision_download:
    from skimage.data import chelsea

    net = resnet18(weights=weights).eval()
    # uint8 (3, H, W), as the transforms expect
    photo = torch.from_numpy(chelsea()).permute(2, 0, 1)
    with torch.no_grad():
        probs = torch.softmax(net(weights.transforms()(photo).unsqueeze(0)), dim=1)[0]
    for p, k in zip(*probs.topk(3)):
        print(f"{weights.meta['categories'][k]}: {p:.1%}")
else:
    print(
        "skipped: this machine is offline (run with --torchvision-download where the weights can be fetched)"
    )
