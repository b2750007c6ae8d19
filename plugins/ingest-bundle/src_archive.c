/* Archive bundles (.tar, .tar.gz, .zip) read with libarchive, streaming:
 * nothing is extracted to disk. Pass 1 reads the headers (names, types,
 * sizes, links), case.json and checks every limit; documents are resolved
 * inside the archive (links may not leave it); later passes stream the
 * documents' data to the host. An entry that expands past the ratio limit
 * is refused as a bomb, and so is an archive whose entries together do, on
 * declared sizes first and on bytes actually produced after. A name held
 * twice is refused: which copy is the document would be ambiguous. A bundle
 * may sit in one top-level directory ("bundle/case.json"), as
 * `tar czf b.tar.gz bundle/` makes it. */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A compressed size under this counts as this much when an expansion ratio
 * is computed: a small document may compress very well without being
 * hostile (a blank scan), and the decompressor's read-ahead blurs small
 * measures. So nothing is a bomb before it expands past max_ratio MiB. */
#define BOMB_FLOOR ((uint64_t)1 << 20)
#define SCAN_BLOCK ((size_t)1 << 16)

typedef struct entry {
	char *name;      /* normalised, NFC */
	char *raw;       /* as the archive spells it, for messages */
	int type;        /* AE_IFREG, AE_IFDIR, AE_IFLNK, or 0 for hard links */
	char *link;      /* normalised target (symlink relative to its dir, hardlink from the root) */
	int64_t size;
} entry;

typedef struct arch {
	bundle_run *r;
	const char *path;
	uint64_t file_size;
	entry *e;
	size_t n, cap;
	entry **by_name;     /* e sorted by name (then position), built after pass one */
	char *manifest;
	size_t manifest_len;
	char *wrapped;       /* pass one: the directory holding case.json, "" or "dir/" */
	uint64_t declared;   /* pass one: the sizes the headers declare, summed */
	unsigned char *scratch; /* pass one: SCAN_BLOCK bytes to read entries into */
	char prefix[1100];   /* "" or "dir/" */
} arch;

