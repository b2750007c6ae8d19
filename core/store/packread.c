/* A pack reader for one job: full verify reads every chunk once, and
 * through libgit2 each read maps 4 MiB windows (page faults on every
 * page), inflates with a fresh zlib stream and checks Adler-32 and SHA-1 —
 * all before AES-GCM authenticates the same bytes anyway. Here: the
 * version-2 indexes are loaded once, the entry is read with one pread, and
 * a raw inflate (no Adler-32) reuses one stream. Only whole blob entries
 * are handled; anything else (a delta, a pack made after the reader was
 * opened, a malformed entry) is left to libgit2 by the caller, so this
 * path can only be faster, never less strict: its bytes are authenticated
 * by the caller. A reader belongs to one store, hence one thread. */
#include "store/packread.h"
#include "store/pack.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

typedef struct rpack {
	cv_buf idx;    /* the whole .idx file */
	uint32_t count;
	int fd;        /* the .pack */
	uint64_t end;  /* where entries stop (before the trailer) */
} rpack;

struct cv_packread {
	rpack *packs;
	size_t n, last;
	z_stream z;
	int z_ready;
	unsigned char *in, *out;
	size_t cap_in, cap_out;
};

static int load_pack(rpack *p, const char *dir, const char *idx_name)
{
	char path[4200];
	size_t l = strlen(idx_name);
	snprintf(path, sizeof path, "%s/%s", dir, idx_name);
	CV_TRY(cv__read_file(&p->idx, path, (size_t)1 << 32));
	if (cv__idx_count(p->idx.data, p->idx.len, &p->count) < 0)
		return CV_ENOTFOUND;
	snprintf(path, sizeof path, "%s/%.*s.pack", dir, (int)(l - 4), idx_name);
	struct stat st;
	if ((p->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(p->fd, &st) < 0 || st.st_size < 32)
		return CV_ENOTFOUND;
	p->end = (uint64_t)st.st_size - 20;
	/* chunks are read in storage order: a larger readahead window */
	posix_fadvise(p->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

int cv__packread_open(cv_packread **out, const char *pack_dir)
{
	cv_packread *r = calloc(1, sizeof *r);
	if (!r)
		return cv__oom();
	DIR *d = opendir(pack_dir);
	struct dirent *e;
	size_t cap = 0;
	int rc = 0;
	while (!rc && d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".idx"))
			continue;
		if ((rc = cv__grow((void **)&r->packs, &cap, r->n, sizeof *r->packs)))
			break;
		rpack *p = &r->packs[r->n];
		memset(p, 0, sizeof *p);
		p->fd = -1;
		if (load_pack(p, pack_dir, e->d_name) == 0) {
			r->n++;
		} else { /* libgit2 will say what is wrong with it */
			cv__buf_dispose(&p->idx);
			if (p->fd >= 0)
				close(p->fd);
			cv_error_clear();
		}
	}
	if (d)
		closedir(d);
	if (!rc && inflateInit2(&r->z, -15) != Z_OK)
		rc = cv__oom();
	r->z_ready = !rc;
	if (rc) {
		cv__packread_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void cv__packread_free(cv_packread *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		cv__buf_dispose(&r->packs[i].idx);
		close(r->packs[i].fd);
	}
	if (r->z_ready)
		inflateEnd(&r->z);
	free(r->packs);
	free(r->in);
	free(r->out);
	free(r);
}

/* The entry's offset in pack `p`, or 0 when the pack does not hold it. */
static uint64_t find(const rpack *p, const git_oid *oid)
{
	const unsigned char *b = p->idx.data, *fan = b + 8, *ids = b + 8 + 1024;
	uint32_t lo = oid->id[0] ? cv__be32(fan + (oid->id[0] - 1) * 4) : 0, hi = cv__be32(fan + oid->id[0] * 4);
	if (hi > p->count || lo > hi)
		return 0;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(ids + (size_t)mid * 20, oid->id, 20);
		if (!c)
			return cv__idx_offset(b, p->idx.len, p->count, mid);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int grow(unsigned char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	unsigned char *p = realloc(*buf, need);
	if (!p)
		return cv__oom();
	*buf = p;
	*cap = need;
	return 0;
}

/* One entry: its header (type 3 = blob, size), the zlib header, then a raw
 * inflate of exactly `size` bytes. */
static int read_entry(cv_packread *r, const rpack *p, uint64_t off, const void **data, size_t *len)
{
	unsigned char h[32];
	if (off < 12 || off >= p->end)
		return CV_ENOTFOUND;
	size_t hn = p->end - off < sizeof h ? (size_t)(p->end - off) : sizeof h;
	if (pread(p->fd, h, hn, (off_t)off) != (ssize_t)hn)
		return CV_ENOTFOUND;
	size_t i = 0;
	unsigned type = (h[0] >> 4) & 7;
	uint64_t size = h[0] & 15;
	for (unsigned shift = 4; h[i] & 0x80; shift += 7) {
		if (++i >= hn - 2 || shift > 56)
			return CV_ENOTFOUND;
		size |= (uint64_t)(h[i] & 0x7f) << shift;
	}
	i++;
	/* zlib header: deflate, no preset dictionary, check bits right */
	if (type != 3 || (h[i] & 0x0f) != 8 || (h[i + 1] & 0x20) || ((unsigned)h[i] << 8 | h[i + 1]) % 31 || size > (1u << 30))
		return CV_ENOTFOUND;
	uint64_t start = off + i + 2, bound = size + (size >> 8) + 64;
	size_t in = (size_t)(p->end - start < bound ? p->end - start : bound);
	CV_TRY(grow(&r->in, &r->cap_in, in ? in : 1));
	CV_TRY(grow(&r->out, &r->cap_out, size ? (size_t)size : 1));
	if (pread(p->fd, r->in, in, (off_t)start) != (ssize_t)in)
		return CV_ENOTFOUND;
	inflateReset(&r->z);
	r->z.next_in = r->in;
	r->z.avail_in = (uInt)in;
	r->z.next_out = r->out;
	r->z.avail_out = (uInt)size;
	int z = inflate(&r->z, Z_FINISH);
	if (z != Z_STREAM_END || r->z.total_out != size)
		return CV_ENOTFOUND;
	*data = r->out;
	*len = (size_t)size;
	return 0;
}

int cv__packread_blob(cv_packread *r, const git_oid *oid, const void **data, size_t *len)
{
	for (size_t k = 0; k < r->n; k++) {
		size_t i = (r->last + k) % r->n; /* a case's chunks sit together */
		uint64_t off = find(&r->packs[i], oid);
		if (!off)
			continue;
		r->last = i;
		return read_entry(r, &r->packs[i], off, data, len);
	}
	return CV_ENOTFOUND;
}
