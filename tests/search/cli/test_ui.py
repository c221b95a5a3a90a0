"""``python -m search ui``: what it refuses before starting anything (the browser test starts it for real)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from search.cli import main
from search.cli.ui import is_loopback, server_command, store_uri


def test_a_missing_store_or_a_tracking_server_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["ui"]) == 2
    assert capsys.readouterr().err == (f"error: No MLflow store at {tmp_path / 'mlflow.db'}: run `python -m search run` "
                                       "here first, or pass --tracking-uri.\n")
    assert main(["ui", "--tracking-uri", "http://user:secret@host:5000"]) == 2
    err = capsys.readouterr().err
    assert "is a tracking server" in err and "secret" not in err
    with pytest.raises(SystemExit):
        main(["ui", "--port", "70000"])
    assert "expected a port number from 1 to 65535" in capsys.readouterr().err


def test_the_store_defaults_to_the_one_search_run_writes_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mlflow.db").touch()
    assert store_uri(None) == f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "postgresql://u@db/mlflow")
    assert store_uri(None) == "postgresql://u@db/mlflow"
    assert store_uri(f"sqlite:///{tmp_path / 'mlflow.db'}") == f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_another_host_than_loopback_is_warned_about_and_a_busy_port_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mlflow.db").touch()
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["ui", "--host", "0.0.0.0", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("warning: --host 0.0.0.0 is not a loopback address: anyone who can reach this machine")
    assert f"error: Cannot listen on 0.0.0.0:{port}" in err and "pass another --port" in err


def test_the_store_reaches_mlflow_through_the_environment_not_the_command_line() -> None:
    uri = "postgresql://mlflow:s3cret@db.internal/mlflow"
    argv, env = server_command(uri, "127.0.0.1", 5055)
    assert not any("s3cret" in part for part in argv)  # `ps` shows argv to every user of the machine
    assert env["MLFLOW_BACKEND_STORE_URI"] == uri and env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert argv[1:4] == ["-m", "mlflow", "ui"] and argv[argv.index("--port") + 1] == "5055"
