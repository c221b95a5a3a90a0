"""``python -m search ui`` end to end, in a real browser: a small finished study, the UI started by the command
itself, and MLflow 3.17's own pages opened in headless Chromium (Debian's package and its driver).

What a new user sees first must be the runs table in model-training mode with the verdict and each family's
score as columns, not MLflow's GenAI view; the nested runs and the report must be one click away."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.servers import free_port, require_chromium

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
STUDY = "ui-demo"
GENAI_FIRST_SCREEN = ("Token Usage", "Tool calls", "No data available for the selected time range")


def _env(home: Path) -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TF_CPP_MIN_LOG_LEVEL": "2",
            "HOME": str(home)}


@pytest.fixture(scope="module")
def finished_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default-store study (``mlflow.db`` and ``optuna.db`` in its folder), finished with its verdict."""
    folder = tmp_path_factory.mktemp("ui")
    done = subprocess.run(
        [sys.executable, "-m", "search", "run", "--dataset", "digits", "--families", "relu,selu", "--trials", "1",
         "--epochs", "1", "--seeds", "2", "--workers", "1", "--study", STUDY],
        cwd=folder, env=_env(folder), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Review it: python -m search ui   then open http://127.0.0.1:5000/#/experiments/" in done.stdout
    return folder


@pytest.fixture(scope="module")
def ui(finished_study: Path) -> Iterator[str]:
    """``python -m search ui`` on the study's folder; yields the verdict view's address it printed."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "search", "ui", "--port", str(port)], cwd=finished_study,
                              env=_env(finished_study), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = None
        deadline = time.monotonic() + 180
        assert server.stdout is not None
        while address is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                pytest.fail(f"search ui exited ({server.poll()}) before it printed the study's address")
            found = re.search(rf"Latest study '{STUDY}': (http://127\.0\.0\.1:{port}/\S+)", line)
            address = found.group(1) if found else None
        assert address is not None, "search ui printed no address within 180 s"
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium, driver = require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


def _wait_for_text(browser: object, *texts: str, timeout: float = 60.0) -> str:
    from selenium.webdriver.common.by import By

    deadline, body = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        body = browser.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
        if all(t in body for t in texts):
            return body
        time.sleep(0.5)
    missing = [t for t in texts if t not in body]
    pytest.fail(f"the page never showed {missing}; it showed: {body[:1500]!r}")


def test_the_first_screen_is_the_verdict_view_and_the_nested_runs_and_report_are_one_click_away(
    finished_study: Path, ui: str, browser: object
) -> None:
    from selenium.webdriver.common.by import By

    shots = Path(os.environ.get("UI_SCREENSHOTS", finished_study / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(f"sqlite:///{finished_study / 'mlflow.db'}")
    (parent,) = client.search_runs([client.get_experiment_by_name("activation-search/digits").experiment_id],
                                   filter_string="tags.role = 'study'")

    browser.get(ui)  # type: ignore[attr-defined]
    first = _wait_for_text(browser, f"{STUDY} · digits:", "verdict", "test.relu", "test.selu", "Model training")
    browser.save_screenshot(str(shots / "first_screen.png"))  # type: ignore[attr-defined]
    assert not any(genai in first for genai in GENAI_FIRST_SCREEN), first[:1500]
    assert parent.data.tags["verdict"] in first  # the one-line verdict is a column of the parent's row

    # The parent row's expander shows the runs nested under it: the trials and the evaluation runs.
    expander = browser.find_element(  # type: ignore[attr-defined]
        By.CSS_SELECTOR, "[role=row] button[data-component-id*='runnamecellrenderer']")
    expander.click()
    _wait_for_text(browser, "trial-0000", "relu tuned: test accuracy", "selu tuned: test accuracy")
    browser.save_screenshot(str(shots / "nested_runs.png"))  # type: ignore[attr-defined]

    # The parent's page: its description carries the verdict; its artifacts hold the report.
    base = ui.split("#", 1)[0]
    experiment = parent.info.experiment_id
    browser.get(f"{base}#/experiments/{experiment}/runs/{parent.info.run_id}?workflowType=machine_learning")  # type: ignore[attr-defined]
    _wait_for_text(browser, "Géron's chain", "versions.tensorflow")
    browser.get(f"{base}#/experiments/{experiment}/runs/{parent.info.run_id}/artifacts/report.md"  # type: ignore[attr-defined]
                "?workflowType=machine_learning")
    _wait_for_text(browser, "report.md", "plots", "summary.md", "Activation verdict: digits")
    browser.save_screenshot(str(shots / "report_artifact.png"))  # type: ignore[attr-defined]
    print(f"screenshots in {shots}")
