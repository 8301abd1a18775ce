"""The losses of a GAN and a CycleGAN, as docs/networks/gan.md and cyclegan.md train them.

A discriminator outputs one *logit* per image (any real number; its sigmoid is the
probability that the image is real). Working with logits, not probabilities, lets
``binary_cross_entropy_with_logits`` compute ``log(sigmoid(x))`` without underflow.

>>> import torch
>>> confused = torch.zeros(4, 1)  # sigmoid(0) = 0.5: cannot tell real from fake
>>> round(discriminator_loss(confused, confused).item(), 4)  # 2 log 2
1.3863
>>> round(generator_loss(confused).item(), 4)  # log 2
0.6931
>>> cycle_consistency_loss(torch.ones(2, 3), torch.zeros(2, 3)).item()
1.0
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, real_label: float = 1.0
) -> torch.Tensor:
    """``-log D(x) - log(1 - D(G(z)))``, averaged over the batch: real images should score 1, fakes 0.

    ``real_label`` below 1 (0.9, say) is one-sided label smoothing: the discriminator is
    asked for 0.9 on real images, which keeps it from growing overconfident and leaves
    the generator a usable gradient.
    """
    if not 0.0 < real_label <= 1.0:
        raise ValueError(f"real_label: must be in (0, 1], got {real_label}")
    real_term = F.binary_cross_entropy_with_logits(
        real_logits, torch.full_like(real_logits, real_label)
    )
    fake_term = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real_term + fake_term


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """``-log D(G(z))``, averaged: the generator wants its fakes scored as real.

    This is the "non-saturating" form (Goodfellow et al., 2014, section 3): minimising
    ``log(1 - D(G(z)))`` instead has almost no gradient early on, when the discriminator
    rejects every fake with confidence.
    """
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def cycle_consistency_loss(original: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between ``x`` and ``F(G(x))``: translating there and back should give ``x``.

    CycleGAN uses the L1 distance (Zhu et al., 2017, equation 2).
    """
    if original.shape != reconstructed.shape:  # broadcasting would silently average the wrong pairs
        raise ValueError(
            f"original and reconstructed: shapes differ, {tuple(original.shape)} "
            f"and {tuple(reconstructed.shape)}"
        )
    return (original - reconstructed).abs().mean()