static struct archive *open_archive(arch *x)
{
	struct archive *a = archive_read_new();
	if (!a)
		return NULL;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, x->path, 1 << 16) != ARCHIVE_OK) {
		x->r->h->error(CV_EINVAL, "%s: not a readable .tar, .tar.gz or .zip bundle: %s", x->r->label,
			archive_error_string(a) ? archive_error_string(a) : "unknown format");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Collapse "." and ".." segments; NULL if the path climbs above the root. */
static char *normalise(const char *p)
{
	size_t n = strlen(p);
	char *out = malloc(n + 1), *copy = strdup(p), *save = NULL;
	size_t *starts = malloc((n / 2 + 2) * sizeof *starts), depth = 0, o = 0;
	if (!out || !copy || !starts) {
		free(out);
		free(copy);
		free(starts);
		return NULL;
	}
	for (char *s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (!strcmp(s, "."))
			continue;
		if (!strcmp(s, "..")) {
			if (!depth) {
				free(out);
				free(copy);
				free(starts);
				return NULL;
			}
			o = starts[--depth];
			continue;
		}
		starts[depth++] = o;
		if (o)
			out[o++] = '/';
		size_t l = strlen(s);
		memcpy(out + o, s, l);
		o += l;
	}
	out[o] = '\0';
	free(copy);
	free(starts);
	return out;
}

static char *nfc(const cv_host *h, const char *s)
{
	char *o = NULL;
	if (h->nfc(&o, s, strlen(s)) < 0)
		return NULL;
	char *r = strdup(o);
	h->free(o);
	return r;
}

/* An entry's name: UTF-8 when libarchive can give it, else its bytes as
 * stored. Every pass takes the same one, since they count entries alike. */
static const char *entry_path(struct archive_entry *ae)
{
	const char *p = archive_entry_pathname_utf8(ae);
	return p ? p : archive_entry_pathname(ae);
}

static int add_entry(arch *x, struct archive_entry *ae)
{
	const cv_host *h = x->r->h;
	const char *raw = entry_path(ae);
	if (!raw)
		return h->error(CV_EINVAL, "%s: an entry has no name", x->r->label);
	if (raw[0] == '/')
		return h->error(CV_EINVAL, "%s: entry '%s' has an absolute path", x->r->label, raw);
	char *norm = normalise(raw);
	if (!norm)
		return h->error(CV_EINVAL, "%s: entry '%s' climbs out of the bundle with '..'", x->r->label, raw);
	char *name = nfc(h, norm);
	free(norm);
	if (!name)
		return h->error(CV_EINVAL, "%s: entry name '%s' is not valid UTF-8", x->r->label, raw);
	if (!name[0]) {
		free(name);
		return 0; /* "./" */
	}
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		entry *p = realloc(x->e, cap * sizeof *p);
		if (!p) {
			free(name);
			return h->error(CV_ENOMEM, "out of memory");
		}
		x->e = p;
		x->cap = cap;
	}
	entry *e = &x->e[x->n++];
	memset(e, 0, sizeof *e);
	e->name = name;
	if (!(e->raw = strdup(raw)))
		return h->error(CV_ENOMEM, "out of memory");
	e->size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
	const char *hard = archive_entry_hardlink_utf8(ae) ? archive_entry_hardlink_utf8(ae) : archive_entry_hardlink(ae);
	mode_t type = archive_entry_filetype(ae);
	if (hard) {
		e->type = 0;
		char *hn = hard[0] == '/' ? NULL : normalise(hard);
		if (!hn)
			return h->error(CV_EINVAL, "%s: entry '%s' is a hard link pointing outside the bundle", x->r->label, name);
		e->link = nfc(h, hn);
		free(hn);
	} else if (type == AE_IFLNK) {
		e->type = AE_IFLNK;
		const char *t = archive_entry_symlink_utf8(ae) ? archive_entry_symlink_utf8(ae) : archive_entry_symlink(ae);
		e->link = t ? strdup(t) : NULL;
	} else if (type == AE_IFREG || type == AE_IFDIR) {
		e->type = (int)type;
	} else {
		return h->error(CV_EINVAL, "%s: entry '%s' is a device, socket or pipe", x->r->label, name);
	}
	return 0;
}

static int read_small(arch *x, struct archive *a, const char *name)
{
	const cv_host *h = x->r->h;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			return h->error(CV_ENOMEM, "out of memory");
		if (len + 4096 > cap) {
			char *p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return h->error(CV_ENOMEM, "out of memory");
			}
			buf = p;
			cap *= 2;
		}
		la_ssize_t n = archive_read_data(a, buf + len, cap - len - 1);
		if (n < 0) {
			free(buf);
			return h->error(CV_EINVAL, "%s: %s: cannot read it: %s", x->r->label, name, archive_error_string(a));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > x->r->lim->max_manifest_bytes) {
			free(buf);
			return h->error(CV_EINVAL, "%s: %s is larger than %llu bytes", x->r->label, name,
				(unsigned long long)x->r->lim->max_manifest_bytes);
		}
	}
	free(x->manifest);
	x->manifest = buf;
	x->manifest_len = len;
	return 0;
}

static int is_manifest_name(const char *n)
{
	if (!strcmp(n, "case.json"))
		return 1;
	const char *s = strchr(n, '/');
	return s && !strcmp(s + 1, "case.json") && !strchr(s + 1, '/') ? 2 : 0;
}

/* Raw bytes of the archive file consumed so far. Taken around an entry's
 * data it is what that data costs compressed: libarchive counts what the
 * decompressor consumed, not what it read ahead. */
static uint64_t raw_pos(struct archive *a)
{
	la_int64_t p = archive_filter_bytes(a, -1);
	return p > 0 ? (uint64_t)p : 0;
}

static uint64_t raw_since(struct archive *a, uint64_t start)
{
	uint64_t now = raw_pos(a);
	return now > start ? now - start : 0;
}

