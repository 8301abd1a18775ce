# %% [markdown]
# # Data-parallel training with torchrun and DDP
#
# This script trains a small network on scikit-learn's digits (1,797 8x8 images of
# handwritten digits, bundled with scikit-learn, so nothing is downloaded) with
# `DistributedDataParallel`. The same file runs three ways:
#
# ```bash
# python examples/ddp_train.py                                   # one process
# torchrun --nproc_per_node=2 examples/ddp_train.py --batch-size 32   # two processes
# python -m torchprimer.checked_torchrun --nproc_per_node=2 examples/ddp_train.py --batch-size 32
# ```
#
# The last line is torchrun with its arguments checked first and a failed job
# reported in one line. `--batch-size` is per process: two processes with 32 each
# take the same steps as one process with 64, which is what this page checks at
# the end, by running torchrun from here. Under torchrun, rank 0 prints and writes
# checkpoints; the other ranks train silently. The page
# [Scaling out with DDP and torchrun](../../scaling/ddp/) explains each part.
#
# A notebook kernel is one process, so the cells below run with a world of one; the
# last cell launches the two-process run and compares.

# %%
# Arguments the site's render uses: train in this process, then run torchrun with two
# processes on the same samples and compare the weights (see the last cells).
RENDER_ARGS = ["--compare-with-torchrun", "2"]
EXAMPLE_DATA = None
# one line for the table of examples (docs/examples/index.md)
EXAMPLE_SUMMARY = (
    "one script trained in one process and under torchrun with two, with identical steps"
)

# %%
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from torchprimer.examples_cli import (
    ARGV_ENV,
    ExampleParser,
    exit_with_input_error,
    nonnegative_float,
    nonnegative_int,
    parse_args,
    positive_float,
    positive_int,
)

# %% [markdown]
# ## Arguments
#
# `--smoke` is a five-step run, to check quickly that everything works. `--max-steps`
# stops early, `--checkpoint-every` writes a checkpoint every so many optimizer steps,
# and `--fail-at-step` kills the last rank with `SIGKILL` at that step on the first
# attempt only (`$TORCHELASTIC_RESTART_COUNT` is 0), to show torchrun's
# `--max-restarts` bringing the job back from the last checkpoint.

# %%
parser = ExampleParser(
    prog="ddp_train.py",
    description="Train an MLP on digits with DDP (or one process).",
    smoke={"epochs": 1, "max_steps": 5},
)
parser.add_argument("--epochs", type=positive_int, default=10)
parser.add_argument(
    "--batch-size", type=positive_int, default=64, help="samples per process per step"
)
parser.add_argument("--lr", type=positive_float, default=0.05)
parser.add_argument("--momentum", type=nonnegative_float, default=0.9)
parser.add_argument("--hidden", type=positive_int, default=64)
parser.add_argument("--seed", type=nonnegative_int, default=0)
parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
parser.add_argument(
    "--checkpoint-dir",
    type=Path,
    default=None,
    help="an existing directory; resume from its newest checkpoint",
)
parser.add_argument("--checkpoint-every", type=nonnegative_int, default=0, metavar="STEPS")
parser.add_argument("--max-steps", type=positive_int, default=None)
parser.add_argument("--fail-at-step", type=positive_int, default=None, metavar="STEP")
parser.add_argument("--init-timeout", type=positive_float, default=300.0, metavar="SECONDS")
parser.add_argument("--compare-with-torchrun", type=nonnegative_int, default=0, metavar="N")
args = parse_args(parser)
if args.compare_with_torchrun and args.batch_size % args.compare_with_torchrun:
    parser.error(
        f"--batch-size {args.batch_size} does not split into {args.compare_with_torchrun} processes"
    )

# %% [markdown]
# The arguments are checked before torch is even imported, so a typo costs no time. Then
# the rest, and the checkpoint folder, which must exist (a mistyped path must not start a
# fresh run that looks like a resumed one):

# %%
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset

from torchprimer import distributed as tpd
from torchprimer.training import evaluate
from torchprimer.training_state import (
    checkpoint_dir,
    latest_checkpoint,
    load_training_state,
    save_training_state,
)

if args.checkpoint_dir is not None:
    try:
        checkpoint_dir(args.checkpoint_dir)
    except OSError as err:
        exit_with_input_error(parser.prog, err)

# %% [markdown]
# ## Data and model
#
# Every rank loads the whole data set (it is small); `shard_loader` gives each rank
# its own shard through a `DistributedSampler`. The model is built after
# `torch.manual_seed`, so every rank starts from the same weights; DDP would copy
# rank 0's weights to the others anyway when it wraps the model.

# %%
digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split(
    digits.data / 16.0, digits.target, test_size=0.2, random_state=0, stratify=digits.target
)
train_set = TensorDataset(torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train))
test_set = TensorDataset(torch.tensor(x_test, dtype=torch.float32), torch.tensor(y_test))


