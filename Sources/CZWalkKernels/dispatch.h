// Builds each kernel body twice: `NAME_portable` for baseline x86-64 and `NAME_avx2` with AVX2
// and FMA enabled. The bodies are always-inline functions written with 8-lane vector types, so
// the compiler emits one ymm instruction per operation in the AVX2 variant and two xmm ones in
// the portable variant.
#ifndef ZWALK_DISPATCH_H
#define ZWALK_DISPATCH_H

#include <string.h>

// The 8-lane helpers are always inlined, so no vector ever crosses a call boundary and the
// "changes the ABI" note for the portable variant does not apply.
#pragma clang diagnostic ignored "-Wpsabi"

#define ZK_INLINE static inline __attribute__((always_inline))
#if defined(__x86_64__) || defined(__i386__)
#define ZK_HAS_AVX2_VARIANT 1
#define ZK_AVX2_TARGET __attribute__((target("avx2,fma")))
#else
#define ZK_HAS_AVX2_VARIANT 0
#define ZK_AVX2_TARGET
#endif

typedef float zk_v8 __attribute__((vector_size(32), aligned(4)));

ZK_INLINE zk_v8 zk_load8(const float *p) { zk_v8 v; memcpy(&v, p, sizeof v); return v; }
ZK_INLINE void zk_store8(float *p, zk_v8 v) { memcpy(p, &v, sizeof v); }
typedef int zk_i8 __attribute__((vector_size(32), aligned(4)));
ZK_INLINE zk_v8 zk_splat8(float x) { return (zk_v8){x, x, x, x, x, x, x, x}; }
/// max(x, 0), keeping NaN (as Swift's max(x, 0) and the engine's Relu do).
ZK_INLINE zk_v8 zk_relu8(zk_v8 x) { return (zk_v8)((zk_i8)x & ~(x < zk_splat8(0))); }

// 16-lane vectors: one zmm with AVX-512, two ymm with AVX2, four xmm in the portable build.
#define ZK_AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx2,fma")))
typedef float zk_v16 __attribute__((vector_size(64), aligned(4)));
typedef int zk_i16 __attribute__((vector_size(64), aligned(4)));
ZK_INLINE zk_v16 zk_load16(const float *p) { zk_v16 v; memcpy(&v, p, sizeof v); return v; }
ZK_INLINE void zk_store16(float *p, zk_v16 v) { memcpy(p, &v, sizeof v); }
ZK_INLINE zk_v16 zk_splat16(float x) { return (zk_v16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }

#endif
