// zwalk's hand-written CPU kernels: loops Swift compiles for baseline x86-64 (SSE) that gain from
// AVX2/FMA. Each kernel is built portable and with target("avx2,fma"), most a third time for
// AVX-512 (sgemm, Tanh/Sigmoid, Winograd, the few-outputs convolution). Every call names its
// variant: the engine passes the best the CPU has (zk_best_variant, from cpuid), tests also pass
// ZK_PORTABLE. There is no process-wide switch, so one caller's choice never changes another's
// numbers.
#ifndef ZWALK_KERNELS_H
#define ZWALK_KERNELS_H

#include <stddef.h>

/// Kernel variants. A kernel without an AVX-512 build runs its AVX2 one for ZK_AVX512.
enum {
    ZK_PORTABLE = 0,
    ZK_AVX2 = 1,
    ZK_AVX512 = 2,
};

/// The best variant this CPU runs (cpuid).
int zk_best_variant(void);
/// 1 when the CPU runs every AVX-512 subset OpenBLAS's SkylakeX kernels use (F, VL, BW, DQ, CD).
int zk_cpu_runs_skylakex(void);

/// The engine's thread pool (pool.c). zk_pool_run calls fn(ctx, i) for every i < count, spread over
/// the calling thread and up to threads − 1 workers, and returns 1 when all have returned; it
/// returns 0 without calling fn when the pool is busy with another thread's job or when called
/// from inside a job (the caller then runs the loop itself).
typedef void (*zk_pool_fn)(void *ctx, ptrdiff_t index);
int zk_pool_run(int threads, ptrdiff_t count, zk_pool_fn fn, void *ctx);
/// 1 on a thread while it runs part of a pool job.
int zk_pool_inside(void);

/// Activations a kernel applies in its output pass (fused epilogue).
enum {
    ZK_ACT_NONE = 0,
    ZK_ACT_RELU = 1,
    ZK_ACT_LEAKY_RELU = 2,
    ZK_ACT_TANH = 3,      // zk_sgemm_packed only: the arithmetic of zk_tanh
    ZK_ACT_SIGMOID = 4,   // zk_sgemm_packed only: the arithmetic of zk_sigmoid
};

/// Winograd F(4×4, 3×3) input transform of one row of tiles, 16 channels per vector.
/// x: `channels` consecutive (h × w) planes; tile t of the row covers input rows
/// 4·tileRow − padTop … +5 and columns 4·t − padLeft … +5 (outside the plane reads 0). Writes
/// v[ξ·xiStride + t·tileStride + c] = (Bᵀ d B)[ξ] for ξ < 36, t < tiles and c < channels rounded
/// up to 16 (0 beyond `channels`). `staging`: zk_winograd43_input_staging(channels, tiles) floats.
void zk_winograd43_input(int variant, const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t tileRow,
                         ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t tiles, float *v, ptrdiff_t xiStride,
                         ptrdiff_t tileStride, float *staging);
size_t zk_winograd43_input_staging(ptrdiff_t channels, ptrdiff_t tiles);

/// Winograd F(4×4, 3×3) output transform of one row of tiles of `channels` output channels: reads
/// m[ξ·xiStride + t·tileStride + k] for ξ < 36, t < tiles, k < channels rounded up to 16; writes
/// the 4×4 blocks Aᵀ m A + bias[k] (bias may be NULL) (+ the same positions of `residual`, planes
/// laid out as `out`, when not NULL: a skip connection's Add), through `act`, into rows
/// 4·tileRow … of the (oh × ow) planes of `out` (the parts inside them). `staging`:
/// zk_winograd43_output_staging(channels, tiles) floats.
void zk_winograd43_output(int variant, const float *m, ptrdiff_t xiStride, ptrdiff_t tileStride, ptrdiff_t channels,
                          ptrdiff_t tiles, const float *bias, const float *residual, int act, float *out, ptrdiff_t oh,
                          ptrdiff_t ow, ptrdiff_t tileRow, float *staging);
size_t zk_winograd43_output_staging(ptrdiff_t channels, ptrdiff_t tiles);

/// Direct convolution of one image to cout ≤ 4 output channels (groups 1, stride 1, dilation 1):
/// x (cin × h × w), weight (cout × cin × kh × kw), bias (cout) or NULL; writes output rows
/// row0 ..< row1 of y (cout × oh × ow), zero padding outside the input. `rows`: scratch of
/// zk_conv_few_outputs_scratch(cin, row1 − row0, …) floats (the block's input rows, padded).
void zk_conv_few_outputs(int variant, const float *x, ptrdiff_t cin, ptrdiff_t h, ptrdiff_t w, const float *weight,
                         const float *bias, ptrdiff_t cout, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t padTop, ptrdiff_t padLeft,
                         ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t row0, ptrdiff_t row1, float *y, float *rows);
size_t zk_conv_few_outputs_scratch(ptrdiff_t cin, ptrdiff_t rows, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t ow);

/// y = tanh(x) and y = 1 / (1 + e^-x) over n floats (x and y may be the same buffer).
void zk_tanh(int variant, const float *x, float *y, ptrdiff_t n);
void zk_sigmoid(int variant, const float *x, float *y, ptrdiff_t n);

/// Floats of a packed B for zk_sgemm_packed (K × N rounded up to panels of 32 columns).
size_t zk_sgemm_packed_size(ptrdiff_t k, ptrdiff_t n);
/// Packs op(B) (K × N; B is (N × K) when transB) for zk_sgemm_packed.
void zk_sgemm_pack_b(const float *b, ptrdiff_t ldb, int transB, ptrdiff_t k, ptrdiff_t n, float *packed);
/// C (m × n) = act(A (m × k) · B + bias), B packed by zk_sgemm_pack_b, bias (n) or NULL; `alpha` is
/// LeakyRelu's slope. Single-threaded: callers split rows or 32-column panels across threads.
void zk_sgemm_packed(int variant, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *packed,
                     const float *bias, int act, float alpha, float *c, ptrdiff_t ldc);
/// The same with A's element (i, p) at a[i·rs + p·cs] (a transposed A: rs 1, cs its row length).
void zk_sgemm_packed_strided(int variant, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t rs, ptrdiff_t cs,
                             const float *packed, const float *bias, int act, float alpha, float *c, ptrdiff_t ldc);

#endif
