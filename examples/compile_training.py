# %% [markdown]
# # `torch.compile` timings: eager against compiled training steps
#
# The page [torch.compile for training](../../modern/compile-training/) shows what
# compiling does; this example measures what it buys, on the machine named in the stamp
# above, and nowhere else. Two training steps are timed, each eagerly and compiled
# with the default backend (inductor):
#
# * **mlp**: the digits network of the mixed-precision page, 64 -> 128 -> 10, on a
#   batch of 256, with SGD and momentum. A few small matrix multiplications per step.
# * **transformer**: the training step of the [Transformer example](../transformer_text/):
#   the same small decoder-only Transformer of the [attention page](../../modern/attention/)
#   (215,107 parameters), 32 chunks of 100 characters, Adam, gradients clipped to norm 1.
#   Only the batch differs: there each step draws one from the text, here one random
#   batch is reused.
#
# Both are built by `torchprimer.compile_timing`, so that a new Python process can build
# exactly the same step. How they are measured:
#
# 1. **The first steps, in a new process.** What a run of a script pays before compiling
#    pays off is only visible in a process that has never compiled. For each workload,
#    `python -m torchprimer.compile_timing` runs twice with inductor's on-disk cache in a
#    new, empty folder: the first run finds it empty ("cold", as on a fresh machine), the
#    second finds what the first left there ("warm", as a second run of the same script).
#    Each run times the compiler's start-up (its first compile, of a function that adds
#    1) apart from the workload's first two compiled steps, since the second step may
#    compile again.
# 2. **Time per step.** In this process, after warm-up steps, eager and compiled runs of
#    `--steps` steps alternate `--repeats` times, so a change in the machine's load
#    affects both, and the median time per step is reported, with the fastest and
#    slowest repeat.
# 3. **Where the MLP's time goes**: its matrix multiplications timed alone, the same step
#    on a batch of one image, and a compiled call of a function that does almost nothing.

# %%
# The arguments a plain CPU render uses (read by python -m primersite.render)
RENDER_ARGS = []
EXAMPLE_DATA = None
# one line for the table of examples (docs/examples/index.md)
EXAMPLE_SUMMARY = "eager against `torch.compile` for a training step: compile costs in new processes, and per-step time"

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
# ## The first steps, cold and warm
#
# Inductor keeps compiled code in an on-disk cache (by default in the system's temporary
# folder) and reuses it across runs; `TORCHINDUCTOR_CACHE_DIR` points it elsewhere. It
# has to be set before a process compiles for the first time, so each new process gets
# it in its environment. "process" is the new process's whole wall time: starting Python,
# importing torch, building the model, and what is timed inside it.

# %%
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

torch.set_num_threads(args.threads)
print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), device cpu")
caches = tempfile.TemporaryDirectory(prefix="torchprimer-inductor-")


def first_steps_in_new_process(name: str, cache_dir: str) -> dict:
    command = [sys.executable, "-m", "torchprimer.compile_timing", name]
    command += ["--backend", args.backend, "--threads", str(args.threads)]
    start = time.perf_counter()
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache_dir},
    )
    if run.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{run.stderr[-2000:]}")
    return {**json.loads(run.stdout), "process_s": time.perf_counter() - start}


first = {}
print(
    f"{'':<22}{'process s':>10}{'start-up s':>12}{'1st step s':>12}{'2nd step s':>12}{'graphs':>8}"
)
for name in args.workloads:
    cache_dir = os.path.join(caches.name, name)  # new and empty: the first run is cold
    for cache in ("cold", "warm"):
        r = first[name, cache] = first_steps_in_new_process(name, cache_dir)
        print(
            f"{name + ', ' + cache + ' cache':<22}{r['process_s']:>10.1f}{r['startup_s']:>12.1f}"
            f"{r['steps_s'][0]:>12.2f}{r['steps_s'][1]:>12.2f}{r['graphs']:>8}"
        )

# %% [markdown]
# "graphs" counts the graphs compiled in the two steps: the model's forward (its backward
# is compiled with it) and the optimizer's step, and for SGD with momentum the step once
# more, when its momentum buffers exist. The start-up is paid once per process, however
# many models it compiles.
#
# ## Time per step, after warm-up
#
# This process compiles too, for the timing. It reuses the code the new processes left
# in their caches (copied into one folder before its first compile), so it does not
# compile from scratch again. A few untimed warm-up steps let both versions settle, and
# reveal a recompilation before the clock runs.

