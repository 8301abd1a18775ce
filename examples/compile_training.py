# %% [markdown]
# # `torch.compile` timings: eager against compiled training steps
#
# The page [torch.compile for training](../../modern/compile-training/) shows what
# compiling does; this example measures what it buys, on the machine named in the stamp
# above, and nowhere else. Two training steps are timed, each eagerly and compiled
# with the default backend (inductor):
#
# * **mlp**: the digits network of the mixed-precision page, 64 -> 128 -> 10, on a
#   batch of 256, with SGD and momentum. A few small matrix multiplications per step:
#   Python's overhead is a large part of its time.
# * **transformer**: the small decoder-only Transformer of the
#   [attention page](../../modern/attention/) (215,107 parameters), on 32 chunks of 100
#   characters, with Adam: the step the [Transformer example](../transformer_text/)
#   takes 500 times.
#
# How it is measured: the model, the optimizer step, or both are compiled; the first
# compiled step (which compiles) is timed on its own, with the compiler's on-disk cache
# empty ("cold") and again after `torch._dynamo.reset()` with the cache filled by the
# first ("warm": what a second run of the same script pays). Then, after warm-up steps,
# eager and compiled runs of `--steps` steps alternate `--repeats` times, so a change
# in the machine's load affects both, and the median time per step is reported, with
# the fastest and slowest repeat.

# %%
# The arguments a plain CPU render uses (read by python -m torchprimer.render)
RENDER_ARGS = []
EXAMPLE_DATA = None

from torchprimer.examples_cli import ExampleParser, nonnegative_int, parse_args, positive_int

parser = ExampleParser(
    prog="compile_training.py",
    description="Eager against torch.compile'd training steps, timed.",
    smoke={"workloads": ["mlp"], "backend": "eager", "steps": 2, "repeats": 1, "warmup": 1},
)
parser.add_argument(
    "--workloads",
    nargs="+",
    choices=["mlp", "transformer"],
    default=["mlp", "transformer"],
    help="training steps to time (default: both)",
)
parser.add_argument(
    "--backend",
    choices=["inductor", "aot_eager", "eager"],
    default="inductor",
    help="torch.compile backend (default inductor)",
)
parser.add_argument(
    "--steps", type=positive_int, default=20, help="steps per timed repeat (default 20)"
)
parser.add_argument(
    "--repeats",
    type=positive_int,
    default=7,
    help="timed repeats of eager and compiled (default 7)",
)
parser.add_argument(
    "--warmup", type=nonnegative_int, default=3, help="untimed steps after compiling (default 3)"
)
parser.add_argument(
    "--threads",
    type=positive_int,
    default=1,
    help="CPU threads for torch and for inductor's kernels (default 1)",
)
args = parse_args(parser)
print(
    f"workloads={args.workloads} backend={args.backend} steps={args.steps} repeats={args.repeats} "
    f"warmup={args.warmup} threads={args.threads} smoke={args.smoke}"
)

# %% [markdown]
# ## Set-up
#
# Inductor keeps compiled kernels in an on-disk cache (by default in the system's
# temporary folder) and reuses them across runs. Pointing it at a new, empty folder
# makes the first compilation a cold one, as on a fresh machine. The variable must be
# set before torch is imported.

# %%
import os
import statistics
import tempfile
import time

cache = tempfile.TemporaryDirectory(prefix="torchprimer-inductor-")
os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache.name

import torch
import torch._dynamo
from torch import nn
from torch.nn import functional as F

from torchprimer.transformer import TinyTransformer

torch.set_num_threads(args.threads)
print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), device cpu")

# %% [markdown]
# ## The two training steps
#
# Each workload builds its model and optimizer from a fixed seed and returns them with
# one fixed batch (the data are random: only the time matters here) and a loss function.

# %%


def mlp_workload():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    batch = (torch.rand(256, 64), torch.randint(0, 10, (256,)))
    return model, optimizer, batch, F.cross_entropy


def transformer_workload():
    torch.manual_seed(0)
    model = TinyTransformer(vocab_size=67, context=100, dim=64, heads=4, layers=4)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    batch = (torch.randint(0, 67, (32, 100)), torch.randint(0, 67, (32, 100)))

    def loss_fn(scores, targets):
        return F.cross_entropy(scores.reshape(-1, 67), targets.reshape(-1))

    return model, optimizer, batch, loss_fn


WORKLOADS = {"mlp": mlp_workload, "transformer": transformer_workload}


def make_step(workload, compiled: bool):
    """A function running one training step, eager or with model and optimizer compiled."""
    model, optimizer, (x, y), loss_fn = workload()
    forward = torch.compile(model, backend=args.backend) if compiled else model
    update = torch.compile(optimizer.step, backend=args.backend) if compiled else optimizer.step

    def step() -> float:
        loss = loss_fn(forward(x), y)
        optimizer.zero_grad()
        loss.backward()
        update()
        return loss.item()

    return step


