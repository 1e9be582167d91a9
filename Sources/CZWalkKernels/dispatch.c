#include "zwalk_kernels.h"
#include "dispatch.h"

static int cpu_has_avx2(void) {
#if ZK_HAS_AVX2_VARIANT
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static int cpu_has_avx512(void) {
#if ZK_HAS_AVX2_VARIANT
    __builtin_cpu_init();
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

int zk_best_variant(void) {
    return cpu_has_avx512() ? ZK_AVX512 : cpu_has_avx2() ? ZK_AVX2 : ZK_PORTABLE;
}

int zk_cpu_runs_skylakex(void) {
#if ZK_HAS_AVX2_VARIANT
    __builtin_cpu_init();
    return cpu_has_avx512() && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512cd");
#else
    return 0;
#endif
}
