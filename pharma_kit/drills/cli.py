"""``pharma-kit drill``: the terminal drill mode (stub file, wait for Enter, check, hints on request).

The lead's ``pharma_kit/cli.py`` calls :func:`add_arguments` and :func:`run`; ``python -m pharma_kit.drills``
calls :func:`main`. Every interactive step has a non-interactive twin for scripts and tests:
``--list``, ``--show ID``, ``--stub ID``, ``--check FILE``, ``--hint N --id ID``, ``--solution ID``, ``--progress``.
Exit codes: 0 success/correct, 1 incorrect or not attempted, 2 bad usage or unreadable file.
"""
from __future__ import annotations

import argparse
import re
import runpy
import sys
import time
from pathlib import Path
from typing import Callable

from pharma_kit.drills import bank, mode
from pharma_kit.drills.model import Drill
from pharma_kit.errors import ConfigError
from pharma_kit.exercises.core import CheckResult

HEADER = re.compile(r"^(?:#|--)\s*pharma-kit drill:\s*(\S+)", re.MULTILINE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``drill`` subcommand."""
    parser.add_argument("--topic", help=f"topic filter (substring), one of: {', '.join(bank.TOPICS)}")
    parser.add_argument("--level", type=int, choices=[1, 2, 3], help="1 warm-up, 2 core, 3 stretch")
    parser.add_argument("--kind", choices=["drill", "review"], help="only drills or only code reviews")
    parser.add_argument("--seed", type=int, help="seed for picking (same seed + same progress = same drill)")
    parser.add_argument("--id", dest="drill_id", help="a specific drill id (see --list)")
    parser.add_argument("--dir", default=".", help="where the interactive mode writes the stub (default: .)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="list the drills and your progress")
    what.add_argument("--progress", action="store_true", help="summary of what is done")
    what.add_argument("--show", metavar="ID", help="print a drill's prompt and example")
    what.add_argument("--stub", metavar="ID", help="write a stub file for a drill and exit")
    what.add_argument("--check", metavar="FILE", help="check a solution file (.py function, or .sql query)")
    what.add_argument("--hint", metavar="N", type=int, help="print hint N of --id ID")
    what.add_argument("--solution", metavar="ID", help="print the reference, SQL twin and interviewer notes")
    parser.add_argument("--out", help="file for --stub (default: drill_<id>.py in --dir; a .sql name writes a SQL stub)")


def _drill(drill_id: str) -> Drill:
    try:
        return bank.get(drill_id)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0])) from None


def _stub_path(drill: Drill, directory: str, out: str | None) -> Path:
    return Path(out) if out else Path(directory) / f"drill_{drill.id.replace('-', '_')}.py"


def sql_stub(drill: Drill) -> str:
    """A .sql stub: the header, the prompt as comments, the tables and parameters available."""
    if drill.sql is None:
        raise ConfigError(f"{drill.id} has no SQL twin; answer it in Python")
    case = drill.example()
    tables = ", ".join(k for k, v in case.items() if hasattr(v, "columns")) or "raw (one JSON text column payload)"
    params = ", ".join(f"${k}" for k, v in case.items() if not hasattr(v, "columns") and k != "records")
    lines = [f"-- pharma-kit drill: {drill.id}", f"-- {drill.title}",
             *("-- " + line for line in drill.question.prompt.split(". ")),
             f"-- tables: {tables}" + (f"; parameters: {params}" if params else ""), "SELECT 1;", ""]
    return "\n".join(lines)


def ensure_stub(drill: Drill, path: Path) -> tuple[Path, bool]:
    """Write the stub (.sql for a SQL answer) unless the learner has edited the file; say whether it is fresh."""
    text = sql_stub(drill) if path.suffix.lower() == ".sql" else drill.stub()
    if path.exists() and path.read_text(encoding="utf-8") != text:
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path, True


def write_stub(drill: Drill, path: Path) -> Path:
    """Write the stub (.sql for a SQL answer); never overwrite a file the learner has edited."""
    path, fresh = ensure_stub(drill, path)
    if not fresh:
        print(f"{path} already exists; keeping your version")
    return path


def _untouched(result: CheckResult, path: Path) -> CheckResult:
    """The terminal's wording for a stub nobody has filled in yet (no notebook 'check()' to run again)."""
    return CheckResult(result.question, "not attempted",
                       f"{path} still holds the stub: write your answer there and save, then press Enter in drill "
                       f"mode (or run: pharma-kit drill --check {path})")


def _is_sql_stub(query: str) -> bool:
    """The .sql stub's placeholder (or nothing at all) is not an attempt."""
    body = " ".join(query.split()).rstrip(";").strip().upper()
    return body in ("", "SELECT 1")


def _drill_for_file(path: Path, drill_id: str | None) -> Drill:
    if drill_id:
        return _drill(drill_id)
    m = HEADER.search(path.read_text(encoding="utf-8"))
    if not m:
        raise ConfigError(f"{path}: no '# pharma-kit drill: <id>' header line; pass --id")
    return _drill(m.group(1))


def check_file(path: Path, drill_id: str | None = None, seed: int | None = None,
               seconds: float | None = None) -> int:
    """Check a .py (function named like the drill's) or .sql file (the query, checked like the SQL twin)."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    drill = _drill_for_file(path, drill_id)
    if path.suffix.lower() == ".sql":
        query = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                          if not line.lstrip().startswith("--"))
        if drill.sql is None:
            raise ConfigError(f"{drill.id} has no SQL twin; answer it in Python")
        if _is_sql_stub(query):
            print(_untouched(CheckResult(drill.id, "not attempted", ""), path))
            return 1
        result = drill.check_sql(query, seed=seed)
        print(result)
        mode.record(drill.id, sql_solved=result.passed)
        return 0 if result.passed else 1
    try:
        namespace = runpy.run_path(str(path))
    except SyntaxError as exc:
        print(f"💥 {path}, line {exc.lineno}: SyntaxError: {exc.msg}")
        return 2
    except Exception as exc:  # the learner's module failed at import time
        print(f"💥 {path}: importing it raised {type(exc).__name__}: {exc}")
        return 2
    fn = namespace.get(drill.func_name)
    if not callable(fn):
        print(f"💥 {path}: no function named {drill.func_name}()")
        return 2
    result = drill.check(fn, seed=seed)
    print(_untouched(result, path) if result.status == "not attempted" else result)
    if result.status != "not attempted":
        mode.record(drill.id, attempts=1, solved=result.passed, seconds=seconds if result.passed else None)
    return 0 if result.passed else 1


def _print_list() -> None:
    table = mode.summary()
    for row in table.itertuples():
        mark = "✅" if row.solved else ("👀" if row.seen else "  ")
        print(f"{mark} {row.id:28s} {row.kind:6s} L{row.level}  {row.topic}")
    print(f"\n{int(table['solved'].sum())}/{len(table)} solved · progress file: {mode.progress_path()}")


def interactive(args: argparse.Namespace, input_fn: Callable[[str], str] = input,
                clock: Callable[[], float] = time.monotonic) -> int:
    """Pick a drill, write its stub, wait for Enter, check; 'h' hint, 's' solution, 'q' quit."""
    drill = _drill(args.drill_id) if args.drill_id else mode.choose(args.topic, args.level, args.seed, args.kind)
    mode.record(drill.id, seen=1)
    path, fresh = ensure_stub(drill, _stub_path(drill, args.dir, args.out))
    drill.show()
    if fresh:
        print(f"\n✍️  Stub written to {path}. Edit it, then press Enter to check "
              "('h' = next hint, 's' = solution, 'q' = quit).")
    else:
        print(f"\n📄 {path} already holds your edits; keeping it (not timed: the clock only times a fresh stub). "
              "Press Enter to check ('h' = next hint, 's' = solution, 'q' = quit).")
    start, hints = clock(), 0
    while True:
        try:
            answer = input_fn("[Enter] check · h · s · q > ").strip().lower()
        except EOFError:
            return 1
        if answer == "q":
            return 1
        if answer == "h":
            if hints >= len(drill.question.hints):
                print(f"No more hints: all {len(drill.question.hints)} are above. Compare your answer with the first "
                      "difference the check reports, or type 's' for the solution.")
                continue
            hints += 1
            mode.record(drill.id, hints=1)
            drill.hint(hints)
            continue
        if answer == "s":
            mode.record(drill.id, solution_viewed=True)
            drill.solution()
            return 1
        # a best time needs a timed attempt: a fresh stub, solved in this session
        code = check_file(path, drill.id, args.seed, seconds=clock() - start if fresh else None)
        if code == 0:
            print(f"⏱ {clock() - start:.1f} s, {hints} hint(s)")
            return 0


def run(args: argparse.Namespace) -> int:
    """Dispatch the ``drill`` subcommand; returns the process exit code."""
    try:
        if args.list:
            _print_list()
            return 0
        if args.progress:
            table = mode.summary()
            by_topic = table.groupby("topic")[["solved"]].sum().join(table.groupby("topic").size().rename("drills"))
            print(by_topic.to_string())
            print(f"\nsolved {int(table['solved'].sum())} of {len(table)}; file: {mode.progress_path()}")
            return 0
        if args.show:
            _drill(args.show).show()
            return 0
        if args.stub:
            d = _drill(args.stub)
            print(write_stub(d, _stub_path(d, args.dir, args.out)))
            return 0
        if args.check:
            return check_file(Path(args.check), args.drill_id, args.seed)
        if args.hint is not None:
            if not args.drill_id:
                raise ConfigError("--hint N needs --id ID")
            _drill(args.drill_id).hint(args.hint)
            mode.record(args.drill_id, hints=1)
            return 0
        if args.solution:
            _drill(args.solution).solution()
            mode.record(args.solution, solution_viewed=True)
            return 0
        return interactive(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m pharma_kit.drills``."""
    parser = argparse.ArgumentParser(prog="pharma-kit drill", description="Timed, checked interview drills.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


__all__ = ["add_arguments", "run", "main", "check_file", "write_stub", "interactive"]
