"""The result cache: an analysis is computed once, reused only for the same inputs, never from a damaged file."""

from functools import partial

import pytest
import torch
from torch import nn

from cnncourse import analysis, experiments
from cnncourse.data import ImageData
from cnncourse.errors import InputTypeError
from cnncourse.models.resnet import CifarResNet
from cnncourse.recipes import Recipe
from cnncourse.stored_results import stored_result


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


class Counter:
    """A computation that counts its calls."""

    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


def _test_images(n: int = 20) -> ImageData:
    generator = torch.Generator().manual_seed(0)
    return ImageData(torch.randint(0, 256, (n, 3, 16, 16), dtype=torch.uint8, generator=generator),
                     torch.randint(0, 10, (n,), generator=generator), tuple("abcdefghij"), "test", "random")


def test_a_result_is_computed_once_then_loaded():
    compute = Counter({"accuracy": torch.tensor([0.5, 0.25]), "note": "x"})
    first = stored_result("study", compute, torch.arange(3), 0.1)
    second = stored_result("study", compute, torch.arange(3), 0.1)
    assert compute.calls == 1
    torch.testing.assert_close(second["accuracy"], first["accuracy"])
    assert second["note"] == "x"


def test_other_inputs_other_weights_or_no_name_compute_again():
    compute = Counter([1.0])
    model = nn.Linear(2, 2)
    stored_result("study", compute, model, torch.arange(3))
    stored_result("study", compute, model, torch.arange(4))   # other data
    with torch.no_grad():
        model.weight.add_(1.0)
    stored_result("study", compute, model, torch.arange(3))   # the same model object, trained further
    stored_result(None, compute, model, torch.arange(3))      # no name: never stored
    assert compute.calls == 4


def test_a_dataset_is_keyed_by_its_contents_not_its_name():
    compute = Counter(1)
    data = _test_images()
    stored_result("study", compute, data)
    relabelled = ImageData(data.images, (data.labels + 1) % 10, data.classes, data.split, data.name)
    stored_result("study", compute, relabelled)   # same repr's shape and name, other labels
    assert compute.calls == 2


def test_a_damaged_result_file_is_named_deleted_and_computed_again(empty_cache):
    compute = Counter(7)
    stored_result("study", compute, 1)
    (path,) = (empty_cache / "results").glob("study-*.pt")
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.warns(UserWarning, match="checksum"):
        assert stored_result("study", compute, 1) == 7
    assert compute.calls == 2 and path.exists()


def test_a_name_that_is_not_a_string_is_refused():
    with pytest.raises(InputTypeError, match="name"):
        stored_result(3, Counter(1))


def test_random_damage_draws_as_one_generator_in_order_and_is_stored():
    torch.manual_seed(0)
    nets = {"a": CifarResNet(14, widths=(4, 8, 16)).eval(), "b": CifarResNet(14, widths=(4, 8, 16)).eval()}
    test = _test_images(8)   # 6 blocks; one swappable pair: (0, 1)
    damage = analysis.random_damage(nets, test, (1,), draws=2, seed=3, cache_name="damage")
    from cnncourse.config import seeded_generator
    generator = seeded_generator(3)   # the same draws, made by hand in the same order
    for name, net in nets.items():
        for kind, damage_net in analysis.DAMAGES.items():
            by_hand = torch.tensor([damage_net(net, test, 1, draws=2, generator=generator)])
            torch.testing.assert_close(damage[name, kind], by_hand)
    assert damage["a", "blocks deleted"].shape == (1, 2)
    again = analysis.random_damage(nets, test, (1,), draws=2, seed=3, cache_name="damage")
    assert all(torch.equal(again[key], damage[key]) for key in damage)


def test_landscape_probes_are_stored_and_loaded_on_a_re_run(monkeypatch):
    generator = torch.Generator().manual_seed(0)
    images, labels = torch.rand(16, 3, 8, 8, generator=generator), torch.arange(16) % 10
    build = partial(CifarResNet, 8, widths=(4, 8, 16))   # a class with its settings, as notebook 04 passes it
    recipe = Recipe(steps=1, batch_size=8, lr=0.1, schedule=None)
    first = experiments.landscape_along_training(build, (images, labels), recipe, (0, 2), (images[:8], labels[:8]),
                                                 cache_name="landscape")
    monkeypatch.setattr(experiments.runs, "fit", lambda *args, **kwargs: pytest.fail("a re-run should not train"))
    again = experiments.landscape_along_training(build, (images, labels), recipe, (0, 2), (images[:8], labels[:8]),
                                                 cache_name="landscape")
    assert again == first and isinstance(again[2], analysis.LandscapeProbe)
