/* Directory bundles. Every document path is resolved to its real path and must
 * stay inside the bundle (a symbolic link out of it is refused); names that
 * differ only by Unicode normalisation (NFD from macOS, NFC in case.json)
 * are matched. */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct resolved {
	char *real;     /* absolute resolved path */
	uint64_t size;
} resolved;

static int nfc_eq(const cv_host *h, const char *a, const char *b)
{
	char *na = NULL, *nb = NULL;
	int eq = 0;
	if (h->nfc(&na, a, strlen(a)) == 0 && h->nfc(&nb, b, strlen(b)) == 0)
		eq = !strcmp(na, nb);
	h->free(na);
	h->free(nb);
	return eq;
}

/* Find `rel` under `root`, component by component, comparing names in NFC. */
static char *find_nfc(const cv_host *h, const char *root, const char *rel)
{
	char *cur = strdup(root), *copy = strdup(rel), *save = NULL;
	for (char *comp = strtok_r(copy, "/", &save); comp && cur; comp = strtok_r(NULL, "/", &save)) {
		DIR *d = opendir(cur);
		char *next = NULL;
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (nfc_eq(h, e->d_name, comp)) {
				size_t n = strlen(cur) + strlen(e->d_name) + 2;
				next = malloc(n);
				snprintf(next, n, "%s/%s", cur, e->d_name);
				break;
			}
		}
		if (d)
			closedir(d);
		free(cur);
		cur = next;
	}
	free(copy);
	return cur;
}

/* Where `full` really is: the kernel resolves it in one walk for an O_PATH
 * descriptor, and /proc names the result (realpath(3) walks the path again
 * for each of its components, which was half of checking 2,000 documents).
 * O_PATH opens nothing: no permission needed, no device or FIFO touched.
 * Falls back to realpath without /proc. */
static char *real_path_of(const char *full)
{
	int fd = open(full, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char link[64], buf[PATH_MAX + 1];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0 || (size_t)n >= sizeof buf - 1 || buf[0] != '/')
		return realpath(full, NULL);
	buf[n] = '\0';
	return strdup(buf);
}

static int resolve(bundle_run *r, const char *root, const char *rel, const char *what, resolved *out)
{
	char full[PATH_MAX * 2];
	snprintf(full, sizeof full, "%s/%s", root, rel);
	char *real = real_path_of(full);
	if (!real && errno == ENOMEM)
		return r->h->error(CV_ENOMEM, "%s: %s: out of memory while looking for it", r->label, what);
	if (!real && errno == ENOENT) {
		char *alt = find_nfc(r->h, root, rel);
		if (alt) {
			real = real_path_of(alt);
			free(alt);
		}
	}
	if (!real) {
		struct stat lst;
		if (lstat(full, &lst) == 0 && S_ISLNK(lst.st_mode))
			return r->h->error(CV_EINVAL, "%s: %s: is a link to nothing", r->label, what);
		return r->h->error(CV_EINVAL, "%s: %s: missing from the bundle", r->label, what);
	}
	size_t rl = strlen(root);
	if (strncmp(real, root, rl) || real[rl] != '/') {
		free(real);
		return r->h->error(CV_EINVAL, "%s: %s: is a link pointing outside the bundle", r->label, what);
	}
	struct stat st;
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
		free(real);
		return r->h->error(CV_EINVAL, "%s: %s: is not a regular file", r->label, what);
	}
	out->real = real;
	out->size = (uint64_t)st.st_size;
	return 0;
}

