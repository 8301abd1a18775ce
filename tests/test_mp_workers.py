"""torchprimer.mp_workers: what child processes run on the multiprocessing page."""

from __future__ import annotations

import queue

import pytest
import torch
import torch.multiprocessing as mp
from torch.utils.data import DataLoader

from torchprimer.mp_workers import WorkerIds, add_one, add_one_in_place

TIMEOUT = 120  # seconds; a dead child must fail the test, not hang it


def test_add_one_changes_every_tensor_in_place():
    a, b = torch.zeros(2), torch.full((3,), 5.0)
    add_one(a, b)
    assert a.tolist() == [1.0, 1.0] and b.tolist() == [6.0, 6.0, 6.0]


def test_add_one_rejects_a_non_tensor():
    with pytest.raises(TypeError, match="add_one expects tensors, got list"):
        add_one([0.0])


def test_add_one_in_place_reports_then_changes_within_one_process():
    inbox, outbox = queue.Queue(), queue.Queue()
    t = torch.zeros(3)
    inbox.put(t)
    add_one_in_place(inbox, outbox)
    # no pickling within one process: the tensor is the same object, not shared memory
    assert outbox.get_nowait() == ("shared", False)
    assert outbox.get_nowait() == ("done", None)
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_add_one_in_place_rejects_a_non_tensor():
    inbox, outbox = queue.Queue(), queue.Queue()
    inbox.put("not a tensor")
    with pytest.raises(TypeError, match="expects a tensor on its inbox, got str"):
        add_one_in_place(inbox, outbox)
    assert outbox.empty()


@pytest.mark.slow
def test_a_spawned_child_changes_the_parents_tensor_through_shared_memory():
    ctx = mp.get_context("spawn")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    t = torch.zeros(4)
    assert not t.is_shared()
    child = ctx.Process(target=add_one_in_place, args=(inbox, outbox))
    child.start()
    try:
        inbox.put(t)
        assert outbox.get(timeout=TIMEOUT) == ("shared", True)
        assert outbox.get(timeout=TIMEOUT) == ("done", None)
    finally:
        child.join(timeout=TIMEOUT)
    assert child.exitcode == 0
    assert t.is_shared()
    assert t.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_fork_child_changes_only_shared_memory():
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork start method on this platform")
    plain, shared = torch.zeros(2), torch.zeros(2).share_memory_()
    child = mp.get_context("fork").Process(target=add_one, args=(plain, shared))
    child.start()
    child.join(timeout=TIMEOUT)
    assert child.exitcode == 0
    assert plain.tolist() == [0.0, 0.0]  # copied on write in the child
    assert shared.tolist() == [1.0, 1.0]


def test_worker_ids_in_the_main_process():
    ds = WorkerIds(3)
    assert len(ds) == 3
    assert ds[0].tolist() == [0, -1]
    assert ds[-1].tolist() == [2, -1]


@pytest.mark.parametrize("index", [3, -4])
def test_worker_ids_index_out_of_range(index):
    with pytest.raises(IndexError, match=f"index {index} out of range for 3 samples"):
        WorkerIds(3)[index]


@pytest.mark.parametrize("n", [-1, 2.5, "4", True])
def test_worker_ids_rejects_a_bad_size(n):
    with pytest.raises(ValueError, match="n must be a non-negative int"):
        WorkerIds(n)


def test_dataloader_workers_send_batches_in_shared_memory():
    batches = list(DataLoader(WorkerIds(6), batch_size=2, num_workers=2))
    assert [b[:, 0].tolist() for b in batches] == [[0, 1], [2, 3], [4, 5]]  # order kept
    worker_of_batch = [set(b[:, 1].tolist()) for b in batches]
    assert worker_of_batch == [{0}, {1}, {0}]  # whole batches, round robin
    assert all(b.is_shared() for b in batches)


def test_dataloader_without_workers_loads_in_the_main_process():
    batches = list(DataLoader(WorkerIds(4), batch_size=2))
    assert all(b[:, 1].tolist() == [-1, -1] for b in batches)
    assert not any(b.is_shared() for b in batches)
