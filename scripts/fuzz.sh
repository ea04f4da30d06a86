#!/usr/bin/env bash
# Coverage-guided fuzzing of every Protocols parser with AFL++ and SharpFuzz (docs/fuzzing.md).
# Not part of CI: run it by hand for a set time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGETs default to all (StreamGateway.Fuzz list).
# Env: FUZZ_JOBS   afl-fuzz instances at once (default: number of cores)
#      FUZZ_OUT    work directory (default: artifacts/fuzz, git-ignored)
# Steps: install afl++ and the sharpfuzz tool if missing, publish the harness (Release), instrument
# StreamGateway.Protocols.dll in the published copy, write seeds from tests/testdata/cameras (plus the committed
# regression inputs in tests/testdata/fuzz), run afl-fuzz per target, then print executions, corpus, crashes and
# hangs per target and replay every crash/hang through the harness to show its exception.
# Exit code 1 when any target saved a crash or a hang.
set -euo pipefail

cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-60}"
shift || true
OUT="${FUZZ_OUT:-artifacts/fuzz}"
JOBS="${FUZZ_JOBS:-$(nproc)}"
SHARPFUZZ_VERSION=2.3.0

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export PATH="$PATH:$HOME/.dotnet/tools"

install_tools() {
  if ! command -v afl-fuzz >/dev/null; then
    echo "fuzz: installing afl++"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q afl++ </dev/null
  fi
  if ! command -v sharpfuzz >/dev/null; then
    echo "fuzz: installing SharpFuzz.CommandLine $SHARPFUZZ_VERSION"
    dotnet tool install --global SharpFuzz.CommandLine --version "$SHARPFUZZ_VERSION"
  fi
}

build_and_instrument() {
  # Two published copies: plain/ writes seeds and replays findings (instrumented code needs AFL's shared memory),
  # bin/ gets the instrumented StreamGateway.Protocols.dll. Neither touches the DLL the tests and the gateway use.
  rm -rf "$OUT/plain" "$OUT/bin"
  dotnet publish tests/StreamGateway.Fuzz -c Release -o "$OUT/plain" --nologo -v quiet
  cp -r "$OUT/plain" "$OUT/bin"
  sharpfuzz "$OUT/bin/StreamGateway.Protocols.dll"
}

write_seeds() {
  rm -rf "$OUT/seeds"
  dotnet "$OUT/plain/StreamGateway.Fuzz.dll" seeds tests/testdata/cameras "$OUT/seeds"
  local target
  for target in "${TARGETS[@]}"; do
    mkdir -p "$OUT/seeds/$target"
    if [ -d "tests/testdata/fuzz/$target" ]; then
      cp tests/testdata/fuzz/"$target"/* "$OUT/seeds/$target/" 2>/dev/null || true
    fi
  done
}

run_target() {
  local target="$1"
  rm -rf "$OUT/findings/$target"
  # afl-fuzz -V stops after the budget; the outer timeout only guards a stuck start-up.
  timeout --signal=INT $((SECONDS_PER_TARGET + 300)) \
    afl-fuzz -V "$SECONDS_PER_TARGET" -i "$OUT/seeds/$target" -o "$OUT/findings/$target" -t 5000 -m 10000 \
      -- dotnet "$OUT/bin/StreamGateway.Fuzz.dll" "$target" >"$OUT/logs/$target.log" 2>&1 \
    || echo "fuzz: afl-fuzz for $target exited with $? (see $OUT/logs/$target.log)"
}

stat_of() { # stat_of FILE KEY
  sed -n "s/^$2 *: *//p" "$1" 2>/dev/null | head -n1
}

report() {
  local target stats findings=0
  printf '\n%-18s %10s %8s %9s %7s %8s %6s\n' target seconds execs/s executions corpus crashes hangs
  for target in "${TARGETS[@]}"; do
    stats="$OUT/findings/$target/default/fuzzer_stats"
    if [ ! -f "$stats" ]; then
      printf '%-18s %s\n' "$target" "no stats (afl-fuzz failed to start, see $OUT/logs/$target.log)"
      findings=1
      continue
    fi
    local crashes hangs
    crashes="$(stat_of "$stats" saved_crashes)"
    hangs="$(stat_of "$stats" saved_hangs)"
    printf '%-18s %10s %8s %9s %7s %8s %6s\n' "$target" "$(stat_of "$stats" run_time)" \
      "$(stat_of "$stats" execs_per_sec)" "$(stat_of "$stats" execs_done)" "$(stat_of "$stats" corpus_count)" \
      "$crashes" "$hangs"
    if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then findings=1; fi
  done

  for target in "${TARGETS[@]}"; do
    local dir files=()
    for dir in crashes hangs; do
      while IFS= read -r -d '' f; do files+=("$f"); done \
        < <(find "$OUT/findings/$target/default/$dir" -type f -name 'id:*' -print0 2>/dev/null)
    done
    if [ "${#files[@]}" -gt 0 ]; then
      echo
      echo "== $target: ${#files[@]} saved input(s); exceptions (first frame) by count:"
      dotnet "$OUT/plain/StreamGateway.Fuzz.dll" replay "$target" "${files[@]}" \
        | awk '/^CRASH/ {getline; ex=$0; getline; print ex " " $0}' | sort | uniq -c | sort -rn || true
    fi
  done
  return "$findings"
}

install_tools
build_and_instrument
if [ "$#" -gt 0 ]; then
  TARGETS=("$@")
else
  mapfile -t TARGETS < <(dotnet "$OUT/plain/StreamGateway.Fuzz.dll" list)
fi
write_seeds
mkdir -p "$OUT/logs" "$OUT/findings"

# dotnet is not AFL-instrumented (SharpFuzz speaks the fork-server protocol itself); containers often lack a
# core_pattern and CPU governor AFL likes; parallel instances must not fight over one pinned core.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_SKIP_CRASHES=1

echo "fuzz: ${#TARGETS[@]} target(s), ${SECONDS_PER_TARGET}s each, $JOBS at a time; afl++ $(afl-fuzz -h 2>&1 | grep -o '++[0-9.a-z]*' | head -n1)"
started=$(date +%s)
for target in "${TARGETS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  echo "fuzz: $target"
  run_target "$target" &
done
wait
echo "fuzz: wall time $(( $(date +%s) - started ))s"

status=0
report | tee "$OUT/summary.txt" || status=$?
exit "$status"
