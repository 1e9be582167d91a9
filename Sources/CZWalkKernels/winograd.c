// Winograd F(4×4, 3×3) transforms (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", interpolation points 0, ±1, ±2, ∞). A 6×6 input tile d gives a 4×4 output block
//   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
// The filter transform G g Gᵀ is done once at load time in Swift (ConvolutionWinograd.swift);
// the 36 elementwise products summed over channels are 36 sgemms there. Here: Bᵀ d B and Aᵀ m A.
//
// Both transforms run on 16 channels at a time (one channel per vector lane), so every load and
// store of a transform is a whole contiguous vector whatever the image's width. The tensors are
// NCHW, so each side passes through a small channel-last staging buffer: the input rows a row of
// tiles reads are transposed into it (8×8 blocks in registers), and the output rows are
// transposed out of it, with the skip connection's Add and the activation applied as they are
// stored. An earlier version put tiles in the lanes instead: it gathered every tile's columns one
// float at a time, and an image 8 or 16 pixels wide filled 2 or 4 of the 8 lanes.
#include "zwalk_kernels.h"
#include "dispatch.h"

#define ZK_WG_LANES 16

ZK_INLINE ptrdiff_t round16(ptrdiff_t n) { return (n + ZK_WG_LANES - 1) / ZK_WG_LANES * ZK_WG_LANES; }

