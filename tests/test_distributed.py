"""torchprimer.distributed and examples/ddp_train.py: DDP equivalence, elastic restart, bad input.

The slow tests start real processes on this machine's CPU with the gloo backend, on
loopback only: ``python -m torch.distributed.run`` (torchrun) with two processes,
the example as one plain process, and ``python -m torchprimer.checked_torchrun`` (the
checked launcher). Every subprocess has a timeout, so a hang fails instead of waiting.
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DistributedSampler, TensorDataset

from conftest import once_per_run, run_python, script_env
from torchprimer import checked_torchrun, torchrun_env, training_state
from torchprimer import distributed as tpd
from torchprimer.checkpoint import CheckpointError
from torchprimer.examples_cli import ExampleParser, exit_with_input_error
from torchprimer.files import sha256_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "ddp_train.py"
STEPS = 30  # more than one epoch of 22 steps: the second epoch's order comes from set_epoch(1)
COMBINED_BATCH = 64


def free_port() -> int:
    """A loopback port nobody listens on (the kernel just handed it out and it was closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(
    args: list[str], *, timeout: float, **env: str
) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=script_env(**env),
    )
    return result, time.perf_counter() - start


def torchrun(
    *args: str, timeout: float = 300, **env: str
) -> tuple[subprocess.CompletedProcess, float]:
    # OMP_NUM_THREADS=1 is what torchrun would set itself (with a warning) for 2 processes
    return run(["-m", "torch.distributed.run", *args], timeout=timeout, OMP_NUM_THREADS="1", **env)


def final_model(folder: Path) -> dict[str, torch.Tensor]:
    state = training_state.load_training_state(training_state.latest_checkpoint(folder))
    assert state["step"] == STEPS
    return state["model"]


# ---------------------------------------------------------------------------------------
# The environment torchrun provides


LAUNCHED = {
    "RANK": "1",
    "WORLD_SIZE": "2",
    "LOCAL_RANK": "1",
    "MASTER_ADDR": "127.0.0.1",
    "MASTER_PORT": "29500",
}


def test_no_launch_variables_means_one_process():
    assert torchrun_env.read_torchrun_env({"PATH": "/bin"}) is None
    ctx = tpd.setup(environ={})
    assert (ctx.rank, ctx.world_size, ctx.backend, ctx.distributed, ctx.is_main) == (
        0,
        1,
        None,
        False,
        True,
    )
    assert not dist.is_initialized()


def test_launch_variables_are_read():
    found = torchrun_env.read_torchrun_env({**LAUNCHED, "TORCHELASTIC_RESTART_COUNT": "1"})
    assert (found.rank, found.world_size, found.local_rank) == (1, 2, 1)
    assert (found.master_addr, found.master_port, found.restart_count) == ("127.0.0.1", 29500, 1)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"RANK": "one"}, "$RANK must be an integer, got 'one'"),
        ({"RANK": "2"}, "$RANK=2 is out of range for $WORLD_SIZE=2"),
        ({"WORLD_SIZE": "0"}, "$WORLD_SIZE must be >= 1, got 0"),
        ({"MASTER_PORT": "70000"}, "$MASTER_PORT must be a TCP port"),
    ],
)
def test_bad_launch_variables_name_the_variable(change, message):
    with pytest.raises(ValueError) as err:
        torchrun_env.read_torchrun_env({**LAUNCHED, **change})
    assert message in str(err.value)


def test_partial_launch_is_an_error_naming_what_is_missing():
    with pytest.raises(
        ValueError,
        match=r"\$RANK, \$WORLD_SIZE are set but \$LOCAL_RANK, \$MASTER_ADDR, "
        r"\$MASTER_PORT are not",
    ):
        torchrun_env.read_torchrun_env({"RANK": "0", "WORLD_SIZE": "1"})


