"""A file too large for the available memory is refused before it is read; corrupt files are reported."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainers
from tests.trainers.conftest import shared_dataset
from trainers import DataError, _memory
from trainers._memory import BYTES_PER_CELL, estimate_bytes, format_bytes


def load_error(path: Path) -> str:
    with pytest.raises(DataError) as info:
        trainers.load_dataset(str(path))
    message = str(info.value)
    assert "\n" not in message and message
    return message


@pytest.fixture
def small_machine(monkeypatch: pytest.MonkeyPatch) -> int:
    available = 1_000_000
    monkeypatch.setattr(_memory, "available_memory", lambda: available)
    return available


def csv_text(rows: int = 2_000, columns: int = 10) -> str:
    body = "".join(
        ",".join(f"{(r * c) % 97 / 7:.4f}" for c in range(columns)) + f",{r % 2}\n" for r in range(rows)
    )
    return ",".join(f"f{c}" for c in range(columns)) + ",label\n" + body


def test_text_estimate_counts_cells(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(csv_text())
    estimate = estimate_bytes(path, ".csv", False)
    assert estimate == pytest.approx(2_001 * 11 * BYTES_PER_CELL, rel=0.02)


def test_gzip_estimate_reads_the_isize_trailer(tmp_path: Path) -> None:
    text = csv_text()
    plain, packed = tmp_path / "t.csv", tmp_path / "t.csv.gz"
    plain.write_text(text)
    with gzip.open(packed, "wt") as handle:
        handle.write(text)
    assert packed.stat().st_size < plain.stat().st_size / 2
    assert estimate_bytes(packed, ".csv", True) == estimate_bytes(plain, ".csv", False)
    not_gzip = tmp_path / "bad.csv.gz"
    not_gzip.write_text(text)
    assert estimate_bytes(not_gzip, ".csv", True) is None  # the loader reports it instead


def test_gzip_trailer_of_tiny_and_of_huge_files(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.csv.gz"
    with gzip.open(tiny, "wt") as handle:
        handle.write("0.0,0\n0.0,0\n")  # the gzip file is larger than its content
    assert tiny.stat().st_size > 12 and estimate_bytes(tiny, ".csv", True) == 4 * BYTES_PER_CELL  # 4 cells
    # An ISIZE far below the compressed size wrapped around 4 GiB.
    wrapped = tmp_path / "wrapped.csv.gz"
    rng = np.random.default_rng(0)
    with gzip.open(wrapped, "wt") as handle:
        handle.write("".join(f"{v:.9f},{v:.9f}\n" for v in rng.random(20_000)))
    data = bytearray(wrapped.read_bytes())
    data[-4:] = (1_000).to_bytes(4, "little")
    wrapped.write_bytes(bytes(data))
    estimate = estimate_bytes(wrapped, ".csv", True)
    assert estimate is not None and estimate > (2**32 + 1_000) * 2 / 24 * BYTES_PER_CELL * 0.9


def test_npz_estimate_reads_only_the_headers(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    np.savez_compressed(path, x_train=np.zeros((500, 8, 8), np.uint8), y_train=np.zeros(500, np.int64))
    assert estimate_bytes(path, ".npz", False) == 500 * 64 * (1 + 4) + 500 * 8  # raw + float32 features
    mnist = shared_dataset("mnist/mnist.npz")
    assert estimate_bytes(mnist, ".npz", False) == 70_000 * 784 * 5 + 70_000


def test_parquet_estimate_from_metadata(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": np.arange(300.0), "b": np.arange(300), "label": np.arange(300) % 2}).to_parquet(path)
    assert estimate_bytes(path, ".parquet", False) == 300 * 3 * BYTES_PER_CELL


def test_too_large_csv_is_refused_before_reading(tmp_path: Path, small_machine: int) -> None:
    path = tmp_path / "big.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(csv_text(rows=10_000))
    need = estimate_bytes(path.resolve(), ".csv", True)
    assert need is not None and need > small_machine
    assert load_error(path) == (
        f"{path.resolve()} needs about {format_bytes(need)} in memory but only 976.6 KiB is available; "
        "free some memory, or load a smaller sample of the data."
    )


def test_too_large_npz_is_refused(small_machine: int, monkeypatch: pytest.MonkeyPatch) -> None:
    path = shared_dataset("mnist/mnist.npz")
    monkeypatch.setattr(_memory, "available_memory", lambda: 100 * 2**20)
    assert load_error(path) == (
        f"{path.resolve()} needs about 261.8 MiB in memory but only 100.0 MiB is available; "
        "free some memory, or load a smaller sample of the data."
    )


def test_small_file_loads_on_a_small_machine(tmp_path: Path, small_machine: int) -> None:
    path = tmp_path / "t.csv"
    path.write_text(csv_text(rows=50))
    assert trainers.load_dataset(str(path)).x.shape == (50, 10)


def test_unknown_available_memory_never_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_memory, "available_memory", lambda: None)
    path = tmp_path / "t.csv"
    path.write_text(csv_text(rows=50))
    assert len(trainers.load_dataset(str(path)).y) == 50


def test_available_memory_here() -> None:
    available = _memory.available_memory()
    assert available is not None and available > 2**20


def test_format_bytes() -> None:
    assert [format_bytes(n) for n in (12, 2_048, 5 * 2**20 + 2**19, 3 * 2**30)] == [
        "12 bytes",
        "2.0 KiB",
        "5.5 MiB",
        "3.0 GiB",
    ]


# --- Corrupt files ----------------------------------------------------------------------------------------


def test_truncated_npz(tmp_path: Path) -> None:
    path = tmp_path / "cut.npz"
    np.savez(path, x=np.random.default_rng(0).normal(size=(1_000, 20)), y=np.arange(1_000) % 2)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert load_error(path) == f"Cannot read {path.resolve()} as a NumPy .npz archive: File is not a zip file"


def test_corrupt_npz_member(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    np.savez_compressed(path, x=np.random.default_rng(0).normal(size=(1_000, 20)), y=np.arange(1_000) % 2)
    with zipfile.ZipFile(path) as archive:
        start = archive.getinfo("x.npy").header_offset + 100
    data = bytearray(path.read_bytes())
    data[start : start + 400] = bytes(b ^ 0xFF for b in data[start : start + 400])
    path.write_bytes(bytes(data))
    assert load_error(path).startswith(f"Cannot read array 'x' of {path.resolve()}: ")


def test_gzip_that_is_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "fake.csv.gz"
    path.write_text("a,b\n1,2\n")
    assert load_error(path) == f"Cannot read {path.resolve()}: Not a gzipped file (b'a,')"


def test_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(csv_text(rows=3_000))
    path.write_bytes(path.read_bytes()[:-2_000])
    assert load_error(path) == (
        f"Cannot read {path.resolve()}: Compressed file ended before the end-of-stream marker was reached"
    )
