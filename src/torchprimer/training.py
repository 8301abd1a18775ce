"""One epoch of training and one pass of evaluation: the loop every page and example reuses.

The loop is the one the pages teach by hand (docs/training/training-pipeline.md): for each
batch, move it to the device, zero the gradients, run the forward pass and the loss, call
``backward()``, then ``optimizer.step()``. Evaluation runs the same forward pass under
``torch.inference_mode()`` with the model in eval mode, and puts the model back the way it
found it.

>>> import torch
>>> from torch import nn
>>> from torch.utils.data import DataLoader, TensorDataset
>>> from torchprimer.training import evaluate, train_one_epoch
>>> _ = torch.manual_seed(0)
>>> x = torch.linspace(-1, 1, 16).unsqueeze(1)
>>> loader = DataLoader(TensorDataset(x, 3 * x + 1), batch_size=4)
>>> model = nn.Linear(1, 1)
>>> optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
>>> first = train_one_epoch(model, loader, nn.MSELoss(), optimizer)
>>> for _ in range(30):
...     last = train_one_epoch(model, loader, nn.MSELoss(), optimizer)
>>> first.samples, last.loss < first.loss / 100, last.accuracy
(16, True, None)
>>> evaluate(model, loader, nn.MSELoss()).loss < 1e-3
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from torchprimer.tally import EpochResult, Tally

__all__ = ["EpochResult", "evaluate", "train_one_epoch"]


def _split_batch(batch: Any, where: str) -> tuple[Any, torch.Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError(
            f"{where}: each batch must be a pair (inputs, targets); "
            f"got {type(batch).__name__}"
            + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
        )
    inputs, targets = batch
    if not isinstance(targets, torch.Tensor):
        raise ValueError(f"{where}: targets must be a tensor; got {type(targets).__name__}")
    return inputs, targets


def _to(obj: Any, device: torch.device) -> Any:
    """Moves a tensor, or the tensors inside a tuple/list/dict, to ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to(item, device) for item in obj)
    if isinstance(obj, dict):
        return {key: _to(value, device) for key, value in obj.items()}
    return obj


def _check_common(model: Any, loader: Any, loss_fn: Any, device: Any, where: str) -> torch.device:
    if not isinstance(model, nn.Module):
        raise ValueError(f"{where}: model must be a torch.nn.Module; got {type(model).__name__}")
    if not callable(loss_fn):
        raise ValueError(
            f"{where}: loss_fn must be callable, e.g. nn.CrossEntropyLoss(); "
            f"got {type(loss_fn).__name__}"
        )
    if isinstance(loader, torch.Tensor) or not isinstance(loader, Iterable):
        raise ValueError(
            f"{where}: loader must be an iterable of (inputs, targets) batches, "
            f"e.g. a DataLoader; got {type(loader).__name__}"
        )
    if hasattr(loader, "__len__") and len(loader) == 0:
        raise ValueError(f"{where}: the loader is empty (len(loader) == 0)")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"{where}: device {device!r} is not a device name like 'cpu' or 'cuda'"
        ) from err
    # The model is not moved for the caller: the optimizer was built on its parameters,
    # so it belongs on the device before the optimizer is made.
    for name, param in model.named_parameters():
        if param.device.type != dev.type:
            raise ValueError(
                f"{where}: parameter {name!r} is on {param.device} but device={device!r}; "
                f"call model.to({device!r}) before building the optimizer"
            )
        break
    return dev


