/* Shared by the sweep's modules (sweep.c, sweep_render.c). */
#ifndef CV_SWEEP_INTERNAL_H
#define CV_SWEEP_INTERNAL_H

#include "engine/internal.h"
#include "records/lifecycle.h"
#include "casevault/sweep.h"

/** Crypto-shred a case inside a transaction: persons, blind index, documents
 * and the case key go; the statistical record stays unless `destroy`. */
/** After a completed run: the destruction certificate (journaled), plan done. */
int cv__sweep_certify(cv_archive *a, cv_sweep_plan *p, char cert_id[20]);

int cv__plan_deflate(cv_buf *out, const char *body, size_t len);
int cv__plan_inflate(cv_buf *out, const void *data, size_t len);

#endif
