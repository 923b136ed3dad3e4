"""``python -m app.lessons check [DIR ...]``: check the built-in lessons and a teacher's folders.

Prints one line per lesson, or every problem as ``<file>:<line>: <problem>`` on stderr and exits
with status 1. ``build.py --lessons DIR`` runs it before building.
"""

from __future__ import annotations

import argparse
import sys

from app.lessons import check_folders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.lessons",
                                     description="Check lesson files.")
    parser.add_argument("command", choices=["check"])
    parser.add_argument("folders", nargs="*", help="folders of lesson files (*.md)")
    args = parser.parse_args(argv)
    lessons, errors = check_folders(args.folders)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return 1
    for lesson in lessons:
        print(f"ok  {lesson.name}: {lesson.title} ({len(lesson.steps)} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
