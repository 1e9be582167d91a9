/*
 * zwalk's PNG codec on libpng's classic API. Every libpng call that can fail runs below a setjmp in
 * this file: the error callback records libpng's message and longjmps back here, where everything
 * allocated so far is released and -1 is returned. Nothing longjmps across a Swift frame.
 *
 * State that must survive a longjmp lives in a heap-allocated struct whose address is fixed
 * before setjmp: automatic variables changed between setjmp and longjmp are indeterminate in C.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "png_text.h"

/* ---- errors ------------------------------------------------------------------------------- */

typedef struct zw_errors {
    char *err;
    size_t err_size;
} zw_errors;

static void zw_set_error(zw_errors *e, const char *message) {
    if (e->err != NULL && e->err_size > 0) snprintf(e->err, e->err_size, "%s", message);
}

static void zw_on_error(png_structp png, png_const_charp message) {
    zw_errors *e = (zw_errors *)png_get_error_ptr(png);
    if (e != NULL) zw_set_error(e, message != NULL ? message : "unknown libpng error");
    png_longjmp(png, 1);
}

/* Warnings (e.g. a known-bad sRGB profile, an ancillary chunk with a bad CRC, which libpng then
   drops) must not be printed: zwalk may own the terminal. They do not stop decoding. */
static void zw_on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

/* ---- encoding ----------------------------------------------------------------------------- */

typedef struct zw_encoder {
    zw_errors errors;        /* first: libpng's error pointer points here */
    unsigned char *data;
    size_t size;
    size_t capacity;
    png_textp text;
} zw_encoder;

static void zw_write_bytes(png_structp png, png_bytep bytes, size_t length) {
    zw_encoder *enc = (zw_encoder *)png_get_io_ptr(png);
    if (length > ((size_t)-1) - enc->size) png_error(png, "encoded PNG is too large");
    if (enc->size + length > enc->capacity) {
        size_t capacity = enc->capacity < 4096 ? 4096 : enc->capacity;
        while (capacity < enc->size + length) {
            if (capacity > ((size_t)-1) / 2) png_error(png, "encoded PNG is too large");
            capacity *= 2;
        }
        unsigned char *grown = (unsigned char *)realloc(enc->data, capacity);
        if (grown == NULL) png_error(png, "out of memory while encoding PNG");
        enc->data = grown;
        enc->capacity = capacity;
    }
    memcpy(enc->data + enc->size, bytes, length);
    enc->size += length;
}

static void zw_flush(png_structp png) { (void)png; }

int zw_png_encode(const unsigned char *pixels, unsigned int width, unsigned int height, unsigned int channels,
                  const zw_png_text_in *text, int text_count, int compression_level,
                  unsigned char **out, size_t *out_size, char *err, size_t err_size) {
    zw_errors plain = { err, err_size };
    if (err != NULL && err_size > 0) err[0] = '\0';
    if (out == NULL || out_size == NULL || (pixels == NULL && width > 0 && height > 0)) {
        zw_set_error(&plain, "internal error: missing buffer");
        return -1;
    }
    *out = NULL;
    *out_size = 0;
    int color_type;
    switch (channels) {
    case 1: color_type = PNG_COLOR_TYPE_GRAY; break;
    case 3: color_type = PNG_COLOR_TYPE_RGB; break;
    case 4: color_type = PNG_COLOR_TYPE_RGB_ALPHA; break;
    default: zw_set_error(&plain, "unsupported channel count (PNG export takes 1, 3 or 4)"); return -1;
    }
    if (width == 0 || height == 0) {
        zw_set_error(&plain, "image has no pixels (width or height is 0)");
        return -1;
    }
    if (text_count < 0 || (text_count > 0 && text == NULL)) {
        zw_set_error(&plain, "internal error: bad text list");
        return -1;
    }
    for (int i = 0; i < text_count; i++) {
        if (text[i].key == NULL || text[i].value == NULL || strlen(text[i].value) != text[i].value_length) {
            zw_set_error(&plain, "text value contains a NUL byte");
            return -1;
        }
    }

    zw_encoder *enc = (zw_encoder *)calloc(1, sizeof(zw_encoder));
    if (enc == NULL) {
        zw_set_error(&plain, "out of memory");
        return -1;
    }
    enc->errors = plain;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &enc->errors, zw_on_error, zw_on_warning);
    if (png == NULL) {
        free(enc);
        zw_set_error(&plain, "cannot create libpng write struct (out of memory or libpng version mismatch)");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        free(enc);
        zw_set_error(&plain, "cannot create libpng info struct (out of memory)");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(enc->text);
        free(enc->data);
        free(enc);
        return -1;
    }

    png_set_write_fn(png, enc, zw_write_bytes, zw_flush);
    if (compression_level >= 0 && compression_level <= 9) png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (text_count > 0) {
        enc->text = (png_textp)calloc((size_t)text_count, sizeof(png_text));
        if (enc->text == NULL) png_error(png, "out of memory");
        for (int i = 0; i < text_count; i++) {
            png_textp t = &enc->text[i];
            switch (text[i].kind) {
            case ZW_PNG_TEXT_PLAIN: t->compression = PNG_TEXT_COMPRESSION_NONE; break;
            case ZW_PNG_TEXT_COMPRESSED: t->compression = PNG_TEXT_COMPRESSION_zTXt; break;
            case ZW_PNG_TEXT_UTF8: t->compression = PNG_ITXT_COMPRESSION_NONE; break;
            case ZW_PNG_TEXT_UTF8_COMPRESSED: t->compression = PNG_ITXT_COMPRESSION_zTXt; break;
            default: png_error(png, "internal error: unknown text chunk kind");
            }
            /* libpng copies keys and values in png_set_text; it never writes through these. */
            t->key = (png_charp)text[i].key;
            t->text = (png_charp)text[i].value;
            t->text_length = text[i].value_length;
            t->lang = NULL;
            t->lang_key = NULL;
        }
        /* Before png_write_info, so the chunks precede IDAT and readers that stop at the image data
           (PIL's Image.open) still see them. */
        png_set_text(png, info, enc->text, text_count);
    }
    png_write_info(png, info);
    size_t row_bytes = (size_t)width * channels;
    for (unsigned int y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * row_bytes));
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);

    *out = enc->data;
    *out_size = enc->size;
    free(enc->text);
    free(enc);
    return 0;
}

