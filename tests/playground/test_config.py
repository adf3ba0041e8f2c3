"""Settings from URLs (TensorFlow Playground's keys) and from the page."""

from __future__ import annotations

import pytest

from glassnet.playground.config import Settings, SettingsError, parse_settings
from glassnet.playground.data import MAX_CSV_BYTES, make_points, parse_csv
from glassnet.playground.model import build_network, build_optimizer, build_schedule

TF_LINK = ("activation=relu&batchSize=10&dataset=spiral&regDataset=reg-plane&learningRate=0.03"
           "&regularizationRate=0.001&noise=15&networkShape=6,6,3&seed=0.81234&showTestData=false"
           "&discretize=false&percTrainData=70&x=true&y=true&xTimesY=true&xSquared=false"
           "&ySquared=false&cosX=false&sinX=true&cosY=false&sinY=false&collectStats=false"
           "&problem=classification&initZero=false&hideText=false&regularization=L2")


def test_a_tensorflow_playground_link_opens_with_the_same_set_up() -> None:
    values = dict(part.split("=", 1) for part in TF_LINK.split("&"))
    s = parse_settings(values)
    assert (s.dataset, s.activation, s.networkShape, s.learningRate) == \
        ("spiral", "relu", (6, 6, 3), 0.03)
    assert (s.batchSize, s.noise, s.percTrainData, s.regularizationRate) == (10, 15, 70, 0.001)
    assert s.features == ("x", "y", "xTimesY", "sinX")
    assert s.seed == 812340
    net, warnings = build_network(s, 2)
    assert net.n_in == 4 and net.n_out == 2 and warnings == []


@pytest.mark.parametrize("values, words", [
    ({"regularization": "L1"}, "L2"),
    ({"initZero": "true"}, "initZero"),
    ({"noise": "loud"}, "noise must be a number"),
    ({"noise": "80"}, "0..50"),
    ({"activations": "relu,tanh,relu"}, "one per layer"),
    ({"x": "false", "y": "false"}, "no input feature"),
    ({"problem": "regression"}, "regression trains with sse or mse"),
    ({"dataset": "blobs", "classes": 3, "loss": "binary_cross_entropy"}, "2 classes"),
    ({"batchNorm": "maybe"}, "true or false"),
    ({"samples": "2.5"}, "samples"),
    ({"showTestData": "sometimes"}, "showTestData must be true or false"),
])
def test_settings_refused_with_a_message(values: dict, words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        parse_settings(values)


def test_every_optimizer_and_schedule_builds() -> None:
    for name in ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"):
        opt = build_optimizer(parse_settings({"optimizer": name, "learningRate": 0.1}))
        assert opt.lr == 0.1
    assert build_optimizer(parse_settings({"optimizer": "nesterov"})).nesterov is True
    assert build_schedule(Settings(), 5) == []
    for name in ("step", "exponential", "cosine"):
        (schedule,) = build_schedule(parse_settings({"schedule": name}), 5)
        assert schedule.lr_at(0) == pytest.approx(0.03)
        assert schedule.lr_at(5 * 200) < 0.03


def test_network_layers_follow_the_settings() -> None:
    s = parse_settings({"networkShape": "5,3", "activations": "relu,sigmoid", "dropout": 0.2,
                        "batchNorm": True})
    net, _ = build_network(s, 3)
    names = [type(layer).__name__ for layer in net.layers]
    assert names == ["Dense", "BatchNorm", "ReLU", "Dropout", "Dense", "BatchNorm", "Sigmoid",
                     "Dropout", "Dense"]
    big, warnings = build_network(parse_settings({"networkShape": "300,300"}), 2)
    assert warnings and "parameters" in warnings[0]


@pytest.mark.parametrize("dataset", ["circle", "xor", "gauss", "spiral", "moons", "blobs"])
def test_data_sets_split_and_fit_the_view(dataset: str) -> None:
    s = parse_settings({"dataset": dataset, "samples": 200, "percTrainData": 30, "classes": 4})
    p = make_points(s)
    assert p.P.shape == (200, 2) and p.test.sum() == 140
    xmin, xmax, ymin, ymax = p.domain
    assert (p.P[:, 0] > xmin).all() and (p.P[:, 0] < xmax).all()
    assert (p.P[:, 1] > ymin).all() and (p.P[:, 1] < ymax).all()
    assert set(p.y.tolist()) == set(range(p.n_classes))
    again = make_points(s)
    assert (again.P == p.P).all()  # seeded


def test_csv_upload_checks() -> None:
    s = Settings()
    with pytest.raises(SettingsError, match="at most"):
        parse_csv(b"0" * (MAX_CSV_BYTES + 1), s)
    with pytest.raises(SettingsError, match="UTF-8"):
        parse_csv(b"\xff\xfe1,2,3\n" * 4, s)
    with pytest.raises(SettingsError, match="4 to"):
        parse_csv(b"1,2,0\n", s)
    with pytest.raises(SettingsError, match="class numbers"):
        parse_csv(b"1,2,0.5\n1,1,0\n2,2,1\n3,3,1\n", s)
    with pytest.raises(SettingsError, match="NaN"):
        parse_csv(b"1,2,0\nnan,1,0\n2,2,1\n3,3,1\n", s)
    points = parse_csv(b"x,y,label\n1,2,0\n1,1,0\n2,2,1\n3,3,2\n", s)
    assert points.n_classes == 3 and len(points.P) == 4
