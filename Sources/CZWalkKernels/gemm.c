// A small-matrix sgemm for products too small to pay OpenBLAS's per-call cost (threads woken,
// both operands packed on every call): a dense layer at batch 1–256. B — the layer's weight — is
// packed once at load time into panels of 32 columns (K × 32, zero-padded); A is read in place.
// The micro-kernel keeps an MR × 32 block of C in registers, adds the bias and applies the
// activation in the same pass (a fused epilogue: Tanh and Sigmoid too, on the block still in
// registers), then stores it.
//
// Three variants: AVX-512 (MR 8: 16 zmm accumulators), AVX2/FMA (MR 4: 16 ymm), portable (MR 4,
// SSE). Written once with 16-lane vector types, which each target lowers to 1, 2 or 4 registers.
#include "zwalk_kernels.h"
#include "vmath.h"

#define ZK_PANEL 32

ZK_INLINE zk_v16 zk_act16(zk_v16 x, int act, float alpha) {
    // (a NaN is not < 0, so it passes both unchanged)
    if (act == ZK_ACT_RELU) return zk_select16(x < zk_splat16(0), zk_splat16(0), x);
    if (act == ZK_ACT_LEAKY_RELU) return zk_select16(x < zk_splat16(0), x * zk_splat16(alpha), x);
    if (act == ZK_ACT_TANH) return zk_tanh16(x);
    if (act == ZK_ACT_SIGMOID) return zk_sigmoid16(x);
    return x;
}

size_t zk_sgemm_packed_size(ptrdiff_t k, ptrdiff_t n) {
    return (size_t)((n + ZK_PANEL - 1) / ZK_PANEL) * ZK_PANEL * (size_t)k;
}

void zk_sgemm_pack_b(const float *b, ptrdiff_t ldb, int transB, ptrdiff_t k, ptrdiff_t n, float *packed) {
    for (ptrdiff_t p0 = 0; p0 < n; p0 += ZK_PANEL) {
        float *dst = packed + p0 * k;
        const ptrdiff_t cols = n - p0 < ZK_PANEL ? n - p0 : ZK_PANEL;
        for (ptrdiff_t kk = 0; kk < k; kk++) {
            for (ptrdiff_t j = 0; j < ZK_PANEL; j++) {
                float v = 0;
                if (j < cols) v = transB ? b[(p0 + j) * ldb + kk] : b[kk * ldb + p0 + j];
                dst[kk * ZK_PANEL + j] = v;
            }
        }
    }
}

// rows (≤ MR) × cols (≤ 32) of C from A's rows and one packed panel.
ZK_INLINE void gemm_block(const int MR, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t k, const float *a, ptrdiff_t rs, ptrdiff_t cs,
                          const float *panel, const float *bias, int act, float alpha, float *c, ptrdiff_t ldc) {
    zk_v16 acc[8][2];
    for (int i = 0; i < MR; i++) { acc[i][0] = zk_splat16(0); acc[i][1] = zk_splat16(0); }
    if (rows == MR) {
        for (ptrdiff_t kk = 0; kk < k; kk++) {
            // A panel row is two cache lines; ask for them 8 rows ahead (a weight larger than the
            // caches streams from memory at batch 1).
            __builtin_prefetch(panel + (kk + 8) * ZK_PANEL);
            __builtin_prefetch(panel + (kk + 8) * ZK_PANEL + 16);
            const zk_v16 b0 = zk_load16(panel + kk * ZK_PANEL), b1 = zk_load16(panel + kk * ZK_PANEL + 16);
            for (int i = 0; i < MR; i++) {
                const zk_v16 av = zk_splat16(a[i * rs + kk * cs]);
                acc[i][0] += av * b0;
                acc[i][1] += av * b1;
            }
        }
    } else {
        for (ptrdiff_t kk = 0; kk < k; kk++) {
            const zk_v16 b0 = zk_load16(panel + kk * ZK_PANEL), b1 = zk_load16(panel + kk * ZK_PANEL + 16);
            for (int i = 0; i < MR; i++) {
                if (i < rows) {
                    const zk_v16 av = zk_splat16(a[i * rs + kk * cs]);
                    acc[i][0] += av * b0;
                    acc[i][1] += av * b1;
                }
            }
        }
    }
    float bb[ZK_PANEL] = {0};
    if (bias) memcpy(bb, bias, (size_t)cols * sizeof(float));
    const zk_v16 bias0 = zk_load16(bb), bias1 = zk_load16(bb + 16);
    for (int i = 0; i < MR && i < rows; i++) {
        const zk_v16 r0 = zk_act16(acc[i][0] + bias0, act, alpha), r1 = zk_act16(acc[i][1] + bias1, act, alpha);
        float *dst = c + i * ldc;
        if (cols == ZK_PANEL) {
            zk_store16(dst, r0);
            zk_store16(dst + 16, r1);
        } else {
            float tmp[ZK_PANEL];
            zk_store16(tmp, r0);
            zk_store16(tmp + 16, r1);
            memcpy(dst, tmp, (size_t)cols * sizeof(float));
        }
    }
}

