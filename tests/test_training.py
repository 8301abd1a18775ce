"""Unit tests for torchprimer.training: the loop must learn, and evaluation must touch nothing."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from torchprimer.training import EpochResult, evaluate, train_one_epoch


def _classification_loader(n=16, features=5, classes=3, batch_size=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    y = torch.randint(0, classes, (n,), generator=g)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size), x, y


def _regression_loader(n=10, batch_size=4):
    x = torch.linspace(-1, 1, n).unsqueeze(1)
    return DataLoader(TensorDataset(x, 2 * x - 1), batch_size=batch_size)


def _snapshot(model):
    return {name: (p.detach().clone(), p.requires_grad) for name, p in model.named_parameters()}


def test_overfits_a_tiny_batch():
    torch.manual_seed(0)
    loader, x, y = _classification_loader(n=8, batch_size=8)
    model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    first = train_one_epoch(model, loader, nn.CrossEntropyLoss(), optimizer)
    for _ in range(100):
        last = train_one_epoch(model, loader, nn.CrossEntropyLoss(), optimizer)
    assert last.loss < 0.05 * first.loss
    assert last.accuracy == 1.0
    final = evaluate(model, loader, nn.CrossEntropyLoss())
    assert final.accuracy == 1.0
    assert final.loss < 0.05


def test_result_is_mean_per_sample_with_uneven_batches():
    # 10 samples in batches of 4, 4, 2: the mean must weight batches by size.
    loader = _regression_loader(n=10, batch_size=4)
    model = nn.Linear(1, 1)
    x, y = loader.dataset.tensors
    with torch.no_grad():
        expected = nn.functional.mse_loss(model(x), y).item()
    result = evaluate(model, loader, nn.MSELoss())
    assert result.samples == 10
    assert result.loss == pytest.approx(expected, rel=1e-6)
    summed = evaluate(model, loader, nn.MSELoss(reduction="sum"))
    assert summed.loss == pytest.approx(expected, rel=1e-6)


def test_accuracy_matches_argmax():
    loader, x, y = _classification_loader(n=13, batch_size=5)
    torch.manual_seed(1)
    model = nn.Linear(5, 3)
    with torch.no_grad():
        expected = (model(x).argmax(1) == y).float().mean().item()
    result = evaluate(model, loader, nn.CrossEntropyLoss())
    assert result.accuracy == pytest.approx(expected)
    assert isinstance(result, EpochResult)


def test_accuracy_is_none_for_regression():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    assert train_one_epoch(model, _regression_loader(), nn.MSELoss(), opt).accuracy is None
    assert evaluate(model, _regression_loader(), nn.MSELoss()).accuracy is None


def test_evaluate_leaves_parameters_requires_grad_and_mode_unchanged():
    loader, _, _ = _classification_loader()
    model = nn.Sequential(nn.Linear(5, 8), nn.Dropout(0.5), nn.BatchNorm1d(8), nn.Linear(8, 3))
    model[0].weight.requires_grad_(False)  # a frozen layer must stay frozen
    model.train()
    model[2].eval()  # a submodule in its own mode must keep it
    before = _snapshot(model)
    running_mean = model[2].running_mean.clone()
    evaluate(model, loader, nn.CrossEntropyLoss())
    after = _snapshot(model)
    assert before.keys() == after.keys()
    for name in before:
        assert torch.equal(before[name][0], after[name][0]), name
        assert before[name][1] == after[name][1], name
    assert all(p.grad is None for p in model.parameters())
    assert torch.equal(model[2].running_mean, running_mean)
    assert model.training and model[1].training and not model[2].training

    model.eval()
    evaluate(model, loader, nn.CrossEntropyLoss())
    assert not any(m.training for m in model.modules())


def test_evaluate_runs_in_eval_mode_without_grad():
    seen = {}

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(5, 3)

        def forward(self, x):
            seen["training"] = self.training
            seen["grad_enabled"] = torch.is_grad_enabled()
            return self.linear(x)

    loader, _, _ = _classification_loader()
    evaluate(Probe().train(), loader, nn.CrossEntropyLoss())
    assert seen == {"training": False, "grad_enabled": False}


def test_train_sets_train_mode_and_steps_scheduler_per_batch():
    loader, _, _ = _classification_loader(n=16, batch_size=4)  # 4 batches
    model = nn.Sequential(nn.Linear(5, 3), nn.Dropout(0.1)).eval()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    train_one_epoch(model, loader, nn.CrossEntropyLoss(), opt, scheduler=sched)
    assert model.training
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 * 0.5**4)


def test_gradients_do_not_accumulate_across_batches():
    # Two batches with the same data: with zeroing, each step uses one batch's gradient.
    x = torch.ones(2, 1)
    y = torch.zeros(2, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=1)
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train_one_epoch(model, loader, nn.MSELoss(), opt)
    # w <- w - 0.1 * 2w twice: 1 -> 0.8 -> 0.64; accumulated gradients would give 0.8 - 0.1 * (2 + 1.6) = 0.44
    assert model.weight.item() == pytest.approx(0.64)


def test_max_batches_stops_early():
    loader, _, _ = _classification_loader(n=16, batch_size=4)
    model = nn.Linear(5, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    result = train_one_epoch(model, loader, nn.CrossEntropyLoss(), opt, max_batches=2)
    assert result.samples == 8


def test_progress_bar_and_autocast_run(capsys):
    loader, _, _ = _classification_loader()
    model = nn.Linear(5, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    result = train_one_epoch(
        model, loader, nn.CrossEntropyLoss(), opt, progress=True, autocast_dtype=torch.bfloat16
    )
    assert result.samples == 16
    assert model.weight.dtype == torch.float32  # autocast changes compute, not parameters
    result = evaluate(model, loader, nn.CrossEntropyLoss(), autocast_dtype=torch.bfloat16)
    assert result.samples == 16


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_batches": 0}, "max_batches must be a positive int"),
        ({"max_batches": -3}, "max_batches must be a positive int"),
        ({"max_batches": 1.5}, "max_batches must be a positive int"),
        ({"max_batches": True}, "max_batches must be a positive int"),
        ({"autocast_dtype": "bfloat16"}, "autocast_dtype must be a torch.dtype"),
        ({"device": "not-a-device"}, "is not a device name"),
        ({"scheduler": 3}, "scheduler must have step"),
    ],
)
def test_train_bad_arguments(kwargs, message):
    loader, _, _ = _classification_loader()
    model = nn.Linear(5, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = _snapshot(model)
    with pytest.raises(ValueError, match=message):
        train_one_epoch(model, loader, nn.CrossEntropyLoss(), opt, **kwargs)
    # nothing was trained before the error
    assert all(torch.equal(before[n][0], p) for n, p in model.named_parameters())


def test_empty_loader_raises():
    empty = DataLoader(
        TensorDataset(torch.zeros(0, 5), torch.zeros(0, dtype=torch.int64)), batch_size=4
    )
    model = nn.Linear(5, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="train_one_epoch: the loader is empty"):
        train_one_epoch(model, empty, nn.CrossEntropyLoss(), opt)
    with pytest.raises(ValueError, match="evaluate: the loader is empty"):
        evaluate(model, empty, nn.CrossEntropyLoss())
    # an iterable without len() that yields nothing is caught after the loop
    with pytest.raises(ValueError, match="yielded no samples"):
        evaluate(model, iter([]), nn.CrossEntropyLoss())


def test_bad_model_optimizer_loader_and_batches():
    loader, _, _ = _classification_loader()
    model = nn.Linear(5, 3)
    loss_fn = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        evaluate(lambda x: x, loader, loss_fn)
    with pytest.raises(ValueError, match="optimizer must have zero_grad"):
        train_one_epoch(model, loader, loss_fn, "sgd")
    with pytest.raises(ValueError, match="loss_fn must be callable"):
        evaluate(model, loader, "mse")
    with pytest.raises(ValueError, match="loader must be an iterable"):
        evaluate(model, torch.zeros(4, 5), loss_fn)
    with pytest.raises(ValueError, match=r"each batch must be a pair \(inputs, targets\)"):
        evaluate(model, [(torch.zeros(2, 5),)], loss_fn)
    with pytest.raises(ValueError, match="loss_fn must return a scalar tensor"):
        evaluate(model, loader, nn.CrossEntropyLoss(reduction="none"))


def test_model_on_other_device_is_refused():
    model = nn.Linear(5, 3).to("meta")
    loader, _, _ = _classification_loader()
    with pytest.raises(ValueError, match="parameter 'weight' is on meta"):
        evaluate(model, loader, nn.CrossEntropyLoss(), device="cpu")
