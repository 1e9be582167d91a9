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

ZK_INLINE zk_v16 zk_exp16(zk_v16 x) {
    const zk_v16 high = zk_splat16(88.72283f), low = zk_splat16(-87.33654f);
    zk_v16 xc = zk_select16(x > high, high, x);
    xc = zk_select16(x < low, low, xc);
    const zk_v16 magic = zk_splat16(12582912.0f);
    const zk_v16 shifted = xc * zk_splat16(1.442695041f) + magic;
    const zk_v16 n = shifted - magic;
    zk_v16 r = xc - n * zk_splat16(0.693359375f);
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
    const zk_i16 half = bits >> 1;
    const zk_i16 bias = zk_splat16i(127);
    const zk_v16 scaleA = (zk_v16)((half + bias) << 23);
    const zk_v16 scaleB = (zk_v16)((bits - half + bias) << 23);
    zk_v16 result = er * scaleA * scaleB;
    result = zk_select16(x > high, zk_splat16(__builtin_inff()), result);
    result = zk_select16(x < low, zk_splat16(0), result);
    return zk_select16(x != x, x, result);
}

ZK_INLINE zk_v16 zk_tanh16(zk_v16 x) {
    const zk_v16 zero = zk_splat16(0);
    const zk_i16 negative = x < zero;
    const zk_v16 a = zk_select16(negative, -x, x);
    const zk_v16 s = x * x;
    zk_v16 p = zk_splat16(-5.70498872745e-3f);
    p = p * s + zk_splat16(2.06390887954e-2f);
    p = p * s + zk_splat16(-5.37397155531e-2f);
    p = p * s + zk_splat16(1.33314422036e-1f);
    p = p * s + zk_splat16(-3.33332819422e-1f);
    const zk_v16 small = p * s * x + x;
    const zk_v16 e = zk_exp16(a + a);
    zk_v16 large = zk_splat16(1) - zk_splat16(2) / (e + zk_splat16(1));
    large = zk_select16(negative, -large, large);
    const zk_v16 result = zk_select16(a < zk_splat16(0.625f), small, large);
    return zk_select16(x != x, x, result);
}

ZK_INLINE zk_v16 zk_sigmoid16(zk_v16 x) {
    const zk_v16 zero = zk_splat16(0);
    const zk_v16 negAbs = zk_select16(x > zero, -x, x);
    const zk_v16 e = zk_exp16(negAbs);
    const zk_v16 positive = zk_splat16(1) / (zk_splat16(1) + e);
    const zk_v16 result = zk_select16(x < zero, e * positive, positive);
    return zk_select16(x != x, x, result);
}

#endif
