#!/usr/bin/env bash
# Microbenchmarks of the relay's hot path (BenchmarkDotNet, tests/StreamGateway.Benchmarks; docs/benchmarks-micro.md).
# Not part of CI (CI only builds the project). About 6-8 minutes on 2 cores.
#
#   scripts/bench-micro.sh [FILTER]            e.g. scripts/bench-micro.sh '*FanOut*'
#   scripts/bench-micro.sh --alloc-profile [VIEWERS]
#
# FILTER defaults to '*' (everything). Reports (markdown, csv, html) go to artifacts/bench-micro/results.
# --alloc-profile samples the allocated types of the whole loopback path (runtime AllocationTick events),
# to find where a non-zero "Allocated" column comes from.
set -euo pipefail

cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The benchmarks apply the gateway's socket threading themselves (SocketThreadingDefaults, in their Main).

PROJECT=tests/StreamGateway.Benchmarks
dotnet build "$PROJECT" -c Release --nologo -v q

if [ "${1:-}" = "--alloc-profile" ]; then
  exec dotnet run -c Release --no-build --project "$PROJECT" -- --alloc-profile "${2:-10}"
fi

OUT=artifacts/bench-micro
mkdir -p "$OUT"
dotnet run -c Release --no-build --project "$PROJECT" -- \
  --filter "${1:-*}" --artifacts "$OUT" </dev/null
echo "bench-micro: reports in $OUT/results"
