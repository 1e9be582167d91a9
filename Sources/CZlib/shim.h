#ifndef ZWALK_CZLIB_SHIM_H
#define ZWALK_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a function-like macro (it passes ZLIB_VERSION and sizeof(z_stream)), which
/// Swift does not import: a raw deflate stream (no zlib header), as zip entries hold.
static inline int zwalk_inflate_init_raw(z_stream *s) { return inflateInit2(s, -15); }
#endif
