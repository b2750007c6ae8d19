/* What the rights register's files share (rights_open.c: opening and reading
 * requests; rights_decide.c: decisions; rights.c: fulfilment). A request
 * handed out belongs to the caller (cv_request_free). Not thread-safe: one
 * archive handle, one thread. */
#ifndef CV_RIGHTS_INTERNAL_H
#define CV_RIGHTS_INTERNAL_H

#include "engine/internal.h"
#include "casevault/request.h"

/** A request about to change: the acting user may do `action` on it (a
 * refusal is journaled by the access check), then the request itself. */
/** A request as stored (sealed rows checked), without any access check:
 * for actions whose own check is done by the caller. */
int cv__request_load_raw(cv_request **out, cv_archive *a, const char *id);
/** The archived cases (comma-separated ids, sorted) a granted erasure would
 * shred: what the archives director approves (R.212-14). */
int cv__erasure_archived(cv_archive *a, const cv_request *r, char *out, size_t n);
int cv__request_load_for_change(cv_archive *a, const char *id, const char *action, cv_request **r);
/** Put (`on`) or lift a restriction of processing for every subject of `r`,
 * and rebuild their cases' trees, inside `t`. */
int cv__request_restrict(cv_archive *a, cv_request *r, cv_txn *t, int on);

#endif
