"""Real servers for the scale-out tests and benchmarks: a PostgreSQL cluster in a temporary directory and an
``mlflow server`` backed by it, both bound to 127.0.0.1 only and stopped afterwards.

PostgreSQL comes from apt (``bash .ci/install-system``); :func:`postgres_server` raises
:class:`PostgresMissing` without it (the tests turn that into a skip, or a failure under ``CI``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Postgres:
    bin: Path
    data: Path
    port: int
    user: list[str]  # command prefix that runs as the cluster's owner

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.user, str(self.bin / "pg_ctl"), "-D", str(self.data), *args], check=True,
                       capture_output=True, timeout=60)

    def start(self) -> None:
        self.pg_ctl("-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "-l",
                    str(self.data / "server.log"), "-w", "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def password_role(self, role: str, password: str, database: str) -> str:
        """A login role that must give its password (scram-sha-256 from 127.0.0.1), owning a new database;
        returns its URL, password included."""
        sql = f"CREATE ROLE {role} LOGIN PASSWORD '{password}'; CREATE DATABASE {database} OWNER {role};"
        for statement in sql.split("; "):  # on psql's stdin: a -c argument would show the password in `ps`
            subprocess.run([*self.user, str(self.bin / "psql"), "-h", str(self.data), "-p", str(self.port), "-U",
                            "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1"], input=statement.rstrip(";") + ";\n",
                           check=True, capture_output=True, text=True, timeout=60)
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        self.pg_ctl("reload")
        time.sleep(0.5)  # the postmaster re-reads pg_hba.conf on SIGHUP
        return f"postgresql://{role}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        subprocess.run([*self.user, str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                        "postgres", name], check=True, capture_output=True, timeout=60)


class PostgresMissing(RuntimeError):
    """PostgreSQL's server binaries are not installed (``bash .ci/install-system``)."""


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise PostgresMissing("PostgreSQL is not installed (bash .ci/install-system, or apt-get install postgresql)")
    # Its own directory: pytest's tmp_path lives under a 0700 folder the postgres user cannot enter.
    tmp = Path(tempfile.mkdtemp(prefix="activation-search-pg-"))
    tmp.chmod(0o755)
    data = tmp / "pgdata"
    data.mkdir()
    user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(tmp, "postgres")
        shutil.chown(data, "postgres")
        user = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
                   check=True, capture_output=True, timeout=120)
    server = Postgres(bin_dir, data, free_port(), user)
    server.start()
    try:
        yield server
    finally:
        try:
            server.pg_ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def mlflow_server(backend_store_uri: str, artifacts: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    log = open(artifacts.parent / "mlflow-server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_store_uri,
         "--artifacts-destination", str(artifacts), "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(f"mlflow server did not start: {(artifacts.parent / 'mlflow-server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
