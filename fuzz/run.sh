#!/usr/bin/env bash
# Runs each fuzz target (TARGETS, default all four: record header events whole) for
# a bounded time (FUZZ_SECONDS, default 60) with a
# corpus seeded from the real samples in ../shared/samples and the project's
# fixtures. Needs cargo-fuzz (`cargo install cargo-fuzz`). On a stable
# toolchain it runs without a sanitizer (-s none); a crash is saved under
# fuzz/artifacts/<target>/: fix it and copy the input to
# fuzz/regressions/<target>/, which `cargo test` replays
# (tests/it/fuzz_regressions.rs).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-60}"
samples="${SAMPLES:-../../shared/samples}"

for target in ${TARGETS:-record header events whole}; do
  corpus="corpus/$target"
  mkdir -p "$corpus"
  # One seed per line of every text sample and fixture (headers included);
  # events' seeds are whole documents, in regressions/events.
  [ "$target" = events ] || for f in $(find "$samples" ../tests/fixtures ../sample-logs/flow-logs/cloudwatch -type f \( -name '*.log' -o -name '*.sample' \) 2>/dev/null); do
    head -n 200 "$f" | while IFS= read -r line; do
      printf '%s\n' "$line" > "$corpus/seed-$(printf '%s' "$line" | cksum | cut -d' ' -f1)"
    done
  done
  echo "== $target: $(ls "$corpus" | wc -l) seeds, $seconds s"
  # New inputs go to the first folder; fuzz/regressions/<target> seeds too.
  cargo fuzz run -s none "$target" "$corpus" "regressions/$target" -- -max_total_time="$seconds" -max_len=4096
done
