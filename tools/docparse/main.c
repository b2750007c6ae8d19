/* casevault-docparse MODE --kind KIND [--plan PLAN] [--max-pages N]
 *
 * The untrusted-document parser (docs/pages-protocol.md): the document on
 * fd 0, the answer on fd 1, diagnostics (which may quote the document) on
 * fd 2. Exit 0 answered, 3 refused (an E record was sent), 2 usage. */
#include "docparse.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static _Noreturn void usage(const char *why)
{
	fprintf(stderr,
		"casevault-docparse: %s\n"
		"usage: casevault-docparse convert --kind office\n"
		"       casevault-docparse words --kind pdf|image [--max-pages N]\n"
		"       casevault-docparse pixels --kind pdf|image --plan PLAN [--max-pages N]\n",
		why);
	exit(2);
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	if (!s || !*s)
		return 0;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > hi)
			return 0;
	}
	if (v < lo)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

/* One plan entry, SOURCE:DPI:ROT:SKEW. */
static int parse_entry(char *e, dp_geom *g)
{
	char *f[4];
	int n = 0;
	for (char *save = NULL, *t = strtok_r(e, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
		if (n == 4)
			return 0;
		f[n++] = t;
	}
	if (n != 4 || strlen(f[0]) != 1 || (f[0][0] != 't' && f[0][0] != 'o'))
		return 0;
	g->source = f[0][0];
	if (!parse_u32(f[1], DP_MIN_DPI, DP_MAX_DPI, &g->dpi) || !parse_u32(f[2], 0, 270, &g->rot) || g->rot % 90)
		return 0;
	const char *s = f[3];
	int neg = *s == '-';
	uint32_t mag;
	if (!parse_u32(s + neg, 0, 45000, &mag))
		return 0;
	g->skew = neg ? -(int32_t)mag : (int32_t)mag;
	return 1;
}

static void parse_plan(const char *plan, dp_opts *o)
{
	size_t len = strlen(plan);
	if (!len || len > 64 * (size_t)DP_MAX_PAGES)
		usage("the plan is not valid");
	char *copy = strdup(plan);
	if (!copy)
		usage("out of memory");
	size_t n = 1;
	for (const char *p = plan; *p; p++)
		n += *p == ',';
	if (n > DP_MAX_PAGES)
		usage("the plan is not valid");
	o->plan = calloc(n, sizeof *o->plan);
	if (!o->plan)
		usage("out of memory");
	/* Empty entries are invalid, so split by hand (strtok would skip them). */
	char *p = copy;
	for (size_t i = 0; i < n; i++) {
		char *c = strchr(p, ',');
		if (c)
			*c = 0;
		if (!parse_entry(p, &o->plan[i]))
			usage("the plan is not valid");
		p = c ? c + 1 : p + strlen(p);
	}
	o->plan_len = (uint32_t)n;
	free(copy);
}

/* The whole document from fd 0: mapped when it is a file (the sandbox's
 * sealed memfd), read otherwise. */
static const unsigned char *read_input(size_t *len)
{
	struct stat st;
	if (fstat(0, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uint64_t)st.st_size > DP_MAX_INPUT)
			dp_fail(E_LIMIT, "the document is larger than 1 GiB");
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, 0, 0);
		if (m != MAP_FAILED) {
			*len = (size_t)st.st_size;
			return m;
		}
	}
	size_t cap = 1 << 20, n = 0;
	unsigned char *b = dp_xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= DP_MAX_INPUT) {
				free(b);
				dp_fail(E_LIMIT, "the document is larger than 1 GiB");
			}
			cap *= 2;
			unsigned char *nb = realloc(b, cap);
			if (!nb) {
				free(b);
				dp_oom();
			}
			b = nb;
		}
		ssize_t r = read(0, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			dp_fail(E_MALFORMED, "the document could not be read");
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return b;
}

/* One core per page: libgomp (under libtesseract) reads OMP_THREAD_LIMIT
 * once, when it loads, and Tesseract asks for several threads explicitly
 * (num_threads clauses that omp_set_num_threads does not cap). So a words
 * run that was not started with the limit sets it and runs itself again;
 * if that is not possible (no /proc in the sandbox), it goes on as it is. */
static void limit_threads(char **argv)
{
	const char *v = getenv("OMP_THREAD_LIMIT");
	if (v && !strcmp(v, "1"))
		return;
	if (setenv("OMP_THREAD_LIMIT", "1", 1) != 0)
		return;
	execv("/proc/self/exe", argv);
	if (strchr(argv[0], '/'))
		execv(argv[0], argv);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && !strcmp(argv[1], "words"))
		limit_threads(argv);
	if (argc < 2)
		usage("no mode");
	const char *mode = argv[1], *kind = NULL, *plan = NULL;
	dp_opts o = { .max_pages = DP_MAX_PAGES };
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		const char *eq = strchr(a, '=');
		char name[32];
		if (strncmp(a, "--", 2) != 0)
			usage("unexpected argument");
		if (eq) {
			size_t k = (size_t)(eq - a);
			if (k >= sizeof name)
				usage("unknown option");
			memcpy(name, a, k);
			name[k] = 0;
			v = eq + 1;
		} else {
			if (strlen(a) >= sizeof name)
				usage("unknown option");
			strcpy(name, a);
			if (i + 1 >= argc)
				usage("an option without its value");
			v = argv[++i];
		}
		if (!strcmp(name, "--kind"))
			kind = v;
		else if (!strcmp(name, "--plan"))
			plan = v;
		else if (!strcmp(name, "--max-pages")) {
			if (!parse_u32(v, 1, DP_MAX_PAGES, &o.max_pages))
				usage("--max-pages takes a number from 1 to 2000");
		} else
			usage("unknown option");
	}
	if (!kind)
		usage("--kind is required");
	int convert = !strcmp(mode, "convert");
	if (convert) {
		if (strcmp(kind, "office") != 0 || plan)
			usage("convert takes --kind office and no plan");
	} else if (!strcmp(mode, "words") || !strcmp(mode, "pixels")) {
		o.pixels = !strcmp(mode, "pixels");
		if (strcmp(kind, "pdf") != 0 && strcmp(kind, "image") != 0)
			usage("--kind is pdf or image");
		if (o.pixels != (plan != NULL))
			usage(o.pixels ? "pixels needs --plan" : "--plan is for pixels only");
		if (plan)
			parse_plan(plan, &o);
	} else
		usage("unknown mode");

	dp_out_header();
	size_t len = 0;
	const unsigned char *data = read_input(&len);
	if (!len)
		dp_fail(E_MALFORMED, "the document is empty");
	if (convert)
		dp_run_convert(data, len);
	else if (!strcmp(kind, "pdf"))
		dp_run_pdf(data, len, &o);
	else
		dp_run_image(data, len, &o);
	free(o.plan);
	return 0;
}
