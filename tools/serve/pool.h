/* casevault serve — per-user pools of archive handles (functions in
 * http.h: sv__pool_*). A handle belongs to one thread at a time, so each
 * request checks one out of its user's pool and gives it back after the
 * handler; the login handle stays in the pool as the template clones are
 * made from. Thread-safety: every function locks. */
#ifndef CV_SERVE_POOL_H
#define CV_SERVE_POOL_H

#include "http.h"

#define SV_POOL_HARD_MAX 32

#endif
