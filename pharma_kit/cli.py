"""``pharma-kit``: the command line. ``data`` generates data, ``drill`` runs interview drills, ``progress`` shows
your exercise progress.

Bad arguments end in a one-line error and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
SAMPLE_ROWS = 50_000
SAMPLE_SEED = 42


class CliError(Exception):
    """A user error: printed as one line."""


def _int_at_least(minimum: int, words: str):
    """An argparse type: a whole number >= ``minimum`` (``_`` separators allowed), with a one-line error."""
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {words}, got {value}")
        return value
    return parse


_positive_int = _int_at_least(1, "at least 1")
_non_negative_int = _int_at_least(0, "0 or more")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dataset_files(folder: Path, fmt: str, clean: bool, stem: str = "transactions") -> list[Path]:
    """The files ``write_dataset`` writes into ``folder``, in order."""
    folder = Path(folder)
    files = [folder / f"{stem}.{fmt}", folder / "stores.csv", folder / "products.csv"]
    return files if clean else files + [folder / f"{stem}_truth.csv"]


def write_dataset(folder: Path, rows: int, seed: int, fmt: str, clean: bool, progress: bool,
                  stem: str = "transactions", force: bool = False) -> list[Path]:
    """Generate and write transactions, the store and product lookups and (with defects) the ground truth into
    the folder ``folder``. Refuses to overwrite any of those files unless ``force``."""
    from pharma_kit.data import DefectRates, generate, write_csv

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CliError(f"{folder} is a file; --out names a folder")
    existing = [p for p in dataset_files(folder, fmt, clean, stem) if p.exists()]
    if existing and not force:
        raise CliError(f"{existing[0]} exists ({len(existing)} of the files to write do); pass --force to overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    steps = ["generate", "write transactions", "write lookups"]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(steps), desc="pharma-kit data", unit="step")
    ds = generate(rows, seed, rates=DefectRates.none() if clean else None)
    if bar:
        bar.update(1)
    written = []
    target = folder / f"{stem}.{fmt}"
    if fmt == "csv":
        write_csv(ds.transactions, target, progress=progress and rows >= 2_000_000)
    else:
        ds.transactions.to_parquet(target, index=False)
    written.append(target)
    if bar:
        bar.update(1)
    for name, frame in (("stores", ds.stores), ("products", ds.products)):
        p = folder / f"{name}.csv"
        frame.to_csv(p, index=False, lineterminator="\n")
        written.append(p)
    if not clean:
        p = folder / f"{stem}_truth.csv"
        truth_long(ds).to_csv(p, index=False, lineterminator="\n")
        written.append(p)
    if bar:
        bar.update(1)
        bar.close()
    return written


def truth_long(ds) -> "pd.DataFrame":
    """Ground truth as one row per defective line: ``row`` (0-based data row), ``transaction_id``, ``defect``."""
    import numpy as np
    import pandas as pd

    row, kind = np.nonzero(ds.truth.to_numpy())
    return pd.DataFrame({"row": row, "transaction_id": ds.transactions["transaction_id"].to_numpy()[row],
                         "defect": np.asarray(ds.truth.columns)[kind]}).astype({"defect": "str"})


def build_sample(folder: Path) -> list[Path]:
    """(Re)build the shipped sample: CSV and Parquet, lookups, ground truth, checksums."""
    folder = Path(folder)
    written = write_dataset(folder, SAMPLE_ROWS, SAMPLE_SEED, "csv", clean=False, progress=False,
                            stem="transactions_sample", force=True)
    from pharma_kit.data import DefectRates, generate

    ds = generate(SAMPLE_ROWS, SAMPLE_SEED, rates=DefectRates.none())
    pq = folder / "transactions_sample_clean.parquet"
    ds.transactions.to_parquet(pq, index=False)
    written.append(pq)
    lines = [f"{sha256(p)}  {p.name}" for p in sorted(written)]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


def verify_sample(folder: Path = DATASETS) -> None:
    """Check the shipped files against SHA256SUMS and against a fresh regeneration."""
    import tempfile

    sums = Path(folder) / "SHA256SUMS"
    if not sums.exists():
        raise CliError(f"{sums} is missing; run `pharma-kit data --build-sample {folder}`")
    expected = dict(reversed(line.split("  ", 1)) for line in sums.read_text().splitlines() if line.strip())
    for name, digest in sorted(expected.items()):
        path = Path(folder) / name
        if not path.exists():
            raise CliError(f"{path}: listed in SHA256SUMS but missing")
        if sha256(path) != digest:
            raise CliError(f"{path}: checksum differs from SHA256SUMS (file changed or corrupted)")
    with tempfile.TemporaryDirectory() as tmp:
        build_sample(Path(tmp))
        fresh = dict(reversed(line.split("  ", 1)) for line in (Path(tmp) / "SHA256SUMS").read_text().splitlines())
    if fresh != expected:
        diff = sorted(k for k in set(fresh) | set(expected) if fresh.get(k) != expected.get(k))
        raise CliError(f"regenerating the sample gives different bytes for {diff}: generator or versions changed")
    print(f"datasets OK: {len(expected)} files match SHA256SUMS and a fresh regeneration")


def _data(args: argparse.Namespace) -> int:
    if args.build_sample:
        for p in build_sample(Path(args.build_sample)):
            print(p)
        return 0
    if args.verify_sample:
        verify_sample(DATASETS)
        return 0
    if args.out is None:
        raise CliError("--out FOLDER is required (the folder to write transactions, lookups and ground truth into)")
    out = Path(args.out)
    if out.suffix.lower() in (".csv", ".parquet", ".json", ".jsonl", ".txt", ".gz", ".zip") and not out.is_dir():
        raise CliError(f"--out names a folder, got the file name {out.name!r}; choose the format with --format")
    written = write_dataset(out, args.rows, args.seed, args.format, args.clean, progress=not args.quiet,
                            force=args.force)
    for p in written:
        print(p)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pharma-kit", description="Larkspur Pharmacies data-engineering course tools")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="cmd")
    d = sub.add_parser("data", help="generate transactions with injected defects and their ground truth")
    d.add_argument("--rows", type=_positive_int, default=100_000, help="transaction lines (default 100000)")
    d.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    d.add_argument("--out", metavar="FOLDER",
                   help="the folder to write into: transactions.<format>, stores.csv, products.csv and, with "
                        "defects, transactions_truth.csv (created if missing)")
    d.add_argument("--format", choices=["csv", "parquet"], default="csv")
    d.add_argument("--clean", action="store_true", help="no defects: typed, clean data")
    d.add_argument("--force", action="store_true", help="overwrite files that already exist in the folder")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.add_argument("--build-sample", metavar="FOLDER", help=argparse.SUPPRESS)
    d.add_argument("--verify-sample", action="store_true", help="check datasets/ against SHA256SUMS and a regeneration")
    d.set_defaults(func=_data)
    try:
        from pharma_kit.drills import cli as drill_cli
    except ImportError:  # pragma: no cover - the drill bank is optional while it is being built
        drill_cli = None
    if drill_cli is not None:
        dr = sub.add_parser("drill", help="timed interview drills from the terminal")
        drill_cli.add_arguments(dr)
        dr.set_defaults(func=drill_cli.run)
    pr = sub.add_parser("progress", help="your exercise progress: solved / attempted / not started, and what is next")
    pr.set_defaults(func=_progress)
    return p


def _progress(args: argparse.Namespace) -> int:
    from pharma_kit.exercises.progress import report

    print(report())
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pharma-kit")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `pharma-kit ... | head`: the reader left; stop quietly like any Unix tool
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except CliError as exc:
        print(f"pharma-kit: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"pharma-kit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("pharma-kit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "build_parser", "build_sample", "verify_sample", "write_dataset"]
