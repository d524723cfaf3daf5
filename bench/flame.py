"""The flame summary of a py-spy profile: the frames that took the most samples, with %.

Reads the collapsed stacks `py-spy record --format raw` writes (`bench/heartbeats.py
--profile FILE` takes them), one `frame;frame;… count` a line, and prints each function's
inclusive share (samples with it anywhere on the stack) and self share (samples with it on
top), largest first. Frames are counted by function and file, not by line.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")


def frame_key(frame: str) -> str:
    """`function (path/to/file.py:12)` as `function (file.py)`; other frames as they are."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    return f"{match['name']} ({'/'.join(Path(match['file']).parts[-2:])})"


def summarize(lines: list[str]) -> tuple[int, Counter[str], Counter[str]]:
    """Total samples, inclusive and self samples by frame."""
    total, inclusive, own = 0, Counter[str](), Counter[str]()
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame_key(f) for f in stack.split(";")]
        total += int(count)
        for key in set(frames):
            inclusive[key] += int(count)
        own[frames[-1]] += int(count)
    return total, inclusive, own


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, help="collapsed stacks from py-spy --format raw")
    parser.add_argument("--top", type=int, default=30, help="frames to print (default 30)")
    parser.add_argument("--match", help="only frames whose text contains this")
    args = parser.parse_args(argv)
    total, inclusive, own = summarize(args.profile.read_text().splitlines())
    if not total:
        print("no samples", file=sys.stderr)
        return 1
    print(f"{total} samples")
    print(f"{'incl %':>7} {'self %':>7}  frame")
    shown = [k for k, _ in inclusive.most_common() if not args.match or args.match in k]
    for key in shown[: args.top]:
        print(f"{100 * inclusive[key] / total:7.1f} {100 * own[key] / total:7.1f}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
