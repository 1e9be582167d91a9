#ifndef ZWALK_CSIXEL_SHIM_H
#define ZWALK_CSIXEL_SHIM_H
#include <sixel/sixel.h>
#endif
