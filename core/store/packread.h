/* A reader of whole blob entries straight from the version-2 pack files
 * (pread and a raw inflate, no checksum: for a caller that authenticates
 * the bytes itself). It knows the packs present when it was opened; for
 * anything it cannot serve it returns CV_ENOTFOUND and the caller asks
 * libgit2. Owned by one cv_store; not thread-safe. */
#ifndef CV_STORE_PACKREAD_H
#define CV_STORE_PACKREAD_H

#include <git2.h>
#include <stddef.h>

typedef struct cv_packread cv_packread;

int cv__packread_open(cv_packread **out, const char *pack_dir);
void cv__packread_free(cv_packread *r);
/** A blob's bytes, valid until the next call on `r`; CV_ENOTFOUND when
 * this reader cannot serve it (not in its packs, not a whole blob entry,
 * unreadable): ask libgit2. */
int cv__packread_blob(cv_packread *r, const git_oid *oid, const void **data, size_t *len);

#endif