void zw_png_buffer_free(unsigned char *buffer) { free(buffer); }

/* ---- decoding ----------------------------------------------------------------------------- */

typedef struct zw_decoder {
    zw_errors errors;        /* first: libpng's error pointer points here */
    const unsigned char *data;
    size_t size;
    size_t position;
    unsigned char *pixels;
    png_bytep *rows;
    zw_png_text_out *text;
    int text_count;
} zw_decoder;

static void zw_read_bytes(png_structp png, png_bytep bytes, size_t length) {
    zw_decoder *dec = (zw_decoder *)png_get_io_ptr(png);
    if (length > dec->size - dec->position) {
        char message[160];
        snprintf(message, sizeof message, "file is truncated: needed %zu bytes at byte offset %zu, file has %zu bytes",
                 length, dec->position, dec->size);
        png_error(png, message);
    }
    memcpy(bytes, dec->data + dec->position, length);
    dec->position += length;
}

/* Walks the chunk headers before libpng sees the file, up to IEND: a chunk that declares more
   bytes than the file holds is refused here. libpng would first allocate and zero-fill a buffer
   of the declared size (a 161-byte file declaring a 1.2 GB tEXt chunk took 8 s and 1.2 GB, found
   by the png fuzz target) and only then find the file truncated. */
static int zw_check_chunk_lengths(const unsigned char *data, size_t size, zw_errors *e) {
    size_t pos = 8;
    while (size - pos >= 8) {
        size_t length = ((size_t)data[pos] << 24) | ((size_t)data[pos + 1] << 16) | ((size_t)data[pos + 2] << 8) | data[pos + 3];
        const unsigned char *type = data + pos + 4;
        size_t after = size - pos - 8;
        if (length > after || after - length < 4) {
            char name[16], message[200];
            int letters = 1;
            for (int i = 0; i < 4; i++) letters &= (type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z');
            if (letters) snprintf(name, sizeof name, "'%c%c%c%c'", type[0], type[1], type[2], type[3]);
            else snprintf(name, sizeof name, "0x%02x%02x%02x%02x", type[0], type[1], type[2], type[3]);
            snprintf(message, sizeof message,
                     "file is truncated: chunk %s at byte offset %zu declares %zu bytes of data and a CRC, the file has %zu bytes after its header",
                     name, pos, length, after);
            zw_set_error(e, message);
            return -1;
        }
        if (memcmp(type, "IEND", 4) == 0) return 0;
        pos += 12 + length;
    }
    return 0; /* no IEND: libpng says what is missing */
}

static char *zw_copy_string(png_structp png, const char *s, size_t *length) {
    size_t n = s != NULL ? strlen(s) : 0;
    char *copy = (char *)malloc(n + 1);
    if (copy == NULL) png_error(png, "out of memory while reading text chunks");
    if (n > 0) memcpy(copy, s, n);
    copy[n] = '\0';
    if (length != NULL) *length = n;
    return copy;
}

static void zw_free_text(zw_png_text_out *text, int count) {
    if (text == NULL) return;
    for (int i = 0; i < count; i++) {
        free(text[i].key);
        free(text[i].value);
    }
    free(text);
}

/* Appends the text chunks libpng stored in `info` to dec->text. */
static void zw_collect_text(png_structp png, png_infop info, zw_decoder *dec) {
    png_textp chunks = NULL;
    int count = png_get_text(png, info, &chunks, NULL);
    if (count <= 0 || chunks == NULL) return;
    zw_png_text_out *grown = (zw_png_text_out *)realloc(dec->text, sizeof(zw_png_text_out) * (size_t)(dec->text_count + count));
    if (grown == NULL) png_error(png, "out of memory while reading text chunks");
    dec->text = grown;
    for (int i = 0; i < count; i++) {
        zw_png_text_out *t = &dec->text[dec->text_count];
        t->key = NULL;
        t->value = NULL;
        t->value_length = 0;
        t->is_utf8 = chunks[i].compression >= PNG_ITXT_COMPRESSION_NONE;
        dec->text_count += 1; /* counted before copying, so a failed copy is still freed */
        t->key = zw_copy_string(png, chunks[i].key, NULL);
        t->value = zw_copy_string(png, chunks[i].text, &t->value_length);
    }
}

int zw_png_decode(const unsigned char *data, size_t size, size_t max_pixels,
                  zw_png_decoded *out, char *err, size_t err_size) {
    zw_errors plain = { err, err_size };
    if (err != NULL && err_size > 0) err[0] = '\0';
    if (out == NULL) {
        zw_set_error(&plain, "internal error: missing output");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (data == NULL || size < 8) {
        char message[120];
        snprintf(message, sizeof message, "not a PNG file: %zu bytes, shorter than the 8-byte PNG signature", size);
        zw_set_error(&plain, message);
        return -1;
    }
    if (png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        zw_set_error(&plain, "not a PNG file: the first 8 bytes are not the PNG signature");
        return -1;
    }

    if (zw_check_chunk_lengths(data, size, &plain) != 0) return -1;

    zw_decoder *dec = (zw_decoder *)calloc(1, sizeof(zw_decoder));
    if (dec == NULL) {
        zw_set_error(&plain, "out of memory");
        return -1;
    }
    dec->errors = plain;
    dec->data = data;
    dec->size = size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &dec->errors, zw_on_error, zw_on_warning);
    if (png == NULL) {
        free(dec);
        zw_set_error(&plain, "cannot create libpng read struct (out of memory or libpng version mismatch)");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    png_infop end = info != NULL ? png_create_info_struct(png) : NULL;
    if (info == NULL || end == NULL) {
        png_destroy_read_struct(&png, info != NULL ? &info : NULL, NULL);
        free(dec);
        zw_set_error(&plain, "cannot create libpng info struct (out of memory)");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, &end);
        free(dec->pixels);
        free(dec->rows);
        zw_free_text(dec->text, dec->text_count);
        free(dec);
        return -1;
    }

    png_set_read_fn(png, dec, zw_read_bytes);
    /* libpng drops (with a warning) any text chunk beyond 8 MB; zwalk writes up to 64 MiB of text
       (a large grid's latent list), so allow 80 MiB, still bounded against zTXt bombs. */
    png_set_chunk_malloc_max(png, (png_alloc_size_t)80 << 20);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    /* Checked before allocating: a corrupt or hostile header must not ask for gigabytes. */
    if (width == 0 || height == 0 || (size_t)width > max_pixels / (size_t)height) {
        char message[160];
        snprintf(message, sizeof message, "image of %u x %u pixels is larger than zwalk accepts (%zu pixels)",
                 (unsigned)width, (unsigned)height, max_pixels);
        png_error(png, message);
    }

    /* Everything becomes 8-bit gray, RGB or RGBA: palettes expand to RGB, low-depth gray to 8 bits,
       transparency (tRNS) to an alpha channel, 16-bit samples scale to 8 bits, gray+alpha to RGBA. */
    int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (has_trns) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) {
#ifdef PNG_READ_SCALE_16_TO_8_SUPPORTED
        png_set_scale_16(png);
#else
        png_set_strip_16(png);
#endif
    }
    if (color_type == PNG_COLOR_TYPE_GRAY_ALPHA || (color_type == PNG_COLOR_TYPE_GRAY && has_trns)) {
        png_set_gray_to_rgb(png);
    }
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    unsigned int channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if ((channels != 1 && channels != 3 && channels != 4) || png_get_bit_depth(png, info) != 8
        || row_bytes != (size_t)width * channels) {
        png_error(png, "internal error: libpng transforms did not produce 8-bit gray, RGB or RGBA rows");
    }
    dec->pixels = (unsigned char *)malloc(row_bytes * height);
    dec->rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (dec->pixels == NULL || dec->rows == NULL) png_error(png, "out of memory for the image pixels");
    for (png_uint_32 y = 0; y < height; y++) dec->rows[y] = dec->pixels + (size_t)y * row_bytes;
    png_read_image(png, dec->rows);
    png_read_end(png, end);

    zw_collect_text(png, info, dec);
    zw_collect_text(png, end, dec);

    out->width = width;
    out->height = height;
    out->channels = channels;
    out->pixels = dec->pixels;
    out->text = dec->text;
    out->text_count = dec->text_count;
    png_destroy_read_struct(&png, &info, &end);
    free(dec->rows);
    free(dec);
    return 0;
}

void zw_png_decoded_free(zw_png_decoded *decoded) {
    if (decoded == NULL) return;
    free(decoded->pixels);
    zw_free_text(decoded->text, decoded->text_count);
    memset(decoded, 0, sizeof *decoded);
}

const char *zw_png_libpng_version(void) { return png_get_libpng_ver(NULL); }
