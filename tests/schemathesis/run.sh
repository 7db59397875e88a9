#!/usr/bin/env bash
# A bounded schemathesis run (`--checks all`) against a live fairlance API, as part of
# ./run test: anonymous, then as a client, then as a freelancer (bearer tokens).
#
# The server runs as `fairlance serve` would (gunicorn, DEBUG off) on a free local port,
# with a temporary SQLite database holding the demo marketplace. Rules the OpenAPI
# document can only state in words (fields that must agree with each other or with stored
# data) are taught to the generator by tests/schemathesis/hooks.py; no check and no
# operation is left out.
#
# One worker: two threads share Hypothesis's source-reading caches, which made the run
# report internal "flaky" errors.
#
#   tests/schemathesis/run.sh                 # 15 examples per operation and role
#   ST_MAX_EXAMPLES=50 tests/schemathesis/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=${VENV:-.venv}
BIN="$VENV/bin"
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-15}
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite:///$WORK/schemathesis.sqlite3"
export FAIRLANCE_VAR_DIR="$WORK/var"
export STATIC_MANIFEST=false
export EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend
export DJANGO_SETTINGS_MODULE=fairlance.settings

echo "schemathesis: seeding $DATABASE_URL"
TOKENS=$("$BIN/python" tests/schemathesis/seed.py)
CLIENT_TOKEN=$(echo "$TOKENS" | sed -n 's/^client=//p')
FREELANCER_TOKEN=$(echo "$TOKENS" | sed -n 's/^freelancer=//p')

"$BIN/fairlance" serve --bind "127.0.0.1:$PORT" --workers 2 --server gunicorn \
  --no-collectstatic >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

URL="http://127.0.0.1:$PORT/api/v1/openapi.json"
export SCHEMATHESIS_HOOKS=tests.schemathesis.hooks
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

status=0
run_as() {
  local who=$1; shift
  export FAIRLANCE_ST_USER=${ST_USER:-}
  echo "== schemathesis --checks all ($who, $MAX_EXAMPLES examples per operation)"
  if ! "$BIN/schemathesis" run "$URL" --wait-for-schema 30 --checks all \
      --max-examples "$MAX_EXAMPLES" --workers 1 --seed 20261204 --generation-database none \
      --no-color "$@"; then
    status=1
  fi
}
ST_USER="" run_as anonymous
ST_USER=chloe@demo.fairlance.dev run_as client -H "Authorization: Bearer $CLIENT_TOKEN"
ST_USER=ana@demo.fairlance.dev run_as freelancer -H "Authorization: Bearer $FREELANCER_TOKEN"

if grep -q "Internal Server Error" "$WORK/server.log"; then
  echo "The server logged errors:" >&2
  grep -A20 "Internal Server Error" "$WORK/server.log" >&2 | head -60
  status=1
fi
exit $status
