#!/usr/bin/env bash
# Embedded generation speed beside llama.cpp on the same GGUF file, in one run:
#   scripts/generation_speed.sh MODEL.gguf [WORDS] [MAX_TOKENS]
# The second line comes from llama.cpp's own `llama-bench` when LLAMA_BENCH names it (built
# from llama.cpp's sources with cmake: `cmake --build build --target llama-bench`), reading a
# prompt of as many tokens as ours and writing MAX_TOKENS; otherwise from llama-cpp-python
# (`pip install llama-cpp-python`) on the same prompt text. Both use 2 threads.
set -euo pipefail
model=$1 words=${2:-600} max=${3:-64}
threads=${THREADS:-2}
ours=$(cargo run --quiet --release --locked -p evident-generate --example speed -- "$model" "$words" "$max")
echo "evident (embedded, candle): $ours"
if [[ -n "${LLAMA_BENCH:-}" ]]; then
    prompt=$(sed -E 's/^prompt ([0-9]+) tokens.*/\1/' <<<"$ours")
    "$LLAMA_BENCH" -m "$model" -p "$prompt" -n "$max" -t "$threads" -r "${REPS:-2}" -o md
else
    python3 "$(dirname "$0")/llama_cpp_speed.py" "$model" "$words" "$max" "$threads"
fi