/* One entry that produced more than max_ratio times its compressed size. */
static int entry_bomb(arch *x, const entry *e, uint64_t produced, uint64_t packed)
{
	double limit = x->r->lim->max_ratio;
	if ((double)produced <= limit * (double)(packed > BOMB_FLOOR ? packed : BOMB_FLOOR))
		return 0;
	return x->r->h->error(CV_EINVAL, "%s: entry %s expands %.0f times its compressed size (limit %g); refused as an "
		"archive bomb", x->r->label, e->name, (double)produced / (double)(packed ? packed : 1), limit);
}

/* The whole archive past the ratio: many entries, each within it alone (or
 * one whose compressed data others share, as zip bombs overlap them). The
 * entry named is the one that crossed the limit. */
static int archive_bomb(arch *x, const entry *e, uint64_t produced)
{
	double limit = x->r->lim->max_ratio;
	if ((double)produced <= limit * (double)(x->file_size > BOMB_FLOOR ? x->file_size : BOMB_FLOOR))
		return 0;
	return x->r->h->error(CV_EINVAL, "%s: entry %s takes the archive to %.0f times its size (limit %g); refused as an "
		"archive bomb", x->r->label, e->name, (double)produced / (double)(x->file_size ? x->file_size : 1), limit);
}

/* Pass one reads the data of an entry large enough to be a bomb on its own,
 * to measure what it costs compressed: libarchive gives no compressed size
 * for a zip entry, and a gzip stream is decompressed to be skipped anyway.
 * Reading stops as soon as the ratio is passed. Smaller entries are skipped:
 * alone they cannot pass it. */
static int scan_data(arch *x, struct archive *a, const entry *e)
{
	if ((double)e->size <= x->r->lim->max_ratio * (double)BOMB_FLOOR) {
		archive_read_data_skip(a);
		return 0;
	}
	uint64_t start = raw_pos(a), produced = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, x->scratch, SCAN_BLOCK);
		if (n < 0)
			return x->r->h->error(CV_EINVAL, "%s: entry '%s': cannot read it: %s", x->r->label, e->name,
				archive_error_string(a) ? archive_error_string(a) : "read error");
		if (n == 0)
			return 0;
		produced += (uint64_t)n;
		int rc = entry_bomb(x, e, produced, raw_since(a, start));
		if (rc)
			return rc;
	}
}

/* Read case.json and note the directory it sits in. */
static int read_manifest(arch *x, struct archive *a, const entry *e, int kind)
{
	int rc = read_small(x, a, e->name);
	if (rc)
		return rc;
	free(x->wrapped);
	x->wrapped = kind == 2 ? strndup(e->name, strlen(e->name) - strlen("case.json")) : strdup("");
	return x->wrapped ? 0 : x->r->h->error(CV_ENOMEM, "out of memory");
}

/* A regular file in pass one: its declared size against the limits, then
 * case.json read or the data scanned for a bomb. */
static int scan_regular(arch *x, struct archive *a, const entry *e)
{
	const cv_host *h = x->r->h;
	const cv_ingest_limits *lim = x->r->lim;
	if ((uint64_t)e->size > lim->max_entry_bytes)
		return h->error(CV_EINVAL, "%s: entry '%s' is %lld bytes, over the limit of %llu per document", x->r->label,
			e->name, (long long)e->size, (unsigned long long)lim->max_entry_bytes);
	x->declared += (uint64_t)e->size;
	if (x->declared > lim->max_total_bytes)
		return h->error(CV_EINVAL, "%s: entry %s brings the bundle over the limit of %llu bytes in total", x->r->label,
			e->name, (unsigned long long)lim->max_total_bytes);
	int m = is_manifest_name(e->name);
	int rc = m == 1 || (m == 2 && !x->manifest) ? read_manifest(x, a, e, m) : scan_data(x, a, e);
	return rc ? rc : archive_bomb(x, e, x->declared);
}

static int scan_entry(arch *x, struct archive *a, struct archive_entry *ae)
{
	const cv_host *h = x->r->h;
	if (x->n + 1 > x->r->lim->max_entries)
		return h->error(CV_EINVAL, "%s: more than %llu entries", x->r->label,
			(unsigned long long)x->r->lim->max_entries);
	if (archive_entry_is_encrypted(ae))
		return h->error(CV_EINVAL, "%s: entry '%s' is encrypted; give the bundle unencrypted", x->r->label,
			entry_path(ae));
	size_t before = x->n;
	int rc = add_entry(x, ae);
	if (rc)
		return rc;
	if (x->n > before && x->e[x->n - 1].type == AE_IFREG)
		return scan_regular(x, a, &x->e[x->n - 1]);
	archive_read_data_skip(a); /* "./", a directory or a link */
	return 0;
}

