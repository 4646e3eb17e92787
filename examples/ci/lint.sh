#!/usr/bin/env bash
# Lints a recording for CI: text in the log, SARIF for code scanning, and
# the Markdown summary in the job's step summary. Exits like acmeproxy lint
# (0 clean, 1 findings at or above FAIL_ON, 2 input error, 3 engine error).
#   lint.sh JOURNAL SARIF
set -euo pipefail
: "${WORK:=${RUNNER_TEMP:-/tmp}/acmeproxy-ci}" "${FAIL_ON:=error}"
summary=${GITHUB_STEP_SUMMARY:-$WORK/summary.md}
exec acmeproxy lint "$1" --format text --format "sarif=$2" --format "markdown=$summary" --fail-on "$FAIL_ON"