def _autocast(dev: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    if dtype is None:
        return contextlib.nullcontext()
    if not isinstance(dtype, torch.dtype):
        raise ValueError(
            f"autocast_dtype must be a torch.dtype such as torch.bfloat16; got {dtype!r}"
        )
    return torch.autocast(device_type=dev.type, dtype=dtype)


def _reduction(loss_fn: Callable) -> str:
    return getattr(loss_fn, "reduction", "mean")


def _check_loss(loss: Any, where: str) -> torch.Tensor:
    if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(
            f"{where}: loss_fn must return a scalar tensor (reduction='mean' or 'sum'); got {shape}"
        )
    return loss


def _check_stepping(optimizer: Any, scheduler: Any, max_batches: Any, where: str) -> None:
    if max_batches is not None and (
        isinstance(max_batches, bool) or not isinstance(max_batches, int) or max_batches < 1
    ):
        raise ValueError(
            f"{where}: max_batches must be a positive int or None; got {max_batches!r}"
        )
    if not (hasattr(optimizer, "zero_grad") and hasattr(optimizer, "step")):
        raise ValueError(
            f"{where}: optimizer must have zero_grad() and step(), "
            f"e.g. torch.optim.SGD(model.parameters(), lr=0.1); got {type(optimizer).__name__}"
        )
    if scheduler is not None and not hasattr(scheduler, "step"):
        raise ValueError(
            f"{where}: scheduler must have step() or be None; got {type(scheduler).__name__}"
        )


def _progress_bar(loader: Iterable, max_batches: int | None) -> Any:
    from tqdm.auto import tqdm  # imported here: no work at import of this module

    total = len(loader) if hasattr(loader, "__len__") else None
    if max_batches is not None and total is not None:
        total = min(total, max_batches)
    return tqdm(loader, total=total, desc="train", leave=False)


def train_one_epoch(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable[[Any, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    *,
    device: str | torch.device = "cpu",
    scheduler: Any = None,
    autocast_dtype: torch.dtype | None = None,
    progress: bool = False,
    max_batches: int | None = None,
) -> EpochResult:
    """Trains ``model`` for one pass over ``loader`` and returns what it measured.

    For each ``(inputs, targets)`` batch: move both to ``device``, zero the gradients
    (``set_to_none=True``), forward pass and loss (under ``torch.autocast`` when
    ``autocast_dtype`` is given), ``loss.backward()``, ``optimizer.step()``, then
    ``scheduler.step()`` if a scheduler is given (so schedulers count batches, not epochs).

    Args:
        model: the network, already on ``device``; put in train mode here.
        loader: iterable of ``(inputs, targets)`` pairs, usually a ``DataLoader``.
        loss_fn: returns a scalar loss, mean over the batch (``reduction="sum"`` is
            understood too).
        optimizer: built on ``model``'s parameters.
        device: where batches go, e.g. ``"cpu"`` or ``"cuda"``.
        scheduler: a learning-rate scheduler stepped after every batch, or ``None``.
        autocast_dtype: e.g. ``torch.bfloat16`` to run the forward pass in mixed precision.
            (``torch.float16`` on CUDA also wants a ``torch.amp.GradScaler``, which this
            loop does not use; prefer ``bfloat16``.)
        progress: show a ``tqdm`` progress bar with the running loss.
        max_batches: stop after this many batches (quick runs, tests); ``None`` for all.

    Raises:
        ValueError: on an empty loader, ``max_batches < 1``, a batch that is not a pair,
            a non-scalar loss, or a model on a different device.

    >>> import torch
    >>> from torch import nn
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(12, 3)
    >>> loader = DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=5)
    >>> model = nn.Linear(3, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> result = train_one_epoch(model, loader, nn.MSELoss(), opt, max_batches=2)
    >>> result.samples, result.accuracy
    (10, None)
    """
    where = "train_one_epoch"
    dev = _check_common(model, loader, loss_fn, device, where)
    _check_stepping(optimizer, scheduler, max_batches, where)
    _autocast(dev, autocast_dtype)  # validates the dtype before any work is done
    reduction = _reduction(loss_fn)

    model.train()
    tally = Tally()
    bar = _progress_bar(loader, max_batches) if progress else None
    batches: Iterable = loader if bar is None else bar
    try:
        for batch in batches:
            inputs, targets = _split_batch(batch, where)
            inputs, targets = _to(inputs, dev), _to(targets, dev)
            # set_to_none frees the gradient tensors instead of writing zeros into them;
            # without zeroing, backward() would add this batch's gradients to the last one's.
            optimizer.zero_grad(set_to_none=True)
            with _autocast(dev, autocast_dtype):
                outputs = model(inputs)
                loss = _check_loss(loss_fn(outputs, targets), where)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            tally.add(loss, outputs, targets, reduction)
            if bar is not None:
                bar.set_postfix(loss=f"{tally.loss_sum / tally.samples:.4g}")
            if max_batches is not None and tally.batches >= max_batches:
                break
    finally:
        if bar is not None:
            bar.close()
    return tally.result(where)


def evaluate(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable[[Any, torch.Tensor], torch.Tensor],
    *,
    device: str | torch.device = "cpu",
    autocast_dtype: torch.dtype | None = None,
) -> EpochResult:
    """Measures ``model`` on every batch of ``loader`` without training it.

    Runs in eval mode (dropout off, batch norm uses its running statistics) under
    ``torch.inference_mode()``, so no graph is recorded and no gradient is touched.
    Afterwards every submodule is back in the train/eval mode it was in, and the
    parameters and their ``requires_grad`` flags are unchanged.

    Raises:
        ValueError: on an empty loader, a batch that is not a pair, a non-scalar loss,
            or a model on a different device.

    >>> import torch
    >>> from torch import nn
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> model = nn.Linear(2, 2)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.eye(2)); _ = model.bias.zero_()
    >>> x = torch.tensor([[2.0, 0.0], [0.0, 3.0], [1.0, 0.0], [4.0, 1.0]])
    >>> y = torch.tensor([0, 1, 1, 0])
    >>> result = evaluate(model, DataLoader(TensorDataset(x, y), batch_size=3), nn.CrossEntropyLoss())
    >>> result.accuracy, result.samples, model.training
    (0.75, 4, True)
    """
    where = "evaluate"
    dev = _check_common(model, loader, loss_fn, device, where)
    _autocast(dev, autocast_dtype)  # validates the dtype before any work is done
    reduction = _reduction(loss_fn)

    # model.train(mode) would set every submodule alike; remember each one's own mode
    # (a frozen, eval-mode backbone inside a training model must stay in eval mode).
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    tally = Tally()
    try:
        with torch.inference_mode():
            for batch in loader:
                inputs, targets = _split_batch(batch, where)
                inputs, targets = _to(inputs, dev), _to(targets, dev)
                with _autocast(dev, autocast_dtype):
                    outputs = model(inputs)
                    loss = _check_loss(loss_fn(outputs, targets), where)
                tally.add(loss, outputs, targets, reduction)
    finally:
        for module, training in modes:
            module.training = training
    return tally.result(where)
