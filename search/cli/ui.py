"""``python -m search ui``: the MLflow UI on this project's store, bound to 127.0.0.1 unless told otherwise,
with the address of the latest study's verdict view printed once the server answers."""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from search.cli._args import HelpFormatter, url
from search.errors import RunError, UsageError
from search.locations import redact_url, sqlite_file

READY_TIMEOUT_S = 120.0


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "ui",
        help="open the runs in the MLflow UI (bound to 127.0.0.1; prints the latest study's verdict view)",
        description="Start MLflow's own UI on this project's MLflow store and print its address, and the address "
        "of the latest study's verdict view (the runs table in model-training mode, one column per family). "
        "Stop it with Ctrl-C.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--tracking-uri", type=url, default=None,
                   help="the MLflow store to show (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db here, "
                        "where `search run` logs by default)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to bind; anything but a loopback address lets others on the network read and "
                        "change the runs (MLflow's UI has no login)")
    p.add_argument("--port", type=_port, default=5000, help="port to listen on")
    p.set_defaults(handler=handle)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}")
    return port


def store_uri(explicit: str | None) -> str:
    """``--tracking-uri``, else ``MLFLOW_TRACKING_URI``, else the store ``search run`` writes here by default;
    a SQLite file that is not there, or a tracking server (which serves its own UI), is a :class:`UsageError`."""
    uri = explicit or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / 'mlflow.db'}"
    if uri.startswith(("http://", "https://")):
        raise UsageError(f"{redact_url(uri)} is a tracking server: it serves its own UI, open it in a browser.")
    path = sqlite_file(uri)
    if path is not None and not Path(path).is_file():
        raise UsageError(f"No MLflow store at {path}: run `python -m search run` here first, or pass --tracking-uri.")
    return uri


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"Cannot listen on {host}:{port} ({exc.strerror or exc}); pass another --port.") from None


def handle(args: argparse.Namespace) -> int:
    uri = store_uri(args.tracking_uri)
    if not is_loopback(args.host):
        print(f"warning: --host {args.host} is not a loopback address: anyone who can reach this machine on port "
              f"{args.port} can read and change these runs (MLflow's UI has no login).", file=sys.stderr)
    check_port_free(args.host, args.port)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    base = f"http://{f'[{shown}]' if ':' in shown else shown}:{args.port}/"
    argv, env = server_command(uri, args.host, args.port)
    server = subprocess.Popen(argv, env={**os.environ, **env})
    try:
        wait_until_ready(server, base)
        print(f"MLflow UI on {redact_url(uri)}: {base}", flush=True)
        from search.stages import latest_study_link

        latest = latest_study_link(uri, base)
        print(latest or "No study logged in this store yet.", flush=True)
        print("Stop it with Ctrl-C.", flush=True)
        return server.wait()
    finally:
        stop(server)


def server_command(uri: str, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """MLflow's UI, one worker and no job runner (≈ 500 MB instead of ≈ 2.8 GB); the store travels in the
    environment, not on the command line, where ``ps`` would show its password to every user."""
    argv = [sys.executable, "-m", "mlflow", "ui", "--host", host, "--port", str(port), "--workers", "1",
            "--uvicorn-opts", "--log-level warning"]
    return argv, {"MLFLOW_BACKEND_STORE_URI": uri, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
                  "PYTHONWARNINGS": "ignore::DeprecationWarning"}  # its libraries' deprecations are not the user's


def wait_until_ready(server: subprocess.Popen[bytes], base: str, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RunError(f"the MLflow UI exited with code {server.returncode} before it answered (see above).")
        try:
            with urllib.request.urlopen(base + "health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RunError(f"the MLflow UI did not answer at {base} within {timeout:.0f} s.")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
