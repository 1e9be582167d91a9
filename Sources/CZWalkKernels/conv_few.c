// Direct convolution to few output channels (≤ 4: a decoder's last Conv to RGB), groups 1,
// stride 1, dilation 1. im2col + sgemm fits it badly (the column matrix is Cin·k times the input,
// written and read for 3 rows of work; sgemm with M = 3 cannot block its registers). Here each
// output row is cut into chunks of 32 columns whose 4 × cout accumulators stay in registers while
// every input channel and tap is added in: y[co][oy][ox] = bias[co] + Σ_ci Σ_ky Σ_kx
// w[co][ci][ky][kx] · x[ci][oy − padTop + ky][ox − padLeft + kx], in that order of the sums.
#include "zwalk_kernels.h"
#include "dispatch.h"

#define ZK_FEW_CHUNK 32   // output columns per register block (4 vectors of 8)
#define ZK_FEW_CHUNK16 64 // the same in the AVX-512 build (4 vectors of 16)

// One chunk of `cols` output columns starting at ox0 of output row oy. `rows` holds each input
// channel's rows row0 − padTop … (the block's, plus the kernel's height) zero-padded, column j
// being input column j − padLeft, `pitch` floats apart and `plane` rows per channel; `first` is
// the row of output row oy's first tap. Inlined with `cout` and `vecs` constant (see
// conv_few_rows), so the loops unroll and the accumulators stay in registers: nothing in the loop
// calls out.
ZK_INLINE void conv_few_chunk(const ptrdiff_t cout, const ptrdiff_t vecs, const float *rows, ptrdiff_t pitch,
                              ptrdiff_t plane, ptrdiff_t first, ptrdiff_t cin, const float *weight, const float *bias,
                              ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t oy, ptrdiff_t ox0,
                              ptrdiff_t cols, float *y) {
    const ptrdiff_t coStride = cin * kh * kw;
    zk_v8 acc[4][4];
    for (ptrdiff_t co = 0; co < cout; co++) {
        const zk_v8 b = zk_splat8(bias ? bias[co] : 0.0f);
        for (ptrdiff_t v = 0; v < vecs; v++) acc[co][v] = b;
    }
    for (ptrdiff_t ci = 0; ci < cin; ci++) {
        for (ptrdiff_t ky = 0; ky < kh; ky++) {
            const float *src = rows + (ci * plane + first + ky) * pitch + ox0;
            const float *wk = weight + (ci * kh + ky) * kw;
            for (ptrdiff_t kx = 0; kx < kw; kx++) {
                for (ptrdiff_t co = 0; co < cout; co++) {
                    const zk_v8 wv = zk_splat8(wk[co * coStride + kx]);
                    for (ptrdiff_t v = 0; v < vecs; v++) acc[co][v] += wv * zk_load8(src + kx + 8 * v);
                }
            }
        }
    }
    for (ptrdiff_t co = 0; co < cout; co++) {
        float *dst = y + (co * oh + oy) * ow + ox0;
        if (cols == vecs * 8) {
            for (ptrdiff_t v = 0; v < vecs; v++) zk_store8(dst + 8 * v, acc[co][v]);
        } else {
            float tmp[ZK_FEW_CHUNK];
            for (ptrdiff_t v = 0; v < vecs; v++) zk_store8(tmp + 8 * v, acc[co][v]);
            memcpy(dst, tmp, (size_t)cols * sizeof(float));
        }
    }
}

