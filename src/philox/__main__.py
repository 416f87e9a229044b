"""Command line: ``python -m philox {demo,info,bench}`` (also installed as the ``philox`` script).

    python -m philox demo                     # the problem with one global seed, and the fix
    python -m philox info                     # this install: CPU instruction set, CUDA module, torch, backends
    python -m philox bench --n 1e6 --plot b.png
    python -m philox --version
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

import philox


class _Version(argparse.Action):
    """``--version``: the version and format, then a line on this build (computed only when asked)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from ._info import build_line
        print(f"philox {philox.__version__} (format v{philox.FORMAT_VERSION})\n{build_line()}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    from . import _bench
    parser = argparse.ArgumentParser(
        prog="python -m philox",
        description="Reproducible counter-based random numbers (Philox4x32-10, stream format v1).",
        epilog="Run 'python -m philox COMMAND --help' for a command's options.")
    parser.add_argument("--version", action=_Version,
                        help="show the version and format, and a line on this build (CPU, CUDA module, torch)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.add_parser("demo", help="show why one global seed breaks when call order changes, and the fix "
                                "(named streams, isolate); exits 1 if any of its checks fails",
                   description="A short, self-checking run of the problem and the fix.")
    info = sub.add_parser("info", help="this install: version, format, CPU instruction set and threads, whether "
                                       "the CUDA module is built (and for which GPUs), torch, the backend per device",
                          description="What this install is and which code fills each kind of output.")
    info.add_argument("--json", action="store_true", help="print the facts as JSON")
    bench = sub.add_parser("bench", help="benchmark table for this machine: philox against numpy, torch and the "
                                         "memory bandwidth (GPU rows when CUDA works); --plot FILE.png for a chart",
                           description=_bench.__doc__.split("\n\n")[0])
    _bench.add_arguments(bench)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the command; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run
        return 0 if run() else 1
    if args.command == "info":
        from ._info import run_cli
        return run_cli(args)
    if args.command == "bench":
        from ._bench import run_cli
        return run_cli(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
