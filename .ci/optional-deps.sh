#!/usr/bin/env bash
# Optional test dependencies for the full CI run, installed into the active venv after torch.
# Clients that depend on torch are pinned and installed with --no-deps (their own requirements
# by hand), so none of them can replace the CPU torch wheel.
#
# Used by tests/test_frameworks_*.py (each skips with a reason when its client is absent):
#   torchdata (StatefulDataLoader), accelerate, pytorch-lightning (+ torchmetrics, which it imports),
#   datasets (Hugging Face; it does not depend on torch, so it installs with its requirements,
#   pinned here: ~65 MB of wheels, ~270 MB installed, mostly pyarrow and pandas; ~40 s).
# The hand-picked requirements are the clients' declared ones that do not depend on torch (numpy
# too: torch does not bring it); pytorch-lightning's fsspec[http] extra is left out (only http://
# checkpoint paths need it). Versions: the newest served, checked in a fresh Python 3.11 venv.
set -euxo pipefail
python -m pip install -q --no-deps \
  torchdata==0.11.0 \
  accelerate==1.15.0 \
  pytorch-lightning==2.6.6 \
  torchmetrics==1.9.0
python -m pip install -q \
  numpy==2.4.6 urllib3==2.8.0 requests==2.34.2 \
  psutil==7.2.2 pyyaml==6.0.4 huggingface_hub==2.4.0 safetensors==0.8.0 \
  tqdm==4.70.1 lightning-utilities==0.15.3 \
  datasets==5.2.0 pyarrow==26.0.1 pandas==3.1.1 dill==0.4.1 multiprocess==0.70.19 xxhash==4.1.0 \
  python-dateutil==4.0.0 tzdata==2026.6
# None of the above may have replaced the CPU torch wheel, and every requirement must be met.
python -m pip check
python - <<'PY'
import torch
assert torch.__version__ == "2.13.0+cpu", f"an optional dependency replaced torch: {torch.__version__}"
import accelerate, datasets, pytorch_lightning, torchdata.stateful_dataloader  # noqa: F401  (they import)
print("optional test dependencies ok; torch", torch.__version__)
PY