def make_model(hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


# %% [markdown]
# ## The training loop
#
# The loop counts optimizer steps, so a restart can pick up mid-epoch: the epoch and
# the position in it follow from the step, `set_epoch` restores that epoch's order,
# and the batches already trained on are skipped. `loss.backward()` on the DDP
# model is where the ranks meet: DDP all-reduces each gradient bucket as soon as it
# is ready, so after `backward()` every rank holds the average gradient and
# `optimizer.step()` makes the same update everywhere.


# %%
def resume(args, ctx: tpd.Context, model, optimizer, global_batch: int) -> int:
    """Load the newest step checkpoint, if any, into model and optimizer; return its step."""
    step = 0
    latest = latest_checkpoint(args.checkpoint_dir) if args.checkpoint_dir else None
    if latest is not None:
        state = load_training_state(latest, map_location=ctx.device)
        if (state["global_batch"], state["seed"]) != (global_batch, args.seed):
            exit_with_input_error(
                parser.prog,
                (
                    f"{latest} was written by a run with global batch {state['global_batch']} and seed "
                    f"{state['seed']}; this run has {args.batch_size} x {ctx.world_size} = {global_batch} "
                    f"and seed {args.seed}; resume with those or use another --checkpoint-dir"
                ),
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step = state["step"]
        tpd.print0(
            ctx, f"resumed from {latest.name} at step {step} (attempt {ctx.restart_count + 1})"
        )
    return step


def crash_if_asked(step: int, args, ctx: tpd.Context) -> None:
    """--fail-at-step: the last rank kills itself once, on the first attempt, to show a restart."""
    if step == args.fail_at_step and ctx.restart_count == 0 and ctx.rank == ctx.world_size - 1:
        print(
            f"rank {ctx.rank}: simulated crash (SIGKILL) at step {step}",
            file=sys.stderr,
            flush=True,
        )
        os.kill(os.getpid(), signal.SIGKILL)


def save_state(args, ctx: tpd.Context, model, optimizer, step: int, global_batch: int) -> None:
    """Rank 0 saves what a resumed run needs; the other ranks wait for it."""
    state = {
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "global_batch": global_batch,
        "seed": args.seed,
        "world_size": ctx.world_size,
    }
    save_training_state(args.checkpoint_dir, step, state, ctx)


def train_step(net, optimizer, loss_fn, inputs, targets) -> torch.Tensor:
    """One optimizer step; returns ``[loss * n, correct, n]`` of its batch, for the log."""
    optimizer.zero_grad(set_to_none=True)
    outputs = net(inputs)
    loss = loss_fn(outputs, targets)
    loss.backward()  # DDP: gradients are averaged over all ranks here
    optimizer.step()
    n = targets.shape[0]
    return torch.stack(
        [
            loss.detach().double() * n,
            (outputs.argmax(1) == targets).sum().double(),
            torch.tensor(n, dtype=torch.float64, device=targets.device),
        ]
    )


def train(args, ctx: tpd.Context):
    torch.manual_seed(args.seed)
    model = make_model(args.hidden).to(ctx.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    loader = tpd.shard_loader(train_set, args.batch_size, ctx, seed=args.seed)
    per_epoch = len(loader)
    total = args.epochs * per_epoch
    total = total if args.max_steps is None else min(args.max_steps, total)
    global_batch = args.batch_size * ctx.world_size
    step = resume(args, ctx, model, optimizer, global_batch)

    # DDP registers hooks that all-reduce gradients during backward(); on a GPU it also
    # needs the device this rank owns.
    net = model
    if ctx.distributed:
        net = DDP(model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
    loss_fn = nn.CrossEntropyLoss()
    tpd.print0(
        ctx,
        f"{ctx.world_size} process(es), backend {ctx.backend or 'none'}, "
        f"{args.batch_size} samples each per step = {global_batch} per step, "
        f"{per_epoch} steps per epoch, training steps {step}..{total}",
    )
    first_step = step
    if ctx.distributed:
        torch.distributed.barrier()  # start the clock together
    start = time.perf_counter()
    while step < total:
        epoch, done = divmod(step, per_epoch)
        loader.sampler.set_epoch(epoch)
        sums = torch.zeros(3, dtype=torch.float64, device=ctx.device)  # loss * n, correct, n
        for inputs, targets in itertools.islice(loader, done, None):
            crash_if_asked(step, args, ctx)
            inputs, targets = inputs.to(ctx.device), targets.to(ctx.device)
            sums += train_step(net, optimizer, loss_fn, inputs, targets)
            step += 1
            every = args.checkpoint_every
            if args.checkpoint_dir and every and step % every == 0 and step < total:
                save_state(args, ctx, model, optimizer, step, global_batch)
            if step == total:
                break
        if ctx.distributed:
            # the log shows all ranks' samples, not rank 0's shard
            torch.distributed.all_reduce(sums)
        loss_sum, correct, seen = sums.tolist()
        tpd.print0(
            ctx,
            f"epoch {epoch + 1:2d}  step {step:4d}  train loss {loss_sum / seen:.4f}"
            f"  accuracy {correct / seen:.3f}  ({seen:.0f} samples)",
        )
    if ctx.distributed:
        torch.distributed.barrier()
    seconds = time.perf_counter() - start
    if args.checkpoint_dir and step > first_step:
        save_state(args, ctx, model, optimizer, step, global_batch)
    return model, net, step - first_step, seconds


# %% [markdown]
# ## Run
#
# `tpd.setup()` reads torchrun's variables and joins the process group, or returns a
# one-process context when there are none. `cleanup()` destroys the group in a
# `finally`, after a failure as after success: torch.distributed's documentation asks
# every process to call `destroy_process_group()` before it exits. The DDP wrapper goes
# first: one that outlives its process group can abort the process as it exits
# ("terminate called without an active exception") after all the work is done.
#
# And the *other* ranks, when this one fails? A rank blocked in a collective, waiting for
# the failed one, is freed when the failed rank's connections close, when the group's
# timeout (`--init-timeout`, passed to `init_process_group`) runs out, or when torchrun
# stops the job, whichever comes first. With gloo, the backend on the CPU, the
# connections close as soon as the failed rank destroys its group, so `cleanup()` frees
# them, and so does the failed process's exit without it (`tests/test_distributed.py`
# checks both, and that a rank which stays in the group holds the others until the
# timeout). For nccl, on GPUs, nothing here was measured; the timeout bounds the wait
# there too: after it, in `init_process_group`'s words, "collectives will be aborted
# asynchronously and the process will crash". Under torchrun, a rank that fails ends the
# attempt: torchrun stops the other ranks, then restarts them all if `--max-restarts`
# allows (the restart `--fail-at-step` demonstrates).

# %%
import gc

ctx = tpd.setup(device="cpu" if args.smoke else args.device, timeout=args.init_timeout)
try:
    model, net, steps_run, seconds = train(args, ctx)
    drift = tpd.max_param_difference(net, ctx)
    del net
    gc.collect()
finally:
    tpd.cleanup()
samples = steps_run * args.batch_size * ctx.world_size
if steps_run:
    tpd.print0(
        ctx,
        f"trained {steps_run} steps, {samples} samples in {seconds:.2f} s: "
        f"{samples / seconds:.0f} samples/s over {ctx.world_size} process(es)",
    )
tpd.print0(ctx, f"largest parameter difference between ranks: {drift}")

# %% [markdown]
# ## Test accuracy
#
# Rank 0 alone evaluates the held-out 20 % with `torchprimer.training.evaluate`: the
# weights are the same on every rank, so one evaluation is enough.

# %%
if ctx.is_main:
    result = evaluate(
        model, DataLoader(test_set, batch_size=256), nn.CrossEntropyLoss(), device=ctx.device
    )
    print(
        f"test loss {result.loss:.4f}  test accuracy {result.accuracy:.3f} on {result.samples} digits"
    )

# %% [markdown]
# ## The same steps with torchrun
#
# With `--compare-with-torchrun N` (the rendered page uses 2), this process launches
# N processes with `torchrun --standalone --nproc_per_node=N`, each with 1/N of the
# per-step batch, and compares their final weights with the ones trained above. DDP
# averages the N gradients, so the two runs take the same steps on the same samples;
# only the order of floating-point additions differs.

# %%
if args.compare_with_torchrun and ctx.is_main:
    n = args.compare_with_torchrun
    with tempfile.TemporaryDirectory() as folder:
        # a kernel has no __file__
        script = Path(globals().get("__file__", "examples/ddp_train.py"))
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={n}",
            str(script),
            "--batch-size",
            str(args.batch_size // n),
            "--epochs",
            str(args.epochs),
            "--lr",
            str(args.lr),
            "--momentum",
            str(args.momentum),
            "--hidden",
            str(args.hidden),
            "--seed",
            str(args.seed),
            "--device",
            "cpu",
        ]
        if args.max_steps is not None:
            command += ["--max-steps", str(args.max_steps)]
        print(
            "$ torchrun",
            *command[3:5],
            "examples/ddp_train.py",
            *command[6:],
            "--checkpoint-dir <a temporary folder>",
        )
        command += ["--checkpoint-dir", folder]
        # the children read their arguments from their command line, not from the
        # variable the renderer set for this kernel
        env = {k: v for k, v in os.environ.items() if k != ARGV_ENV}
        run = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=600,
            env={**env, "OMP_NUM_THREADS": "1", "TORCH_DISABLE_SHARE_RDZV_TCP_STORE": "1"},
        )
        print(run.stdout, end="")
        if run.returncode:
            raise SystemExit(f"torchrun failed with status {run.returncode}:\n{run.stderr[-2000:]}")
        theirs = load_training_state(latest_checkpoint(folder))["model"]
    mine = model.state_dict()
    worst = max((mine[k] - theirs[k]).abs().max().item() for k in mine)
    print(
        f"1 process x batch {args.batch_size} vs {n} processes x batch {args.batch_size // n}: "
        f"largest weight difference {worst:.1e}"
    )
