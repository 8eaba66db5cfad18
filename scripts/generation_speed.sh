#!/usr/bin/env bash
# Embedded generation speed beside llama.cpp on the same GGUF file and prompt, in one run:
#   scripts/generation_speed.sh MODEL.gguf [WORDS] [MAX_TOKENS]
# Needs `pip install llama-cpp-python` for the second line.
set -euo pipefail
model=$1 words=${2:-600} max=${3:-64}
cargo run --quiet --release --locked -p evident-generate --example speed -- "$model" "$words" "$max"
python3 "$(dirname "$0")/llama_cpp_speed.py" "$model" "$words" "$max" 2
