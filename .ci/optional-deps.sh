#!/usr/bin/env bash
# Optional test dependencies for the full CI run, installed into the active venv after torch.
# Clients that depend on torch are pinned and installed with --no-deps (their own requirements
# by hand), so none of them can replace the CPU torch wheel.
set -euxo pipefail
