/* Archive bundles (.tar, .tar.gz, .zip) read with libarchive, streaming:
 * nothing is extracted to disk. Pass 1 reads the headers (names, types,
 * sizes, links), case.json and checks every limit; documents are resolved
 * inside the archive (links may not leave it); later passes stream the
 * documents' data to the host. An archive whose expansion exceeds the ratio
 * limit is refused as a bomb, on declared sizes first and on bytes actually
 * produced after. A bundle may sit in one top-level directory
 * ("bundle/case.json"), as `tar czf b.tar.gz bundle/` makes it. */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct entry {
	char *name;      /* normalised, NFC */
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
	entry **by_name;     /* e sorted by name (then position), built at the first lookup */
	char *manifest;
	size_t manifest_len;
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

static int add_entry(arch *x, struct archive_entry *ae)
{
	const cv_host *h = x->r->h;
	const char *raw = archive_entry_pathname_utf8(ae);
	if (!raw)
		raw = archive_entry_pathname(ae);
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

static int bomb(arch *x, uint64_t produced)
{
	uint64_t base = x->file_size > (1u << 20) ? x->file_size : (1u << 20);
	if ((double)produced > x->r->lim->max_ratio * (double)base)
		return x->r->h->error(CV_EINVAL, "%s: expands to more than %.0f times its size: refused as an archive bomb",
			x->r->label, x->r->lim->max_ratio);
	return 0;
}

static int pass_one(arch *x)
{
	const cv_host *h = x->r->h;
	struct archive *a = open_archive(x);
	if (!a)
		return CV_EINVAL;
	struct archive_entry *ae;
	int r, rc = 0;
	uint64_t declared = 0;
	char *wrapped = NULL;
	while (!rc && (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		if (x->n + 1 > x->r->lim->max_entries) {
			rc = h->error(CV_EINVAL, "%s: more than %llu entries", x->r->label, (unsigned long long)x->r->lim->max_entries);
			break;
		}
		if (archive_entry_is_encrypted(ae)) {
			rc = h->error(CV_EINVAL, "%s: entry '%s' is encrypted; give the bundle unencrypted", x->r->label,
				archive_entry_pathname(ae));
			break;
		}
		size_t before = x->n;
		if ((rc = add_entry(x, ae)))
			break;
		if (x->n == before) {
			archive_read_data_skip(a);
			continue;
		}
		entry *e = &x->e[x->n - 1];
		if (e->type == AE_IFREG) {
			if ((uint64_t)e->size > x->r->lim->max_entry_bytes) {
				rc = h->error(CV_EINVAL, "%s: entry '%s' is %lld bytes, over the limit of %llu per document", x->r->label,
					e->name, (long long)e->size, (unsigned long long)x->r->lim->max_entry_bytes);
				break;
			}
			declared += (uint64_t)e->size;
			if (declared > x->r->lim->max_total_bytes) {
				rc = h->error(CV_EINVAL, "%s: the entries total more than the limit of %llu bytes", x->r->label,
					(unsigned long long)x->r->lim->max_total_bytes);
				break;
			}
			if ((rc = bomb(x, declared)))
				break;
			int m = is_manifest_name(e->name);
			if (m == 1 || (m == 2 && !x->manifest)) {
				if ((rc = read_small(x, a, e->name)))
					break;
				if (m == 2) {
					free(wrapped);
					wrapped = strndup(e->name, strlen(e->name) - strlen("case.json"));
				} else {
					free(wrapped);
					wrapped = strdup("");
				}
				continue;
			}
		}
		archive_read_data_skip(a);
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = h->error(CV_EINVAL, "%s: damaged or unreadable archive: %s", x->r->label,
			archive_error_string(a) ? archive_error_string(a) : "read error");
	archive_read_free(a);
	if (!rc && !x->manifest)
		rc = h->error(CV_EINVAL, "%s: no case.json at the root of the bundle", x->r->label);
	if (!rc && wrapped[0]) {
		/* A wrapper directory is accepted only if everything is inside it. */
		size_t wl = strlen(wrapped);
		for (size_t i = 0; i < x->n && !rc; i++)
			if (strncmp(x->e[i].name, wrapped, wl) &&
				!(strlen(x->e[i].name) == wl - 1 && !strncmp(x->e[i].name, wrapped, wl - 1)))
				rc = h->error(CV_EINVAL, "%s: case.json is in %s but entry '%s' is outside it", x->r->label, wrapped,
					x->e[i].name);
	}
	if (!rc)
		snprintf(x->prefix, sizeof x->prefix, "%s", wrapped);
	free(wrapped);
	return rc;
}

static int by_name_cmp(const void *pa, const void *pb)
{
	const entry *a = *(const entry *const *)pa, *b = *(const entry *const *)pb;
	int c = strcmp(a->name, b->name);
	return c ? c : (a < b ? -1 : a > b);
}

/* The first entry of that name (a tar may hold a name twice). Sorted once,
 * after the scan: a bundle of n documents costs n log n, not n². */
static entry *find(arch *x, const char *name)
{
	if (!x->by_name && x->n) {
		if (!(x->by_name = malloc(x->n * sizeof *x->by_name))) {
			for (size_t i = 0; i < x->n; i++) /* no memory to sort: look the slow way */
				if (!strcmp(x->e[i].name, name))
					return &x->e[i];
			return NULL;
		}
		for (size_t i = 0; i < x->n; i++)
			x->by_name[i] = &x->e[i];
		qsort(x->by_name, x->n, sizeof *x->by_name, by_name_cmp);
	}
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(x->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->n && !strcmp(x->by_name[lo]->name, name) ? x->by_name[lo] : NULL;
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

static int stream_passes(arch *x, const size_t *target, size_t ndocs, unsigned char *buf)
{
	const cv_host *h = x->r->h;
	bundle_run *r = x->r;
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
		int ar;
		while (!rc && (ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
			/* entry indexes follow pass one, which skipped "./" */
			const char *raw = archive_entry_pathname(ae);
			char *nn = raw ? normalise(raw) : NULL;
			int counted = nn && nn[0];
			free(nn);
			if (!counted)
				continue;
			size_t idx = k++;
			size_t i = 0;
			while (i < ndocs && (done[i] || target[i] != idx))
				i++;
			if (i == ndocs) {
				archive_read_data_skip(a);
				continue;
			}
			char what[1200];
			bundle_doc_label(r, i, what, sizeof what);
			int sealed = i == r->m.ndocs;
			rc = sealed ? h->sealed_begin(r->ctx) : h->doc_begin(r->ctx, &r->m.docs[i].f);
			uint64_t doc_bytes = 0;
			while (!rc) {
				la_ssize_t n = archive_read_data(a, buf, BUNDLE_IO_BLOCK);
				if (n < 0) {
					rc = h->error(CV_EINVAL, "%s: %s: cannot read it: %s", r->label, what, archive_error_string(a));
					break;
				}
				if (n == 0)
					break;
				doc_bytes += (uint64_t)n;
				produced += (uint64_t)n;
				if ((rc = bundle_account(r, what, doc_bytes, (size_t)n)) || (rc = bomb(x, produced)))
					break;
				rc = sealed ? h->sealed_write(r->ctx, buf, (size_t)n) : h->doc_write(r->ctx, buf, (size_t)n);
			}
			if (!rc)
				rc = sealed ? h->sealed_end(r->ctx) : h->doc_end(r->ctx);
			done[i] = 1;
			left--;
		}
		archive_read_free(a);
		if (!rc && left == before)
			rc = h->error(CV_EINVAL, "%s: the archive changed while it was read", r->label);
	}
	free(done);
	return rc;
}

int bundle_ingest_archive(bundle_run *r, const char *path)
{
	const cv_host *h = r->h;
	arch x;
	memset(&x, 0, sizeof x);
	x.r = r;
	x.path = path;
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return h->error(CV_EINVAL, "%s: not a regular file", path);
	x.file_size = (uint64_t)st.st_size;
	int rc = pass_one(&x);
	if (!rc)
		rc = bundle_manifest_parse(&r->m, h, r->label, x.manifest, x.manifest_len);
	size_t n = rc ? 0 : r->m.ndocs + (r->m.sealed_path ? 1 : 0);
	size_t *target = calloc(n + 1, sizeof *target);
	if (!rc && !target)
		rc = h->error(CV_ENOMEM, "out of memory");
	uint64_t sum = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		char what[1200];
		bundle_doc_label(r, i, what, sizeof what);
		rc = resolve(&x, i < r->m.ndocs ? r->m.docs[i].f.path : r->m.sealed_path, what, &target[i]);
		if (!rc)
			sum += (uint64_t)x.e[target[i]].size;
	}
	r->expected = sum;
	unsigned char *buf = rc ? NULL : h->alloc(BUNDLE_IO_BLOCK);
	if (!rc && !buf)
		rc = h->error(CV_ENOMEM, "out of memory");
	if (!rc)
		rc = bundle_feed_header(r);
	if (!rc)
		rc = stream_passes(&x, target, n, buf);
	if (buf) {
		h->wipe(buf, BUNDLE_IO_BLOCK);
		h->free(buf);
	}
	free(target);
	for (size_t i = 0; i < x.n; i++) {
		free(x.e[i].name);
		free(x.e[i].link);
	}
	free(x.e);
	free(x.by_name);
	if (x.manifest) {
		h->wipe(x.manifest, x.manifest_len);
		free(x.manifest);
	}
	return rc;
}