// o[j] = column j of the 8×8 block whose row r is r[r] (the classic unpack / shuffle / permute
// transpose, written as shuffles so each build picks its instructions).
ZK_INLINE void transpose8(const zk_v8 r[8], zk_v8 o[8]) {
    zk_v8 t[8], u[8];
    for (int p = 0; p < 4; p++) {
        t[2 * p] = __builtin_shufflevector(r[2 * p], r[2 * p + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[2 * p + 1] = __builtin_shufflevector(r[2 * p], r[2 * p + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int h = 0; h < 2; h++) {
        const zk_v8 *s = t + 4 * h;
        u[4 * h + 0] = __builtin_shufflevector(s[0], s[2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[4 * h + 1] = __builtin_shufflevector(s[0], s[2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[4 * h + 2] = __builtin_shufflevector(s[1], s[3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[4 * h + 3] = __builtin_shufflevector(s[1], s[3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int j = 0; j < 4; j++) {
        o[j] = __builtin_shufflevector(u[j], u[4 + j], 0, 1, 2, 3, 8, 9, 10, 11);
        o[j + 4] = __builtin_shufflevector(u[j], u[4 + j], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

// ---- input: V[ξ][t][c] = (Bᵀ d B)[ξ] ----

// t (6) = Bᵀ d (6), along one line of the tile, 16 channels per vector.
ZK_INLINE void bt6(const zk_v16 d[6], zk_v16 t[6]) {
    const zk_v16 four = zk_splat16(4), five = zk_splat16(5), two = zk_splat16(2);
    t[0] = four * d[0] - five * d[2] + d[4];
    t[1] = d[3] + d[4] - four * (d[1] + d[2]);
    t[2] = four * (d[1] - d[2]) - d[3] + d[4];
    t[3] = two * (d[3] - d[1]) - d[2] + d[4];
    t[4] = two * (d[1] - d[3]) - d[2] + d[4];
    t[5] = four * d[1] - five * d[3] + d[5];
}

size_t zk_winograd43_input_staging(ptrdiff_t channels, ptrdiff_t tiles) {
    return (size_t)(6 * (4 * tiles + 2) * round16(channels));
}

ZK_INLINE void winograd43_input(const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t tileRow,
                                ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t tiles, float *v, ptrdiff_t xiStride,
                                ptrdiff_t tileStride, float *s) {
    const ptrdiff_t cs = round16(channels), width = 4 * tiles + 2, plane = h * w;
    const ptrdiff_t y0 = 4 * tileRow - padTop, x0 = -padLeft;
    // The columns of the staged rows that fall inside the plane: [xa, xb).
    ptrdiff_t xa = -x0 > 0 ? -x0 : 0, xb = w - x0 < width ? w - x0 : width;
    if (xb < xa) xb = xa;
    // s[i][j][c] = x[c][y0 + i][x0 + j], zero outside the plane and for c ≥ channels.
    for (int i = 0; i < 6; i++) {
        float *row = s + i * width * cs;
        const ptrdiff_t y = y0 + i;
        if (y < 0 || y >= h) {
            memset(row, 0, (size_t)(width * cs) * sizeof(float));
            continue;
        }
        memset(row, 0, (size_t)(xa * cs) * sizeof(float));
        memset(row + xb * cs, 0, (size_t)((width - xb) * cs) * sizeof(float));
        const float *src = x + y * w + x0;
        ptrdiff_t c = 0;
        for (; c + 8 <= channels; c += 8) {
            ptrdiff_t j = xa;
            for (; j + 8 <= xb; j += 8) {
                zk_v8 r[8], o[8];
                for (int q = 0; q < 8; q++) r[q] = zk_load8(src + (c + q) * plane + j);
                transpose8(r, o);
                for (int q = 0; q < 8; q++) zk_store8(row + (j + q) * cs + c, o[q]);
            }
            for (; j < xb; j++)
                for (int q = 0; q < 8; q++) row[j * cs + c + q] = src[(c + q) * plane + j];
        }
        for (ptrdiff_t j = xa; j < xb; j++) {
            for (ptrdiff_t cc = c; cc < channels; cc++) row[j * cs + cc] = src[cc * plane + j];
            for (ptrdiff_t cc = channels; cc < cs; cc++) row[j * cs + cc] = 0.0f;
        }
    }
    for (ptrdiff_t t = 0; t < tiles; t++) {
        for (ptrdiff_t c = 0; c < cs; c += ZK_WG_LANES) {
            zk_v16 cols[6][6]; // cols[j][i]: Bᵀ applied down column j
            for (int j = 0; j < 6; j++) {
                zk_v16 d[6];
                for (int i = 0; i < 6; i++) d[i] = zk_load16(s + (i * width + 4 * t + j) * cs + c);
                bt6(d, cols[j]);
            }
            float *dst = v + t * tileStride + c;
            for (int i = 0; i < 6; i++) {
                zk_v16 d[6], o[6];
                for (int j = 0; j < 6; j++) d[j] = cols[j][i];
                bt6(d, o);
                for (int j = 0; j < 6; j++) zk_store16(dst + (i * 6 + j) * xiStride, o[j]);
            }
        }
    }
}

// ---- output: Y = Aᵀ m A + bias (+ residual), activation ----

// o (4) = Aᵀ m (6).
ZK_INLINE void at6(const zk_v16 m[6], zk_v16 o[4]) {
    const zk_v16 p12 = m[1] + m[2], d12 = m[1] - m[2], p34 = m[3] + m[4], d34 = m[3] - m[4];
    o[0] = m[0] + p12 + p34;
    o[1] = d12 + zk_splat16(2) * d34;
    o[2] = p12 + zk_splat16(4) * p34;
    o[3] = d12 + zk_splat16(8) * d34 + m[5];
}

size_t zk_winograd43_output_staging(ptrdiff_t channels, ptrdiff_t tiles) {
    return (size_t)(4 * 4 * tiles * round16(channels));
}

// Stores 8 values of one output row: + residual, activation.
ZK_INLINE void store_out8(float *dst, const float *res, zk_v8 value, int act) {
    if (res) value = value + zk_load8(res);
    if (act == ZK_ACT_RELU) value = zk_relu8(value);
    zk_store8(dst, value);
}

ZK_INLINE float out1(float value, const float *res, int act) {
    if (res) value += *res;
    // max(x, 0) keeping NaN, as the vector path does
    if (act == ZK_ACT_RELU && value < 0) value = 0;
    return value;
}

ZK_INLINE void winograd43_output(const float *m, ptrdiff_t xiStride, ptrdiff_t tileStride, ptrdiff_t channels,
                                 ptrdiff_t tiles, const float *bias, const float *residual, int act, float *out,
                                 ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t tileRow, float *s) {
    const ptrdiff_t cs = round16(channels), width = 4 * tiles, outPlane = oh * ow;
    const ptrdiff_t y0 = 4 * tileRow, rows = oh - y0 < 4 ? oh - y0 : 4, span = ow < width ? ow : width;
    // s[i][x][k] = the block's output at row y0 + i, column x, channel k (bias added).
    for (ptrdiff_t c = 0; c < cs; c += ZK_WG_LANES) {
        float bb[ZK_WG_LANES] = {0};
        for (ptrdiff_t l = 0; l < ZK_WG_LANES && c + l < channels; l++) bb[l] = bias ? bias[c + l] : 0.0f;
        const zk_v16 b = zk_load16(bb);
        for (ptrdiff_t t = 0; t < tiles; t++) {
            const float *src = m + t * tileStride + c;
            zk_v16 cols[6][4]; // cols[j][i]: Aᵀ applied down column j
            for (int j = 0; j < 6; j++) {
                zk_v16 d[6];
                for (int i = 0; i < 6; i++) d[i] = zk_load16(src + (i * 6 + j) * xiStride);
                at6(d, cols[j]);
            }
            for (int i = 0; i < 4; i++) {
                zk_v16 d[6], o[4];
                for (int j = 0; j < 6; j++) d[j] = cols[j][i];
                at6(d, o);
                for (int j = 0; j < 4; j++) zk_store16(s + (i * width + 4 * t + j) * cs + c, o[j] + b);
            }
        }
    }
    // out[k][y0 + i][x] = s[i][x][k] (+ residual), activation.
    for (ptrdiff_t i = 0; i < rows; i++) {
        const float *row = s + i * width * cs;
        const ptrdiff_t offset = (y0 + i) * ow;
        ptrdiff_t k = 0;
        for (; k + 8 <= channels; k += 8) {
            ptrdiff_t x = 0;
            for (; x + 8 <= span; x += 8) {
                zk_v8 r[8], o[8];
                for (int q = 0; q < 8; q++) r[q] = zk_load8(row + (x + q) * cs + k);
                transpose8(r, o);
                for (int q = 0; q < 8; q++) {
                    const ptrdiff_t at = (k + q) * outPlane + offset + x;
                    store_out8(out + at, residual ? residual + at : 0, o[q], act);
                }
            }
            for (; x < span; x++)
                for (int q = 0; q < 8; q++) {
                    const ptrdiff_t at = (k + q) * outPlane + offset + x;
                    out[at] = out1(row[x * cs + k + q], residual ? residual + at : 0, act);
                }
        }
        for (; k < channels; k++)
            for (ptrdiff_t x = 0; x < span; x++) {
                const ptrdiff_t at = k * outPlane + offset + x;
                out[at] = out1(row[x * cs + k], residual ? residual + at : 0, act);
            }
    }
}

// ---- the builds ----

#define ZK_WG_INPUT_ARGS                                                                                        \
    const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t tileRow, ptrdiff_t padTop,           \
        ptrdiff_t padLeft, ptrdiff_t tiles, float *v, ptrdiff_t xiStride, ptrdiff_t tileStride, float *staging
#define ZK_WG_INPUT_CALL x, channels, h, w, tileRow, padTop, padLeft, tiles, v, xiStride, tileStride, staging
#define ZK_WG_OUTPUT_ARGS                                                                                       \
    const float *m, ptrdiff_t xiStride, ptrdiff_t tileStride, ptrdiff_t channels, ptrdiff_t tiles,               \
        const float *bias, const float *residual, int act, float *out, ptrdiff_t oh, ptrdiff_t ow,               \
        ptrdiff_t tileRow, float *staging
#define ZK_WG_OUTPUT_CALL m, xiStride, tileStride, channels, tiles, bias, residual, act, out, oh, ow, tileRow, staging

static void input_portable(ZK_WG_INPUT_ARGS) { winograd43_input(ZK_WG_INPUT_CALL); }
static void output_portable(ZK_WG_OUTPUT_ARGS) { winograd43_output(ZK_WG_OUTPUT_CALL); }
#if ZK_HAS_AVX2_VARIANT
ZK_AVX2_TARGET static void input_avx2(ZK_WG_INPUT_ARGS) { winograd43_input(ZK_WG_INPUT_CALL); }
ZK_AVX2_TARGET static void output_avx2(ZK_WG_OUTPUT_ARGS) { winograd43_output(ZK_WG_OUTPUT_CALL); }
ZK_AVX512_TARGET static void input_avx512(ZK_WG_INPUT_ARGS) { winograd43_input(ZK_WG_INPUT_CALL); }
ZK_AVX512_TARGET static void output_avx512(ZK_WG_OUTPUT_ARGS) { winograd43_output(ZK_WG_OUTPUT_CALL); }
#endif

void zk_winograd43_input(int variant, ZK_WG_INPUT_ARGS) {
#if ZK_HAS_AVX2_VARIANT
    if (variant == ZK_AVX512) { input_avx512(ZK_WG_INPUT_CALL); return; }
    if (variant >= ZK_AVX2) { input_avx2(ZK_WG_INPUT_CALL); return; }
#endif
    input_portable(ZK_WG_INPUT_CALL);
}

void zk_winograd43_output(int variant, ZK_WG_OUTPUT_ARGS) {
#if ZK_HAS_AVX2_VARIANT
    if (variant == ZK_AVX512) { output_avx512(ZK_WG_OUTPUT_CALL); return; }
    if (variant >= ZK_AVX2) { output_avx2(ZK_WG_OUTPUT_CALL); return; }
#endif
    output_portable(ZK_WG_OUTPUT_CALL);
}
