"""The playground in a real headless Chromium (Debian's chromium and chromium-driver).

Skipped, with the reason, where the browser, its driver or Selenium is absent.
Screenshots go to ``$GLASSNET_SCREENSHOTS`` (else the test's temporary folder).
"""

from __future__ import annotations

import json
import math
import os
import threading
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet import io
from glassnet.models import mlp
from glassnet.playground.server import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.slow


def _browser() -> Any:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                    "(pip install selenium; it is in the test extra)")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            pytest.skip(f"{path} is absent: apt-get install -y chromium chromium-driver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--disable-gpu"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GLASSNET_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _number(driver: Any, element_id: str) -> float:
    text = driver.find_element("id", element_id).text.strip()
    try:
        return float(text)
    except ValueError:
        return math.nan


def _wait(driver: Any, condition: Any, what: str, timeout: float = 300) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: condition(d),
        message=f"waited for {what}; the page says: {driver.find_element('id', 'banner').text}")


def _frame(driver: Any, expression: str) -> Any:
    return driver.execute_script(f"return PG.frame && ({expression});")


def _click_data(driver: Any, x: float, y: float, *, shift: bool = False) -> None:
    """Click the data view at the data coordinates ``(x, y)``."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    canvas = driver.find_element("id", "boundary")
    # offsets count from the centre of the element's visible part: show all of it
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    xmin, xmax, ymin, ymax = _frame(driver, "PG.frame.domain")
    size = canvas.size["width"]
    px = (x - xmin) / (xmax - xmin) * size - size / 2
    py = (ymax - y) / (ymax - ymin) * size - size / 2
    chain = ActionChains(driver)
    if shift:
        chain.key_down(Keys.SHIFT)
    chain.move_to_element_with_offset(canvas, int(px), int(py)).click()
    if shift:
        chain.key_up(Keys.SHIFT)
    chain.perform()


def _digits_model(folder: Path) -> Path:
    """A 784-input model file (trained briefly on MNIST's test images when present)."""
    net = mlp([784, 32, 10], seed=0)
    data = Path(os.environ.get("GLASSNET_SHARED_DATA",
                               Path(__file__).resolve().parents[3] / "shared" / "data"))
    if (data / "mnist" / "t10k-images-idx3-ubyte.gz").exists():
        from glassnet.datasets import load_mnist

        X, y = load_mnist(data / "mnist", split="test", download=False, progress=False)
        net.fit(X[:5000], y[:5000], optimizer="adam", epochs=2, batch_size=64, seed=0,
                verbose=0)
    return io.save(net, folder / "digits.safetensors")


def test_playground_in_chromium(tmp_path: Path, shots: Path) -> None:
    driver = _browser()
    server = make_server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _run(driver, server, tmp_path, shots)
    finally:
        driver.quit()
        server.shutdown_all()
        server.server_close()


def _run(driver: Any, server: Any, tmp_path: Path, shots: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    # a URL carrying settings, in TensorFlow Playground's keys and glassnet's own
    driver.get(server.url + "#dataset=spiral&classes=3&networkShape=12,12,2"
               "&activations=relu,tanh,tanh&x=true&y=true&sinX=true&sinY=true&optimizer=adam"
               "&learningRate=0.01&batchSize=10&noise=5&percTrainData=50&seed=0"
               "&showTestData=true&discretize=false")
    _wait(driver, lambda d: _frame(d, "PG.frame.boundary !== undefined"), "the first frame")
    assert Select(driver.find_element("id", "dataset")).first_selected_option \
        .get_attribute("value") == "spiral"
    assert _frame(driver, "PG.frame.settings.networkShape") == [12, 12, 2]
    assert driver.find_element("id", "feature-sinX").is_selected()

    play = driver.find_element("id", "play")
    assert "play" in play.get_attribute("title")
    play.click()
    _wait(driver, lambda d: _number(d, "test-loss") < 0.2, "test loss below 0.2")
    driver.save_screenshot(str(shots / "playground-training.png"))

    # TensorFlow Playground's display keys: drawn by the page, kept in the URL
    driver.find_element("id", "discretize").click()
    _wait(driver, lambda d: "discretize=true" in d.current_url, "discretize in the URL")
    driver.find_element("id", "discretize").click()

    # change the second layer's activation
    Select(driver.find_element("id", "activation-1")).select_by_value("relu")
    _wait(driver, lambda d: _frame(d, "PG.frame.settings.activations[1] === 'relu'"),
          "the relu network")
    assert "activations=relu%2Crelu%2Ctanh" in driver.current_url

    # add two points by clicking, remove one by shift-clicking
    n0 = _frame(driver, "PG.frame.points.xy.length")
    _click_data(driver, 1.0, -1.0)
    _click_data(driver, -1.2, 1.1)
    _wait(driver, lambda d: _frame(d, "PG.frame.points.xy.length") == n0 + 2, "two added points")
    _click_data(driver, -1.2, 1.1, shift=True)
    _wait(driver, lambda d: _frame(d, "PG.frame.points.xy.length") == n0 + 1, "a removed point")

    # backprop mode on a data point: the loss before the step and numbers on the neurons
    driver.find_element("id", "play").click()  # pause
    _wait(driver, lambda d: _frame(d, "!PG.frame.running"), "pause")
    epoch = _frame(driver, "PG.frame.epoch")
    driver.find_element("id", "step").click()
    _wait(driver, lambda d: _frame(d, "PG.frame.epoch") == epoch + 1, "one step")
    Select(driver.find_element("id", "warp-layer")).select_by_value("2")
    _wait(driver, lambda d: _frame(d, "PG.frame.warp.how") == "2 units", "the warp of layer 3")
    driver.find_element("id", "backprop").click()
    x, y = _frame(driver, "PG.frame.points.xy[0]")
    _click_data(driver, x, y)
    _wait(driver, lambda d: d.find_elements("id", "trace-loss-before"), "the trace")
    loss_before = _number(driver, "trace-loss-before")
    assert math.isfinite(loss_before) and loss_before >= 0
    delta = driver.find_element("id", "trace-num-1-0").text  # δ on every neuron
    assert delta.startswith("δ ") and math.isfinite(float(delta.split()[1]))
    assert "z " in driver.find_element("id", "trace-num-3-0").text  # roomy: z, a and δ
    ActionChains(driver).move_to_element(driver.find_element("id", "neuron-1-0")).perform()
    tip = driver.find_element("id", "tooltip").text
    assert "z = Σ w·a + b" in tip and "δ" in tip
    driver.save_screenshot(str(shots / "playground-backprop.png"))

    # export the model and load it with glassnet.io.load
    href = driver.find_element("id", "export-safetensors").get_attribute("href")
    path = tmp_path / "exported.safetensors"
    with urllib.request.urlopen(href, timeout=60) as response:
        path.write_bytes(response.read())
    net = io.load(path)
    assert net.n_in == 4 and net.n_out == 3
    script = urllib.request.urlopen(  # noqa: S310 - a URL on 127.0.0.1
        driver.find_element("id", "export-py").get_attribute("href"), timeout=60).read()
    assert b"net.fit(" in script

    # a CSV file of points replaces the data
    csv = tmp_path / "points.csv"
    csv.write_text("x,y,label\n" + "".join(f"{i / 10 - 1},{(i % 2) - 0.5},{i % 2}\n"
                                             for i in range(20)))
    driver.find_element("id", "csv-file").send_keys(str(csv))
    _wait(driver, lambda d: _frame(d, "PG.frame.points.xy.length") == 20, "the CSV points")
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n1,2,0\n1,two,1\n")
    driver.find_element("id", "csv-file").send_keys(str(bad))
    _wait(driver, lambda d: "line 3" in d.find_element("id", "banner").text, "the CSV error")

    # the digits tab: load a model, draw a digit, read the prediction
    driver.find_element("id", "tab-digits").click()
    driver.find_element("id", "digits-load").send_keys(str(_digits_model(tmp_path)))
    _wait(driver, lambda d: "ready" in d.find_element("id", "digits-status").text,
          "the loaded model")
    canvas = driver.find_element("id", "draw")
    (ActionChains(driver).move_to_element_with_offset(canvas, 0, -90).click_and_hold()
     .move_by_offset(0, 60).move_by_offset(0, 60).move_by_offset(0, 60).release().perform())
    _wait(driver, lambda d: d.find_element("id", "digit-prediction").text.isdigit(),
          "a prediction")
    probs = [float(row.text.split()[1]) for row in
             driver.find_elements("css selector", "#digit-probs .prob")]
    assert len(probs) == 10 and abs(sum(probs) - 1) < 0.01
    assert int(driver.find_element("id", "digit-prediction").text) == int(np.argmax(probs))
    driver.save_screenshot(str(shots / "playground-digits.png"))

    expected = "/csv - Failed to load resource: the server responded with a status of 400"
    errors = [entry for entry in driver.get_log("browser")  # the bad CSV's 400 was asked for
              if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
              and expected not in entry["message"]]
    assert not errors, json.dumps(errors, indent=1)
    for name in ("playground-training.png", "playground-backprop.png", "playground-digits.png"):
        assert (shots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # saved as PNG