static int by_name_cmp(const void *pa, const void *pb)
{
	const entry *a = *(const entry *const *)pa, *b = *(const entry *const *)pb;
	int c = strcmp(a->name, b->name);
	return c ? c : (a < b ? -1 : a > b);
}

/* Said of two spellings of one name that differ only by their Unicode form,
 * which look alike on a terminal. */
static const char *unicode_note(const entry *a, const entry *b)
{
	char *na = normalise(a->raw), *nb = normalise(b->raw);
	int differ = na && nb && strcmp(na, nb);
	free(na);
	free(nb);
	return differ ? ", the same name in another Unicode form" : "";
}

/* Sort the entries by name, once: a bundle of n documents costs n log n, not
 * n², here and in every lookup after. A name held twice is refused: `tar x`
 * would extract the last copy and a lookup find the first, so which one is
 * the document is ambiguous. Names compare normalised: "./d/a", "d//a",
 * "d/x/../a" and the NFD spelling of "d/a" are all "d/a". A directory listed
 * twice contradicts nothing and is let through. */
static int index_names(arch *x)
{
	if (!x->n)
		return 0;
	if (!(x->by_name = malloc(x->n * sizeof *x->by_name)))
		return x->r->h->error(CV_ENOMEM, "out of memory");
	for (size_t i = 0; i < x->n; i++)
		x->by_name[i] = &x->e[i];
	qsort(x->by_name, x->n, sizeof *x->by_name, by_name_cmp);
	const entry *first = NULL, *again = NULL; /* the earliest second copy in the archive, and the copy before it */
	for (size_t k = 1; k < x->n; k++) {
		const entry *p = x->by_name[k - 1], *q = x->by_name[k];
		if (strcmp(p->name, q->name) || (p->type == AE_IFDIR && q->type == AE_IFDIR))
			continue;
		if (!again || q < again) {
			first = p;
			again = q;
		}
	}
	if (!again)
		return 0;
	return x->r->h->error(CV_EINVAL, "%s: entry %s appears twice in the archive ('%s', then '%s'%s): refused as a "
		"duplicate, since extracting it keeps the last copy and which one is meant is ambiguous", x->r->label,
		again->name, first->raw, again->raw, unicode_note(first, again));
}

/* A wrapper directory is accepted only if everything is inside it. */
static int check_wrapper(arch *x)
{
	size_t wl = strlen(x->wrapped);
	for (size_t i = 0; wl && i < x->n; i++)
		if (strncmp(x->e[i].name, x->wrapped, wl) &&
			!(strlen(x->e[i].name) == wl - 1 && !strncmp(x->e[i].name, x->wrapped, wl - 1)))
			return x->r->h->error(CV_EINVAL, "%s: case.json is in %s but entry '%s' is outside it", x->r->label,
				x->wrapped, x->e[i].name);
	snprintf(x->prefix, sizeof x->prefix, "%s", x->wrapped);
	return 0;
}

