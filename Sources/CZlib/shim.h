#ifndef INGATE_CZLIB_SHIM_H
#define INGATE_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro (it passes the zlib version and struct size), so Swift cannot call it.
static inline int ingate_inflate_init2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
