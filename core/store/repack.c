/* Keeping the number of packs small. Every operation writes at least one
 * pack; with thousands of packs libgit2 spends its time scanning them (each
 * refresh walks the pack directory, each lookup tries every index). After a
 * commit, under the writer lock, packs are merged geometrically as
 * `git repack --geometric=2` does: sorted by size, the smallest packs that do
 * not each outweigh twice everything smaller are rewritten into one, so the
 * count stays logarithmic in the archive's size and each byte is rewritten a
 * logarithmic number of times.
 *
 * The merged pack is streamed to a temporary file (its object count is known
 * in advance), fsynced and installed before any old pack is removed, so a
 * crash at any point leaves every object reachable. Readers holding an old
 * pack open keep reading it; others find the object in the new pack after
 * libgit2's refresh-and-retry. */
#include "store/store.h"
#include "util/error.h"
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define GEOMETRIC_MIN_PACKS 32 /* like git's gc.autoPackLimit (50): merge when there are many */
#define MERGE_MAX ((uint64_t)1 << 30)

typedef struct pack_info {
	char name[48]; /* "pack-<hex>" */
	uint64_t size;
} pack_info;

static int size_cmp(const void *a, const void *b)
{
	uint64_t x = ((const pack_info *)a)->size, y = ((const pack_info *)b)->size;
	return x < y ? -1 : x > y;
}

static int list_packs(const char *dir, pack_info **out, size_t *n)
{
	DIR *d = opendir(dir);
	*out = NULL;
	*n = 0;
	if (!d)
		return cv__err(CV_ERROR, "cannot list %s: %s", dir, strerror(errno));
	size_t cap = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char path[4096], idx[4096];
		struct stat st;
		if (l < 10 || strncmp(e->d_name, "pack-", 5) || strcmp(e->d_name + l - 5, ".pack") || l - 5 >= sizeof(*out)->name)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		snprintf(idx, sizeof idx, "%s/%.*s.idx", dir, (int)(l - 5), e->d_name);
		if (stat(path, &st) < 0 || access(idx, R_OK) < 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			pack_info *p = realloc(*out, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			*out = p;
		}
		snprintf((*out)[*n].name, sizeof(*out)[*n].name, "%.*s", (int)(l - 5), e->d_name);
		(*out)[*n].size = (uint64_t)st.st_size;
		(*n)++;
	}
	closedir(d);
	return rc;
}

/* An object of a source pack: where its entry starts and ends. */
typedef struct src_obj {
	git_oid oid;
	uint32_t crc;
	uint64_t off, end;
	unsigned pack;
} src_obj;

static int off_cmp(const void *a, const void *b)
{
	const src_obj *x = a, *y = b;
	if (x->pack != y->pack)
		return x->pack < y->pack ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&((const src_obj *)a)->oid, &((const src_obj *)b)->oid);
}

/* The objects of one pack from its v2 index: ids, CRCs and offsets; each
 * entry ends where the next begins (our packs hold no deltas). */
static int read_index(const char *idx_path, uint64_t pack_size, unsigned pack_no, src_obj **objs, size_t *n, size_t *cap)
{
	cv_buf b = CV_BUF_INIT;
	CV_TRY(cv__read_file(&b, idx_path, (size_t)1 << 32));
	int rc = 0;
	uint32_t count = 0;
	if (cv__idx_count(b.data, b.len, &count) < 0)
		rc = cv__err(CV_EDAMAGED, "%s is not a whole version 2 pack index", idx_path);
	if (!rc && *n + count > *cap) {
		size_t nc = (*n + count) * 2;
		src_obj *p = realloc(*objs, nc * sizeof *p);
		if (!p)
			rc = cv__oom();
		else {
			*objs = p;
			*cap = nc;
		}
	}
	const unsigned char *ids = b.data + 8 + 1024, *crcs = ids + (size_t)count * 20;
	size_t first = *n;
	for (uint32_t i = 0; !rc && i < count; i++) {
		src_obj *o = &(*objs)[(*n)++];
		memcpy(o->oid.id, ids + (size_t)i * 20, 20);
		o->crc = cv__be32(crcs + (size_t)i * 4);
		if (!(o->off = cv__idx_offset(b.data, b.len, count, i))) {
			rc = cv__err(CV_EDAMAGED, "%s: bad large offset", idx_path);
			break;
		}
		o->pack = pack_no;
	}
	cv__buf_dispose(&b);
	if (rc)
		return rc;
	qsort(*objs + first, count, sizeof **objs, off_cmp);
	for (size_t i = first; i < *n; i++) {
		(*objs)[i].end = i + 1 < *n ? (*objs)[i + 1].off : pack_size - 20;
		if ((*objs)[i].end <= (*objs)[i].off || (*objs)[i].off < 12)
			return cv__err(CV_EDAMAGED, "%s: overlapping or out-of-range offsets", idx_path);
	}
	return 0;
}

typedef struct merge_ctx {
	const pack_info *packs;
	int *src;            /* one descriptor per source pack */
	const src_obj *objs;
	cv_pack_obj *out;
	size_t n;
} merge_ctx;

/* Copy the entries as they are (no inflating, no re-hashing of objects:
 * git's --reuse-object), after checking each one's CRC-32 against its
 * source index. */
