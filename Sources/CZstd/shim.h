#ifndef INGATE_CZSTD_SHIM_H
#define INGATE_CZSTD_SHIM_H
#include <zstd.h>
#endif