# %%
import shutil
import statistics

from torchprimer.compile_timing import WORKLOADS, make_step, seconds, time_alternately

for name in args.workloads:
    shutil.copytree(os.path.join(caches.name, name), caches.name, dirs_exist_ok=True)
os.environ["TORCHINDUCTOR_CACHE_DIR"] = caches.name  # before this process's first compile

results = {}
for name in args.workloads:
    steps = {
        "eager": make_step(WORKLOADS[name], compiled=False),
        "compiled": make_step(WORKLOADS[name], compiled=True, backend=args.backend),
    }
    eager_first = seconds(steps["eager"], 2)  # the first two steps, as timed for compiled
    for step in steps.values():
        seconds(step, 2 + args.warmup)
    results[name] = {
        "eager first": eager_first,
        **time_alternately(steps, args.steps, args.repeats),
    }
    for kind in ("eager", "compiled"):
        times = [1000 * t for t in results[name][kind]]
        print(
            f"{name:<12} {kind:<9} {statistics.median(times):8.2f} ms per step "
            f"(repeats: {min(times):.2f} to {max(times):.2f})"
        )

# %% [markdown]
# ## Summary
#
# Speed-up is eager time over compiled time (above 1: compiled is faster), from the
# medians and, because a shared machine only ever adds time, from the fastest repeats.
# Break-even is how many steps the compiled version needs, at the median speeds, to win
# back what a new run pays to compile: the start-up and the first two steps in a new
# process, less the eager version's first two steps. The verdict calls a difference real
# only when both speed-ups agree on it by more than 10%.

# %%
print(
    f"{'workload':<12}{'eager ms':>10}{'compiled ms':>13}{'speed-up':>10}{'(fastest)':>11}"
    f"{'cold compile s':>16}{'warm compile s':>16}{'break-even steps':>18}"
)
verdicts = {}
for name, r in results.items():
    eager, compiled = statistics.median(r["eager"]), statistics.median(r["compiled"])
    fastest = min(r["eager"]) / min(r["compiled"])
    cost = {
        cache: first[name, cache]["startup_s"]
        + sum(first[name, cache]["steps_s"])
        - r["eager first"]
        for cache in ("cold", "warm")
    }
    saved = eager - compiled
    break_even = f"{cost['cold'] / saved:,.0f}" if saved > 0 else "never"
    both = (eager / compiled, fastest)
    verdicts[name] = (
        "compiled faster"
        if min(both) > 1.1
        else "compiled slower"
        if max(both) < 1 / 1.1
        else "no clear difference"
    )
    print(
        f"{name:<12}{1000 * eager:>10.2f}{1000 * compiled:>13.2f}{eager / compiled:>10.2f}"
        f"{fastest:>11.2f}{cost['cold']:>16.1f}{cost['warm']:>16.1f}{break_even:>18}"
    )
for name, verdict in verdicts.items():
    print(f"{name}: {verdict}")

# %% [markdown]
# ## Where the MLP's time goes
#
# Four measurements to explain the MLP's result, in microseconds (µs), taken in turns so
# that the machine's load falls on all alike, each the fastest of `--repeats` repeats (a
# shared machine only ever adds time, and these are short):
#
# * the MLP step, eager and compiled, at its batch of 256;
# * the five matrix multiplications of that step (two forward; three backward: the
#   gradients of both weights and of the hidden layer) timed alone, on the same shapes;
# * the same step, eager and compiled, on a batch of **one** image, where there is
#   almost nothing to compute, so what remains is the cost of each step's calls;
# * one call of a function that adds 1 to a one-element tensor, eager and compiled:
#   the cost of entering compiled code at all (its guards, which check that the inputs
#   still fit what was compiled, and its wrapper).

# %%
mlp = WORKLOADS["mlp"]()
x, _ = mlp.batch
w1, b1, w2, b2 = (p.detach() for p in mlp.model.parameters())
hidden = torch.relu(torch.addmm(b1, x, w1.T))
grad_out, grad_hidden = torch.ones(len(x), 10), torch.ones(len(x), 128)


def matmuls() -> list[torch.Tensor]:
    forward = [torch.addmm(b1, x, w1.T), torch.addmm(b2, hidden, w2.T)]
    return forward + [grad_out.T @ hidden, grad_out @ w2, grad_hidden.T @ x]  # backward


