/* What the sweep's files share: plans as stored and read back (sweep_store.c),
 * used by making (sweep_plan.c), approving (sweep_approve.c), running
 * (sweep_run.c) and rendering them (sweep_render.c). A plan handed out belongs
 * to the caller (cv_sweep_plan_free). Not thread-safe: one archive handle, one
 * thread. */
#ifndef CV_SWEEP_INTERNAL_H
#define CV_SWEEP_INTERNAL_H

#include "engine/internal.h"
#include "casevault/sweep.h"

/** The actions by their index in a plan's counts: keep, archive, anonymise,
 * destroy (the plugin's CV_ACTION_*). */
extern const char *const cv__sweep_actions[4];
/** Index of an action name in cv__sweep_actions; 0 (keep) when unknown. */
int cv__sweep_action_index(const char *action);
/** Digest of the facts a planned action rests on (state, category, dates,
 * version): a run refuses a plan whose cases changed since. */
int cv__sweep_facts_digest(char out[65], const char *id, const char *state, const char *category, const char *opened,
	const char *closed, int version);

/** Plans are stored deflated; bodies stored before that are read as they are. */
int cv__plan_deflate(cv_buf *out, const char *body, size_t len);
int cv__plan_inflate(cv_buf *out, const void *data, size_t len);

/** The full id of the plan whose id starts with `prefix` (4 to 16 digits). */
int cv__sweep_resolve(cv_archive *a, const char *prefix, char id[20]);
/** planner, planned, approver, approved, state: five columns from `col`. */
void cv__sweep_signoff(cv_sweep_plan *p, sqlite3_stmt *st, int col);
/** What changes after planning: sign-off, state, each item's result. */
int cv__sweep_plan_state(cv_sweep_plan *p, cv_archive *a);
/** Run `sql` on plan `id` with ?2 = p1, ?3 = p2. */
int cv__sweep_set_plan(cv_archive *a, const char *id, const char *sql, const char *p1, const char *p2);
/** The facts digest each item of a plan's body rests on ("" in plans made
 * before bodies carried it). */
typedef struct cv__facts {
	char digest[65];
} cv__facts;
/** A plan read from its body, which must match the hash that names it
 * (CV_EDAMAGED otherwise), with each item's result; `facts` (optional)
 * receives each item's facts, freed with free(). */
int cv__sweep_plan_load(cv_sweep_plan **out, cv__facts **facts, cv_archive *a, const char *plan_id);
/** Why the plan no longer holds (a case gone or changed since the body
 * was made), "" when it does. */
int cv__sweep_stale(cv_archive *a, const cv_sweep_plan *p, const cv__facts *facts, char *why, size_t n);

/** After a completed run: the destruction certificate (journaled), plan done. */
int cv__sweep_certify(cv_archive *a, cv_sweep_plan *p, char cert_id[20]);

#endif
