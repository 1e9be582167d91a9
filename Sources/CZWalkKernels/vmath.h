// Exp, Tanh and Sigmoid on 16-lane vectors: the same arithmetic as the Swift reference in
// VectorMath.swift (Cephes-style exp with range reduction, tanh's odd polynomial for |x| < 0.625).
// Shared by the whole-buffer maps (activations.c) and the kernels that apply them to an output
// block still in registers (the small sgemm's epilogue). Each lane follows the same operations in
// every build, so a value does not depend on the variant beyond FMA contraction.
#ifndef ZWALK_VMATH_H
#define ZWALK_VMATH_H

#include "dispatch.h"

ZK_INLINE zk_i16 zk_splat16i(int x) { return (zk_i16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }

ZK_INLINE zk_v16 zk_select16(zk_i16 mask, zk_v16 a, zk_v16 b) {
    return (zk_v16)((mask & (zk_i16)a) | (~mask & (zk_i16)b));
}

// e^x for x in [-87.3, 20] (or NaN, which comes out NaN): the reference's range reduction and
// polynomial without its clamps, infinities and split scale, which that range never needs — the
// callers bound their arguments, and the values are the reference's bit for bit.
ZK_INLINE zk_v16 zk_exp16_bounded(zk_v16 x) {
    const zk_v16 magic = zk_splat16(12582912.0f);
    const zk_v16 shifted = x * zk_splat16(1.442695041f) + magic;
    const zk_v16 n = shifted - magic;
    zk_v16 r = x - n * zk_splat16(0.693359375f);
    r = r - n * zk_splat16(-2.12194440e-4f);
    const zk_v16 r2 = r * r;
    zk_v16 p = zk_splat16(1.9875691500e-4f);
    p = p * r + zk_splat16(1.3981999507e-3f);
    p = p * r + zk_splat16(8.3334519073e-3f);
    p = p * r + zk_splat16(4.1665795894e-2f);
    p = p * r + zk_splat16(1.6666665459e-1f);
    p = p * r + zk_splat16(5.0000001201e-1f);
    const zk_v16 er = p * r2 + r + zk_splat16(1);
    const zk_i16 bits = (zk_i16)shifted - (zk_i16)magic;
    return er * (zk_v16)((bits + zk_splat16i(127)) << 23);
}

// tanh(x) = ±(1 − 2 / (e^2|x| + 1)), or the odd polynomial below |x| = 0.625. |x| is bounded by 10
// first: 1 − 2 / (e^20 + 1) already rounds to 1. A NaN passes every step as NaN.
ZK_INLINE zk_v16 zk_tanh16(zk_v16 x) {
    const zk_i16 sign = zk_splat16i((int)0x80000000u);
    const zk_v16 a = (zk_v16)((zk_i16)x & ~sign);
    const zk_v16 s = x * x;
    zk_v16 p = zk_splat16(-5.70498872745e-3f);
    p = p * s + zk_splat16(2.06390887954e-2f);
    p = p * s + zk_splat16(-5.37397155531e-2f);
    p = p * s + zk_splat16(1.33314422036e-1f);
    p = p * s + zk_splat16(-3.33332819422e-1f);
    const zk_v16 small = p * s * x + x;
    const zk_v16 bounded = zk_select16(a > zk_splat16(10), zk_splat16(10), a);
    const zk_v16 e = zk_exp16_bounded(bounded + bounded);
    const zk_v16 large = zk_splat16(1) - zk_splat16(2) / (e + zk_splat16(1));
    const zk_v16 signedLarge = (zk_v16)((zk_i16)large | ((zk_i16)x & sign));
    return zk_select16(a < zk_splat16(0.625f), small, signedLarge);
}

// 1 / (1 + e^-x) from e = e^-|x|, which cannot overflow; below −87.3 (where e^x leaves the
// normal floats) the result is 0.
ZK_INLINE zk_v16 zk_sigmoid16(zk_v16 x) {
    const zk_i16 sign = zk_splat16i((int)0x80000000u);
    const zk_v16 negAbs = (zk_v16)((zk_i16)x | sign);
    const zk_v16 low = zk_splat16(-87.33654f);
    const zk_v16 e = zk_exp16_bounded(zk_select16(negAbs < low, low, negAbs));
    const zk_v16 positive = zk_splat16(1) / (zk_splat16(1) + e);
    const zk_v16 result = zk_select16(x < zk_splat16(0), e * positive, positive);
    return zk_select16(x < low, zk_splat16(0), result);
}

#endif
