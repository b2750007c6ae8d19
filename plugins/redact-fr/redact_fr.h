/*
 * redact-fr — the French redaction engine behind the "redact-fr" plugin,
 * as a small internal C API so that the benchmark, the unit tests and the
 * fuzzer can drive it without dlopen. The plugin (rfr_plugin.c) is a thin
 * wrapper mapping cv_redact_ops onto these functions.
 *
 * Output contract (same as cv_redact_ops.redact):
 *  - spans are sorted by start, never overlap, and are byte offsets into the
 *    ORIGINAL UTF-8 text (start inclusive, end exclusive);
 *  - replacement is "[tiers N]" (a registered third party or an unregistered
 *    name; N is stable within a session), "[téléphone]", "[courriel]",
 *    "[NIR]", "[IBAN]", "[adresse]" or "[date de naissance]";
 *  - person is the register id when the span is about a registered person;
 *  - CV_SPAN_REVIEW marks spans the officer should look at: ambiguous
 *    mentions and unregistered names.
 *  - A span that carries CV_SPAN_KEEP is NOT a redaction: it marks a mention
 *    that could be the requester and could not be decided (for instance
 *    "Leroy" alone when the requester and the mother are both Leroy). Its
 *    replacement is the original text itself, so a consumer that replaces
 *    every span blindly still keeps it; its flags also carry CV_SPAN_REVIEW
 *    and its kind is CV_SPAN_PERSON, so it is listed for the officer.
 */
#ifndef REDACT_FR_H
#define REDACT_FR_H

#include <casevault/plugin.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Memory functions the engine uses (host->alloc... in the plugin). */
typedef struct rfr_alloc {
	void *(*alloc)(size_t n);
	void *(*realloc)(void *p, size_t n);
	void (*free)(void *p);
} rfr_alloc;

typedef struct rfr_engine rfr_engine;   /**< shared resources: dictionary, first names */
typedef struct rfr_session rfr_session; /**< one communication copy */

/** Load the engine. `dict_path` is a word list (one word a line, UTF-8 or
 * ISO-8859-1, detected), NULL for /usr/share/dict/french; a missing list is
 * not an error (the engine then treats every capitalised word in a name
 * position as a name) but rfr_engine_dict_words() reports 0. `a` may be
 * NULL for the C library's malloc. Returns 0 or a negative CV_E* code; on
 * failure `err` (if not NULL, `errlen` bytes) says why. */
int rfr_engine_new(rfr_engine **out, const char *dict_path, const rfr_alloc *a, char *err, size_t errlen);
void rfr_engine_free(rfr_engine *e);
/** Number of distinct words loaded from the dictionary. */
size_t rfr_engine_dict_words(const rfr_engine *e);

/** Compile a case's register. `requester_id` may be NULL or unknown (then
 * every person is a third party). */
int rfr_session_new(rfr_engine *e, rfr_session **out, const cv_person_fields *persons, size_t npersons,
	const char *requester_id, char *err, size_t errlen);
void rfr_session_free(rfr_session *s);

/** Redact one text. *spans is allocated with the engine's allocator (free it
 * with the same `free`), NULL when *nspans is 0. Texts of 4 GiB or more are
 * refused with CV_EINVAL. */
int rfr_redact(rfr_session *s, const char *text, size_t len, cv_redact_span **spans, size_t *nspans, char *err,
	size_t errlen);

/** Number of third parties numbered so far in the session ("[tiers N]"). */
unsigned rfr_session_numbered(const rfr_session *s);

/* Validators, exposed for the tests. `s` is the raw text of the identifier. */
int rfr_nir_valid(const char *s, size_t len);
int rfr_iban_valid(const char *s, size_t len);

#ifdef __cplusplus
}
#endif

#endif