// The AVX-512 build's chunk: up to 64 columns of `nrows` (1 or 2) consecutive output rows, so
// each weight broadcast feeds 2·vecs FMAs of 16 lanes (the rows read the same taps one row apart).
ZK_INLINE void conv_few_chunk16(const ptrdiff_t cout, const ptrdiff_t vecs, const ptrdiff_t nrows, const float *rows,
                                ptrdiff_t pitch, ptrdiff_t plane, ptrdiff_t first, ptrdiff_t cin, const float *weight,
                                const float *bias, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t oy,
                                ptrdiff_t ox0, ptrdiff_t cols, float *y) {
    const ptrdiff_t coStride = cin * kh * kw;
    zk_v16 acc[4][2][4];
    for (ptrdiff_t co = 0; co < cout; co++) {
        const zk_v16 b = zk_splat16(bias ? bias[co] : 0.0f);
        for (ptrdiff_t r = 0; r < nrows; r++)
            for (ptrdiff_t v = 0; v < vecs; v++) acc[co][r][v] = b;
    }
    for (ptrdiff_t ci = 0; ci < cin; ci++) {
        for (ptrdiff_t ky = 0; ky < kh; ky++) {
            const float *src = rows + (ci * plane + first + ky) * pitch + ox0;
            const float *wk = weight + (ci * kh + ky) * kw;
            for (ptrdiff_t kx = 0; kx < kw; kx++) {
                zk_v16 in[2][4];
                for (ptrdiff_t r = 0; r < nrows; r++)
                    for (ptrdiff_t v = 0; v < vecs; v++) in[r][v] = zk_load16(src + r * pitch + kx + 16 * v);
                for (ptrdiff_t co = 0; co < cout; co++) {
                    const zk_v16 wv = zk_splat16(wk[co * coStride + kx]);
                    for (ptrdiff_t r = 0; r < nrows; r++)
                        for (ptrdiff_t v = 0; v < vecs; v++) acc[co][r][v] += wv * in[r][v];
                }
            }
        }
    }
    for (ptrdiff_t co = 0; co < cout; co++) {
        for (ptrdiff_t r = 0; r < nrows; r++) {
            float *dst = y + (co * oh + oy + r) * ow + ox0;
            if (cols == vecs * 16) {
                for (ptrdiff_t v = 0; v < vecs; v++) zk_store16(dst + 16 * v, acc[co][r][v]);
            } else {
                float tmp[ZK_FEW_CHUNK16];
                for (ptrdiff_t v = 0; v < vecs; v++) zk_store16(tmp + 16 * v, acc[co][r][v]);
                memcpy(dst, tmp, (size_t)cols * sizeof(float));
            }
        }
    }
}

#define ZK_FEW_CHUNK16_FOR(C, V, R) \
    conv_few_chunk16(C, V, R, rows, pitch, plane, oy - row0, cin, weight, bias, kh, kw, oh, ow, oy, ox0, cols, y)

#define ZK_FEW_CHUNK_FOR(C, V) \
    conv_few_chunk(C, V, rows, pitch, plane, oy - row0, cin, weight, bias, kh, kw, oh, ow, oy, ox0, cols, y)

// A chunk reads whole vectors (of 8, or 16 in the AVX-512 build) of its columns, plus the kernel's
// width: up to the row's width rounded up to 16, plus kw − 1.
static ptrdiff_t conv_few_pitch(ptrdiff_t kw, ptrdiff_t ow) {
    return (ow + 15) / 16 * 16 + kw - 1;
}

// n floats from src to dst, 8 at a time: rows are short (tens of floats), and a libc call per row
// cost more than the copy.
ZK_INLINE void copy_short(float *dst, const float *src, ptrdiff_t n) {
    ptrdiff_t j = 0;
    for (; j + 8 <= n; j += 8) zk_store8(dst + j, zk_load8(src + j));
    for (; j < n; j++) dst[j] = src[j];
}

// Copies the input rows a block of output rows reads, each once, zero-padded.
ZK_INLINE void conv_few_stage(const float *x, ptrdiff_t cin, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh, ptrdiff_t kw,
                              ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t ow, ptrdiff_t row0, ptrdiff_t row1, float *rows) {
    const ptrdiff_t pitch = conv_few_pitch(kw, ow), plane = row1 - row0 + kh - 1;
    // The input rows the block reads, each copied once, zero-padded: zeros, the row's part, zeros.
    const ptrdiff_t lo = padLeft < pitch ? padLeft : pitch;
    ptrdiff_t n = w - (lo - padLeft);
    if (n > pitch - lo) n = pitch - lo;
    if (n < 0) n = 0;
    // one memset for all the rows, then each row's part copied in
    memset(rows, 0, (size_t)(cin * plane * pitch) * sizeof(float));
    if (n <= 0) return;
    for (ptrdiff_t ci = 0; ci < cin; ci++) {
        for (ptrdiff_t r = 0; r < plane; r++) {
            const ptrdiff_t iy = row0 - padTop + r;
            if (iy < 0 || iy >= h) continue;
            copy_short(rows + (ci * plane + r) * pitch + lo, x + (ci * h + iy) * w + (lo - padLeft), n);
        }
    }
}

