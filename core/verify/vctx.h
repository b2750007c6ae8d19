/* What the parts of a verification share: the context and how damage is
 * reported. A vctx belongs to one thread; the case walk (cases.c) gives
 * each of its threads its own, whose damage is kept and delivered in case
 * order by the calling thread, so callbacks never run concurrently. */
#ifndef CV_VERIFY_VCTX_H
#define CV_VERIFY_VCTX_H

#include "engine/internal.h"

typedef struct vfound {
	size_t at, seq; /* case index, order within it */
	char *object, *reason;
} vfound;

typedef struct vctx {
	cv_archive *a;
	const cv_verify_options *o;
	cv_verify_report *rep;
	cv_damage_cb cb;
	void *payload;
	git_oid *seen; /* objects checked with their case (full mode) */
	size_t nseen, capseen;
	int rows_sound; /* every row seal checked and sound: keys need no re-check */
	size_t threads; /* threads allowed (options, or one per core; 1 to 8) */
	int keep;       /* a case-walk thread: damage kept in `found` */
	size_t at;      /* the case being checked */
	vfound *found;
	size_t nfound, capfound;
} vctx;

/** One case, as the catalog lists it; `tree` is the case tree the catalog
 * describes, once computed (`has_tree`). */
typedef struct vcase {
	char id[40], manifest[48], sealed[48];
	git_oid tree;
	int has_tree;
} vcase;

void cv__verify_damage(vctx *v, const char *object, const char *reason);
int cv__verify_in_subset(const vctx *v, const git_oid *oid);
int cv__verify_seen(vctx *v, const git_oid *oid);
/** One object of a case read, and in full mode authenticated (AES-GCM) and
 * compared with the catalog's keyed hash (`hash` NULL: a manifest). */
void cv__verify_object(vctx *v, const git_oid *oid, const char *label, const cv_case_key *k,
	const unsigned char *hash, uint64_t size);
/** Every chunk of a case (chunks.c); a case with many chunks is checked by
 * several threads, reported in the same order. In two steps: _begin reads
 * the chunk rows and starts the helpers; the caller may then use its own
 * handles for other checks of the case; _end works with them, joins them
 * and reports. `k` must outlive _end; _end is always called after a
 * successful _begin. */
typedef struct cv_chunk_pass cv_chunk_pass;
int cv__verify_case_chunks_begin(cv_chunk_pass **out, vctx *v, const char *case_id, const cv_case_key *k);
void cv__verify_case_chunks_end(vctx *v, cv_chunk_pass *p);
int cv__verify_oid_cmp(const void *x, const void *y);
/** Every case with a key: its manifest and chunks (read in full mode),
 * revision tags, its tree against the catalog's, its sealed identity; on
 * as many threads as the machine has cores. */
int cv__verify_cases(vctx *v, const git_oid *root, int has_root);
/** The tree the catalog describes for a case (casetree.c). */
int cv__verify_expected_tree(vctx *v, const char *case_id, const char *manifest_hex, const char *sealed_hex,
	git_oid *out);
/** Run `fn(ctx, store)` on the calling thread (with `own`) and on up to
 * `helpers` more threads, each with a store of its own (team.c); returns
 * when all have returned. `fn` shares out the work itself. */
typedef void (*cv_team_fn)(void *ctx, cv_store *store);
void cv__verify_team(size_t helpers, const char *gitdir, cv_store *own, cv_team_fn fn, void *ctx);
/* The same in two steps, so that the calling thread can do other work
 * (on its own handles) while the helpers start: _begin starts them (NULL
 * when it cannot: _end then does everything on the caller), _end runs `fn`
 * on the caller and joins them. */
typedef struct cv_team cv_team;
cv_team *cv__verify_team_begin(size_t helpers, const char *gitdir, cv_team_fn fn, void *ctx);
void cv__verify_team_end(cv_team *t, cv_store *own, cv_team_fn fn, void *ctx);
/** Every object of the repository not checked with its case: trees,
 * commits, older manifests (objects.c). */
int cv__verify_objects(vctx *v);
/** Cases without a key (keyless.c): each shredded by a journaled decision
 * (an approved sweep plan, a fulfilled erasure), or damage. */
int cv__verify_keyless(vctx *v, uint64_t *n);
/** cv_journal_verify checking only the newest commit's anchor, which
 * covers every entry before it (journal_api.c): for quick verify. */
int cv__journal_verify_newest(cv_journal_report *rep, cv_archive *a);
/** Every case tree of the branch against the catalog, at once. */
int cv__verify_branch_cases(vctx *v, const git_oid *root, const vcase *cases, size_t n);

#endif