static int pass_one(arch *x)
{
	const cv_host *h = x->r->h;
	struct archive *a = open_archive(x);
	if (!a)
		return CV_EINVAL;
	struct archive_entry *ae;
	int r = ARCHIVE_OK, rc = (x->scratch = h->alloc(SCAN_BLOCK)) ? 0 : h->error(CV_ENOMEM, "out of memory");
	while (!rc && (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK)
		rc = scan_entry(x, a, ae);
	if (!rc && r != ARCHIVE_EOF)
		rc = h->error(CV_EINVAL, "%s: damaged or unreadable archive: %s", x->r->label,
			archive_error_string(a) ? archive_error_string(a) : "read error");
	archive_read_free(a);
	if (x->scratch) {
		h->wipe(x->scratch, SCAN_BLOCK);
		h->free(x->scratch);
		x->scratch = NULL;
	}
	if (!rc)
		rc = index_names(x);
	if (!rc && !x->manifest)
		rc = h->error(CV_EINVAL, "%s: no case.json at the root of the bundle", x->r->label);
	return rc ? rc : check_wrapper(x);
}

/* The entry of that name, names being unique after pass one. */
static entry *find(arch *x, const char *name)
{
	size_t lo = 0, hi = x->by_name ? x->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(x->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->n && x->by_name && !strcmp(x->by_name[lo]->name, name) ? x->by_name[lo] : NULL;
}

/* Resolve a manifest path to the index of the entry holding its data. */
static int resolve(arch *x, const char *rel, const char *what, size_t *out)
{
	const cv_host *h = x->r->h;
	char *want = NULL;
	char full[2300];
	snprintf(full, sizeof full, "%s%s", x->prefix, rel);
	want = nfc(h, full);
	size_t pl = strlen(x->prefix);
	for (int hops = 0; want && hops < 16; hops++) {
		entry *e = find(x, want);
		if (!e) {
			free(want);
			return h->error(CV_EINVAL, "%s: %s: missing from the bundle", x->r->label, what);
		}
		if (e->type == AE_IFREG) {
			free(want);
			*out = (size_t)(e - x->e);
			return 0;
		}
		if (e->type == AE_IFDIR) {
			free(want);
			return h->error(CV_EINVAL, "%s: %s: is a directory, not a file", x->r->label, what);
		}
		char *next = NULL;
		if (e->type == AE_IFLNK) {
			if (!e->link || e->link[0] == '/') {
				free(want);
				return h->error(CV_EINVAL, "%s: %s: is a link pointing outside the bundle", x->r->label, what);
			}
			char joined[4500];
			const char *slash = strrchr(e->name, '/');
			snprintf(joined, sizeof joined, "%.*s%s%s", slash ? (int)(slash - e->name) : 0, e->name, slash ? "/" : "", e->link);
			char *n = normalise(joined);
			next = n ? nfc(h, n) : NULL;
			free(n);
		} else if (e->link) {
			next = strdup(e->link);
		}
		free(want);
		want = next;
		if (!want || strncmp(want, x->prefix, pl)) {
			free(want);
			return h->error(CV_EINVAL, "%s: %s: is a link pointing outside the bundle", x->r->label, what);
		}
	}
	free(want);
	return h->error(CV_EINVAL, "%s: %s: too many levels of links", x->r->label, what);
}

/* Whether pass one kept this entry (it skips "./"): later passes number
 * entries as pass one did. */
static int counted(struct archive_entry *ae)
{
	const char *raw = entry_path(ae);
	char *nn = raw ? normalise(raw) : NULL;
	int c = nn && nn[0];
	free(nn);
	return c;
}

/* Hand document i, the data of entry e, to the host. The limits hold on the
 * bytes actually produced too: a zip's declared sizes may lie. */
static int stream_doc(arch *x, struct archive *a, size_t i, const entry *e, unsigned char *buf, uint64_t *produced)
{
	const cv_host *h = x->r->h;
	bundle_run *r = x->r;
	char what[1200];
	bundle_doc_label(r, i, what, sizeof what);
	int sealed = i == r->m.ndocs;
	int rc = sealed ? h->sealed_begin(r->ctx) : h->doc_begin(r->ctx, &r->m.docs[i].f);
	uint64_t doc_bytes = 0, start = raw_pos(a);
	while (!rc) {
		la_ssize_t n = archive_read_data(a, buf, BUNDLE_IO_BLOCK);
		if (n < 0)
			return h->error(CV_EINVAL, "%s: %s: cannot read it: %s", r->label, what, archive_error_string(a));
		if (n == 0)
			break;
		doc_bytes += (uint64_t)n;
		*produced += (uint64_t)n;
		if ((rc = bundle_account(r, what, doc_bytes, (size_t)n)) ||
			(rc = entry_bomb(x, e, doc_bytes, raw_since(a, start))))
			break;
		rc = sealed ? h->sealed_write(r->ctx, buf, (size_t)n) : h->doc_write(r->ctx, buf, (size_t)n);
	}
	/* The archive as a whole once the entry is read: entry_bomb bounds what
	 * one entry can produce, and a bomb in one entry is named as such. */
	if (!rc)
		rc = archive_bomb(x, e, *produced);
	return rc ? rc : sealed ? h->sealed_end(r->ctx) : h->doc_end(r->ctx);
}

static int stream_passes(arch *x, const size_t *target, size_t ndocs, unsigned char *buf)
{
	const cv_host *h = x->r->h;
	char *done = calloc(ndocs + 1, 1);
	size_t left = ndocs;
	uint64_t produced = 0;
	int rc = done ? 0 : h->error(CV_ENOMEM, "out of memory");
	while (!rc && left) {
		struct archive *a = open_archive(x);
		if (!a) {
			rc = CV_EINVAL;
			break;
		}
		struct archive_entry *ae;
		size_t k = 0, before = left;
		while (!rc && archive_read_next_header(a, &ae) == ARCHIVE_OK) {
			if (!counted(ae))
				continue;
			size_t idx = k++;
			size_t i = 0;
			while (i < ndocs && (done[i] || target[i] != idx))
				i++;
			if (i == ndocs) {
				archive_read_data_skip(a);
				continue;
			}
			rc = stream_doc(x, a, i, &x->e[idx], buf, &produced);
			done[i] = 1;
			left--;
		}
		archive_read_free(a);
		if (!rc && left == before)
			rc = h->error(CV_EINVAL, "%s: the archive changed while it was read", x->r->label);
	}
	free(done);
	return rc;
}

/* Every document of case.json to the entry holding its data. */
static int resolve_all(arch *x, size_t *target, size_t n)
{
	bundle_run *r = x->r;
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		char what[1200];
		bundle_doc_label(r, i, what, sizeof what);
		int rc = resolve(x, i < r->m.ndocs ? r->m.docs[i].f.path : r->m.sealed_path, what, &target[i]);
		if (rc)
			return rc;
		sum += (uint64_t)x->e[target[i]].size;
	}
	r->expected = sum;
	return 0;
}

static int read_bundle(arch *x)
{
	bundle_run *r = x->r;
	const cv_host *h = r->h;
	int rc = pass_one(x);
	if (!rc)
		rc = bundle_manifest_parse(&r->m, h, r->label, x->manifest, x->manifest_len);
	size_t n = rc ? 0 : r->m.ndocs + (r->m.sealed_path ? 1 : 0);
	size_t *target = calloc(n + 1, sizeof *target);
	if (!rc && !target)
		rc = h->error(CV_ENOMEM, "out of memory");
	if (!rc)
		rc = resolve_all(x, target, n);
	unsigned char *buf = rc ? NULL : h->alloc(BUNDLE_IO_BLOCK);
	if (!rc && !buf)
		rc = h->error(CV_ENOMEM, "out of memory");
	if (!rc)
		rc = bundle_feed_header(r);
	if (!rc)
		rc = stream_passes(x, target, n, buf);
	if (buf) {
		h->wipe(buf, BUNDLE_IO_BLOCK);
		h->free(buf);
	}
	free(target);
	return rc;
}

static void arch_free(arch *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->e[i].name);
		free(x->e[i].raw);
		free(x->e[i].link);
	}
	free(x->e);
	free(x->by_name);
	free(x->wrapped);
	if (x->manifest) {
		x->r->h->wipe(x->manifest, x->manifest_len);
		free(x->manifest);
	}
}

/* libarchive converts entry names to the thread's character set: in the C
 * locale, which the command keeps, a UTF-8 name in a pax header or a zip is
 * refused (tar) or lost (zip), so no accented file name could be read. This
 * thread reads the bundle with a UTF-8 LC_CTYPE and is then put back; the
 * rest of the process never sees it. */
int bundle_ingest_archive(bundle_run *r, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return r->h->error(CV_EINVAL, "%s: not a regular file", path);
	arch x;
	memset(&x, 0, sizeof x);
	x.r = r;
	x.path = path;
	x.file_size = (uint64_t)st.st_size;
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;
	int rc = read_bundle(&x);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	arch_free(&x);
	return rc;
}