def seconds(step, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - start


# %% [markdown]
# ## Compile time, cold and warm
#
# The first compiled step captures the forward pass, derives the backward pass,
# compiles both and the optimizer's update, then runs. The eager first step is timed
# too, for comparison: it includes one-off costs of its own (memory allocation, the
# optimizer creating its state).

# %%
results = {}
for name in args.workloads:
    workload = WORKLOADS[name]
    torch._dynamo.reset()
    eager_step = make_step(workload, compiled=False)
    eager_first = seconds(eager_step, 1)
    compiled_step = make_step(workload, compiled=True)
    cold = seconds(compiled_step, 1)
    torch._dynamo.reset()  # forget the compiled code in memory; the on-disk cache stays
    warm = seconds(make_step(workload, compiled=True), 1)
    torch._dynamo.reset()
    compiled_step = make_step(workload, compiled=True)
    seconds(compiled_step, 1)  # compile once more (from the cache) for the timed runs below
    results[name] = {
        "eager first": eager_first,
        "cold": cold,
        "warm": warm,
        "eager": eager_step,
        "compiled": compiled_step,
    }
    print(
        f"{name:<12} first step: eager {eager_first:6.2f} s, compiled (cold cache) {cold:6.1f} s, "
        f"compiled (warm cache) {warm:6.1f} s"
    )

# %% [markdown]
# ## Time per step, after warm-up
#
# Eager and compiled repeats alternate. A few untimed warm-up steps first let both
# settle (and reveal a recompilation, if the second call needed one, before the clock
# runs).

# %%
for name, r in results.items():
    for kind in ("eager", "compiled"):
        seconds(r[kind], args.warmup)
    per_step = {"eager": [], "compiled": []}
    for _ in range(args.repeats):
        for kind in ("eager", "compiled"):
            per_step[kind].append(seconds(r[kind], args.steps) / args.steps)
    r["per step"] = per_step
    for kind in ("eager", "compiled"):
        times = [1000 * t for t in per_step[kind]]
        print(
            f"{name:<12} {kind:<9} {statistics.median(times):8.2f} ms per step "
            f"(repeats: {min(times):.2f} to {max(times):.2f})"
        )

# %% [markdown]
# ## Summary
#
# Speed-up is eager time over compiled time (above 1: compiled is faster), from the
# medians and, because a shared machine only ever adds time, from the fastest repeats.
# Break-even is how many steps the compiled version needs to win back its cold
# compile time at the median speeds, when it is faster at all. The verdict calls a
# difference real only when both speed-ups agree on it by more than 10%.

# %%
print(
    f"{'workload':<12}{'eager ms':>10}{'compiled ms':>13}{'speed-up':>10}{'(fastest)':>11}"
    f"{'cold compile s':>16}{'warm compile s':>16}{'break-even steps':>18}"
)
verdicts = {}
for name, r in results.items():
    eager = statistics.median(r["per step"]["eager"])
    compiled = statistics.median(r["per step"]["compiled"])
    fastest = min(r["per step"]["eager"]) / min(r["per step"]["compiled"])
    saved = eager - compiled
    break_even = f"{r['cold'] / saved:,.0f}" if saved > 0 else "never"
    both = (eager / compiled, fastest)
    verdicts[name] = (
        "compiled faster"
        if min(both) > 1.1
        else "compiled slower"
        if max(both) < 1 / 1.1
        else "no clear difference"
    )
    print(
        f"{name:<12}{1000 * eager:>10.2f}{1000 * compiled:>13.2f}{eager / compiled:>10.2f}{fastest:>11.2f}"
        f"{r['cold']:>16.1f}{r['warm']:>16.1f}{break_even:>18}"
    )
for name, verdict in verdicts.items():
    print(f"{name}: {verdict}")

# %% [markdown]
# The compiled steps compute the same thing: a last check that both versions of each
# workload, started from the same weights, reach nearly the same loss after the same
# number of steps.

# %%
for name in args.workloads:
    torch._dynamo.reset()
    losses = {}
    for kind in ("eager", "compiled"):
        step = make_step(WORKLOADS[name], compiled=kind == "compiled")
        for _ in range(5):
            losses[kind] = step()
    print(
        f"{name:<12} loss after 5 steps: eager {losses['eager']:.4f}, compiled {losses['compiled']:.4f}"
    )
cache.cleanup()

# %% [markdown]
# ## Reading the numbers
#
# These timings are this machine's: a CPU with the number of cores the stamp names,
# running `--threads` threads (inductor's generated C++ uses the same number), shared
# with other jobs while it ran, so single repeats vary and only the medians and the
# fastest repeats mean much. The cold compile times are the price of the first run on
# a machine; the warm ones, with inductor's cache filled, what later runs of the same
# code pay.
#
# Where compiling does not help on a CPU, the reason is that there is little to fuse:
# the time of these steps goes into matrix multiplications that PyTorch already hands
# to optimised libraries, and the element-wise work between them is small. On a GPU
# the balance is different. A GPU runs each kernel quickly, so launching many small
# kernels (and Python's overhead between them) is often the bottleneck, which is
# exactly what fusion removes. This example keeps to the CPU so that every build can
# run it; nothing on this page was measured on a GPU.