static int stream_file(bundle_run *r, const resolved *res, const char *what, int sealed, unsigned char *buf)
{
	const cv_host *h = r->h;
	int fd = open(res->real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return h->error(CV_EINVAL, "%s: %s: cannot open it: %s", r->label, what, strerror(errno));
	uint64_t done = 0;
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, buf, BUNDLE_IO_BLOCK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = h->error(CV_EINVAL, "%s: %s: read error: %s", r->label, what, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		done += (uint64_t)n;
		if ((rc = bundle_account(r, what, done, (size_t)n)))
			break;
		if ((rc = sealed ? h->sealed_write(r->ctx, buf, (size_t)n) : h->doc_write(r->ctx, buf, (size_t)n)))
			break;
	}
	close(fd);
	return rc;
}

int bundle_ingest_dir(bundle_run *r, const char *path)
{
	const cv_host *h = r->h;
	char *root = realpath(path, NULL);
	if (!root)
		return h->error(CV_EINVAL, "%s: cannot resolve the bundle directory: %s", r->label, strerror(errno));
	resolved man = { NULL, 0 };
	int rc = resolve(r, root, "case.json", "case.json", &man);
	if (rc) {
		free(root);
		return h->error(CV_EINVAL, "%s: no case.json at the root of the bundle", r->label);
	}
	if (man.size > r->lim->max_manifest_bytes) {
		free(man.real);
		free(root);
		return h->error(CV_EINVAL, "%s: case.json is larger than %llu bytes", r->label,
			(unsigned long long)r->lim->max_manifest_bytes);
	}
	char *text = h->alloc(man.size + 1);
	FILE *f = text ? fopen(man.real, "rb") : NULL;
	size_t got = f ? fread(text, 1, man.size, f) : 0;
	if (f)
		fclose(f);
	free(man.real);
	if (!text || got != man.size) {
		h->free(text);
		free(root);
		return h->error(CV_EINVAL, "%s: cannot read case.json", r->label);
	}
	rc = bundle_manifest_parse(&r->m, h, r->label, text, got);
	h->free(text);
	size_t n = r->m.ndocs + (r->m.sealed_path ? 1 : 0);
	resolved *res = rc ? NULL : calloc(n + 1, sizeof *res);
	if (!rc && !res)
		rc = h->error(CV_ENOMEM, "out of memory");
	/* Everything is checked before the first byte is handed over. */
	uint64_t sum = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		char what[1200];
		bundle_doc_label(r, i, what, sizeof what);
		rc = resolve(r, root, i < r->m.ndocs ? r->m.docs[i].f.path : r->m.sealed_path, what, &res[i]);
		if (!rc && res[i].size > r->lim->max_entry_bytes)
			rc = h->error(CV_EINVAL, "%s: %s: %llu bytes, over the limit of %llu per document", r->label, what,
				(unsigned long long)res[i].size, (unsigned long long)r->lim->max_entry_bytes);
		sum += rc ? 0 : res[i].size;
		if (!rc && sum > r->lim->max_total_bytes)
			rc = h->error(CV_EINVAL, "%s: %s brings the documents over the limit of %llu bytes in total", r->label,
				what, (unsigned long long)r->lim->max_total_bytes);
	}
	r->expected = sum;
	unsigned char *buf = rc ? NULL : h->alloc(BUNDLE_IO_BLOCK);
	if (!rc && !buf)
		rc = h->error(CV_ENOMEM, "out of memory");
	if (!rc)
		rc = bundle_feed_header(r);
	for (size_t i = 0; !rc && i < n; i++) {
		char what[1200];
		bundle_doc_label(r, i, what, sizeof what);
		int sealed = i == r->m.ndocs;
		if (sealed)
			rc = h->sealed_begin(r->ctx);
		else
			rc = h->doc_begin(r->ctx, &r->m.docs[i].f);
		if (!rc)
			rc = stream_file(r, &res[i], what, sealed, buf);
		if (!rc)
			rc = sealed ? h->sealed_end(r->ctx) : h->doc_end(r->ctx);
	}
	if (buf) {
		h->wipe(buf, BUNDLE_IO_BLOCK);
		h->free(buf);
	}
	for (size_t i = 0; res && i < n; i++)
		free(res[i].real);
	free(res);
	free(root);
	return rc;
}
