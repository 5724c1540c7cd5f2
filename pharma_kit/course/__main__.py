"""``python -m pharma_kit.course {run,store,exercises,nbval}``: the course's notebook commands."""
from __future__ import annotations

import argparse
import sys

from pharma_kit.course.execute import ROOT


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pharma_kit.course", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="execute every solved notebook headless into build/, render HTML, print a summary")
    r.add_argument("--source", default=str(ROOT / "solutions"))
    r.add_argument("--build", default=str(ROOT / "build"))
    r.add_argument("--no-html", action="store_true")
    s = sub.add_parser("store", help="execute solution notebooks in place, keeping only deterministic content")
    s.add_argument("paths", nargs="+")
    w = sub.add_parser("site", help="render the course website from the stored solved notebooks (no execution)")
    w.add_argument("--out", default=str(ROOT / "build" / "html"))
    e = sub.add_parser("exercises", help="regenerate notebooks/ from solutions/ (refuses to overwrite your edits)")
    e.add_argument("--force", action="store_true", help="replace learner notebooks even if you edited them")
    v = sub.add_parser("nbval", help="check stored outputs of the given notebooks with nbval")
    v.add_argument("paths", nargs="+")
    args = p.parse_args(argv)

    if args.cmd == "run":
        from pharma_kit.course.runner import run_course

        return run_course(args.source, args.build, html_out=not args.no_html)
    if args.cmd == "site":
        from pharma_kit.course.site import build_site

        print(f"Course home page: {build_site(ROOT / 'solutions', args.out)}")
        return 0
    if args.cmd == "store":
        from pharma_kit.course.execute import store

        for path in args.paths:
            res = store(path)
            print(f"stored {path} in {res.seconds:.1f}s, checks {res.checks_text}")
        return 0
    if args.cmd == "exercises":
        from pharma_kit.course.learner import SOLUTIONS_JSON, LearnerWorkError, build_learner_copies

        try:
            texts = build_learner_copies(ROOT / "solutions", ROOT / "notebooks", force=args.force,
                                         solutions_json=SOLUTIONS_JSON)
        except LearnerWorkError as exc:
            print(f"make exercises: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {len(texts)} learner notebooks to notebooks/")
        return 0
    if args.cmd == "nbval":
        from pharma_kit.course.execute import nbval

        return nbval(args.paths)
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
