/*
 * casevault — case keys for recovery with openssl.
 */
#ifndef CASEVAULT_KEY_H
#define CASEVAULT_KEY_H

#include "archive.h"

CV_BEGIN_DECL

/** The case key id and key, in hex (needs `admin` or `auditor`; journaled).
 * Wipe `key_hex` after use. */
CV_EXTERN(int) cv_case_key_export(char key_id_hex[33], char key_hex[65], cv_archive *a, const char *case_id);

CV_END_DECL

#endif
