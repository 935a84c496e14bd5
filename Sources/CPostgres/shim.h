#ifndef INGATE_CPOSTGRES_SHIM_H
#define INGATE_CPOSTGRES_SHIM_H
#include <libpq-fe.h>

// PG_DIAG_SQLSTATE is a character macro ('C'), which Swift does not import.
static inline int ingate_pg_diag_sqlstate(void) {
    return PG_DIAG_SQLSTATE;
}
#endif