def test_a_world_of_one_is_a_real_gloo_group_and_cleanup_destroys_it():
    env = {
        "RANK": "0",
        "WORLD_SIZE": "1",
        "LOCAL_RANK": "0",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(free_port()),
    }
    before = {name: os.environ.get(name) for name in torchrun_env.LAUNCH_VARS}
    ctx = tpd.setup(device="cpu", environ=env, timeout=30)
    try:
        assert (ctx.backend, ctx.distributed, dist.get_world_size(), dist.get_backend()) == (
            "gloo",
            True,
            1,
            "gloo",
        )
        assert {
            name: os.environ.get(name) for name in torchrun_env.LAUNCH_VARS
        } == before  # environ put back
        torch.manual_seed(0)
        model = nn.parallel.DistributedDataParallel(nn.Linear(3, 2))
        assert tpd.unwrap(model) is model.module
        assert list(model.state_dict())[0].startswith("module.")
        assert tpd.max_param_difference(model, ctx) == 0.0
        value = torch.tensor([2.0, 3.0])
        dist.all_reduce(value)  # a sum over one rank
        assert value.tolist() == [2.0, 3.0]
    finally:
        tpd.cleanup()
    assert not dist.is_initialized()
    tpd.cleanup()  # a second call is harmless


def test_unreachable_store_is_rendezvous_failed_within_the_timeout():
    port = free_port()
    env = {**LAUNCHED, "MASTER_PORT": str(port)}
    start = time.perf_counter()
    with pytest.raises(tpd.RendezvousFailed) as err:
        tpd.setup(device="cpu", environ=env, timeout=2)
    elapsed = time.perf_counter() - start
    assert f"rank 1 of 2 could not join the process group at 127.0.0.1:{port} (timeout 2 s)" in str(
        err.value
    )
    assert "\n" not in str(err.value)
    assert elapsed < 60  # TCPStore retries once after a back-off; no hang
    assert not dist.is_initialized()