ZK_INLINE void sgemm_packed(const int MR, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t rs,
                            ptrdiff_t cs, const float *packed, const float *bias, int act, float alpha, float *c,
                            ptrdiff_t ldc) {
    for (ptrdiff_t p0 = 0; p0 < n; p0 += ZK_PANEL) {
        const ptrdiff_t cols = n - p0 < ZK_PANEL ? n - p0 : ZK_PANEL;
        const float *panel = packed + p0 * k;
        for (ptrdiff_t i0 = 0; i0 < m; i0 += MR) {
            const ptrdiff_t rows = m - i0 < MR ? m - i0 : MR;
            gemm_block(MR, rows, cols, k, a + i0 * rs, rs, cs, panel, bias ? bias + p0 : 0, act, alpha,
                       c + i0 * ldc + p0, ldc);
        }
    }
}

static void sgemm_packed_portable(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t rs, ptrdiff_t cs,
                                  const float *packed, const float *bias, int act, float alpha, float *c, ptrdiff_t ldc) {
    sgemm_packed(4, m, n, k, a, rs, cs, packed, bias, act, alpha, c, ldc);
}
#if ZK_HAS_AVX2_VARIANT
ZK_AVX2_TARGET static void sgemm_packed_avx2(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t rs,
                                             ptrdiff_t cs, const float *packed, const float *bias, int act, float alpha,
                                             float *c, ptrdiff_t ldc) {
    sgemm_packed(4, m, n, k, a, rs, cs, packed, bias, act, alpha, c, ldc);
}
ZK_AVX512_TARGET
static void sgemm_packed_avx512(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t rs, ptrdiff_t cs,
                                const float *packed, const float *bias, int act, float alpha, float *c, ptrdiff_t ldc) {
    sgemm_packed(8, m, n, k, a, rs, cs, packed, bias, act, alpha, c, ldc);
}
#endif

void zk_sgemm_packed_strided(int variant, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t rs, ptrdiff_t cs,
                             const float *packed, const float *bias, int act, float alpha, float *c, ptrdiff_t ldc) {
#if ZK_HAS_AVX2_VARIANT
    if (variant == ZK_AVX512) { sgemm_packed_avx512(m, n, k, a, rs, cs, packed, bias, act, alpha, c, ldc); return; }
    if (variant >= ZK_AVX2) { sgemm_packed_avx2(m, n, k, a, rs, cs, packed, bias, act, alpha, c, ldc); return; }
#endif
    sgemm_packed_portable(m, n, k, a, rs, cs, packed, bias, act, alpha, c, ldc);
}

void zk_sgemm_packed(int variant, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *packed,
                     const float *bias, int act, float alpha, float *c, ptrdiff_t ldc) {
    zk_sgemm_packed_strided(variant, m, n, k, a, lda, 1, packed, bias, act, alpha, c, ldc);
}
