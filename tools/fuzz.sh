#!/usr/bin/env bash
# libFuzzer targets for zwalk's parsers (Tests/Fuzz/<target>/<target>.swift, seeds in corpus/).
#
#   tools/fuzz.sh build               compile the modules and every target, instrumented
#   tools/fuzz.sh run SECONDS [T…]    fuzz each target (default all) for SECONDS; exits 1 on a crash
#
# The library modules are compiled straight from Sources/ with swiftc -sanitize=fuzzer,address into
# .build/fuzz (SwiftPM would link a main into them), each target is one Swift file defining
# LLVMFuzzerTestOneInput, linked with them. A crash, leak, timeout or out-of-memory input is saved as
# .build/fuzz/artifacts/<target>/crash-… (libFuzzer's -artifact_prefix) and named in the output.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.build/fuzz
TARGETS=(onnx npy safetensors png theme keys)
SWIFTC=${SWIFTC:-swiftc}
BLAS_INC=$(pkg-config --cflags-only-I openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread)
PNG_INC=$(pkg-config --cflags-only-I libpng16 2>/dev/null || echo -I/usr/include/libpng16)
# Every module map on every command line: a module's importers need its C modules too.
FLAGS=(-O -sanitize=fuzzer,address -parse-as-library -swift-version 5 -I "$OUT" -I "$OUT/CPNGText" -I "$OUT/CZWalkKernels"
       -I Sources/COpenBLAS -I Sources/CNcursesw -I Sources/CPNG -I Sources/CZlib -I Sources/CSixel -Xcc $BLAS_INC -Xcc $PNG_INC)

module() { # name, modules it imports: Sources/<name>/**/*.swift → $OUT/<name>.o + .swiftmodule
    local name=$1; shift
    local srcs; mapfile -t srcs < <(find "Sources/$name" -name '*.swift' | sort)
    local inputs=("${srcs[@]}"); for d in "$@"; do inputs+=("$OUT/$d.o"); done
    local newest; newest=$(ls -t "${inputs[@]}" | head -1)
    if [[ -f $OUT/$name.o && $OUT/$name.o -nt $newest ]]; then return; fi
    echo "fuzz: compiling $name"
    local started; started=$(date +%s)
    nice "$SWIFTC" "${FLAGS[@]}" -module-name "$name" -wmo -c "${srcs[@]}" -o "$OUT/$name.o" \
        -emit-module -emit-module-path "$OUT/$name.swiftmodule"
    touch -d "@$started" "$OUT/$name.o" # a source saved during the compile is newer
}

build() {
    mkdir -p "$OUT/CPNGText"
    printf 'module CPNGText {\n  header "%s/Sources/CPNGText/include/png_text.h"\n  export *\n}\n' "$PWD" > "$OUT/CPNGText/module.modulemap"
    # The engine's C kernels (portable and AVX2/FMA variants, chosen at run time), instrumented too.
    mkdir -p "$OUT/CZWalkKernels"
    printf 'module CZWalkKernels {\n  header "%s/Sources/CZWalkKernels/include/zwalk_kernels.h"\n  export *\n}\n' "$PWD" > "$OUT/CZWalkKernels/module.modulemap"
    for c in Sources/CZWalkKernels/*.c; do
        local o=$OUT/czk_$(basename "$c" .c).o
        if [[ ! -f $o || $c -nt $o || Sources/CZWalkKernels/dispatch.h -nt $o ]]; then
            nice clang -O2 -fsanitize=fuzzer-no-link,address -I Sources/CZWalkKernels/include -I Sources/CZWalkKernels -c "$c" -o "$o"
        fi
    done
    if [[ ! -f $OUT/png_text.o || Sources/CPNGText/png_text.c -nt $OUT/png_text.o ]]; then
        nice clang -O2 -fsanitize=fuzzer-no-link,address $PNG_INC -I Sources/CPNGText/include -c Sources/CPNGText/png_text.c -o "$OUT/png_text.o"
    fi
    module ZWalkEngine czk_dispatch
    module ZWalkFormats ZWalkEngine
    module ZWalkLatent ZWalkEngine ZWalkFormats
    module ZWalkImage ZWalkEngine
    module ZWalkTUI ZWalkEngine ZWalkLatent ZWalkImage
    for t in "${TARGETS[@]}"; do
        local src=Tests/Fuzz/$t/$t.swift
        if [[ -x $OUT/fuzz-$t && $OUT/fuzz-$t -nt $src && $OUT/fuzz-$t -nt $OUT/ZWalkTUI.o && $OUT/fuzz-$t -nt $OUT/png_text.o ]]; then continue; fi
        echo "fuzz: linking fuzz-$t"
        nice "$SWIFTC" "${FLAGS[@]}" "$src" "$OUT"/ZWalk{Engine,Formats,Latent,Image,TUI}.o "$OUT/png_text.o" "$OUT"/czk_*.o \
            -lopenblas -lpng16 -lncursesw -lsixel -lz -o "$OUT/fuzz-$t" 2> >(grep -v "Cannot export local symbol" >&2)
    done
}

run() { # seconds, targets…
    local seconds=$1; shift
    local which=("$@"); [[ ${#which[@]} -gt 0 ]] || which=("${TARGETS[@]}")
    local failed=()
    for t in "${which[@]}"; do
        local work=$OUT/corpus/$t art=$OUT/artifacts/$t/
        mkdir -p "$work" "$art"
        echo "fuzz: $t for ${seconds}s"
        # New inputs go to the scratch corpus; the committed seeds are read only.
        if ! nice -n 19 "$OUT/fuzz-$t" "$work" "Tests/Fuzz/$t/corpus" -max_total_time="$seconds" -artifact_prefix="$art" \
                -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
                > "$OUT/$t.log" 2>&1; then
            failed+=("$t")
            grep -E "ERROR|SUMMARY|Test unit written|crash-|timeout-|oom-|leak-" "$OUT/$t.log" | head -20 || true
        fi
        grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$OUT/$t.log" | sed "s/^/  $t /" || true
    done
    if [[ ${#failed[@]} -gt 0 ]]; then
        echo "fuzz: FAILED: ${failed[*]} (inputs saved under $OUT/artifacts/)"
        exit 1
    fi
    echo "fuzz: ${which[*]}: no crash"
}

case "${1:-}" in
    build) build ;;
    run) shift; build; run "$@" ;;
    *) echo "usage: tools/fuzz.sh build | run SECONDS [target…]"; exit 2 ;;
esac
