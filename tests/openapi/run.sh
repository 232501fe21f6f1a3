#!/bin/sh
# The gateway's OpenAPI description, checked (tests/openapi/check.mjs):
# made by kefuctl openapi from the build's descriptors, valid OpenAPI 3.0,
# and every route's example request valid against its schema.
#   usage: sh tests/openapi/run.sh [BIN_DIR]
set -eu
bin=${1:-build/release/bin}
out=$(mktemp /tmp/kf-openapi-XXXXXX.json)
trap 'rm -f "$out"' EXIT INT TERM
"$bin/kefuctl" openapi > "$out"
if [ ! -d tests/openapi/node_modules/@apidevtools/swagger-parser ]; then
    (cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error)
fi
node tests/openapi/check.mjs "$out"
