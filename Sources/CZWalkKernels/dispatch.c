#include "zwalk_kernels.h"
#include "dispatch.h"

int zk_avx2_selected = 0;
int zk_avx512_selected = 0;

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

static void zk_select_for(int portable) {
    zk_avx2_selected = portable ? 0 : cpu_has_avx2();
    zk_avx512_selected = portable ? 0 : cpu_has_avx512();
}

__attribute__((constructor)) static void zk_select(void) { zk_select_for(0); }

int zk_avx2_active(void) { return zk_avx2_selected; }
int zk_avx512_active(void) { return zk_avx512_selected; }

void zk_force_portable(int portable) { zk_select_for(portable); }
