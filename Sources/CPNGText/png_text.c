#include <png.h>
#include "png_text.h"
/* Replaced by the PNG helper with the tEXt read/write wrappers. */
int zw_png_text_placeholder_version(void) { return PNG_LIBPNG_VER; }