static int fill_merged(cv_pack_out *po, void *payload)
{
	merge_ctx *c = payload;
	unsigned char *buf = NULL;
	size_t bufcap = 0;
	int rc = 0;
	for (size_t i = 0; !rc && i < c->n; i++) {
		const src_obj *o = &c->objs[i];
		size_t len = (size_t)(o->end - o->off);
		if (len > bufcap) {
			free(buf);
			bufcap = len;
			if (!(buf = malloc(bufcap))) {
				rc = cv__oom();
				break;
			}
		}
		if (c->src[o->pack] < 0 || pread(c->src[o->pack], buf, len, (off_t)o->off) != (ssize_t)len) {
			rc = cv__err(CV_EDAMAGED, "cannot read %s.pack while merging packs", c->packs[o->pack].name);
			break;
		}
		if ((uint32_t)crc32(0, buf, (uInt)len) != o->crc) {
			char hex[41];
			git_oid_tostr(hex, sizeof hex, &o->oid);
			rc = cv__err(CV_EDAMAGED, "object %s in %s.pack does not match its CRC: not merged", hex,
				c->packs[o->pack].name);
			break;
		}
		git_oid_cpy(&c->out[i].oid, &o->oid);
		c->out[i].offset = po->off;
		c->out[i].crc = o->crc;
		rc = cv__pack_out_put(po, buf, len);
	}
	free(buf);
	return rc;
}

/* The entries of the source packs into one new pack and index. */
static int write_merged(cv_store *s, const pack_info *packs, size_t m, src_obj *objs, size_t n, char name_out[48])
{
	merge_ctx c = { packs, calloc(m ? m : 1, sizeof(int)), objs, calloc(n ? n : 1, sizeof(cv_pack_obj)), n };
	int rc = (!c.src || !c.out) ? cv__oom() : 0;
	for (size_t i = 0; c.src && i < m; i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s/%s.pack", s->pack_dir, packs[i].name);
		c.src[i] = open(p, O_RDONLY | O_CLOEXEC);
	}
	char hex[41];
	if (!rc)
		rc = cv__pack_install(s->pack_dir, c.out, n, fill_merged, &c, hex);
	for (size_t i = 0; c.src && i < m; i++)
		if (c.src[i] >= 0)
			close(c.src[i]);
	free(c.src);
	free(c.out);
	if (!rc)
		snprintf(name_out, 48, "pack-%s", hex);
	return rc;
}

/* Left behind by a crash: temporary files of the pack writers. */
static void remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "tmp_", 4))
			continue;
		char p[4200];
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		/* only old ones: a concurrent writer cannot exist (we hold the
		 * lock), but be conservative with clocks */
		if (stat(p, &st) == 0 && now - st.st_mtime > 60)
			unlink(p);
	}
	if (d)
		closedir(d);
}

int cv__store_consolidate(cv_store *s, int force, size_t min_packs)
{
	pack_info *packs = NULL;
	size_t n = 0;
	CV_TRY(list_packs(s->pack_dir, &packs, &n));
	if (n < 2 || (!force && n <= (min_packs ? min_packs : GEOMETRIC_MIN_PACKS))) {
		free(packs);
		return 0;
	}
	qsort(packs, n, sizeof *packs, size_cmp);
	/* Packs of a gibibyte or more are left alone: merging them would hold
	 * the writer lock for too long, for little gain. */
	size_t small = 0;
	while (small < n && packs[small].size < MERGE_MAX)
		small++;
	/* The last place where the sizes stop doubling, then far enough that
	 * the merged pack is at most half of the next one. */
	size_t m = 0;
	for (size_t i = small; i-- > 1;)
		if (packs[i].size < 2 * packs[i - 1].size) {
			m = i + 1;
			break;
		}
	if (force)
		m = small;
	uint64_t acc = 0;
	for (size_t i = 0; i < m; i++)
		acc += packs[i].size;
	while (m < small && acc * 2 > packs[m].size && acc + packs[m].size <= 2 * MERGE_MAX)
		acc += packs[m++].size;
	if (m < 2) {
		free(packs);
		return 0;
	}
	remove_stale_temps(s->pack_dir);
	src_obj *objs = NULL;
	size_t no = 0, cap = 0;
	int rc = 0;
	for (size_t i = 0; i < m && !rc; i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s/%s.idx", s->pack_dir, packs[i].name);
		rc = read_index(p, packs[i].size, (unsigned)i, &objs, &no, &cap);
	}
	if (!rc) {
		/* one copy of each object, then in pack order for sequential reads */
		qsort(objs, no, sizeof *objs, oid_cmp);
		size_t u = 0;
		for (size_t i = 0; i < no; i++)
			if (!u || !git_oid_equal(&objs[u - 1].oid, &objs[i].oid))
				objs[u++] = objs[i];
		no = u;
		qsort(objs, no, sizeof *objs, off_cmp);
	}
	char merged[48] = "";
	if (!rc)
		rc = write_merged(s, packs, m, objs, no, merged);
	free(objs);
	if (!rc) {
		for (size_t i = 0; i < m; i++) {
			if (!strcmp(packs[i].name, merged))
				continue;
			char p[4200];
			/* index first: a pack without its index is ignored by git */
			snprintf(p, sizeof p, "%s/%s.idx", s->pack_dir, packs[i].name);
			unlink(p);
			snprintf(p, sizeof p, "%s/%s.pack", s->pack_dir, packs[i].name);
			unlink(p);
			snprintf(p, sizeof p, "%s/%s.rev", s->pack_dir, packs[i].name);
			unlink(p);
		}
		rc = cv__fsync_dir(s->pack_dir);
		if (!rc)
			rc = cv__store_reopen(s);
	}
	free(packs);
	return rc;
}
