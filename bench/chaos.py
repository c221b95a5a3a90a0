"""Reliability under chaos: ``python -m bench.chaos [--rounds 20] [--storages postgresql sqlite]``.

Each round is a fresh study: ``search run`` with 3 workers (iris, a small MLP, no pruning, heartbeat 1 s, grace
5 s), its storage URL only in the environment (on PostgreSQL a role with a password). Once trials run, one
fault drawn at random strikes at a random moment: SIGKILL of a worker, SIGKILL of the coordinator itself, or
(PostgreSQL) the database stopped for 2–8 s. Then the same command again, until it exits 0 (3 tries at most).
After each round the invariants are checked, and every breach is counted as a violation:

- every family has exactly the study's target of finished trials, and none is RUNNING or WAITING;
- no trial ran twice except as a recorded retry (at most one retry per failed trial, one MLflow run per trial);
- no MLflow run of the study is RUNNING;
- no process of the run is left alive;
- the password is in no command line (sampled while the round runs), no output and not in the MLflow store.

The table gives, per storage, the rounds, the faults of each kind, the violations (goal: 0) and the slowest and
median recovery (fault to the end of the run that completed the budget).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench._common import ROOT, write_results

PASSWORD = "Ch4os/pw9x"
FAULTS = {"postgresql": ("worker", "coordinator", "database"), "sqlite": ("worker", "coordinator")}
FAMILIES = ("relu", "tanh", "sigmoid")


def processes(study: str) -> list[tuple[int, bytes]]:
    """(pid, command line) of every live process whose command line names ``study`` (zombies left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes()
            state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if study.encode() in argv.split(b"\0") and "Z" not in state.split()[1]:
            found.append((int(entry.name), argv))
    return found


def all_command_lines() -> list[bytes]:
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes())
            except OSError:
                pass
    return lines


