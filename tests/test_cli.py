"""`pharma-kit data`: writes data with ground truth; bad arguments get a one-line error, not a traceback."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from pharma_kit.cli import main, truth_long
from pharma_kit.data import generate


def test_data_command_writes_csv_lookups_and_truth(tmp_path, capsys):
    assert main(["data", "--rows", "2000", "--seed", "3", "--out", str(tmp_path), "--quiet"]) == 0
    tx = pd.read_csv(tmp_path / "transactions.csv", dtype="str")
    truth = pd.read_csv(tmp_path / "transactions_truth.csv")
    assert len(tx) == 2000 and set(truth.columns) == {"row", "transaction_id", "defect"}
    assert (tmp_path / "stores.csv").exists() and (tmp_path / "products.csv").exists()
    ds = generate(2000, 3)
    assert len(truth) == int(ds.truth.sum().sum())
    out = tmp_path / "clean"
    assert main(["data", "--rows", "500", "--out", str(out), "--format", "parquet", "--clean", "--quiet"]) == 0
    assert str(pd.read_parquet(out / "transactions.parquet")["order_date"].dtype).startswith("datetime64")
    assert sorted(p.name for p in out.iterdir()) == ["products.csv", "stores.csv", "transactions.parquet"]


def test_existing_files_in_the_folder_need_force(tmp_path, capsys):
    target = tmp_path / "transactions.csv"
    target.write_text("keep me")
    assert main(["data", "--rows", "10", "--out", str(tmp_path), "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err and target.read_text() == "keep me"
    assert not (tmp_path / "stores.csv").exists()                    # nothing half-written either
    assert main(["data", "--rows", "10", "--out", str(tmp_path), "--quiet", "--force"]) == 0
    assert target.read_text() != "keep me"


@pytest.mark.parametrize("name", ["x.csv", "f.json", "t.parquet"])
def test_out_is_a_folder_not_a_file_name(tmp_path, capsys, name):
    assert main(["data", "--rows", "10", "--out", str(tmp_path / name), "--quiet"]) == 2
    assert "names a folder" in capsys.readouterr().err and not (tmp_path / name).exists()


def test_no_command_prints_help_and_version_exists(capsys):
    assert main([]) == 0
    assert "usage: pharma-kit" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("pharma-kit ")


def test_a_closed_pipe_is_not_an_error():
    proc = subprocess.run(f"{sys.executable} -m pharma_kit.cli --help | head -1", shell=True, capture_output=True,
                          text=True)
    assert proc.stdout.startswith("usage") and "Error" not in proc.stderr
    proc = subprocess.run(f"{sys.executable} -m pharma_kit.cli drill --list | head -2", shell=True,
                          capture_output=True, text=True)
    assert "BrokenPipe" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, fragment", [
    (["data", "--rows", "abc"], "expected a whole number"),
    (["data", "--rows", "0"], "must be at least 1"),
    (["data", "--seed", "-3", "--out", "x"], "must be 0 or more"),
    (["data", "--rows", "10"], "--out FOLDER is required"),
    (["data", "--format", "xlsx"], "invalid choice"),
])
def test_bad_arguments_get_one_line_errors(args, fragment):
    proc = subprocess.run([sys.executable, "-m", "pharma_kit.cli", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    assert fragment in proc.stderr and "Traceback" not in proc.stderr


def test_progress_bar_on_stderr(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pharma_kit.cli", "data", "--rows", "100", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "pharma-kit data" in proc.stderr


def test_truth_long_matches_truth_table():
    ds = generate(3000, 1)
    long = truth_long(ds)
    assert len(long) == int(ds.truth.to_numpy().sum())
    assert (ds.truth.to_numpy()[long["row"], ds.truth.columns.get_indexer(long["defect"])]).all()


def test_shipped_sample_verifies(capsys):
    assert main(["data", "--verify-sample"]) == 0
    assert "datasets OK" in capsys.readouterr().out


def test_tampered_sample_is_caught(tmp_path, capsys, monkeypatch):
    import shutil

    from pharma_kit import cli

    for p in cli.DATASETS.iterdir():
        if p.is_file():
            shutil.copy(p, tmp_path / p.name)
    with open(tmp_path / "stores.csv", "a") as fh:
        fh.write("99,x,y,z,2020-01-01\n")
    with pytest.raises(cli.CliError, match="stores.csv: checksum differs"):
        cli.verify_sample(tmp_path)
    (tmp_path / "SHA256SUMS").unlink()
    with pytest.raises(cli.CliError, match="missing"):
        cli.verify_sample(tmp_path)
