/* The sealed identity of a secret birth (pli fermé). It can only be stored
 * once the archive has a sealing key (origins setup); until then a bundle
 * carrying one is refused, so the identity never lands under an ordinary
 * case key. */
#include "ingest_model.h"

#include <string.h>

#define CV_SEALED_MAX (1u << 20)

static int has_sealing_key(cv_archive *a, int *has)
{
	char *v = NULL;
	int rc = cv__catalog_meta_get(a->cat, "sealing_cert", &v);
	free(v);
	if (rc == CV_ENOTFOUND) {
		*has = 0;
		return 0;
	}
	*has = rc == 0;
	return rc;
}

int cv__sealed_begin(cv_ingest *t)
{
	int has = 0;
	if (t->has_sealed || t->in_sealed)
		return cv__err(CV_EINVAL, "%s: the sealed identity is given twice", t->source);
	if (t->have_case && strcmp(t->c.category, "secret_birth") != 0) {
		t->failed = 1;
		return cv__err(CV_EINVAL, "%s: sealed: a sealed identity belongs only to a secret_birth case (this one is %s)",
			t->source, t->c.category);
	}
	CV_TRY(has_sealing_key(t->a, &has));
	if (!has) {
		t->failed = 1;
		return cv__err(CV_ESTATE, "%s: sealed: this bundle holds a sealed identity (secret birth) but the archive has "
			"no sealing key yet; an admin must first run 'casevault origins setup --threshold 2 --holder U1 --holder U2'",
			t->source);
	}
	t->in_sealed = 1;
	cv__buf_clear(&t->sealed_plain);
	return 0;
}

int cv__sealed_write(cv_ingest *t, const void *data, size_t len)
{
	if (!t->in_sealed)
		return cv__err(CV_ESTATE, "%s: sealed data outside the sealed part", t->source);
	if (t->sealed_plain.len + len > CV_SEALED_MAX) {
		t->failed = 1;
		return cv__err(CV_EINVAL, "%s: sealed: the sealed identity is larger than %u bytes", t->source, CV_SEALED_MAX);
	}
	return cv__buf_put(&t->sealed_plain, data, len);
}

int cv__sealed_end(cv_ingest *t)
{
	if (!t->in_sealed)
		return cv__err(CV_ESTATE, "%s: sealed part ended twice", t->source);
	t->in_sealed = 0;
	t->has_sealed = 1;
	return 0;
}

int cv__sealed_store(cv_ingest *t)
{
	(void)t;
	return cv__err(CV_EUNSUPPORTED, "sealed identities are not supported by this build");
}
