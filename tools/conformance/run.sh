#!/usr/bin/env bash
# make conformance: see tools/conformance/run.py (and README.md here).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python tools/conformance/run.py "$@"
