"""The training loop: learning, history, checkpoint cache, preprocessing and augmentation."""

import copy
import inspect
from functools import partial
from pathlib import Path

import pytest
import torch
from torch import nn

import cnncourse
from cnncourse import callbacks, checkpoints, config, data, optim, recipes, train
from cnncourse.errors import InputTypeError, InputValueError
from cnncourse.recipes import Recipe
from cnncourse.data.cache import load_tensors
from cnncourse.data.transforms import Preprocess, random_crop, random_hflip
from cnncourse.models import small_cnn


def _toy_problem(n: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Bright-left versus bright-right 8x8 uint8 images: learnable in a few steps."""
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (n,), generator=generator)
    images = torch.randint(0, 60, (n, 3, 8, 8), generator=generator, dtype=torch.uint8)
    images[labels == 0, :, :, :4] += 150
    images[labels == 1, :, :, 4:] += 150
    return images, labels


@pytest.fixture
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNCOURSE_CACHE", str(tmp_path))
    return tmp_path


def test_fit_learns_and_records_history():
    images, labels = _toy_problem()
    model = small_cnn(num_classes=2, widths=(8, 16))
    history = train.fit(model, (images, labels), Recipe(epochs=3, batch_size=32, lr=0.05), val=(images, labels), callbacks=())
    assert len(history.step_loss) == 3 * 8 and len(history.epochs["train_loss"]) == 3
    assert history.final_train_loss(4) < 0.5 * history.step_loss[0]
    assert history.last("val_accuracy") > 0.9
    assert history.images_seen == 3 * 256
    running = history.epochs["train_accuracy"]  # measured on the batches as they were trained
    assert len(running) == 3 and running[0] < running[-1] and running[-1] > 0.9


def test_the_running_training_accuracy_counts_the_right_answers():
    images, labels = _toy_problem(64)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 2))
    prepare = lambda x, y, train: (x.float(), torch.zeros_like(y))  # noqa: E731 - every answer 'class 0'
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.copy_(torch.tensor([1.0, 0.0]))  # always says class 0
    history = train.fit(model, (images, labels), Recipe(steps=1, batch_size=64, lr=1e-9),
                        train.Task(prepare=prepare), callbacks=())
    assert history.epochs["train_accuracy"] == [1.0]


def test_fit_runs_exact_number_of_steps():
    images, labels = _toy_problem(100)
    history = train.fit(small_cnn(num_classes=2, widths=(4,)), (images, labels), Recipe(steps=7, batch_size=32), callbacks=())
    assert len(history.step_loss) == 7


def test_same_seed_same_training():
    images, labels = _toy_problem(64)
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        model = small_cnn(num_classes=2, widths=(4,))
        runs.append(train.fit(model, (images, labels), Recipe(steps=5, batch_size=16, precision="fp32"), seed=3, callbacks=()).step_loss)
    assert runs[0] == runs[1]


def test_checkpoint_cache_reloads_instead_of_training(private_cache):
    images, labels = _toy_problem(64)
    torch.manual_seed(0)
    first_model = small_cnn(num_classes=2, widths=(4,))
    first = train.fit(first_model, (images, labels), Recipe(steps=4, batch_size=16), cache_name="toy", callbacks=())
    files = list((private_cache / "checkpoints").glob("toy-*.pt"))
    assert len(files) == 1 and not first.from_cache
    saved = load_tensors(files[0])  # plain tensors, lists and text only (weights_only=True)
    assert set(saved) == {"state_dict", "history", "description", "recipe"}
    assert saved["recipe"]["steps"] == 4 and saved["recipe"]["precision"] in ("fp32", "bf16")  # what really ran
    torch.manual_seed(0)  # the same starting weights: fit leaves the caller's random state alone
    second_model = small_cnn(num_classes=2, widths=(4,))
    second = train.fit(second_model, (images, labels), Recipe(steps=4, batch_size=16), cache_name="toy", callbacks=())
    assert second.from_cache and second.step_loss == first.step_loss
    for a, b in zip(first_model.state_dict().values(), second_model.state_dict().values()):
        assert torch.equal(a, b)
    train.fit(small_cnn(num_classes=2, widths=(4,)), (images, labels), Recipe(steps=5, batch_size=16), cache_name="toy", callbacks=())
    assert len(list((private_cache / "checkpoints").glob("toy-*.pt"))) == 2  # other settings, other key


def test_a_recipe_needs_epochs_or_steps():
    with pytest.raises(ValueError, match="exactly one of steps"):
        Recipe()
    with pytest.raises(ValueError, match="exactly one of steps"):
        Recipe(epochs=1, steps=1)
    assert Recipe(steps=5).but(epochs=2) == Recipe(epochs=2)  # changing the length replaces the other one


def test_a_recipe_rejects_unknown_optimizer_schedule_and_precision():
    with pytest.raises(ValueError, match="optimizer must be"):
        Recipe(steps=1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="schedule must be"):
        Recipe(steps=1, schedule="linear")
    with pytest.raises(ValueError, match="precision must be"):
        Recipe(steps=1, precision="half")


@pytest.mark.parametrize("setting, error", [
    (dict(batch_size="64"), InputTypeError), (dict(steps=2.5), InputTypeError), (dict(steps=True), InputTypeError),
    (dict(lr=(0.1,)), InputTypeError), (dict(lr="0.1"), InputTypeError), (dict(lr=float("nan")), InputValueError),
    (dict(momentum=-0.5), InputValueError), (dict(weight_decay=-1e-4), InputValueError),
    (dict(lr=float("inf")), InputValueError), (dict(weight_decay=float("nan")), InputValueError),
    (dict(weight_decay=float("inf")), InputValueError), (dict(momentum=float("nan")), InputValueError),
    (dict(augment="yes"), InputTypeError), (dict(lr_multipliers=0.1), InputTypeError),
    (dict(lr_multipliers={"body": "x"}), InputTypeError), (dict(schedule=("half",)), InputValueError),
])
def test_a_recipe_names_the_setting_it_cannot_use(setting, error):
    name = next(iter(setting))
    with pytest.raises(error, match=name):
        Recipe(**{"steps": 10, **setting})
    assert issubclass(error, (TypeError, ValueError)) and issubclass(error, cnncourse.CourseError)


def test_a_recipe_counts_epochs_with_a_floor_of_steps():
    assert Recipe(epochs=3, batch_size=32).total_steps(100) == 12  # 4 batches per epoch
    assert Recipe(epochs=1, min_steps=10, batch_size=32).total_steps(40) == 10
    assert Recipe(steps=7).total_steps(10_000) == 7


def test_every_named_recipe_exists_for_every_profile():
    for name, by_profile in recipes.RECIPES.items():
        assert set(by_profile) == set(config.PROFILES), name
        assert recipes.get(name, "smoke").total_steps(1000) <= recipes.get(name, "full").total_steps(50_000), name
    with pytest.raises(InputValueError, match="resnet-cifar"):
        recipes.get("resnet")


def test_a_tiny_run_keeps_each_recipe_but_cuts_its_steps_and_batches(monkeypatch):
    monkeypatch.setenv(config.TINY_ENV, "1")
    for name, by_profile in recipes.RECIPES.items():
        full, tiny = by_profile["full"], recipes.get(name, "full")
        assert tiny.total_steps(50_000) == recipes.TINY_STEPS and tiny.batch_size <= recipes.TINY_BATCH, name
        assert tiny.but(steps=full.steps, epochs=full.epochs, batch_size=full.batch_size) == full, name


def test_the_paper_switch_runs_the_papers_schedule_in_full_only(monkeypatch):
    monkeypatch.delenv(config.PAPER_ENV, raising=False)
    course = recipes.get("resnet-cifar", "full")
    monkeypatch.setenv(config.PAPER_ENV, "1")
    paper = recipes.get("resnet-cifar", "full")
    assert paper.steps == 64_000 and course.steps < paper.steps  # He et al. 2015, sec. 4.2
    assert course.but(steps=paper.steps) == paper  # the same recipe, only shorter
    assert recipes.get("autoencoder", "full") == recipes.RECIPES["autoencoder"]["full"]  # no paper schedule
    with pytest.raises(ValueError, match="CNNCOURSE_PROFILE=full"):
        recipes.get("resnet-cifar", "standard")
    monkeypatch.setenv(config.PAPER_ENV, "yes")
    with pytest.raises(ValueError, match="CNNCOURSE_PAPER must be 1"):
        recipes.get("resnet-cifar", "full")


def test_a_long_run_says_first_what_it_will_do_and_for_how_long(monkeypatch, capsys):
    data = _toy_problem(64)
    train.fit(small_cnn(num_classes=2), data, Recipe(steps=12, batch_size=8), callbacks=(), label="toy")
    assert capsys.readouterr().out == ""  # a short run trains silently
    monkeypatch.setattr(callbacks, "ANNOUNCE_ABOVE_SECONDS", -1.0)
    train.fit(small_cnn(num_classes=2), data, Recipe(steps=12, batch_size=8), callbacks=(), label="toy")
    said = capsys.readouterr().out
    assert said.startswith("toy: 12 steps of 8 images (1.5 epochs of 64)") and "steps 4-8" in said, said


def test_augmentation_needs_a_prepare_that_can_augment():
    with pytest.raises(ValueError, match="augmented"):
        train.fit(small_cnn(num_classes=2), _toy_problem(8), Recipe(steps=1, augment=True),
                  train.Task(prepare=train.default_prepare), callbacks=())


def test_milestone_schedule_divides_lr_by_ten():
    model = nn.Linear(2, 2)
    optimizer = optim.make_optimizer(model, Recipe(steps=8, lr=0.1, weight_decay=0.0))
    schedule = optim.make_schedule(optimizer, (0.5, 0.75), total_steps=8)
    rates = []
    for _ in range(8):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert rates == pytest.approx([0.1] * 4 + [0.01] * 2 + [0.001] * 2)


def test_evaluate_and_predict_agree():
    images, labels = _toy_problem(50)
    model = small_cnn(num_classes=2, widths=(4,))
    scores = train.evaluate(model, (images, labels), batch_size=16)
    outputs = train.predict(model, images, batch_size=16)
    assert outputs.shape == (50, 2)
    assert scores["accuracy"] == pytest.approx((outputs.argmax(1) == labels).float().mean().item())
    assert scores["loss"] == pytest.approx(nn.functional.cross_entropy(outputs, labels).item(), rel=1e-4)


def test_segmentation_data_without_masks_cannot_train():
    unlabelled = data.SegmentationData(torch.zeros(2, 1, 8, 8, dtype=torch.uint8), None, ("a", "b"), "test", "toy", (0, 1))
    with pytest.raises(ValueError, match="has no masks"):
        train.fit(small_cnn(in_channels=1), unlabelled, Recipe(steps=1), callbacks=())


def test_preprocess_scales_and_standardizes():
    images = torch.full((2, 3, 4, 4), 255, dtype=torch.uint8)
    raw, _ = Preprocess(scale=1)(images, None)
    unit, _ = Preprocess()(images, None)
    standard, _ = Preprocess(mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))(images, None)
    assert raw.max() == 255 and unit.max() == 1 and torch.allclose(standard, torch.full_like(standard, 2.0))


@pytest.mark.parametrize("setting, error", [
    (dict(scale=0), InputValueError), (dict(scale="255"), InputValueError), (dict(mean=0.5, std=0.25), InputTypeError),
    (dict(mean=(0.5, 0.5)), InputValueError), (dict(std=(0.0,), mean=(0.5,)), InputValueError),
    (dict(crop_padding=-4), InputValueError), (dict(crop_padding=2.0), InputValueError), (dict(hflip=1), InputTypeError),
])
def test_preprocess_names_the_setting_it_cannot_use(setting, error):
    with pytest.raises(error, match=next(iter(setting))):
        Preprocess(**setting)


def test_random_crop_keeps_size_and_moves_content():
    images = torch.arange(2 * 1 * 6 * 6, dtype=torch.float).view(2, 1, 6, 6)
    torch.manual_seed(0)
    cropped = random_crop(images, padding=2)
    assert cropped.shape == images.shape
    for original, window in zip(images, cropped):  # each crop is a shifted window of the zero-padded image
        padded = nn.functional.pad(original, (2, 2, 2, 2))
        assert any(torch.equal(padded[:, t:t + 6, l:l + 6], window) for t in range(5) for l in range(5))


def test_random_hflip_flips_about_half():
    images = torch.arange(1000 * 2, dtype=torch.float).view(1000, 1, 1, 2)
    torch.manual_seed(0)
    flipped = random_hflip(images)
    changed = (flipped != images).any(dim=(1, 2, 3)).float().mean().item()
    assert 0.4 < changed < 0.6
    assert torch.equal(flipped.sort(-1).values, images)


def test_precision_setting_decides_auto(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setenv("CNNCOURSE_PRECISION", "fp32")
    assert train.resolve_precision("auto", cpu) == "fp32"
    assert train.resolve_precision("bf16", cpu) == "bf16"  # an explicit argument wins over the setting
    monkeypatch.setenv("CNNCOURSE_PRECISION", "bf16")
    assert train.resolve_precision("auto", cpu) == "bf16"
    monkeypatch.setenv("CNNCOURSE_PRECISION", "half")
    with pytest.raises(ValueError, match="CNNCOURSE_PRECISION"):
        train.resolve_precision("auto", cpu)


def test_seed_setting_shifts_every_seed(monkeypatch):
    monkeypatch.setenv("CNNCOURSE_SEED", "3")
    assert config.course_seed(0) == 3
    assert torch.equal(torch.rand(4, generator=config.seeded_generator(1)),
                       torch.rand(4, generator=torch.Generator().manual_seed(4)))
    monkeypatch.setenv("CNNCOURSE_SEED", "-1")
    with pytest.raises(ValueError, match="CNNCOURSE_SEED"):
        config.course_seed(0)


def test_history_round_trip():
    history = train.History(label="x", step_loss=[3.0, 2.0, 1.0])
    history.log_epoch({"train_loss": 2.0})
    again = train.History.from_dict(history.to_dict())
    assert again == history and again.last("train_loss") == 2.0
    assert history.smoothed_loss(2) == [2.5, 1.5]
    with pytest.raises(InputValueError, match="recorded"):
        history.last("val_accuracy")


def test_image_to_image_training_records_no_accuracy():
    images = torch.rand(32, 1, 8, 8)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1))
    identity = lambda x, y, train: (x, x)  # noqa: E731 - reconstruct the input
    history = train.fit(model, (images, torch.zeros(32)), Recipe(steps=3, batch_size=16), train.Task(nn.MSELoss(), identity), val=(images, torch.zeros(32)), callbacks=())
    assert set(history.epochs) == {"train_loss", "val_loss"}


def test_checkpoint_cache_tells_apart_models_that_start_from_other_weights(private_cache):
    images, labels = _toy_problem(64)
    for seed in (0, 1):
        torch.manual_seed(seed)
        history = train.fit(small_cnn(num_classes=2, widths=(4,)), (images, labels), Recipe(steps=2, batch_size=16), cache_name="seeded", callbacks=())
        assert not history.from_cache, "a model with other starting weights must not reuse a checkpoint"
    torch.manual_seed(1)
    again = train.fit(small_cnn(num_classes=2, widths=(4,)), (images, labels), Recipe(steps=2, batch_size=16), cache_name="seeded", callbacks=())
    assert again.from_cache


# --- the checkpoint cache never serves the wrong model ------------------------------------------------------


def _fit_toy(model=None, data=None, precision="fp32", **task) -> tuple[nn.Module, train.History]:
    torch.manual_seed(0)
    model = model or small_cnn(num_classes=2, widths=(4,))
    recipe = Recipe(steps=3, batch_size=16, precision=precision)
    return model, train.fit(model, data or _toy_problem(64), recipe, train.Task(**task), cache_name="toy", callbacks=())


def test_checkpoint_key_changes_with_everything_that_decides_the_result(private_cache):
    images, labels = _toy_problem(64)
    shuffled = labels.clone()
    shuffled[[0, 1]] = shuffled[[1, 0]] if labels[0] != labels[1] else 1 - shuffled[[0, 1]]
    one_pixel = images.clone()
    one_pixel[37, 1, 3, 3] += 1  # an image a sample of one in 64 would miss
    variants = {
        "plain": {},
        "label smoothing": {"loss_fn": nn.CrossEntropyLoss(label_smoothing=0.5)},
        "other prepare": {"prepare": Preprocess(mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))},
        "shuffled labels": {"data": (images, shuffled)},
        "one pixel": {"data": (one_pixel, labels)},
        "bf16": {"precision": "bf16"},
    }
    for options in variants.values():
        _fit_toy(**{"data": (images, labels), **options})
    assert len(list((private_cache / "checkpoints").glob("toy-*.pt"))) == len(variants)
    again = _fit_toy(data=(images, labels), loss_fn=nn.CrossEntropyLoss(label_smoothing=0.5))[1]
    assert again.from_cache  # and the same settings find their own checkpoint again


def test_checkpoint_key_covers_the_seed_setting_and_the_package_code(private_cache, monkeypatch):
    _fit_toy()
    monkeypatch.setenv("CNNCOURSE_SEED", "1")
    assert not _fit_toy()[1].from_cache
    monkeypatch.delenv("CNNCOURSE_SEED")
    assert _fit_toy()[1].from_cache
    monkeypatch.setattr(checkpoints, "code_fingerprint", lambda: "another version of the code")
    assert not _fit_toy()[1].from_cache


def test_a_closure_cannot_be_a_cache_key(private_cache):
    offset = 0.5

    def shifted(images, targets, train_mode=False):
        return images.float() / 255 - offset, targets

    with pytest.raises(cnncourse.errors.UndescribableError, match="captures variables"):
        _fit_toy(prepare=shifted)
    assert checkpoints.describe_settings(Preprocess()) != checkpoints.describe_settings(Preprocess(mean=(0.5,), std=(0.5,)))


def test_cache_hit_leaves_the_model_as_training_does(private_cache):
    trained, _ = _fit_toy()
    reloaded, history = _fit_toy()
    assert history.from_cache
    for model in (trained, reloaded):
        assert not model.training
        conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
        assert conv.weight.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "empty"])
def test_a_damaged_checkpoint_is_named_deleted_and_rebuilt(private_cache, damage):
    _, first = _fit_toy()
    path = next((private_cache / "checkpoints").glob("toy-*.pt"))
    raw = path.read_bytes()
    damaged = {"flip a byte": raw[:-100] + bytes([raw[-100] ^ 1]) + raw[-99:], "truncate": raw[: len(raw) // 2],
               "empty": b""}[damage]
    path.write_bytes(damaged)
    with pytest.warns(UserWarning, match=f"{path.name}.*rebuilt"):
        _, second = _fit_toy()
    assert not second.from_cache and second.step_loss == first.step_loss
    assert load_tensors(path)["history"]["step_loss"] == first.step_loss


def test_fit_matches_a_plain_pytorch_loop():
    images, labels = _toy_problem(64)
    torch.manual_seed(0)
    model = small_cnn(num_classes=2, widths=(4,))
    reference = copy.deepcopy(model)
    recipe = Recipe(steps=6, batch_size=16, lr=0.1, momentum=0.9, weight_decay=5e-4, schedule=None, precision="fp32")
    history = train.fit(model, (images, labels), recipe, seed=3, callbacks=())
    # the same batches: fit shuffles with a generator seeded with the seed, one permutation per epoch
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    generator = torch.Generator().manual_seed(3)
    torch.manual_seed(3)
    losses = []
    reference.train()
    while len(losses) < 6:
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), 16):
            index = order[start:start + 16]
            loss = nn.functional.cross_entropy(reference(images[index].float() / 255), labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert history.step_loss == pytest.approx(losses[:6], rel=1e-4, abs=1e-5)


def test_bf16_training_stays_close_to_fp32():
    images, labels = _toy_problem(128)
    runs = {}
    for precision in ("fp32", "bf16"):
        torch.manual_seed(0)
        runs[precision] = train.fit(small_cnn(num_classes=2, widths=(8,)), (images, labels), Recipe(steps=8, batch_size=32, precision=precision), callbacks=())
    fp32, bf16 = (torch.tensor(runs[p].step_loss) for p in ("fp32", "bf16"))
    assert (fp32 - bf16).abs().max() < 0.05 * fp32.abs().max()  # bf16 keeps about 3 significant digits


@pytest.mark.parametrize("schedule, expected", [
    (None, [1.0, 1.0, 1.0, 1.0]),
    ("cosine", [1.0, 0.8536, 0.5, 0.1464]),
    ((0.5,), [1.0, 1.0, 0.1, 0.1]),
])
def test_schedules_set_the_learning_rate_of_each_step(schedule, expected):
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = optim.make_schedule(optimizer, schedule, total_steps=4)
    seen = []
    for _ in range(4):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert seen == pytest.approx(expected, abs=1e-4)


def test_an_interrupted_run_continues_from_its_resume_state_exactly(private_cache, monkeypatch):
    monkeypatch.setattr(callbacks, "RESUME_EVERY_SECONDS", 0.0)  # save after every epoch
    images, labels = _toy_problem(64)
    recipe = Recipe(steps=12, batch_size=16, augment=True, precision="fp32")  # 3 epochs of 4 steps, random crops
    options = {"task": train.Task(prepare=Preprocess()), "callbacks": ()}
    torch.manual_seed(0)
    start = small_cnn(num_classes=2, widths=(4,))
    straight = copy.deepcopy(start)
    whole = train.fit(straight, (images, labels), recipe, cache_name="whole", **options)

    class Disconnect(Exception):
        pass

    def disconnect(model, step):
        if step == 10:  # in the third epoch: the state after two epochs was saved
            raise Disconnect

    with pytest.raises(Disconnect):
        train.fit(copy.deepcopy(start), (images, labels), recipe, cache_name="resumed",
                  **{**options, "callbacks": [callbacks.StepHook(disconnect)]})
    assert len(list((private_cache / "checkpoints").glob("resumed-*.resume.pt"))) == 1
    resumed_model = copy.deepcopy(start)
    resumed = train.fit(resumed_model, (images, labels), recipe, cache_name="resumed", **options)
    assert resumed.resumed_at_step == 8 and resumed.step_loss == whole.step_loss
    for a, b in zip(straight.state_dict().values(), resumed_model.state_dict().values()):
        assert torch.equal(a, b)
    assert not list((private_cache / "checkpoints").glob("*.resume.pt"))  # done: only the finished checkpoint stays


def test_the_code_fingerprint_covers_training_code_only(tmp_path):
    for name in ("train.py", "models/resnet.py", "plot/charts.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    parts = ("train.py", "models")
    before = checkpoints.source_fingerprint(tmp_path, parts)
    (tmp_path / "plot/charts.py").write_text("x = 2\n")  # a figure changed: the checkpoints stay valid
    assert checkpoints.source_fingerprint(tmp_path, parts) == before
    (tmp_path / "models/resnet.py").write_text("x = 2\n")  # a model changed: every checkpoint is retrained
    assert checkpoints.source_fingerprint(tmp_path, parts) != before
    for part in checkpoints.TRAINING_CODE:  # the real list names real modules
        assert (Path(checkpoints.__file__).parent / part).exists(), part


def test_the_random_state_after_fit_is_the_same_whether_it_trained_or_loaded(private_cache):
    images, labels = _toy_problem(64)
    torch.manual_seed(0)
    model = small_cnn(num_classes=2, widths=(4,))
    recipe = Recipe(steps=3, batch_size=16, precision="fp32", augment=True)  # shuffles and augments
    torch.manual_seed(123)
    fit = partial(train.fit, task=train.Task(prepare=Preprocess()), cache_name="toy-rng", callbacks=())
    assert not fit(model, (images, labels), recipe).from_cache
    after_training = torch.rand(3)
    torch.manual_seed(0)
    model = small_cnn(num_classes=2, widths=(4,))
    torch.manual_seed(123)
    assert fit(model, (images, labels), recipe).from_cache
    after_loading = torch.rand(3)  # the next model built would get the same initial weights either way
    assert torch.equal(after_training, after_loading)


def test_fit_reads_as_model_data_recipe_task():
    parameters = inspect.signature(train.fit).parameters.values()
    required = [p.name for p in parameters if p.default is inspect.Parameter.empty]
    assert required == ["model", "train", "recipe"] and len(parameters) <= 9
    assert not any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in parameters)


def test_a_task_reports_accuracy_for_classification_only():
    assert set(train.Task().validation_metrics()) == {"accuracy"}
    assert train.Task(nn.MSELoss()).validation_metrics() == {}
    assert train.Task(metrics={}).validation_metrics() == {}


def test_callbacks_run_instead_of_the_progress_bar():
    steps = []
    train.fit(small_cnn(num_classes=2, widths=(4,)), _toy_problem(32), Recipe(steps=3, batch_size=16),
              callbacks=[callbacks.StepHook(lambda model, step: steps.append(step))])
    assert steps == [1, 2, 3]


def test_checkpoints_of_other_training_code_are_named_once_and_left_alone(private_cache, monkeypatch, recwarn):
    _fit_toy()  # trains, marks the folder as this code's
    assert not [w for w in recwarn if "another version" in str(w.message)]
    monkeypatch.setattr(checkpoints, "code_fingerprint", lambda: "another version of the code")
    monkeypatch.setattr(checkpoints, "_folders_checked", set())  # a new session
    with pytest.warns(UserWarning, match=r"The 1 checkpoints in .* another version"):
        assert not _fit_toy()[1].from_cache
    recwarn.clear()
    assert _fit_toy()[1].from_cache  # the same session: said once
    monkeypatch.setattr(checkpoints, "_folders_checked", set())
    _fit_toy()  # the folder is now marked as this code's: nothing to say
    assert not [w for w in recwarn if "another version" in str(w.message)]
    assert len(list((private_cache / "checkpoints").glob("toy-*.pt"))) == 2  # the old one is left for the learner
