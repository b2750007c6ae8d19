/* Outside anchors of the journal: lines appended to a file kept away from
 * the archive (another disk, a removable medium, a mail archive), each the
 * journal head at one moment, signed with an Ed25519 key derived from the
 * master key. An archive that does not extend every anchored head was
 * rolled back or rewritten (docs/journal.md). Stateless; the file is the
 * caller's. */
#ifndef CV_JOURNAL_ANCHOR_H
#define CV_JOURNAL_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct cv_anchor {
	uint64_t seq;
	unsigned char head[32];
	char time[32];
	int line;            /* its line in the file */
} cv_anchor;

/** Append "casevault-anchor 1 ARCHIVE SEQ HEAD TIME PUB SIG" to `path`
 * (created with mode 0600, never through a link) and sync it. `seed` is the
 * archive's anchor-signing key. */
int cv__anchor_append(const char *path, const char *archive_id, uint64_t seq, const unsigned char head[32],
	const char *time, const unsigned char seed[32]);
/** The anchors of `archive_id` in `path`, each signature checked against the
 * key of `seed`; a line of this archive that does not verify is damage
 * (CV_EDAMAGED, `why` names its line). Lines of other archives are skipped. */
int cv__anchor_load(cv_anchor **out, size_t *n, const char *path, const char *archive_id, const unsigned char seed[32],
	char *why, size_t wn);

#endif
