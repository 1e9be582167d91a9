// Tanh and Sigmoid over whole buffers, sixteen lanes at a time (vmath.h: one zmm with AVX-512, two
// ymm with AVX2/FMA, four xmm in the portable build). The Swift SIMD8 version, built for baseline
// x86-64, ran an MLP generator's output Tanh at ~8 ns per element, as long as its three Gemms
// together; the AVX2 build of eight lanes still took a fifth of mlp_gan's batch-64 decode.
#include "zwalk_kernels.h"
#include "vmath.h"

// Whole vectors, then the tail through one zero-padded vector (every element takes the same path).
#define ZK_MAP16(f, x, y, n)                                                         \
    do {                                                                              \
        ptrdiff_t i = 0;                                                              \
        for (; i + 16 <= (n); i += 16) zk_store16((y) + i, f(zk_load16((x) + i)));    \
        if (i < (n)) {                                                                \
            float tmp[16] = {0};                                                      \
            memcpy(tmp, (x) + i, (size_t)((n) - i) * sizeof(float));                  \
            zk_store16(tmp, f(zk_load16(tmp)));                                       \
            memcpy((y) + i, tmp, (size_t)((n) - i) * sizeof(float));                  \
        }                                                                             \
    } while (0)

// (Bodies without vector parameters, so that each variant inlines them whole.)
ZK_INLINE void tanh_body(const float *x, float *y, ptrdiff_t n) { ZK_MAP16(zk_tanh16, x, y, n); }
ZK_INLINE void sigmoid_body(const float *x, float *y, ptrdiff_t n) { ZK_MAP16(zk_sigmoid16, x, y, n); }

static void tanh_portable(const float *x, float *y, ptrdiff_t n) { tanh_body(x, y, n); }
static void sigmoid_portable(const float *x, float *y, ptrdiff_t n) { sigmoid_body(x, y, n); }
#if ZK_HAS_AVX2_VARIANT
ZK_AVX2_TARGET static void tanh_avx2(const float *x, float *y, ptrdiff_t n) { tanh_body(x, y, n); }
ZK_AVX2_TARGET static void sigmoid_avx2(const float *x, float *y, ptrdiff_t n) { sigmoid_body(x, y, n); }
ZK_AVX512_TARGET static void tanh_avx512(const float *x, float *y, ptrdiff_t n) { tanh_body(x, y, n); }
ZK_AVX512_TARGET static void sigmoid_avx512(const float *x, float *y, ptrdiff_t n) { sigmoid_body(x, y, n); }
#endif

void zk_tanh(int variant, const float *x, float *y, ptrdiff_t n) {
#if ZK_HAS_AVX2_VARIANT
    if (variant == ZK_AVX512) { tanh_avx512(x, y, n); return; }
    if (variant >= ZK_AVX2) { tanh_avx2(x, y, n); return; }
#endif
    tanh_portable(x, y, n);
}

void zk_sigmoid(int variant, const float *x, float *y, ptrdiff_t n) {
#if ZK_HAS_AVX2_VARIANT
    if (variant == ZK_AVX512) { sigmoid_avx512(x, y, n); return; }
    if (variant >= ZK_AVX2) { sigmoid_avx2(x, y, n); return; }
#endif
    sigmoid_portable(x, y, n);
}
