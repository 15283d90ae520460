"""The benchmark's two loops really train: a few steps of each change the weights and report a speed."""

import torch

from cnncourse import benchmark, data, models


def test_both_loops_train_and_report_throughput(needs_data):
    train = data.load_cifar10("test")  # small and real
    device = torch.device("cpu")
    for loop in ("course", "reference"):
        torch.manual_seed(0)
        model = models.small_cnn(widths=(8,))
        before = [p.detach().clone() for p in model.parameters()]
        if loop == "course":
            speed = benchmark.course_loop(model, train, steps=2, device=device)
        else:
            speed = benchmark.reference_loop(model, train, steps=2, device=device, workers=0)
        assert speed > 0
        assert any(not torch.equal(a, b.cpu()) for a, b in zip(before, model.parameters())), f"{loop} did not train"


def test_peak_memory_is_reported_in_megabytes():
    assert 10 < benchmark.peak_memory_mb(torch.device("cpu")) < 100_000


def test_the_bare_step_trains_on_synthetic_tensors():
    torch.manual_seed(0)
    model = models.small_cnn(widths=(8,))
    before = [p.detach().clone() for p in model.parameters()]
    assert benchmark.bare_loop(model, steps=2, device=torch.device("cpu"), batch_size=16) > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_a_row_shows_both_ratios_and_a_dash_where_a_loop_did_not_run():
    both = {"reference": {"speed": 500.0}, "course": {"speed": 1000.0}, "bare": {"speed": 1250.0}}
    line = benchmark.row("resnet20", 128, both)
    assert "2.00x" in line and "80%" in line
    assert " - " in benchmark.row("resnet20", 512, {"course": {"speed": 900.0}, "bare": {"speed": 1000.0}})
