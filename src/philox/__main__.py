"""Command line: ``python -m philox demo`` (see ``--help``)."""
from __future__ import annotations

import argparse
import sys

import philox


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m philox",
        description="Reproducible counter-based random numbers (Philox4x32-10, stream format v1).")
    parser.add_argument("--version", action="version",
                        version=f"philox {philox.__version__} (format v{philox.FORMAT_VERSION})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("demo", help="show call-order independence of named streams; exits 1 if a check fails")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run
        return 0 if run() else 1
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
