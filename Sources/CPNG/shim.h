#ifndef ZWALK_CPNG_SHIM_H
#define ZWALK_CPNG_SHIM_H
#include <png.h>
#endif