ZK_INLINE void conv_few_rows(const float *x, ptrdiff_t cin, ptrdiff_t h, ptrdiff_t w, const float *weight, const float *bias,
                             ptrdiff_t cout, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t oh,
                             ptrdiff_t ow, ptrdiff_t row0, ptrdiff_t row1, float *y, float *rows) {
    const ptrdiff_t pitch = conv_few_pitch(kw, ow), plane = row1 - row0 + kh - 1;
    conv_few_stage(x, cin, h, w, kh, kw, padTop, padLeft, ow, row0, row1, rows);
    for (ptrdiff_t oy = row0; oy < row1; oy++) {
        for (ptrdiff_t ox0 = 0; ox0 < ow; ox0 += ZK_FEW_CHUNK) {
            const ptrdiff_t cols = ow - ox0 < ZK_FEW_CHUNK ? ow - ox0 : ZK_FEW_CHUNK;
            const ptrdiff_t vecs = (cols + 7) / 8;
            // Full chunks with constant sizes (unrolled, in registers); the row's tail generic.
            if (vecs == 4) {
                switch (cout) {
                case 1: ZK_FEW_CHUNK_FOR(1, 4); break;
                case 2: ZK_FEW_CHUNK_FOR(2, 4); break;
                case 3: ZK_FEW_CHUNK_FOR(3, 4); break;
                default: ZK_FEW_CHUNK_FOR(4, 4); break;
                }
            } else {
                ZK_FEW_CHUNK_FOR(cout, vecs);
            }
        }
    }
}

static void conv_few_portable(const float *x, ptrdiff_t cin, ptrdiff_t h, ptrdiff_t w, const float *weight, const float *bias,
                              ptrdiff_t cout, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t oh,
                              ptrdiff_t ow, ptrdiff_t row0, ptrdiff_t row1, float *y, float *rows) {
    conv_few_rows(x, cin, h, w, weight, bias, cout, kh, kw, padTop, padLeft, oh, ow, row0, row1, y, rows);
}
#if ZK_HAS_AVX2_VARIANT
ZK_AVX2_TARGET static void conv_few_avx2(const float *x, ptrdiff_t cin, ptrdiff_t h, ptrdiff_t w, const float *weight,
                                         const float *bias, ptrdiff_t cout, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t padTop,
                                         ptrdiff_t padLeft, ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t row0, ptrdiff_t row1, float *y,
                                         float *rows) {
    conv_few_rows(x, cin, h, w, weight, bias, cout, kh, kw, padTop, padLeft, oh, ow, row0, row1, y, rows);
}
ZK_AVX512_TARGET static void conv_few_avx512(const float *x, ptrdiff_t cin, ptrdiff_t h, ptrdiff_t w, const float *weight,
                                             const float *bias, ptrdiff_t cout, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t padTop,
                                             ptrdiff_t padLeft, ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t row0, ptrdiff_t row1,
                                             float *y, float *rows) {
    const ptrdiff_t pitch = conv_few_pitch(kw, ow), plane = row1 - row0 + kh - 1;
    conv_few_stage(x, cin, h, w, kh, kw, padTop, padLeft, ow, row0, row1, rows);
    for (ptrdiff_t oy = row0; oy < row1; oy += 2) {
        const ptrdiff_t nrows = row1 - oy >= 2 ? 2 : 1;
        for (ptrdiff_t ox0 = 0; ox0 < ow; ox0 += ZK_FEW_CHUNK16) {
            const ptrdiff_t cols = ow - ox0 < ZK_FEW_CHUNK16 ? ow - ox0 : ZK_FEW_CHUNK16;
            const ptrdiff_t vecs = (cols + 15) / 16;
            // The common shapes with constant sizes (unrolled, in registers); the rest generic.
            if (nrows == 2 && cout == 3 && vecs == 2) ZK_FEW_CHUNK16_FOR(3, 2, 2);
            else if (nrows == 2 && cout == 3 && vecs == 4) ZK_FEW_CHUNK16_FOR(3, 4, 2);
            else if (nrows == 2 && vecs == 2) ZK_FEW_CHUNK16_FOR(cout, 2, 2);
            else ZK_FEW_CHUNK16_FOR(cout, vecs, nrows);
        }
    }
}
#endif

void zk_conv_few_outputs(int variant, const float *x, ptrdiff_t cin, ptrdiff_t h, ptrdiff_t w, const float *weight,
                         const float *bias, ptrdiff_t cout, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t padTop, ptrdiff_t padLeft,
                         ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t row0, ptrdiff_t row1, float *y, float *rows) {
#if ZK_HAS_AVX2_VARIANT
    if (variant == ZK_AVX512) { conv_few_avx512(x, cin, h, w, weight, bias, cout, kh, kw, padTop, padLeft, oh, ow, row0, row1, y, rows); return; }
    if (variant >= ZK_AVX2) { conv_few_avx2(x, cin, h, w, weight, bias, cout, kh, kw, padTop, padLeft, oh, ow, row0, row1, y, rows); return; }
#endif
    conv_few_portable(x, cin, h, w, weight, bias, cout, kh, kw, padTop, padLeft, oh, ow, row0, row1, y, rows);
}

size_t zk_conv_few_outputs_scratch(ptrdiff_t cin, ptrdiff_t rows, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t ow) {
    return (size_t)(cin * (rows + kh - 1) * conv_few_pitch(kw, ow));
}
