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
