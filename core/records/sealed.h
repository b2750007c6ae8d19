/* A case's sealed identity (sealed.c). Not thread-safe: one archive handle,
 * one thread. */
#ifndef CV_RECORDS_SEALED_H
#define CV_RECORDS_SEALED_H

#include "engine/internal.h"

#include <openssl/x509.h>

/** The archive's sealing certificate (CV_ESTATE before origins setup). */
int cv__sealing_cert(cv_archive *a, X509 **out);
/** CV_EDAMAGED unless `x` is the certificate the signed origins setup
 * pinned (cv__sealing_cert checks it on every load). */
int cv__sealing_cert_pinned(cv_archive *a, X509 *x);
/** Seal `plain` to the sealing certificate: CMS AuthEnvelopedData (DER),
 * appended to `out`; `cert_sha` receives the certificate's SHA-256. */
int cv__sealed_seal(cv_buf *out, char cert_sha[65], cv_archive *a, const void *plain, size_t len);
/** Structure of a sealed object without decrypting it: 0, or CV_EDAMAGED
 * with `why` set. */
int cv__sealed_check_object(cv_archive *a, const void *obj, size_t n, char *why, size_t wn);
/** Integrity of a case's sealed objects without decrypting them (verify):
 * the catalog's record, the SHA-256 of each object, its CMS structure and
 * recipient, and (with `root`) the branch's "sealed" entry. 0 when sound or
 * absent; CV_EDAMAGED with `why` set. */
int cv__sealed_verify(cv_archive *a, const char *case_id, const git_oid *root, int quick, char *why, size_t n);
/** The case's current sealed object, checked against its SHA-256 and the
 * journal's record of its ingestion (CV_EDAMAGED otherwise). */
int cv__sealed_load(cv_archive *a, const char *case_id, git_odb_object **out);

#endif
