// Winograd F(4×4, 3×3) transforms (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", interpolation points 0, ±1, ±2, ∞). A 6×6 input tile d gives a 4×4 output block
//   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
// The filter transform G g Gᵀ is done once at load time in Swift (ConvolutionWinograd.swift);
// the 36 elementwise products summed over channels are 36 sgemms there. Here: Bᵀ d B and Aᵀ m A,
// eight tiles at a time (one tile per vector lane), so the 36 rows of V and M are read and written
// as contiguous 8-float runs.
#include "zwalk_kernels.h"
#include "dispatch.h"

// t (6) = Bᵀ d (6), one column of the tile.
#define ZK_BT6(d0, d1, d2, d3, d4, d5, t)                                          \
    do {                                                                            \
        zk_v8 four = zk_splat8(4), five = zk_splat8(5), two = zk_splat8(2);         \
        t[0] = four * d0 - five * d2 + d4;                                          \
        t[1] = -four * (d1 + d2) + d3 + d4;                                         \
        t[2] = four * (d1 - d2) - d3 + d4;                                          \
        t[3] = two * (d3 - d1) - d2 + d4;                                           \
        t[4] = two * (d1 - d3) - d2 + d4;                                           \
        t[5] = four * d1 - five * d3 + d5;                                          \
    } while (0)

ZK_INLINE void winograd43_input(const float *plane, ptrdiff_t h, ptrdiff_t w, ptrdiff_t tileRow, ptrdiff_t padTop,
                                ptrdiff_t padLeft, ptrdiff_t tiles, float *v, ptrdiff_t xiStride) {
    const ptrdiff_t y0 = 4 * tileRow - padTop;
    for (ptrdiff_t t0 = 0; t0 < tiles; t0 += 8) {
        const ptrdiff_t lanes = tiles - t0 < 8 ? tiles - t0 : 8;
        const ptrdiff_t x0 = 4 * t0 - padLeft;
        // The 4·8 + 2 input columns these tiles read, per row, zero outside the plane.
        float row[6][40];
        for (int i = 0; i < 6; i++) {
            const ptrdiff_t y = y0 + i;
            const ptrdiff_t span = 4 * lanes + 2;
            if (y < 0 || y >= h) {
                memset(row[i], 0, sizeof row[i]);
                continue;
            }
            const float *src = plane + y * w;
            if (x0 >= 0 && x0 + span <= w) {
                memcpy(row[i], src + x0, (size_t)span * sizeof(float));
            } else {
                for (ptrdiff_t j = 0; j < span; j++) {
                    const ptrdiff_t x = x0 + j;
                    row[i][j] = (x >= 0 && x < w) ? src[x] : 0.0f;
                }
            }
            for (ptrdiff_t j = span; j < 40; j++) row[i][j] = 0.0f;
        }
        // d[i][j]: lane l holds row i, column 4·l + j.
        zk_v8 t[6][6];
        for (int j = 0; j < 6; j++) {
            zk_v8 d[6];
            for (int i = 0; i < 6; i++) {
                const float *r = row[i] + j;
                d[i] = (zk_v8){r[0], r[4], r[8], r[12], r[16], r[20], r[24], r[28]};
            }
            zk_v8 c[6];
            ZK_BT6(d[0], d[1], d[2], d[3], d[4], d[5], c);
            for (int i = 0; i < 6; i++) t[i][j] = c[i];
        }
        for (int i = 0; i < 6; i++) {
            zk_v8 c[6];
            ZK_BT6(t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], c);
            for (int j = 0; j < 6; j++) {
                float *dst = v + (i * 6 + j) * xiStride + t0;
                if (lanes == 8) {
                    zk_store8(dst, c[j]);
                } else {
                    float tmp[8];
                    zk_store8(tmp, c[j]);
                    memcpy(dst, tmp, (size_t)lanes * sizeof(float));
                }
            }
        }
    }
}

// o (4) = Aᵀ m (6).
ZK_INLINE void zk_at6(zk_v8 m0, zk_v8 m1, zk_v8 m2, zk_v8 m3, zk_v8 m4, zk_v8 m5, zk_v8 o[4]) {
    const zk_v8 p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4;
    o[0] = m0 + p12 + p34;
    o[1] = d12 + zk_splat8(2) * d34;
    o[2] = p12 + zk_splat8(4) * p34;
    o[3] = d12 + zk_splat8(8) * d34 + m5;
}

