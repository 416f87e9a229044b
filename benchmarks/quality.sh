#!/usr/bin/env bash
# Statistical quality check: philox's CPU words piped into dieharder (-g 200, raw stdin).
#
#   benchmarks/quality.sh                      # both modes, the default test set
#   benchmarks/quality.sh -m 1 -d "0 1 2"      # mode 1 only, three tests
#   benchmarks/quality.sh -m 2 -p 200 -j 2     # psamples 200, two tests at a time
#
# Options:
#   -m MODES   feeder modes, "1", "2" or "1 2" (default "1 2"); see feed_words.py:
#              1 = one stream Stream(seed, "quality"); 2 = 4 streams ("q", 0..3)
#              interleaved word by word (-i block for block by block)
#   -d TESTS   dieharder test numbers, space or comma separated (default below);
#              T/N runs test T with -n N (ntuple), e.g. 200/8 (rgb_bitdist needs one)
#   -p N       psamples for every test (default: dieharder's own per test)
#   -s SEED    seed (default 20240601)
#   -i WAY     mode 2 interleave: word (default) or block
#   -j N       tests run at a time (default 1; each test is one dieharder process)
#   -t SECS    time limit per test (default 900); a test that hits it counts as TIMEOUT
#   -o DIR     results folder (default benchmarks/results)
#   -y         dieharder -Y 1: a WEAK test is rerun with more psamples until it
#              PASSES or FAILS (use it to recheck WEAK lines)
#   PYTHON=... the interpreter with philox installed (default python3)
#
# One dieharder process per test (-d N), fresh feeder each time (every test reads
# the stream from position 0). dieharder exits 0 even when a test FAILS, so the
# assessment column is read instead. Writes, per mode M:
#   DIR/dieharder_mode<M>.txt   the raw result lines of every test, test by test
#   DIR/dieharder_summary.txt   counts of PASSED / WEAK / FAILED per mode
# Exit status: 0 if no line FAILED (WEAK is expected now and then: about 1 line in
# 100 lands in dieharder's weak band by chance), 1 if any FAILED, 2 on setup errors,
# 3 if a test timed out or gave no result (and none FAILED).
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODES="1 2"
TESTS="0 1 2 3 4 5 6 7 8 9 10 11 12 13 15 16 17 100 101 102 200/1 200/2 200/4 200/8 201/2 202 203 204 205 206 207 208 209"
PSAMPLES=""
SEED=20240601
INTERLEAVE=word
JOBS=1
LIMIT=900
OUTDIR="$HERE/results"
PYTHON="${PYTHON:-python3}"
RESOLVE=""

while getopts "m:d:p:s:i:j:t:o:yh" opt; do
  case "$opt" in
    m) MODES="${OPTARG//,/ }" ;;
    d) TESTS="${OPTARG//,/ }" ;;
    p) PSAMPLES="$OPTARG" ;;
    s) SEED="$OPTARG" ;;
    i) INTERLEAVE="$OPTARG" ;;
    j) JOBS="$OPTARG" ;;
    t) LIMIT="$OPTARG" ;;
    o) OUTDIR="$OPTARG" ;;
    y) RESOLVE=1 ;;
    h) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
  esac
done

if ! command -v dieharder >/dev/null 2>&1; then
  echo "quality.sh: dieharder is not installed." >&2
  echo "  Debian/Ubuntu: apt-get update && apt-get install -y dieharder" >&2
  echo "  Fedora: dnf install dieharder;  macOS: brew install dieharder" >&2
  exit 2
fi
if ! "$PYTHON" -c "import philox" 2>/dev/null; then
  echo "quality.sh: '$PYTHON -c \"import philox\"' fails; install philox (pip install -e .) or set PYTHON=" >&2
  exit 2
fi
for m in $MODES; do
  [[ "$m" == 1 || "$m" == 2 ]] || { echo "quality.sh: mode must be 1 or 2, got '$m'" >&2; exit 2; }
done

mkdir -p "$OUTDIR/.parts"
PARTS="$OUTDIR/.parts"
rm -f "$PARTS"/*

run_one() {  # mode test[/ntuple] -> $PARTS/<mode>_<test>_<ntuple>.txt (dieharder's output, or a TIMEOUT line)
  local mode="$1" test="${2%%/*}" ntup="" t0 t1 rc f
  local pargs=()
  [[ "$2" == */* ]] && ntup="${2#*/}" && pargs+=(-n "$ntup")
  [[ -n "$PSAMPLES" ]] && pargs+=(-p "$PSAMPLES")
  [[ -n "$RESOLVE" ]] && pargs+=(-Y 1)
  f="$PARTS/${mode}_$(printf %03d "$test")_$(printf %02d "${ntup:-0}").txt"
  t0=$(date +%s)
  # timeout kills dieharder; the feeder then sees a closed pipe and exits quietly.
  "$PYTHON" "$HERE/feed_words.py" --mode "$mode" --seed "$SEED" --interleave "$INTERLEAVE" 2>>"$f" |
    timeout "$LIMIT" dieharder -g 200 -d "$test" "${pargs[@]}" >>"$f" 2>&1
  rc=$?
  t1=$(date +%s)
  if [[ $rc -eq 124 ]]; then
    echo "  test $2|TIMEOUT after ${LIMIT}s (no assessment)" >>"$f"
  elif ! grep -qE '\|[[:space:]]*(PASSED|WEAK|FAILED)' "$f"; then
    echo "  test $2|ERROR: no result line (rc $rc): $(grep -v '^#' "$f" | head -3 | tr -s ' \n' ' ')" >>"$f"
  fi
  echo "# mode $mode test $2: $((t1 - t0)) s (rc $rc)" >>"$f"
  printf 'mode %s  -d %-6s %4ss  %s\n' "$mode" "$2" "$((t1 - t0))" \
    "$(grep -Eo 'PASSED|WEAK|FAILED|TIMEOUT|ERROR' "$f" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
}

