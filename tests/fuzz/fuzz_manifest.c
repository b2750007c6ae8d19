/* libFuzzer target: the bundle plugin's case.json validator
 * (plugins/ingest-bundle/manifest.c) behind a minimal host whose helpers
 * are the core's own (NFC, dates, vocabularies). Beyond "no crash, no
 * leak": whatever it accepts must satisfy what the core will assume. */
#include "ingest-bundle/manifest.c"

#include "engine/internal.h"
#include "util/date.h"
#include "util/text.h"
#include "fake_host.h"

#include <stdarg.h>
#include <stdint.h>

static int h_nfc(char **out, const char *in, size_t len) { return cv__nfc(out, in, len); }
static int h_fold(char **out, const char *in, size_t len) { return cv__fold(out, in, len); }
static int h_date_valid(const char *s) { return cv__date_valid(s); }
static int h_category_valid(const char *s) { return cv__valid_category(s); }
static int h_role_valid(const char *s) { return cv__valid_role(s); }

static cv_host host;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fake_host_init(&host);
	host.nfc = h_nfc;
	host.fold = h_fold;
	host.date_valid = h_date_valid;
	host.category_valid = h_category_valid;
	host.role_valid = h_role_valid;
	return 0;
}

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bundle_manifest m;
	fake_host_errors = 0;
	int rc = bundle_manifest_parse(&m, &host, "fuzz.zip", (const char *)data, size);
	if (rc) {
		/* every refusal is explained, with the bundle's name */
		CHECK(rc < 0 && fake_host_errors >= 1 && strstr(fake_host_error_msg, "fuzz.zip"));
	} else {
		CHECK(fake_host_errors == 0);
		CHECK(m.c.ref && *m.c.ref && cv__valid_category(m.c.category) && cv__date_valid(m.c.opened));
		CHECK(!m.c.closed || (cv__date_valid(m.c.closed) && strcmp(m.c.closed, m.c.opened) >= 0));
		for (size_t i = 0; i < m.npersons; i++) {
			const cv_person_fields *p = &m.persons[i].f;
			CHECK(p->size == sizeof *p && p->id && *p->id && p->last && *p->last && cv__valid_role(p->role));
			CHECK(!p->born || cv__date_valid(p->born));
			CHECK(p->nfirst == 0 || p->first);
			for (size_t j = 0; j < p->nfirst; j++)
				CHECK(p->first[j] && *p->first[j]);
			for (size_t j = 0; j < i; j++)
				CHECK(strcmp(m.persons[j].f.id, p->id));
		}
		for (size_t i = 0; i < m.nmeasures; i++) {
			const cv_measure_fields *x = &m.measures[i];
			CHECK(x->type && cv__date_valid(x->start) && (!x->end || cv__date_valid(x->end)));
		}
		for (size_t i = 0; i < m.ndocs; i++) {
			const cv_doc_fields *d = &m.docs[i].f;
			CHECK(d->path && !cv__path_problem(d->path) && d->title && *d->title);
			CHECK(strcmp(d->path, "case.json"));
			CHECK(!d->date || cv__date_valid(d->date));
			for (size_t j = 0; j < d->nconcerns; j++) {
				size_t k = 0;
				while (k < m.npersons && strcmp(m.persons[k].f.id, d->concerns[j]))
					k++;
				CHECK(k < m.npersons);
			}
			for (size_t j = 0; j < i; j++)
				CHECK(strcmp(m.docs[j].f.path, d->path));
		}
		CHECK(!m.sealed_path || (!cv__path_problem(m.sealed_path) && !strcmp(m.c.category, "secret_birth")));
	}
	bundle_manifest_free(&m);
	return 0;
}
