#ifndef ZWALK_PNG_TEXT_H
#define ZWALK_PNG_TEXT_H
/* Classic-API libpng calls whose errors arrive by longjmp, wrapped into return codes. */
int zw_png_text_placeholder_version(void);
#endif