final_lines() {  # result lines of one test's output that count (see -y)
  if [[ -z "$RESOLVE" ]]; then
    grep -E '\|[[:space:]]*(PASSED|WEAK|FAILED)[[:space:]]*$|\|TIMEOUT|\|ERROR' "$1"
    return
  fi
  # Key = test_name|ntup. The first run's lines (smallest psamples) tell how many
  # lines each key has; the last that many lines of each key are the final ones.
  awk -F'|' '
    /\|TIMEOUT|\|ERROR/ { other[++no] = $0; next }
    $NF ~ /PASSED|WEAK|FAILED/ {
      k = $1 "|" $2; ps = $4 + 0; n++; key[n] = k; line[n] = $0; psam[n] = ps
      if (!(k in minps) || ps < minps[k]) minps[k] = ps
    }
    END {
      for (i = 1; i <= n; i++) if (psam[i] == minps[key[i]]) want[key[i]]++
      for (i = n; i >= 1; i--) if (seen[key[i]]++ < want[key[i]]) keep[i] = 1
      for (i = 1; i <= n; i++) if (keep[i]) print line[i]
      for (i = 1; i <= no; i++) print other[i]
    }' "$1"
}

echo "dieharder $(dieharder -l 2>/dev/null | grep -Eo 'version [0-9.]+' | head -1), philox $("$PYTHON" -c 'import philox; print(philox.__version__, philox._core.isa())')"
echo "modes: $MODES   tests: $TESTS   psamples: ${PSAMPLES:-dieharder default}${RESOLVE:+ (-Y 1)}   seed: $SEED   jobs: $JOBS"
START=$(date +%s)
for mode in $MODES; do
  for test in $TESTS; do
    while [[ $(jobs -rp | wc -l) -ge $JOBS ]]; do wait -n; done
    run_one "$mode" "$test" &
  done
done
wait

SUMMARY="$OUTDIR/dieharder_summary.txt"
{
  echo "dieharder quality run, $(date -u '+%Y-%m-%d %H:%M UTC'), $(($(date +%s) - START)) s wall"
  echo "generator: philox $("$PYTHON" -c 'import philox; print(philox.__version__, "CPU backend, isa", philox._core.isa())'), seed $SEED, piped raw little-endian uint32 (dieharder -g 200)"
  echo "tests: $TESTS   psamples: ${PSAMPLES:-dieharder default}${RESOLVE:+, dieharder -Y 1 (WEAK resolved by more psamples)}"
  for mode in $MODES; do
    case $mode in
      1) desc="one stream Stream($SEED, \"quality\")" ;;
      2) desc="4 streams Stream($SEED, \"q\", 0..3), interleaved $INTERLEAVE by $INTERLEAVE" ;;
    esac
    raw="$OUTDIR/dieharder_mode$mode.txt"
    {
      echo "# dieharder -g 200, mode $mode: $desc; $(date -u '+%Y-%m-%d %H:%M UTC')"
      for f in "$PARTS/${mode}"_*.txt; do
        grep -E 'test_name|PASSED|WEAK|FAILED|TIMEOUT|ERROR|^# mode' "$f"
      done
    } >"$raw"
    # The lines to count: every result line; with -y only each test's final ones
    # (dieharder -Y 1 prints the WEAK line, then the rerun's line(s) with more psamples).
    final="$(for f in "$PARTS/${mode}"_*.txt; do final_lines "$f"; done)"
    p=$(grep -cE '\|[[:space:]]*PASSED' <<<"$final"); w=$(grep -cE '\|[[:space:]]*WEAK' <<<"$final")
    fl=$(grep -cE '\|[[:space:]]*FAILED' <<<"$final"); to=$(grep -c '|TIMEOUT' <<<"$final"); er=$(grep -c '|ERROR' <<<"$final")
    echo "mode $mode ($desc): $((p + w + fl)) result lines: PASSED $p, WEAK $w, FAILED $fl$([[ $to -gt 0 ]] && echo ", TIMEOUT $to")$([[ $er -gt 0 ]] && echo ", ERROR $er")"
    grep -E '\|[[:space:]]*(WEAK|FAILED)|\|TIMEOUT|\|ERROR' <<<"$final" | sed 's/^/    /'
  done
} | tee "$SUMMARY"
rm -rf "$PARTS"
grep -qE "^mode .*FAILED [1-9]" "$SUMMARY" && exit 1
grep -qE "^mode .*(TIMEOUT|ERROR)" "$SUMMARY" && exit 3
exit 0
