#ifndef ZWALK_PNG_TEXT_H
#define ZWALK_PNG_TEXT_H
/*
 * All of zwalk's PNG encoding and decoding, through libpng's classic API (the simplified API cannot
 * read or write text chunks). libpng reports errors by longjmp; every setjmp lives in png_text.c,
 * so no longjmp ever crosses a Swift frame: each function returns 0 on success or -1 with libpng's
 * message (or ours) in `err`.
 *
 * Memory: buffers returned through `out` parameters are malloc'd here and released with the
 * matching zw_png_*_free function.
 */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How one text entry is stored. */
enum zw_png_text_kind {
    ZW_PNG_TEXT_PLAIN = 0,        /* tEXt: Latin-1, uncompressed */
    ZW_PNG_TEXT_COMPRESSED = 1,   /* zTXt: Latin-1, deflated */
    ZW_PNG_TEXT_UTF8 = 2,         /* iTXt: UTF-8, uncompressed */
    ZW_PNG_TEXT_UTF8_COMPRESSED = 3 /* iTXt: UTF-8, deflated */
};

/* A text entry to write. `key` is a NUL-terminated Latin-1 keyword (1-79 bytes, checked by the
   caller); `value` holds `value_length` bytes in the encoding `kind` implies, without NUL bytes. */
typedef struct zw_png_text_in {
    const char *key;
    const char *value;
    size_t value_length;
    int kind;
} zw_png_text_in;

/* A text entry read from a file: `key` is Latin-1, `value` is Latin-1 (tEXt, zTXt) or UTF-8
   (iTXt, `is_utf8` = 1). Both NUL-terminated; `value_length` excludes the NUL. */
typedef struct zw_png_text_out {
    char *key;
    char *value;
    size_t value_length;
    int is_utf8;
} zw_png_text_out;

/* A decoded image: 8 bits per sample, rows packed (`width * channels` bytes each), channels 1
   (gray), 3 (RGB) or 4 (RGBA); gray+alpha, palettes and tRNS are expanded to RGBA/RGB. */
typedef struct zw_png_decoded {
    unsigned int width;
    unsigned int height;
    unsigned int channels;
    unsigned char *pixels;
    zw_png_text_out *text;
    int text_count;
} zw_png_decoded;

/* Encodes `pixels` (8-bit, `channels` 1/3/4, rows packed) with the text entries written before
   IDAT. On success *out / *out_size hold the PNG bytes (free with zw_png_buffer_free). */
int zw_png_encode(const unsigned char *pixels, unsigned int width, unsigned int height, unsigned int channels,
                  const zw_png_text_in *text, int text_count, int compression_level,
                  unsigned char **out, size_t *out_size, char *err, size_t err_size);

void zw_png_buffer_free(unsigned char *buffer);

/* Decodes a whole PNG held in memory, including every tEXt/zTXt/iTXt chunk before and after IDAT.
   Images with more than `max_pixels` pixels are refused before any pixel buffer is allocated. */
int zw_png_decode(const unsigned char *data, size_t size, size_t max_pixels,
                  zw_png_decoded *out, char *err, size_t err_size);

void zw_png_decoded_free(zw_png_decoded *decoded);

/* The libpng version the program runs with (for `zwalk --version` and error reports). */
const char *zw_png_libpng_version(void);

#ifdef __cplusplus
}
#endif
#endif
