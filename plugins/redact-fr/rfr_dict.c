/*
 * redact-fr — the engine: built once (character table, static lexicon, the
 * French dictionary as a set of folded-word hashes) and read-only after, so
 * that every session of a process shares it.
 */
#include "rfr_internal.h"
#include "rfr_lex.h"

#include <stdio.h>
#include <stdlib.h>

/* The block (8 words) of the dictionary's Bloom filter a hash falls in; its three bits there are bloom_bit(h, 0..2). */
static inline size_t bloom_block(const rfr_engine *e, uint64_t h)
{
	return (size_t)((h >> 32) & (e->dict_blocks - 1)) * 8;
}

static inline int bloom_may_have(const rfr_engine *e, uint64_t h)
{
	const uint64_t *b = e->dict_bloom + bloom_block(e, h);
	for (int k = 0; k < 3; k++) {
		unsigned bit = (unsigned)(h >> (1 + 9 * k)) & 511;
		if (!((b[bit >> 6] >> (bit & 63)) & 1))
			return 0;
	}
	return 1;
}

int rfr_dict_has(const rfr_engine *e, const char *k, size_t n)
{
	if (!e->dict)
		return 0;
	uint64_t h = rfr_hash(k, n);
	if (e->dict_bloom && !bloom_may_have(e, h))
		return 0;
	size_t j = (size_t)h & e->dict_mask;
	while (e->dict[j]) {
		if (e->dict[j] == h)
			return 1;
		j = (j + 1) & e->dict_mask;
	}
	return 0;
}

static int dict_insert(rfr_engine *e, uint64_t h)
{
	size_t j = (size_t)h & e->dict_mask;
	while (e->dict[j]) {
		if (e->dict[j] == h)
			return 0;
		j = (j + 1) & e->dict_mask;
	}
	e->dict[j] = h;
	e->dict_n++;
	if (e->dict_bloom) {
		uint64_t *b = e->dict_bloom + bloom_block(e, h);
		for (int k = 0; k < 3; k++) {
			unsigned bit = (unsigned)(h >> (1 + 9 * k)) & 511;
			b[bit >> 6] |= 1ull << (bit & 63);
		}
	}
	return 1;
}

static int utf8_valid(const unsigned char *t, size_t n)
{
	for (size_t p = 0; p < n;) {
		uint32_t cp;
		size_t l = rfr_utf8(t, n, p, &cp);
		if (cp == 0xFFFD && !(l == 3 && t[p] == 0xEF))
			return 0;
		p += l;
	}
	return 1;
}

static int load_dict(rfr_engine *e, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0; /* no dictionary: reported by rfr_engine_dict_words() */
	size_t cap = 1 << 22, n = 0;
	unsigned char *buf = e->a.alloc(cap);
	if (!buf) {
		fclose(f);
		return CV_ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= ((size_t)1 << 30)) {
				e->a.free(buf);
				fclose(f);
				if (err)
					snprintf(err, errlen, "redact-fr: dictionary %s is larger than 1 GiB", path);
				return CV_EINVAL;
			}
			unsigned char *nb = e->a.realloc(buf, cap * 2);
			if (!nb) {
				e->a.free(buf);
				fclose(f);
				return CV_ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	int latin1 = !utf8_valid(buf, n);
	size_t lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	size_t slots = 1024;
	while (slots < lines * 2)
		slots *= 2;
	e->dict = e->a.alloc(slots * sizeof *e->dict);
	if (!e->dict) {
		e->a.free(buf);
		return CV_ENOMEM;
	}
	memset(e->dict, 0, slots * sizeof *e->dict);
	e->dict_mask = slots - 1;
	/* some 12 bits a word; without memory for it, the set alone answers */
	e->dict_blocks = 1;
	while (e->dict_blocks * 512 < lines * 12)
		e->dict_blocks *= 2;
	e->dict_bloom = e->a.alloc(e->dict_blocks * 64);
	if (e->dict_bloom)
		memset(e->dict_bloom, 0, e->dict_blocks * 64);
	char w[128];
	unsigned char line[512];
	size_t p = 0;
	while (p < n) {
		size_t q = p;
		while (q < n && buf[q] != '\n')
			q++;
		size_t ll = q - p;
		while (ll && (buf[p + ll - 1] == '\r' || buf[p + ll - 1] == ' '))
			ll--;
		const unsigned char *src = buf + p;
		if (latin1) {
			/* ISO-8859-1 -> UTF-8 */
			size_t o = 0;
			for (size_t i = 0; i < ll && o + 2 < sizeof line; i++) {
				unsigned char c = src[i];
				if (c < 0x80) {
					line[o++] = c;
				} else {
					line[o++] = (unsigned char)(0xC0 | (c >> 6));
					line[o++] = (unsigned char)(0x80 | (c & 0x3F));
				}
			}
			src = line;
			ll = o;
		}
		/* single words only: "abat-jour" never matches one token */
		size_t fl;
		int caps;
		size_t end = rfr_word_at(e, src, ll, 0, w, sizeof w, &fl, &caps);
		if (end == ll && ll > 0 && fl <= sizeof w && caps == 0)
			dict_insert(e, rfr_hash(w, fl));
		p = q + 1;
	}
	e->a.free(buf);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The engine                                                          */

static void *libc_alloc(size_t n) { return malloc(n ? n : 1); }
static void *libc_realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }
static void libc_free(void *p) { free(p); }

int rfr_engine_new(rfr_engine **out, const char *dict_path, const rfr_alloc *a, char *err, size_t errlen)
{
	static const rfr_alloc libc = { libc_alloc, libc_realloc, libc_free };
	if (!a)
		a = &libc;
	*out = NULL;
	rfr_engine *e = a->alloc(sizeof *e);
	if (!e)
		return CV_ENOMEM;
	memset(e, 0, sizeof *e);
	e->a = *a;
	rfr_fold_latin(e->latin);
	int rc = load_dict(e, dict_path ? dict_path : "/usr/share/dict/french", err, errlen);
	if (rc == 0)
		rc = rfr_lex_add_static(e);
	for (size_t i = 0; rc == 0 && i < e->lx.n; i++)
		e->bloom[(e->lx.ent[i].h >> 16) & 511] |= 1ull << ((e->lx.ent[i].h >> 10) & 63);
	if (rc) {
		if (rc == CV_ENOMEM && err)
			snprintf(err, errlen, "redact-fr: out of memory");
		rfr_engine_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void rfr_engine_free(rfr_engine *e)
{
	if (!e)
		return;
	rfr_alloc a = e->a;
	a.free(e->dict);
	a.free(e->dict_bloom);
	rfr_lex_free(&e->lx, &a);
	a.free(e);
}

size_t rfr_engine_dict_words(const rfr_engine *e)
{
	return e ? e->dict_n : 0;
}
