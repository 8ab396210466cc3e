#!/usr/bin/env bash
# Run lifetimes' own fitter and utils tests against yutang through a shim package named
# `lifetimes` that re-exports yutang (nothing of lifetimes' code is used but its tests and
# data files). Usage: scripts/lifetimes-suite.sh /path/to/lifetimes-checkout [python]
# The python given (default .venv/bin/python) must have yutang installed.
set -euo pipefail
SRC="${1:?path to a checkout of github.com/CamDavidsonPilon/lifetimes}"
PY="${2:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r "$SRC/tests" "$WORK/tests"
mkdir -p "$WORK/lifetimes/datasets"
cp "$SRC"/lifetimes/datasets/*.csv "$SRC"/lifetimes/datasets/*.txt "$WORK/lifetimes/datasets/"
cat > "$WORK/lifetimes/__init__.py" <<'PY'
from yutang import *  # noqa
from yutang import BetaGeoFitter, ParetoNBDFitter, ModifiedBetaGeoFitter, BetaGeoBetaBinomFitter, GammaGammaFitter  # noqa
from yutang.fitters import BaseFitter  # noqa
PY
echo "from yutang.utils import *  # noqa" > "$WORK/lifetimes/utils.py"
printf 'from yutang.datasets import *  # noqa\nfrom yutang.datasets import load_dataset  # noqa\n' > "$WORK/lifetimes/datasets/__init__.py"
# lifetimes' tests import pandas.util.testing, which pandas 2 removed
printf 'import sys, pandas.testing\nsys.modules.setdefault("pandas.util.testing", pandas.testing)\n' > "$WORK/conftest.py"
cd "$WORK"
"$PY" -m pytest -q -p no:cacheprovider tests/test_estimation.py tests/test_utils.py \
  -k "BetaGeo or ParetoNBD or GammaGamma or ModifiedBeta or summary_data or calibration_and_holdout or expected_cumulative or alive_path" \
  "${@:3}"
