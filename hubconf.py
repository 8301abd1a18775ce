"""torch.hub entry points of PyTorch Primer.

    import torch
    model = torch.hub.load("path/to/checkout", "resnet_small", source="local", pretrained=True)

    from torchprimer.hub import list_local  # torch.hub.list reads GitHub repositories only
    list_local("path/to/checkout")          # ['digits_cnn', 'resnet_small', 'baseline_cnn']

``pretrained=True`` loads the weights committed in ``src/torchprimer/weights/``: each
``<name>.pt`` has a ``<name>.json`` beside it recording its SHA-256, which is checked
before ``torch.load(..., weights_only=True)`` runs. The model comes back in eval mode,
with the sidecar (where and how it was trained, its test accuracy) in
``model.checkpoint_info``. Nothing is downloaded.
"""

import os
import sys

dependencies = ["torch"]

_HERE = os.path.dirname(os.path.abspath(__file__))
# A checkout that is not pip-installed: import the package from its src/ folder.
if os.path.join(_HERE, "src") not in sys.path:
    try:
        import torchprimer  # noqa: F401
    except ImportError:
        sys.path.insert(0, os.path.join(_HERE, "src"))

from torchprimer.pretrained import hub_model as _hub_model  # noqa: E402


def baseline_cnn(pretrained=False, **kwargs):
    """The baseline recipe on CIFAR-10: conv-pool-conv-pool-linear-linear, cross-entropy, Adam.

    Input: float images (N, 3, 32, 32) normalised with torchprimer.models.normalize;
    output: 10 logits in torchprimer.cifar.CLASSES order. Weights: trained by
    examples/cifar10_train.py on this site's JPEG copy of CIFAR-10; where, for how long
    and the test accuracy are in model.checkpoint_info["metadata"].
    """
    return _hub_model("BaselineCNN", "cifar10_baseline_cnn", pretrained, kwargs)


def resnet_small(pretrained=False, **kwargs):
    """The improved CIFAR-10 recipe's network: a 9-layer residual network with batch norm.

    Input and output as baseline_cnn. Weights: trained by examples/cifar10_train.py with
    augmentation, one-cycle SGD and label smoothing; details in
    model.checkpoint_info["metadata"]. Without pretrained, kwargs go to ResNetSmall
    (e.g. widths=(32, 64, 128, 256)).
    """
    return _hub_model("ResNetSmall", "cifar10_resnet_small", pretrained, kwargs)


def digits_cnn(pretrained=False, **kwargs):
    """A small CNN for scikit-learn's 8x8 digits (input (N, 1, 8, 8) scaled to 0..1, 10 logits).

    Weights: trained by python -m torchprimer.digits_weights on load_digits() (75/25 split).
    """
    return _hub_model("DigitsCNN", "digits_cnn", pretrained, kwargs)