# A rank blocked in a collective while its peer leaves (two processes, gloo). What frees it
# is the peer's connections closing or the group's timeout, not anything the blocked rank
# does: the example's text about cleanup() rests on these.
PEER_SCRIPT = """
import os, sys, time
import torch, torch.distributed as dist
from torchprimer import distributed as tpd
ctx = tpd.setup(device="cpu", timeout=float(sys.argv[2]))
if ctx.rank == 1:
    time.sleep(0.5)  # let rank 0 enter the all_reduce
    if sys.argv[1] == "cleanup":
        tpd.cleanup()  # and live on, for longer than rank 0 may wait
    elif sys.argv[1] == "exit":
        os._exit(1)  # no cleanup at all
    time.sleep(30)
else:
    start = time.perf_counter()
    try:
        dist.all_reduce(torch.ones(1))
        print("returned")
    except Exception as err:
        print(f"released after {time.perf_counter() - start:.1f} s: {err}".splitlines()[0])
    os._exit(0)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "how, released_by",
    [
        ("cleanup", "Connection closed by peer"),
        ("exit", "Connection closed by peer"),
        ("stays", "Timed out"),
    ],
)
def test_a_rank_blocked_in_a_collective_is_freed_by_its_peer_leaving_or_the_timeout(
    how, released_by, tmp_path
):
    script = tmp_path / "peer.py"
    script.write_text(PEER_SCRIPT)
    env = {**LAUNCHED, "MASTER_PORT": str(free_port())}
    command = [sys.executable, str(script), how, "8"]
    ranks = [
        subprocess.Popen(
            command,
            env=script_env(**{**env, "RANK": str(r), "LOCAL_RANK": str(r)}),
            stdout=subprocess.PIPE if r == 0 else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for r in (0, 1)
    ]
    try:
        out, _ = ranks[0].communicate(timeout=120)
    finally:
        for rank in ranks:
            rank.kill()
            rank.wait()
    assert out.startswith("released after") and released_by in out, out
    seconds = float(out.split()[2])
    assert (seconds >= 7) if how == "stays" else (seconds < 5), out


# ---------------------------------------------------------------------------------------
# Sharding


def test_shards_of_two_ranks_together_are_the_combined_batch():
    data = TensorDataset(torch.arange(23))
    ranks = [tpd.shard_loader(data, 3, tpd.Context(rank=r, world_size=2), seed=5) for r in (0, 1)]
    single = tpd.shard_loader(data, 6, tpd.Context(), seed=5)
    assert len(ranks[0]) == len(ranks[1]) == len(single) == 3  # 23 // 2 // 3 == 23 // 6
    orders = []
    for epoch in (0, 1):
        for loader in (*ranks, single):
            loader.sampler.set_epoch(epoch)
        steps = list(zip(*ranks, single))
        for (part0,), (part1,), (whole,) in steps:
            assert sorted(part0.tolist() + part1.tolist()) == sorted(whole.tolist())
            assert not set(part0.tolist()) & set(part1.tolist())
        orders.append([whole.tolist() for (_, _, (whole,)) in steps])
    assert orders[0] != orders[1]  # set_epoch reshuffles


def test_without_set_epoch_every_epoch_repeats_the_order():
    data = TensorDataset(torch.arange(10))
    sampler = DistributedSampler(data, num_replicas=2, rank=0, seed=0)
    assert list(sampler) == list(sampler)
    before = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != before


def test_shard_loader_refuses_a_batch_no_rank_can_fill():
    with pytest.raises(ValueError, match="5 samples give no full batch of 4 on each of 2 ranks"):
        tpd.shard_loader(TensorDataset(torch.arange(5)), 4, tpd.Context(rank=0, world_size=2))


# ---------------------------------------------------------------------------------------
# Checkpoints


def test_checkpoint_round_trip_keeps_the_newest_two(tmp_path):
    ctx = tpd.Context()
    for step in (10, 20, 30):
        path = training_state.save_training_state(
            tmp_path, step, {"step": step, "w": torch.full((2,), float(step))}, ctx
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "step-000020.json",
        "step-000020.pt",
        "step-000030.json",
        "step-000030.pt",
    ]
    assert training_state.latest_checkpoint(tmp_path) == path
    state = training_state.load_training_state(path)
    assert state["step"] == 30 and state["w"].tolist() == [30.0, 30.0]
    # torchprimer.checkpoint's format
    sidecar = json.loads((tmp_path / "step-000030.json").read_text())
    assert sidecar["sha256"] == sha256_file(path) and sidecar["metadata"] == {
        "step": 30,
        "world_size": 1,
    }


def test_checkpoint_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = training_state.save_training_state(tmp_path, 1, {"w": torch.zeros(1)}, tpd.Context())
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_only_rank_zero_writes(tmp_path):
    assert (
        training_state.save_training_state(
            tmp_path, 5, {"w": torch.zeros(1)}, tpd.Context(rank=1, world_size=2)
        )
        is None
    )
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_without_its_sidecar_is_ignored(tmp_path):
    done = training_state.save_training_state(tmp_path, 10, {"w": torch.zeros(1)}, tpd.Context())
    torch.save({"w": torch.ones(1)}, tmp_path / "step-000020.pt")  # interrupted before its sidecar
    assert training_state.latest_checkpoint(tmp_path) == done
    with pytest.raises(FileNotFoundError, match="step-000020.json: sidecar not found"):
        training_state.load_training_state(tmp_path / "step-000020.pt")


def test_a_corrupt_checkpoint_is_refused_by_name(tmp_path):
    path = training_state.save_training_state(tmp_path, 3, {"w": torch.zeros(100)}, tpd.Context())
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=f"{path}: SHA-256 mismatch"):
        training_state.load_training_state(path)


class Payload:
    def __reduce__(self):
        return (print, ("this ran while loading",))


def test_a_checksummed_pickle_still_cannot_run_code(tmp_path, capsys):
    path = tmp_path / "step-000001.pt"
    path.write_bytes(pickle.dumps({"w": Payload()}, protocol=2))  # torch.save's protocol
    (tmp_path / "step-000001.json").write_text(
        json.dumps(
            {
                "format": "torchprimer-checkpoint/1",
                "sha256": sha256_file(path),
                "bytes": path.stat().st_size,
            }
        )
    )
    with pytest.raises(
        CheckpointError, match="not a loadable checkpoint .Weights only load failed"
    ):
        training_state.load_training_state(path)
    assert "this ran" not in capsys.readouterr().out


def test_missing_checkpoint_directory_is_named_and_not_created(tmp_path):
    missing = tmp_path / "runs" / "ddp"
    with pytest.raises(FileNotFoundError, match=f"checkpoint directory {missing} does not exist"):
        training_state.save_training_state(missing, 1, {}, tpd.Context())
    with pytest.raises(FileNotFoundError, match="mkdir -p"):
        training_state.latest_checkpoint(missing)
    assert not missing.exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is a file, not a directory"):
        training_state.checkpoint_dir(tmp_path / "file")


# ---------------------------------------------------------------------------------------
# Input checks and error reporting


@pytest.mark.parametrize("value", ["2", "16", "auto", "cpu", "gpu"])
def test_good_nproc_per_node(value):
    assert checked_torchrun.check_nproc_per_node(value) == value


@pytest.mark.parametrize("value", ["0", "-1", "two", "", "1.5"])
def test_bad_nproc_per_node(value):
    with pytest.raises(ValueError, match=f"got {value!r}"):
        checked_torchrun.check_nproc_per_node(value)


@pytest.mark.parametrize(
    "value, good",
    [("1", True), ("2:4", True), ("4:2", False), ("0", False), ("two", False), ("1:2:3", False)],
)
def test_nnodes(value, good):
    if good:
        assert checked_torchrun.check_nnodes(value) == value
    else:
        with pytest.raises(ValueError, match="--nnodes must be N or MIN:MAX"):
            checked_torchrun.check_nnodes(value)


def test_input_error_is_one_line_as_a_script(capsys):
    with pytest.raises(SystemExit) as exit_:
        exit_with_input_error("demo.py", FileNotFoundError("no such folder"), environ={})
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "demo.py: error: no such folder\n"


def test_input_error_goes_to_torchruns_error_file_under_torchrun(tmp_path, capsys):
    error_file = tmp_path / "error.json"
    with pytest.raises(SystemExit):
        exit_with_input_error(
            "demo.py", "bad", environ={"TORCHELASTIC_ERROR_FILE": str(error_file)}
        )
    assert capsys.readouterr().err == ""
    assert json.loads(error_file.read_text())["message"] == "demo.py: error: bad"


def test_argument_errors_are_one_line(capsys):
    parser = ExampleParser(prog="demo.py")
    parser.add_argument("--epochs", type=int)
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["--epochs", "ten"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        "demo.py: error: argument --epochs: invalid int value"
    )


def test_print0_prints_on_rank_zero_only(capsys):
    tpd.print0(tpd.Context(rank=0, world_size=2), "hello")
    tpd.print0(tpd.Context(rank=1, world_size=2), "hello")
    assert capsys.readouterr().out == "hello\n"


# ---------------------------------------------------------------------------------------
# Real processes: equivalence, restart, bad input (slow)


def two_rank_training(checkpoints: Path) -> list[str]:
    """The example's arguments for the two-rank runs: 32 samples a rank, STEPS steps, a
    checkpoint every 10 steps into ``checkpoints``."""
    return [str(EXAMPLE), "--batch-size", "32", "--max-steps", str(STEPS),
            "--checkpoint-dir", str(checkpoints), "--checkpoint-every", "10", "--device", "cpu"]  # fmt: skip


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory) -> tuple[Path, str]:
    """torchrun, 2 processes x 32 samples, 30 steps, a checkpoint every 10 steps, once per
    test run (two tests on two xdist workers share it): its checkpoints and what it printed."""

    def job(folder: Path) -> str | None:
        (folder / "checkpoints").mkdir()
        result, seconds = torchrun(
            "--standalone", "--nproc_per_node=2", *two_rank_training(folder / "checkpoints")
        )
        (folder / "stdout.txt").write_text(result.stdout)
        print(f"\ntorchrun 2 processes, {STEPS} steps: {seconds:.1f} s")
        return None if result.returncode == 0 else result.stderr[-3000:]

    folder = once_per_run(tmp_path_factory, "ddp-2x32", job)
    return folder / "checkpoints", (folder / "stdout.txt").read_text()


@pytest.mark.slow
def test_two_processes_equal_one_process_with_the_combined_batch(two_process_run, tmp_path):
    folder, stdout = two_process_run
    assert "2 process(es), backend gloo, 32 samples each per step = 64 per step" in stdout
    # DDP kept them in sync
    assert "largest parameter difference between ranks: 0.0" in stdout
    assert stdout.count("largest parameter") == 1  # rank 0 alone logs
    single, seconds = run(
        [
            str(EXAMPLE),
            "--batch-size",
            str(COMBINED_BATCH),
            "--max-steps",
            str(STEPS),
            "--checkpoint-dir",
            str(tmp_path),
            "--device",
            "cpu",
        ],
        timeout=300,
    )
    assert single.returncode == 0, single.stderr[-3000:]
    assert "1 process(es), backend none" in single.stdout
    print(f"\none process, {STEPS} steps: {seconds:.1f} s")
    ddp, one = final_model(folder), final_model(tmp_path)
    torch.manual_seed(0)  # the example's seed: the weights both runs started from
    start = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)).state_dict()
    for name in one:
        assert (one[name] - start[name]).abs().max() > 1e-2  # 30 steps moved every tensor
        torch.testing.assert_close(ddp[name], one[name], rtol=0, atol=1e-6)


@pytest.mark.slow
def test_a_killed_rank_restarts_from_the_last_checkpoint_and_loses_nothing(
    two_process_run, tmp_path
):
    reference, _ = two_process_run
    # TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1: a fresh store per attempt. With the store
    # shared (torch's default since 2.5) a restarted gloo rank can read the dead attempt's
    # addresses; on this machine that failed 1 run in 4 and hung another (docs/scaling/ddp.md).
    result, seconds = torchrun(
        "--standalone",
        "--nproc_per_node=2",
        "--max-restarts=1",
        *two_rank_training(tmp_path),
        "--fail-at-step",
        "25",
        TORCH_DISABLE_SHARE_RDZV_TCP_STORE="1",
    )
    print(f"\ntorchrun with one restart: {seconds:.1f} s")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rank 1: simulated crash (SIGKILL) at step 25" in result.stderr
    assert "resumed from step-000020.pt at step 20 (attempt 2)" in result.stdout
    assert (
        result.stdout.count("training steps 0..30") == 1
        and "training steps 20..30" in result.stdout
    )
    restarted, uninterrupted = final_model(tmp_path), final_model(reference)
    for name in uninterrupted:
        torch.testing.assert_close(restarted[name], uninterrupted[name], rtol=0, atol=0)


def launcher(*args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    """``python -m torchprimer.checked_torchrun ARGS`` (the ranks it starts are new interpreters)."""
    start = time.perf_counter()
    result = run_python("torchprimer.checked_torchrun", args, ROOT, timeout, module=True)
    return result, time.perf_counter() - start


def assert_one_error(result: subprocess.CompletedProcess, status: int, text: str) -> None:
    assert result.returncode == status, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and text in lines[0], result.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("value", ["0", "two"])
def test_launcher_refuses_a_bad_nproc_per_node(value):
    result, seconds = launcher("--standalone", f"--nproc_per_node={value}", str(EXAMPLE), "--smoke")
    print(f"\n--nproc_per_node={value}: exit {result.returncode} after {seconds:.1f} s")
    assert_one_error(
        result,
        2,
        f"--nproc_per_node must be a whole number of processes >= 1 "
        f"or one of auto, cpu, gpu, xpu; got '{value}'",
    )
    assert result.stdout == ""


@pytest.mark.slow
def test_missing_checkpoint_directory_is_one_error_from_two_ranks(tmp_path):
    missing = tmp_path / "nope"
    result, seconds = launcher(
        "--standalone",
        "--nproc_per_node=2",
        str(EXAMPLE),
        "--smoke",
        "--checkpoint-dir",
        str(missing),
    )
    print(f"\nmissing checkpoint directory: exit {result.returncode} after {seconds:.1f} s")
    assert_one_error(
        result, 2, f"ddp_train.py: error: checkpoint directory {missing} does not exist"
    )
    assert result.stdout == "" and not missing.exists()


@pytest.mark.slow
def test_unknown_rendezvous_host_is_named_at_once():
    result, seconds = launcher(
        "--nnodes=2",
        "--nproc_per_node=1",
        "--rdzv-backend=c10d",
        "--rdzv-endpoint=no-such-host.invalid:29400",
        str(EXAMPLE),
        "--smoke",
    )
    assert_one_error(result, 2, "cannot resolve the rendezvous host 'no-such-host.invalid'")
    assert seconds < 30 and result.stdout == ""


@pytest.mark.slow
def test_unreachable_rendezvous_endpoint_is_one_error():
    # This node joins a 2-node job whose rendezvous host (is_host=false: not this
    # process) should listen on a loopback port where nothing listens.
    port = free_port()
    result, seconds = launcher(
        "--nnodes=2",
        "--nproc_per_node=1",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=127.0.0.1:{port}",
        "--rdzv-conf=is_host=false,read_timeout=5,join_timeout=5",
        str(EXAMPLE),
        "--smoke",
    )
    print(f"\nunreachable rendezvous endpoint: exit {result.returncode} after {seconds:.1f} s")
    assert_one_error(
        result, 1, f"rendezvous at 127.0.0.1:{port} failed: The client socket has timed out"
    )
    assert result.stdout == ""


# ---------------------------------------------------------------------------------------
# The launcher's own decisions, with torchrun's run() replaced (no processes)


def test_launcher_asks_for_a_fresh_store_per_restart(monkeypatch):
    seen = {}

    def fake_run(args):
        seen["store"] = os.environ.get("TORCH_DISABLE_SHARE_RDZV_TCP_STORE")
        seen["restarts"] = args.max_restarts

    monkeypatch.delenv("TORCH_DISABLE_SHARE_RDZV_TCP_STORE", raising=False)
    monkeypatch.setattr("torch.distributed.run.run", fake_run)
    assert (
        checked_torchrun.run_torchrun(
            ["--standalone", "--nproc_per_node=2", "--max-restarts=1", str(EXAMPLE)]
        )
        == 0
    )
    assert seen == {"store": "1", "restarts": 1}
    monkeypatch.setenv("TORCH_DISABLE_SHARE_RDZV_TCP_STORE", "0")  # the user's choice stands
    assert (
        checked_torchrun.run_torchrun(
            ["--standalone", "--nproc_per_node=2", "--max-restarts=1", str(EXAMPLE)]
        )
        == 0
    )
    assert seen["store"] == "0"


def test_launcher_reports_a_killed_rank_in_one_line(monkeypatch, capsys):
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    def fake_run(args):
        failure = ProcessFailure(local_rank=1, pid=1234, exitcode=-9, error_file="<N/A>")
        raise ChildFailedError(name=args.training_script, failures={1: failure})

    monkeypatch.setattr("torch.distributed.run.run", fake_run)
    assert checked_torchrun.run_torchrun(["--standalone", "--nproc_per_node=2", str(EXAMPLE)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{EXAMPLE} failed: rank 1 was killed by SIGKILL; its own output is above" in err


def test_launcher_passes_on_the_scripts_own_input_error(monkeypatch, capsys, tmp_path):
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    error_file = tmp_path / "error.json"
    error_file.write_text(json.dumps({"message": "ddp_train.py: error: bad input", "timestamp": 1}))

    def fake_run(args):
        failure = ProcessFailure(local_rank=0, pid=1234, exitcode=2, error_file=str(error_file))
        raise ChildFailedError(name=args.training_script, failures={0: failure})

    monkeypatch.setattr("torch.distributed.run.run", fake_run)
    assert checked_torchrun.run_torchrun(["--standalone", "--nproc_per_node=2", str(EXAMPLE)]) == 2
    assert capsys.readouterr().err == "ddp_train.py: error: bad input\n"


def test_launcher_names_the_rank_that_failed_not_the_one_stopped_after_it(
    monkeypatch, capsys, tmp_path
):
    """Both ranks reject their input; the agent kills the slower one in the same second."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    error_file = tmp_path / "error.json"
    error_file.write_text(json.dumps({"message": "ddp_train.py: error: bad input", "timestamp": 2}))

    def fake_run(args):
        killed = ProcessFailure(local_rank=1, pid=1235, exitcode=-15, error_file="<N/A>")
        killed.timestamp = 1  # recorded first
        failed = ProcessFailure(local_rank=0, pid=1234, exitcode=2, error_file=str(error_file))
        raise ChildFailedError(name=args.training_script, failures={1: killed, 0: failed})

    monkeypatch.setattr("torch.distributed.run.run", fake_run)
    assert checked_torchrun.run_torchrun(["--standalone", "--nproc_per_node=2", str(EXAMPLE)]) == 2
    assert capsys.readouterr().err == "ddp_train.py: error: bad input\n"
