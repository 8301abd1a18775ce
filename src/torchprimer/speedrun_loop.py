"""The training loop of the CIFAR-10 speed-run (:mod:`torchprimer.speedrun`): augmentation on
the device, the optimiser and its learning-rate schedule, lookahead, test-time augmentation,
and the stopwatch.

An :class:`Augmenter` holds the normalised training set padded once; each epoch it draws a
shuffled order, a translation per image and the flips, and makes the epoch in one gather:

>>> import torch
>>> images = torch.arange(2 * 3 * 4 * 4.0).view(2, 3, 4, 4)
>>> aug = Augmenter(images, translate=0, alternating_flip=True, generator=torch.Generator())
>>> order, shifts, flips = aug.epoch(0)
>>> even = aug.batch(torch.arange(2), shifts, flips)
>>> order, shifts, flips = aug.epoch(1)
>>> torch.equal(aug.batch(torch.arange(2), shifts, flips), even.flip(-1))  # odd epoch: mirrored
True
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from torchprimer.speedrun_net import FrozenScaleBatchNorm

if TYPE_CHECKING:
    from torchprimer.speedrun_config import Precision, SpeedrunConfig
    from torchprimer.speedrun_net import SpeedrunNet


class Augmenter:
    """Random translation (reflect padding by ``translate`` pixels, then a random crop back
    to the original size) and flips of images ``(N, C, H, W)`` that stay on their device.

    With ``alternating_flip`` each image gets one random flip decision for the run, and odd
    epochs invert every decision: over any two epochs each image is seen once each way.
    Otherwise every epoch flips each image independently with probability 1/2.
    """

    def __init__(
        self,
        images: torch.Tensor,
        translate: int,
        alternating_flip: bool,
        generator: torch.Generator,
    ) -> None:
        self.size = images.shape[-1]
        self.translate = translate
        self.alternating_flip = alternating_flip
        self.generator = generator
        padded = F.pad(images, (translate,) * 4, mode="reflect") if translate else images
        # (N, H, W, C): a gather of rows and columns keeps each pixel's channels together
        self.padded = padded.permute(0, 2, 3, 1).contiguous()
        self.base_flips = self._coin(len(images))

    def _coin(self, n: int) -> torch.Tensor:
        device = self.padded.device
        return torch.rand(n, device=device, generator=self.generator) < 0.5

    def epoch(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """This epoch's order (a permutation), per-image offsets ``(N, 2)`` and flips ``(N,)``."""
        n, device, g = len(self.padded), self.padded.device, self.generator
        order = torch.randperm(n, device=device, generator=g)
        shifts = torch.randint(0, 2 * self.translate + 1, (n, 2), device=device, generator=g)
        if self.alternating_flip:
            flips = self.base_flips ^ bool(epoch % 2)
        else:
            flips = self._coin(n)
        return order, shifts, flips

    def batch(self, index: torch.Tensor, shifts: torch.Tensor, flips: torch.Tensor):
        """Images ``index`` cropped at their offsets and flipped where asked: ``(B, C, H, W)``
        (a view with channels-last strides; make it contiguous as the run needs)."""
        ramp = torch.arange(self.size, device=index.device)
        rows = shifts[index, 0, None] + ramp  # (B, H)
        cols = shifts[index, 1, None] + torch.where(flips[index, None], ramp.flip(0), ramp)
        picked = self.padded[index[:, None, None], rows[:, :, None], cols[:, None, :]]
        return picked.permute(0, 3, 1, 2)

    def shuffled_epoch(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The whole epoch in one gather: every image augmented, in this epoch's random order,
        and that order; a batch is then a slice (a view: no kernel per step)."""
        order, shifts, flips = self.epoch(epoch)
        return self.batch(order, shifts, flips), order


def lr_factor(step: int, total: int, config: SpeedrunConfig) -> float:
    """The learning rate at ``step`` (from 0) of ``total``, as a fraction of the peak: linear
    from ``lr_start`` to 1 over the first ``warmup_fraction`` of the steps, then linear to
    ``lr_end`` at the last step."""
    warmup = int(total * config.warmup_fraction)
    if step < warmup:
        return config.lr_start + (1 - config.lr_start) * step / warmup
    frac = (step - warmup) / max(total - warmup, 1)
    return 1 + (config.lr_end - 1) * frac


class Lookahead:
    """A slow copy of a model's floating-point state (weights and batch-norm statistics).

    :meth:`update` moves the copy toward the live state (``decay`` is the share of the old
    copy kept) and writes the blend back into the model; ``decay=1`` makes the model take
    the copy as it is.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        self.live = [t for t in model.state_dict().values() if t.is_floating_point()]
        self.slow = [t.detach().clone() for t in self.live]

    @torch.no_grad()
    def update(self, decay: float) -> None:
        # one kernel launch per operation for all tensors, not one per tensor
        torch._foreach_lerp_(self.slow, self.live, 1 - decay)
        torch._foreach_copy_(self.live, self.slow)


def make_optimizer(model: SpeedrunNet, config: SpeedrunConfig, batch_size: int):
    """SGD with Nesterov momentum, the paper's decoupled hyperparameters turned into PyTorch's.

    With momentum ``m`` a constant gradient moves a weight ``1 + 1/(1 - m)`` times further
    than one step; dividing by that (and by 1024) makes ``lr`` a step size per 1024
    examples whatever the momentum. PyTorch multiplies weight decay by the learning rate,
    so each group's ``weight_decay`` is divided by its learning rate: the decay per step is
    then ``weight_decay * batch_size / kilostep`` times the schedule, for every group.
    Batch-norm biases get ``bias_scaler`` times the learning rate, not the decay.
    """
    kilostep = 1024 * (1 + 1 / (1 - config.momentum))
    lr = config.lr / kilostep
    decay = config.weight_decay * batch_size / kilostep
    bn_biases = [m.bias for m in model.modules() if isinstance(m, FrozenScaleBatchNorm)]
    bn_ids = {id(p) for p in bn_biases}
    # the whitening bias is listed even when frozen later: SGD skips a parameter without grad
    others = [
        p
        for p in model.parameters()
        if id(p) not in bn_ids and (p.requires_grad or p is model.whiten.bias)
    ]
    groups = [
        {"params": bn_biases, "lr": lr * config.bias_scaler},
        {"params": others, "lr": lr},
    ]
    for group in groups:
        group["weight_decay"] = decay / group["lr"]
        group["peak_lr"] = group["lr"]
    # on CUDA one fused kernel updates every weight of a group
    fused = all(p.is_cuda for group in groups for p in group["params"]) or None
    return torch.optim.SGD(groups, momentum=config.momentum, nesterov=True, fused=fused)


def schedule(n: int, config: SpeedrunConfig) -> tuple[int, int, int]:
    """``(batch size, steps per epoch, total steps)`` for ``n`` training images: the batch is
    at most ``n`` (so a tiny set still makes a step), incomplete batches are dropped, and the
    total is ``ceil(steps_per_epoch * epochs)``."""
    batch = min(config.batch_size, n)
    per_epoch = n // batch
    return batch, per_epoch, math.ceil(per_epoch * config.epochs)


def _step(runner, optimizer, x, y, factor: float, config: SpeedrunConfig, plan: Precision):
    for group in optimizer.param_groups:
        group["lr"] = group["peak_lr"] * factor
    with torch.autocast(x.device.type, dtype=plan.autocast, enabled=plan.autocast is not None):
        logits = runner(plan.layout(x))
    loss = F.cross_entropy(
        logits.float(), y, label_smoothing=config.label_smoothing, reduction="sum"
    )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def fit(runner, model, optimizer, images, labels, config, generator, plan) -> int:
    """Train ``model`` (called through ``runner``, which may be its compiled form) on the
    normalised ``images``; return the number of optimiser steps."""
    batch, per_epoch, total = schedule(len(images), config)
    augmenter = Augmenter(images, config.translate, config.alternating_flip, generator)
    lookahead = Lookahead(model) if config.lookahead else None
    model.train()
    step = 0
    for epoch in range(math.ceil(total / per_epoch)):
        if config.whiten:  # the whitening bias trains for the first epochs only
            model.whiten.bias.requires_grad_(epoch < config.whiten_bias_epochs)
        epoch_images, order = augmenter.shuffled_epoch(epoch)
        epoch_images, epoch_labels = plan.layout(epoch_images), labels[order]
        for i in range(min(per_epoch, total - step)):
            part = slice(i * batch, (i + 1) * batch)
            factor = lr_factor(step, total, config)
            _step(runner, optimizer, epoch_images[part], epoch_labels[part], factor, config, plan)
            step += 1
            if lookahead is not None and step % config.lookahead_every == 0:
                every = config.lookahead_every
                lookahead.update(config.lookahead_decay**every * (step / total) ** 3)
    if lookahead is not None:
        lookahead.update(1.0)
    return step


def tta_logits(runner, x: torch.Tensor, level: int, plan: Precision):
    """``(plain, augmented)`` logits of one batch: level 0 plain; 1 the mean over the image
    and its mirror; 2 half that, half the mean of the same pair for the image translated by
    one pixel up-left and down-right (reflect padding)."""

    def run(view: torch.Tensor) -> torch.Tensor:
        return runner(plan.layout(view)).float()

    def mirrored(view: torch.Tensor, logits: torch.Tensor | None = None) -> torch.Tensor:
        return 0.5 * ((run(view) if logits is None else logits) + run(view.flip(-1)))

    plain = run(x)
    if level == 0:
        return plain, plain
    pair = mirrored(x, plain)
    if level == 1:
        return plain, pair
    padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
    shifted = [padded[..., :-2, :-2], padded[..., 2:, 2:]]
    translated = torch.stack([mirrored(view) for view in shifted]).mean(0)
    return plain, 0.5 * pair + 0.5 * translated


@torch.no_grad()
def evaluate(runner, images, labels, config: SpeedrunConfig, plan: Precision):
    """Test accuracy ``(plain, with TTA at config.tta_level)`` of the same weights."""
    runner.eval()
    plain, tta = [], []
    for chunk in images.split(config.eval_batch_size):
        with torch.autocast(
            chunk.device.type, dtype=plan.autocast, enabled=plan.autocast is not None
        ):
            p, t = tta_logits(runner, chunk, config.tta_level, plan)
        plain.append(p.argmax(1))
        tta.append(t.argmax(1))
    runner.train()
    scores = [(torch.cat(pred) == labels).float().mean() for pred in (plain, tta)]
    return tuple(torch.stack(scores).tolist())


class Stopwatch:
    """Accumulates the seconds spent inside ``with stopwatch:``, measured like airbench:
    CUDA events on a GPU (the GPU's own time for the queued work), else ``perf_counter``."""

    def __init__(self, device: torch.device | str) -> None:
        self.cuda = torch.device(device).type == "cuda"
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        if self.cuda:
            torch.cuda.synchronize()
            self._start = torch.cuda.Event(enable_timing=True)
            self._start.record()
        else:
            self._tick = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        if self.cuda:
            end = torch.cuda.Event(enable_timing=True)
            end.record()
            end.synchronize()
            self.seconds += self._start.elapsed_time(end) / 1000
        else:
            self.seconds += time.perf_counter() - self._tick
