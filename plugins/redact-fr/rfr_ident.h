/*
 * redact-fr — identifier parsers. Each returns the end offset of what it
 * recognised at `p` (0 when nothing), reading a bounded number of bytes.
 * Pure functions of the text and the engine's read-only lexicon: thread-safe.
 */
#ifndef RFR_IDENT_H
#define RFR_IDENT_H

#include "rfr_internal.h"

/* French and international phone numbers; norm gets "0612345678" (French)
 * or "+<cc><digits>". */
size_t rfr_parse_phone(const unsigned char *t, size_t len, size_t p, char *norm, size_t normcap);
/* NIR: *nsym = 15 (key checked), -15 (15 symbols, wrong key) or 13 (no
 * key); out gets the symbols without separators, 2A/2B upper-cased. */
size_t rfr_parse_nir(const unsigned char *t, size_t len, size_t p, char out[16], int *nsym);
/* IBAN starting with its country code at p, mod-97 checked. */
size_t rfr_parse_iban(const unsigned char *t, size_t len, size_t p);
/* E-mail around the '@' at `at`; *start gets its first byte. */
size_t rfr_parse_email(const unsigned char *t, size_t len, size_t at, size_t *start);
/* Numeric (12/03/1984, 1984-03-12, 12.03.84) or long (12 mars 1984) date. */
size_t rfr_parse_date(const rfr_engine *e, const rfr_lexicon *lx, const unsigned char *t, size_t len, size_t p,
	int *y, int *m, int *d, int *twodigit);
/* Postal address: [number [bis]] street-type name [postcode city [Cedex]].
 * key gets "number:type_word_word", *street_off the offset of the part
 * after ':' (the street without its number). */
size_t rfr_parse_address(const rfr_engine *e, const rfr_lexicon *lx, const unsigned char *t, size_t len, size_t p,
	int need_number, char *key, size_t keycap, size_t *street_off);

#endif
