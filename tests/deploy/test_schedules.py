"""The schedule files run the sweep: the systemd units pass ``systemd-analyze verify``, the crontab line's
schedule and shell are valid, the GitHub Actions workflow parses with a valid ``schedule:``, and all three run
the same command on a config file that validates."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from croniter import croniter

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMMAND = "python -m search sweep --config sweeps/nightly.toml"


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing, but CI must verify the systemd units")
        pytest.skip("systemd-analyze is not installed")
    units = [shutil.copy(p, tmp_path) for p in sorted((DEPLOY / "systemd").iterdir())]
    done = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines() if "activation-search" in line]
    assert done.returncode == 0 and not problems, done.stderr
    service = (DEPLOY / "systemd" / "activation-search-sweep.service").read_text()
    assert COMMAND.replace("python", ".venv/bin/python") in service and "Type=oneshot" in service


def test_the_crontab_line_has_a_valid_schedule_and_shell_command() -> None:
    lines = [ln for ln in (DEPLOY / "cron" / "activation-search.crontab").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]  # fmt: skip
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    schedule, command = " ".join(fields[:5]), fields[5]
    assert croniter.is_valid(schedule), schedule
    assert subprocess.run(["sh", "-n", "-c", command], timeout=10).returncode == 0  # the shell parses it
    assert COMMAND.replace("python", ".venv/bin/python") in command
    # Without an environment file (none is needed for the default SQLite storage) it still reaches the sweep.
    dry = command.replace("cd /opt/activation-search", "cd /").split("exec ")[0] + "echo reached"
    assert subprocess.run(["sh", "-c", dry], capture_output=True, text=True, timeout=10).stdout.strip() == "reached"


def test_the_workflow_parses_and_runs_the_sweep_on_a_schedule() -> None:
    workflow = yaml.safe_load((DEPLOY / "github-actions" / "nightly-sweep.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    (entry,) = triggers["schedule"]
    assert croniter.is_valid(entry["cron"]) and "workflow_dispatch" in triggers
    steps = workflow["jobs"]["sweep"]["steps"]
    assert any(COMMAND.replace("python", ".venv/bin/python") in step.get("run", "") for step in steps)


def test_the_scheduled_config_validates() -> None:
    done = subprocess.run(["python3", "-m", "search", "sweep", "--config", "sweeps/nightly.toml", "--check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert done.returncode == 0 and "valid; 3 dataset(s)" in done.stdout, done.stderr
