# Sourced by tools/setup.sh and tools/run-allinone.sh: `step LABEL CMD…`.
#
# With IAAS_PROGRESS_LOG set (make run), a step prints one line,
#     [3/9] installing Python packages… done (42 s)
# and sends CMD's output to that log; on failure it prints the log's last
# lines and its path and returns CMD's status. Unset (make test, CI), CMD
# runs as it is, its output on the terminal. Steps are numbered from
# STEP_NO (exported, so a script called by another goes on counting) out of
# STEP_TOTAL.

STEP_NO=${STEP_NO:-0}
STEP_TOTAL=${STEP_TOTAL:-0}

step() {
    local label=$1
    shift
    STEP_NO=$((STEP_NO + 1))
    export STEP_NO
    if [ -z "${IAAS_PROGRESS_LOG:-}" ]; then
        "$@"
        return
    fi
    local start=$SECONDS rc=0
    printf '[%d/%d] %s… ' "$STEP_NO" "$STEP_TOTAL" "$label"
    printf '\n=== [%d/%d] %s (%s)\n' "$STEP_NO" "$STEP_TOTAL" "$label" "$(date -Is)" \
        >>"$IAAS_PROGRESS_LOG"
    # In the background, not in an `if`: the command keeps `set -e` (bash
    # ignores it inside a condition).
    "$@" >>"$IAAS_PROGRESS_LOG" 2>&1 </dev/null &
    wait $! || rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "done ($((SECONDS - start)) s)"
        return 0
    fi
    echo "failed ($((SECONDS - start)) s)"
    echo "--- the last lines of $IAAS_PROGRESS_LOG:"
    tail -n 30 "$IAAS_PROGRESS_LOG" | sed 's/^/    /'
    echo "--- full log: $IAAS_PROGRESS_LOG"
    return "$rc"
}
