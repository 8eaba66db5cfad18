#!/usr/bin/env python3
"""llama.cpp (llama-cpp-python) on the same GGUF file and the same prompt as
`cargo run --release -p evident-generate --example speed -- MODEL.gguf WORDS MAX_TOKENS`,
so the two can be compared in one run (scripts/generation_speed.sh runs both).

Usage: llama_cpp_speed.py MODEL.gguf [WORDS] [MAX_TOKENS] [THREADS]
Needs `pip install llama-cpp-python` (built from source: a C++ compiler and ~10 minutes).
"""
import sys
import time

from llama_cpp import Llama


def main() -> None:
    path = sys.argv[1]
    words = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    max_tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    # The same prompt as the Rust example builds.
    sentence = ("Review the person within three months of starting treatment and check "
                "adherence and side effects at every visit.")
    user = ""
    while len(user.split()) < words:
        user += sentence + " "
    user += ("\nQuestion: when should the person be reviewed, and what is checked at each visit? "
             "Answer in ten numbered sentences.")
    messages = [
        {"role": "system", "content": "You are a careful clinical writer."},
        {"role": "user", "content": user},
    ]
    llm = Llama(model_path=path, n_ctx=4096, n_threads=threads, n_threads_batch=threads,
                verbose=False)
    # The user text's tokens (the chat template adds a few more).
    prompt_tokens = len(llm.tokenize(user.encode()))
    start = time.perf_counter()
    first = None
    pieces = 0
    for chunk in llm.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                            temperature=0.0, stream=True):
        delta = chunk["choices"][0].get("delta", {})
        if delta.get("content"):
            if first is None:
                first = time.perf_counter() - start
            pieces += 1
    elapsed = time.perf_counter() - start
    first = first if first is not None else elapsed
    writing = (pieces - 1) / (elapsed - first) if pieces > 1 and elapsed > first else 0.0
    print(f"llama.cpp: prompt ~{prompt_tokens} tokens (user text), time to first token "
          f"{first:.2f} s ({prompt_tokens / first:.1f} tokens/s); generated {pieces} tokens at "
          f"{writing:.1f} tokens/s; {elapsed:.2f} s in all; {threads} threads")


if __name__ == "__main__":
    main()