def add_one(t: torch.Tensor) -> torch.Tensor:
    return t + 1


one = torch.zeros(1)
add_one_compiled = torch.compile(add_one, backend=args.backend)
timed = {
    "matmuls": matmuls,
    "add 1, eager": lambda: add_one(one),
    "add 1, compiled": lambda: add_one_compiled(one),
}
for batch_size in (256, 1):
    for kind in ("eager", "compiled"):
        timed[f"batch {batch_size}, {kind}"] = make_step(
            WORKLOADS["mlp"], kind == "compiled", args.backend, batch_size=batch_size
        )
for fn in timed.values():
    seconds(fn, 2 + args.warmup)
fastest = {
    name: 1e6 * min(times)
    for name, times in time_alternately(timed, 10 * args.steps, args.repeats).items()
}

print(f"five matrix multiplications of the MLP step: {fastest['matmuls']:7.1f} µs")
extra = {}
for label, key in (
    ("MLP step, batch 256", "batch 256"),
    ("MLP step, batch 1", "batch 1"),
    ("add 1 to one number", "add 1"),
):
    eager, compiled = fastest[f"{key}, eager"], fastest[f"{key}, compiled"]
    extra[key] = compiled - eager
    print(
        f"{label:<20} eager {eager:7.1f} µs, compiled {compiled:7.1f} µs, "
        f"difference {extra[key]:+7.1f} µs"
    )
share = fastest["matmuls"] / fastest["batch 256, eager"]
print(f"the matrix multiplications are {share:.0%} of the eager step at a batch of 256")
if extra["batch 256"] > 0 and extra["batch 1"] > 0:
    print(
        f"the compiled step's extra cost at a batch of one, with almost nothing to compute, "
        f"is {extra['batch 1'] / extra['batch 256']:.0%} of its extra cost at 256"
    )
else:
    size = "256" if extra["batch 256"] <= 0 else "one"
    print(f"at a batch of {size} the compiled step is not slower in these repeats")

# %% [markdown]
# The compiled steps compute the same thing: a last check that both versions of each
# workload, started from the same weights, reach nearly the same loss after the same
# number of steps.

# %%
for name in args.workloads:
    losses = {}
    for kind in ("eager", "compiled"):
        step = make_step(WORKLOADS[name], compiled=kind == "compiled", backend=args.backend)
        for _ in range(5):
            losses[kind] = step()
    print(
        f"{name:<12} loss after 5 steps: eager {losses['eager']:.4f}, compiled {losses['compiled']:.4f}"
    )
caches.cleanup()

# %% [markdown]
# ## Reading the numbers
#
# These timings are this machine's: a CPU with the number of cores the stamp names,
# running `--threads` threads (inductor's generated C++ uses the same number), shared
# with other jobs while it ran, so single repeats vary and only the medians and the
# fastest repeats mean much. The cold first steps are the price of the first run on a
# machine; the warm ones, with inductor's cache filled, what later runs of the same code
# pay. Both include the compiler's start-up, which a process pays once.
#
# What compiling can save is work per number: fusion turns a chain of element-wise
# operations into one loop, so intermediate results are not written to memory and read
# back. What it adds is a cost per call: before each call of compiled code its guards
# are checked, the compiled forward and backward run inside the wrappers that connect
# them to autograd, and the optimizer step, compiled on its own, is one more such call.
# The measurements above say which of the two is larger for the MLP: a cost that stays
# the same at a batch of one is a cost per call, not per number, and the matrix
# multiplications take the share printed above. Compiling does not speed those up:
# inductor's code for this step leaves them to the same library calls as eager
# (`extern_kernels.addmm` and `extern_kernels.mm`; run with `TORCH_LOGS=output_code` to
# see it). A larger step, like the Transformer's, has more work per call for fusion.
#
# On a GPU the balance is different. A GPU runs each kernel quickly, so launching many
# small kernels (and Python's overhead between them) is often the bottleneck. Fusion
# helps there by launching fewer kernels and moving less data through memory; removing
# the cost of launching itself is the work of CUDA graphs, which `torch.compile` uses
# with `mode="reduce-overhead"` (its documentation: a mode "that reduces the overhead of
# python with CUDA graphs, useful for small batches"). This example keeps to the CPU so
# that every build can run it; nothing on this page was measured on a GPU.
