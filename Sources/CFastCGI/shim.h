#ifndef INGATE_CFASTCGI_SHIM_H
#define INGATE_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#endif
