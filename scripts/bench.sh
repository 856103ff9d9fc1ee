#!/usr/bin/env bash
# Benchmark of `nydusify convert` (not a test: it asserts nothing, it measures).
#
# Builds what it needs, caching it under $BENCH_DIR (/var/tmp/nydusify-fixtures):
#   debian   the Debian test image (../shared/fixtures/make-debian-image.sh, needs root
#            and network the first time), as docker-archive and as oci-archive
#   small    an OCI layout with one layer of 50,000 small files (scripts/bench-images.py)
#   big      an OCI layout with one 2 GiB file, half text, half random
# then builds dist/ and converts every case with every compressor (zstd, lz4_block,
# none) RUNS times, and prints one table row per case: median wall seconds, MB/s of
# uncompressed tar input, median CPU seconds (user + system, all threads), peak RSS
# (median), output size (target folder).
#
# Usage: scripts/bench.sh [case...]        cases: debian-docker debian-oci small big
# Environment:
#   RUNS=3                 conversions per row
#   COMPRESSORS="zstd lz4_block none"
#   THREADS="default"      --threads values to compare, e.g. THREADS="0 1 2 default"
#   BENCH_DIR=/var/tmp/nydusify-fixtures   where inputs are cached
#   BIG_MIB=2048 SMALL_FILES=50000         size of the synthetic cases
# Wall times are only comparable on an otherwise idle machine (the load average at the
# start and end is printed with the table); CPU seconds suffer less from other load.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${RUNS:-3}
compressors=${COMPRESSORS:-zstd lz4_block none}
threads_list=${THREADS:-default}
bench=${BENCH_DIR:-/var/tmp/nydusify-fixtures}
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(debian-docker debian-oci small big)
mkdir -p "$bench"

need_debian() {
  [ -f "$bench/debian-python.docker.tar" ] && [ -f "$bench/debian-python.oci.tar" ] && return
  echo "building the Debian image into $bench (needs root and network)" >&2
  bash "$root/../shared/fixtures/make-debian-image.sh" "$bench" >&2
}
need_layout() { # kind dir amount
  [ -f "$2/index.json" ] && return
  echo "writing the $1 image into $2" >&2
  rm -rf "$2"
  python3 "$root/scripts/bench-images.py" "$1" "$2" "$3"
}
source_of() {
  case $1 in
    debian-docker) need_debian; echo "docker-archive:$bench/debian-python.docker.tar" ;;
    debian-oci) need_debian; echo "oci-archive:$bench/debian-python.oci.tar" ;;
    small) need_layout small "$bench/bench-small-${SMALL_FILES:-50000}" "${SMALL_FILES:-50000}"
      echo "oci:$bench/bench-small-${SMALL_FILES:-50000}:bench" ;;
    big) need_layout big "$bench/bench-big-${BIG_MIB:-2048}" "${BIG_MIB:-2048}"
      echo "oci:$bench/bench-big-${BIG_MIB:-2048}:bench" ;;
    *) echo "unknown case $1 (debian-docker, debian-oci, small, big)" >&2; exit 2 ;;
  esac
}

npm run build >/dev/null
work=$(mktemp -d /var/tmp/nydusify-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

for c in "${cases[@]}"; do
  src=$(source_of "$c")
  for comp in $compressors; do
    for threads in $threads_list; do
      flag=(); [ "$threads" = default ] || flag=(--threads "$threads")
      for run in $(seq "$runs"); do
        rm -rf "$work/out"
        /usr/bin/time -f '%e %M %U %S' -o "$work/time" node bin/nydusify.js convert --quiet \
          --source "$src" --target "oci:$work/out:bench" --compressor "$comp" "${flag[@]}" \
          --output-json "$work/result.json" >/dev/null
        read -r secs rss user sys <"$work/time"
        tar_bytes=$(node -e 'const r=require(process.argv[1]);console.log(r.layers.reduce((n,l)=>n+l.tarBytes,0))' "$work/result.json")
        out_bytes=$(du -sb "$work/out" | cut -f1)
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$comp" "$threads" "$secs" "$rss" \
          "$tar_bytes" "$out_bytes" "$cpu" >>"$results"
      done
    done
  done
done

echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $runs runs per row"
node - "$results" <<'JS'
const rows = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => l.split('\t'));
const groups = new Map();
for (const [c, comp, threads, secs, rss, tar, out, cpu] of rows) {
  const key = [c, comp, threads].join('\t');
  if (!groups.has(key)) groups.set(key, { secs: [], rss: [], cpu: [], tar: +tar, out: +out });
  const g = groups.get(key);
  g.secs.push(+secs);
  g.rss.push(+rss);
  g.cpu.push(+cpu);
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[(s.length - 1) >> 1]; };
const mb = (n) => (n / 1e6).toFixed(1);
const head = ['case', 'compressor', 'threads', 'seconds', 'MB/s', 'CPU s', 'peak RSS MB', 'tar MB', 'output MB'];
const table = [head];
for (const [key, g] of groups) {
  const secs = median(g.secs);
  const row = [secs.toFixed(2), mb(g.tar / secs), median(g.cpu).toFixed(2), (median(g.rss) / 1024).toFixed(0)];
  table.push([...key.split('\t'), ...row, mb(g.tar), mb(g.out)]);
}
const widths = head.map((_, i) => Math.max(...table.map((r) => r[i].length)));
for (const r of table) console.log(r.map((v, i) => (i < 3 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  '));
JS
