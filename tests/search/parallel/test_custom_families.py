"""Users' own families in worker processes: a plugin file and an expression searched with ``--workers 2``,
a worker whose plugin code differs refused, and bad plugins or expressions refused before anything exists."""

from __future__ import annotations

import shutil
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.search.cli.test_cli import stores
from tests.search.parallel.test_workers import start_cli

PLUGIN = Path(__file__).resolve().parents[2] / "spaces" / "custom" / "example_plugin.py"


@pytest.mark.slow
def test_a_plugin_family_and_an_expression_run_in_two_worker_processes_and_other_plugin_code_is_refused(
    tmp_path: Path,
) -> None:
    shutil.copy(PLUGIN, tmp_path / "my_acts.py")
    args = ("run", "--dataset", "iris", "--families", "relu,scaled_tanh,sine,leak", "--plugins", "my_acts.py",
            "--activation", "leak=maximum(a * x, x); a in [0.01, 0.3] log", "--trials", "2", "--epochs", "2",
            "--seeds", "0", "--workers", "2", "--study", "mine")  # fmt: skip
    proc = start_cli(tmp_path, *args)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    storage, _ = stores(tmp_path)
    study = optuna.load_study(study_name="mine", storage=storage)
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert sorted(t.user_attrs["family"] for t in done) == sorted(["relu", "scaled_tanh", "sine", "leak"] * 2)
    workers = {t.user_attrs["worker"].split(":")[1] for t in done}
    assert len(workers) == 2 and str(proc.pid) not in workers  # the plugin was loaded in each worker process
    assert {"leak.a", "scaled_tanh.k"} <= {k for t in done for k in t.params}
    spec = study.user_attrs["spec"]
    assert spec["plugins"] == ["my_acts.py"] and list(spec["plugin_digests"]) == ["my_acts.py"]
    assert spec["activations"] == ["leak=maximum(a * x, x); a in [0.01, 0.3] log"]

    source = (tmp_path / "my_acts.py").read_text()
    (tmp_path / "my_acts.py").write_text(source.replace("ops.tanh(x) * k", "ops.tanh(x) * k * 1.01"))
    worker = start_cli(tmp_path, "worker", "--study", "mine")
    out, err = worker.communicate(timeout=300)
    assert worker.returncode == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: Plugin 'my_acts.py' on this machine (code ") and "would not be comparable" in last


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--activation", "evil=__import__('os').system('touch pwned')"), "error: --activation evil: Attribute access"),
        (("--activation", "noequals"), "error: --activation needs NAME=EXPR"),
        (("--activation", "relu=maximum(0.0, x)"), "error: --activation relu: Activation family name 'relu' is"),
        (("--plugins", "./absent.py"), "error: Plugin file './absent.py' is not found"),
        (("--families", "relu,unregistered_one"), "error: Unknown activation family 'unregistered_one'"),
    ],
)
def test_bad_plugins_and_expressions_exit_2_in_one_line_and_write_nothing(tmp_path: Path, args, says) -> None:
    proc = start_cli(tmp_path, "run", "--dataset", "iris", "--trials", "1", "--epochs", "1", *args)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err[-2000:]
    lines = [line for line in err.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(says), err[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == []
