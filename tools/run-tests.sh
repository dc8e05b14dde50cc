#!/usr/bin/env bash
# The whole test suite with its quality gates. `make test` runs it after
# setting everything up; .ci/run calls `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

echo "== quality gates"
.venv/bin/ruff check iaas tests tools migrations
$PY tools/check_module_size.py
$PY tools/check_layering.py
$PY tools/gen_config_sample.py --check
$PY tools/gen_policy_sample.py --check

echo "== tests ($(date -u +%T))"
set +e
if [ $# -eq 0 ] && [ "${IAAS_TEST_WORKERS:-1}" -gt 1 ]; then
    # On IAAS_TEST_WORKERS pytest-xdist workers, in groups (tests/conftest.py),
    # then the tests that stop a shared server, alone. Off by default: on the
    # 2-CPU CI machine the suite is CPU-bound (0-10 % idle with 3 workers),
    # so workers add contention rather than speed.
    .venv/bin/pytest -p no:cacheprovider -ra --durations=25 -n "$IAAS_TEST_WORKERS" \
        --no-loadscope-reorder -m 'not exclusive'
    rc=$?
    .venv/bin/pytest -p no:cacheprovider -ra -m exclusive
    erc=$?
    [ "$rc" -eq 0 ] && rc=$erc
else
    .venv/bin/pytest -p no:cacheprovider -ra --durations=25 "$@"
    rc=$?
fi
set -e
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
    rc=1
fi

# The real projects' own suites against their floors, unless pytest was
# given a selection. After pytest, not beside it: on the 2-CPU CI machine
# the two at once ran pytest at less than half its speed (their clouds
# fsync and use both cores), and CI timed out. ceph's s3-tests run their
# core subset here; `make conformance` runs the full suite.
crc=0
if [ $# -eq 0 ] && [ -z "${SKIP_CONFORMANCE:-}" ]; then
    echo "== conformance ($(date -u +%T)): Swift functests, ceph s3-tests core, Tempest"
    tools/conformance/run.sh --check swift s3-core tempest-object tempest-image \
        tempest-compute tempest-network tempest-identity tempest-volume || crc=$?
fi
[ "$rc" -ne 0 ] && exit "$rc"
exit "$crc"