class Round:
    """One round: the run, one fault, re-runs until the budget is met, then the invariants."""

    def __init__(self, name: str, storage: str, tracking: str, folder: Path, rng: random.Random,
                 args: argparse.Namespace) -> None:
        self.name, self.storage, self.tracking, self.folder, self.rng = name, storage, tracking, folder, rng
        self.argv = [sys.executable, "-m", "search", "run", "--dataset", "iris", "--families", ",".join(FAMILIES),
                     "--trials", str(args.trials), "--epochs", str(args.epochs), "--seeds", "0", "--pruner", "none",
                     "--workers", "3", "--heartbeat", "1", "--grace", "5", "--study", name, "--tracking-uri", tracking]
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
                    "ACTIVATION_SEARCH_STORAGE": storage, "ACTIVATION_SEARCH_DB_RETRY_SECONDS": "30"}
        self.violations: list[str] = []
        self.leaks = 0
        self.outputs: list[Path] = []

    def start(self) -> subprocess.Popen[bytes]:
        out = self.folder / f"{self.name}-{len(self.outputs)}.log"
        self.outputs.append(out)
        with open(out, "wb") as log:
            return subprocess.Popen(self.argv, cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def watch(self, proc: subprocess.Popen[bytes], until: Any, timeout: float = 600) -> bool:
        """Poll until ``until()`` or the process ends, sampling every command line for the password."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.leaks += sum(PASSWORD.encode() in line for line in all_command_lines())
            if until() or proc.poll() is not None:
                return until()
            time.sleep(0.3)
        return False

    def until_done(self, proc: subprocess.Popen[bytes]) -> None:
        self.watch(proc, lambda: proc.poll() is not None)
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def trials_running(self) -> bool:
        import optuna

        try:
            study = optuna.load_study(study_name=self.name, storage=self.storage)
        except Exception:
            return False
        return any(t.user_attrs.get("worker") for t in study.get_trials(deepcopy=False, states=(
            optuna.trial.TrialState.RUNNING,)))

    def run(self, fault: str, pg: Any) -> float | None:
        """The round; returns the recovery time (fault to the end of the completing run), None if it never did."""
        proc = self.start()
        if not self.watch(proc, self.trials_running, timeout=300):
            self.violations.append("no trial started")
        time.sleep(self.rng.uniform(0.0, 3.0))
        struck = time.monotonic()
        self.strike(fault, proc, pg)
        self.until_done(proc)
        for _ in range(3):
            if proc.returncode == 0:
                return time.monotonic() - struck
            self.wait_for_survivors()
            proc = self.start()
            self.until_done(proc)
        self.violations.append(f"the run did not complete after 3 re-runs (exit {proc.returncode})")
        return None

    def strike(self, fault: str, proc: subprocess.Popen[bytes], pg: Any) -> None:
        if fault == "coordinator":
            proc.kill()
        elif fault == "worker":
            workers = [pid for pid, argv in processes(self.name) if b"worker" in argv.split(b"\0")]
            if workers:
                os.kill(self.rng.choice(workers), signal.SIGKILL)
        else:
            pg.stop()
            time.sleep(self.rng.uniform(2.0, 8.0))
            pg.start()

    def wait_for_survivors(self, timeout: float = 20.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while processes(self.name) and time.monotonic() < deadline:
            time.sleep(0.3)
        return [pid for pid, _ in processes(self.name)]

    def check(self) -> None:
        """The invariants of the module docstring; each breach is one violation."""
        import optuna
        from optuna.trial import TrialState

        study = optuna.load_study(study_name=self.name, storage=self.storage)
        trials = study.get_trials(deepcopy=False)
        target = int(study.user_attrs.get("trials_per_family", -1))
        finished = Counter(t.user_attrs.get("family") for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED))
        for family in FAMILIES:
            if finished[family] != target:
                self.violations.append(f"{family}: {finished[family]} finished trials, target {target}")
        if any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in trials):
            self.violations.append("trials left RUNNING or WAITING")
        retries = Counter(t.system_attrs["retry_history"][-1] for t in trials if t.system_attrs.get("retry_history"))
        self.violations += [f"trial {n} re-queued {c} times" for n, c in retries.items() if c > 1]
        self.check_mlflow([t.number for t in trials])
        survivors = self.wait_for_survivors()
        if survivors:
            self.violations.append(f"processes left alive: {survivors}")
        for out in self.outputs:
            if PASSWORD in out.read_text(errors="replace"):
                self.violations.append(f"password in the output {out.name}")
        if self.leaks:
            self.violations.append(f"password in {self.leaks} sampled command lines")

    def check_mlflow(self, numbers: list[int]) -> None:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(self.tracking)
        experiments = [e.experiment_id for e in client.search_experiments()]
        runs = client.search_runs(experiments, filter_string=f"tags.`optuna.study_name` = '{self.name}'",
                                  max_results=5000)
        if [r for r in runs if r.info.status == "RUNNING"]:
            self.violations.append(f"{sum(r.info.status == 'RUNNING' for r in runs)} MLflow runs left RUNNING")
        per_trial = Counter(r.data.tags.get("optuna.trial_number") for r in runs if r.data.tags.get("role") == "trial")
        self.violations += [f"trial {n} has {c} MLflow runs" for n, c in per_trial.items() if c > 1]


@contextmanager
def storage_for(kind: str, folder: Path) -> Iterator[tuple[str, Any]]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'optuna.db'}", None
        return
    from bench.servers import postgres_server

    with postgres_server() as pg:
        yield pg.password_role("chaos", PASSWORD, "optuna"), pg


def run_storage(kind: str, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    kinds = [f for f in FAULTS[kind] if f in args.faults]
    if not kinds:
        raise SystemExit(f"none of the faults {args.faults} applies to {kind}")
    folder = root / kind
    folder.mkdir()
    tracking = f"sqlite:///{folder / 'mlflow.db'}"
    rng = random.Random(f"{args.seed}-{kind}")
    faults: Counter[str] = Counter()
    recoveries: list[float] = []
    violations: list[str] = []
    with storage_for(kind, folder) as (storage, pg):
        for i in range(args.rounds):
            fault = rng.choice(kinds)
            faults[fault] += 1
            chaos = Round(f"chaos-{kind}-{i}", storage, tracking, folder, rng, args)
            recovery = chaos.run(fault, pg)
            chaos.check()
            if recovery is not None:
                recoveries.append(recovery)
            violations += [f"round {i} ({fault}): {v}" for v in chaos.violations]
            print(f"{kind} round {i}: {fault}, recovery {recovery if recovery is None else round(recovery, 1)} s, "
                  f"violations {chaos.violations or 0}", flush=True)
    if PASSWORD.encode() in (folder / "mlflow.db").read_bytes():
        violations.append("password in the MLflow store")
    return {"storage": kind, "rounds": args.rounds, "faults": dict(faults), "violations": violations,
            "slowest_recovery_s": max(recoveries, default=None),
            "median_recovery_s": statistics.median(recoveries) if recoveries else None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--storages", nargs="+", choices=sorted(FAULTS), default=["postgresql", "sqlite"])
    parser.add_argument("--trials", type=int, default=3, help="per family and run")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="seeds the faults and their moments")
    parser.add_argument("--faults", nargs="+", choices=FAULTS["postgresql"], default=list(FAULTS["postgresql"]),
                        help="the kinds of fault to draw from (the database is stopped only on PostgreSQL)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-chaos-") as tmp:
        rows = [run_storage(kind, args, Path(tmp)) for kind in args.storages]
    lines = ["| storage | rounds | faults | violations | slowest recovery (s) | median recovery (s) |",
             "|---|---:|---|---:|---:|---:|"]
    for r in rows:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(r["faults"].items()))
        slowest, median = (f"{v:.1f}" if v is not None else "—" for v in (r["slowest_recovery_s"], r["median_recovery_s"]))
        lines.append(f"| {r['storage']} | {r['rounds']} | {faults} | {len(r['violations'])} | {slowest} | {median} |")
    for r in rows:
        lines += [f"- {r['storage']}: {v}" for v in r["violations"]]
    write_results("chaos", {"args": vars(args), "rows": rows}, "\n".join(lines))


if __name__ == "__main__":
    main()