ZK_INLINE void winograd43_output(const float *m, ptrdiff_t xiStride, ptrdiff_t tileStride, ptrdiff_t tiles, float bias,
                                 const float *residual, int act, float *out, ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t tileRow) {
    const ptrdiff_t y0 = 4 * tileRow;
    const ptrdiff_t rows = oh - y0 < 4 ? oh - y0 : 4;
    for (ptrdiff_t t0 = 0; t0 < tiles; t0 += 8) {
        const ptrdiff_t lanes = tiles - t0 < 8 ? tiles - t0 : 8;
        zk_v8 s[4][6];
        for (int j = 0; j < 6; j++) {
            zk_v8 c[6];
            for (int i = 0; i < 6; i++) {
                const float *src = m + (i * 6 + j) * xiStride + t0 * tileStride;
                if (lanes == 8 && tileStride == 1) {
                    c[i] = zk_load8(src);
                } else {
                    float tmp[8] = {0};
                    for (ptrdiff_t l = 0; l < lanes; l++) tmp[l] = src[l * tileStride];
                    c[i] = zk_load8(tmp);
                }
            }
            zk_v8 o[4];
            zk_at6(c[0], c[1], c[2], c[3], c[4], c[5], o);
            for (int i = 0; i < 4; i++) s[i][j] = o[i];
        }
        const zk_v8 b = zk_splat8(bias);
        const ptrdiff_t x0 = 4 * t0, span = ow - x0 < 4 * lanes ? ow - x0 : 4 * lanes;
        for (ptrdiff_t i = 0; i < rows; i++) {
            zk_v8 o[4];
            zk_at6(s[i][0], s[i][1], s[i][2], s[i][3], s[i][4], s[i][5], o);
            // o[j] lane l is output column 4·l + j: interleave into 32 consecutive columns.
            float block[32];
            for (int j = 0; j < 4; j++) {
                float tmp[8];
                zk_store8(tmp, o[j] + b);
                for (int l = 0; l < 8; l++) block[4 * l + j] = tmp[l];
            }
            // then the residual (a skip connection's Add) and the activation, 8 columns at a time
            const float *res = residual ? residual + (y0 + i) * ow + x0 : 0;
            for (int q = 0; q < 4; q++) {
                if (residual || act == ZK_ACT_RELU) {
                    zk_v8 r = zk_load8(block + 8 * q);
                    if (residual) {
                        float tmp[8] = {0};
                        const ptrdiff_t n = span - 8 * q;
                        if (n >= 8) r = r + zk_load8(res + 8 * q);
                        else if (n > 0) { memcpy(tmp, res + 8 * q, (size_t)n * sizeof(float)); r = r + zk_load8(tmp); }
                    }
                    if (act == ZK_ACT_RELU) r = zk_relu8(r);
                    zk_store8(block + 8 * q, r);
                }
            }
            memcpy(out + (y0 + i) * ow + x0, block, (size_t)span * sizeof(float));
        }
    }
}

static void winograd43_input_portable(const float *plane, ptrdiff_t h, ptrdiff_t w, ptrdiff_t tileRow,
                                      ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t tiles, float *v,
                                      ptrdiff_t xiStride) {
    winograd43_input(plane, h, w, tileRow, padTop, padLeft, tiles, v, xiStride);
}
static void winograd43_output_portable(const float *m, ptrdiff_t xiStride, ptrdiff_t tileStride, ptrdiff_t tiles, float bias,
                                       const float *residual, int act, float *out, ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t tileRow) {
    winograd43_output(m, xiStride, tileStride, tiles, bias, residual, act, out, oh, ow, tileRow);
}
#if ZK_HAS_AVX2_VARIANT
ZK_AVX2_TARGET static void winograd43_input_avx2(const float *plane, ptrdiff_t h, ptrdiff_t w, ptrdiff_t tileRow,
                                                 ptrdiff_t padTop, ptrdiff_t padLeft, ptrdiff_t tiles, float *v,
                                                 ptrdiff_t xiStride) {
    winograd43_input(plane, h, w, tileRow, padTop, padLeft, tiles, v, xiStride);
}
ZK_AVX2_TARGET static void winograd43_output_avx2(const float *m, ptrdiff_t xiStride, ptrdiff_t tileStride, ptrdiff_t tiles, float bias,
                                                  const float *residual, int act, float *out, ptrdiff_t oh, ptrdiff_t ow,
                                                  ptrdiff_t tileRow) {
    winograd43_output(m, xiStride, tileStride, tiles, bias, residual, act, out, oh, ow, tileRow);
}
#endif

void zk_winograd43_input(int variant, const float *plane, ptrdiff_t h, ptrdiff_t w, ptrdiff_t tileRow, ptrdiff_t padTop,
                         ptrdiff_t padLeft, ptrdiff_t tiles, float *v, ptrdiff_t xiStride) {
#if ZK_HAS_AVX2_VARIANT
    if (variant >= ZK_AVX2) { winograd43_input_avx2(plane, h, w, tileRow, padTop, padLeft, tiles, v, xiStride); return; }
#endif
    winograd43_input_portable(plane, h, w, tileRow, padTop, padLeft, tiles, v, xiStride);
}

void zk_winograd43_output(int variant, const float *m, ptrdiff_t xiStride, ptrdiff_t tileStride, ptrdiff_t tiles, float bias,
                          const float *residual, int act, float *out, ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t tileRow) {
#if ZK_HAS_AVX2_VARIANT
    if (variant >= ZK_AVX2) {
        winograd43_output_avx2(m, xiStride, tileStride, tiles, bias, residual, act, out, oh, ow, tileRow);
        return;
    }
#endif
    winograd43_output_portable(m, xiStride, tileStride, tiles, bias, residual, act, out, oh, ow, tileRow);
}
