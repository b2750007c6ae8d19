/* The decision file of a review (review.h): written for the officer with
 * every mention, its reason, the person it was attributed to and a legend
 * of the numbers; read back with the officer's decisions. It holds third
 * parties' names in clear, like the review page: mode 0600, a working paper
 * to destroy after use, which the file itself says. */
#include "export/review.h"
#include "util/json.h"
#include "util/fs.h"
#include "util/vocab.h"
#include "util/wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT "casevault-review"
#define MAX_FILE (64u << 20)
#define CONTEXT 60

static const cv_person *person_of(const cv_redaction *r, const char *id)
{
	for (size_t i = 0; id && id[0] && i < r->npersons; i++)
		if (!strcmp(r->persons[i].id, id))
			return &r->persons[i];
	return NULL;
}

const char *cv__review_role_label(const cv_redaction *r, const char *person)
{
	const cv_person *p = person_of(r, person);
	if (!p)
		return "personne absente du registre";
	if (!strcmp(p->id, r->requester))
		return "le demandeur";
	const cv_term *t = cv__term(cv__person_roles, p->role);
	return t ? t->phrase : "personne du registre";
}

const char *cv__review_reason(const cv_span *sp)
{
	if (sp->kept == CV_KEPT_AGENT)
		return "agent dans l'exercice de ses fonctions : nom communiqué selon la politique d'occultation";
	if (sp->kept == CV_KEPT_OFFICER)
		return "laissé en clair par l'agent à la relecture";
	if (sp->kept)
		return "peut désigner le demandeur : conservé, à vérifier";
	if (!strcmp(sp->kind, "person"))
		return sp->review ? "tiers du registre, attribution incertaine (plusieurs personnes possibles)"
				  : "tiers inscrit au registre du dossier";
	if (!strcmp(sp->kind, "name"))
		return "nom d'une personne absente du registre";
	if (!strcmp(sp->kind, "phone"))
		return "numéro de téléphone d'un tiers";
	if (!strcmp(sp->kind, "email"))
		return "adresse électronique d'un tiers";
	if (!strcmp(sp->kind, "nir"))
		return "numéro de sécurité sociale (NIR) d'un tiers";
	if (!strcmp(sp->kind, "iban"))
		return "coordonnées bancaires (IBAN) d'un tiers";
	if (!strcmp(sp->kind, "address"))
		return "adresse d'un tiers";
	if (!strcmp(sp->kind, "birthdate"))
		return "date de naissance d'un tiers";
	return "donnée d'un tiers";
}

/* `text[s..e)` widened by CONTEXT bytes each side, cut on UTF-8 boundaries,
 * line breaks as spaces. */
static json_t *context_json(const char *text, size_t len, size_t s, size_t e)
{
	size_t a = s > CONTEXT ? s - CONTEXT : 0, b = e + CONTEXT < len ? e + CONTEXT : len;
	while (a > 0 && ((unsigned char)text[a] & 0xC0) == 0x80)
		a--;
	while (b < len && ((unsigned char)text[b] & 0xC0) == 0x80)
		b++;
	char *c = strndup(text + a, b - a);
	if (!c)
		return NULL;
	for (char *p = c; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	json_t *j = json_string(c);
	cv__wipe(c, b - a);
	free(c);
	return j;
}

static const char *proposed(const cv_span *sp)
{
	return sp->kept == CV_KEPT_AGENT ? "communiqué" : sp->kept ? "conservé" : "masqué";
}

json_t *cv__review_mention_json(const cv_review *rv, const cv_mention *m, const char *text, size_t len)
{
	const cv_span *sp = &m->sp;
	json_t *t = json_stringn(text + sp->start, sp->end - sp->start);
	json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:o,s:o,s:s,s:o,s:s,s:s,s:s,s:s,s:b,s:s}", "id", m->id, "doc",
		rv->co->docs[m->doc].id, "start", (json_int_t)sp->start, "end", (json_int_t)sp->end, "text", t ? t : json_null(),
		"context", context_json(text, len, sp->start, sp->end), "kind", sp->kind, "person",
		sp->person[0] ? json_string(sp->person) : json_null(), "role", cv__review_role_label(rv->r, sp->person), "replacement",
		sp->kept ? "" : sp->replacement, "proposed", proposed(sp), "reason", cv__review_reason(sp), "to_check", m->to_check,
		"decision", "");
	return j;
}

static unsigned number_of(const char *repl)
{
	return strncmp(repl, "[tiers ", 7) ? 0 : (unsigned)strtoul(repl + 7, NULL, 10);
}

json_t *cv__review_legend_json(const cv_review *rv)
{
	unsigned max = 0;
	for (size_t i = 0; i < rv->nm; i++)
		if (number_of(rv->m[i].final.replacement) > max)
			max = number_of(rv->m[i].final.replacement);
	json_t *arr = json_array();
	for (unsigned num = 1; arr && num <= max && num < 100000; num++) {
		const cv_mention *first = NULL;
		for (size_t i = 0; !first && i < rv->nm; i++)
			if (!rv->m[i].final.kept && number_of(rv->m[i].final.replacement) == num)
				first = &rv->m[i];
		if (first)
			json_array_append_new(arr, json_pack("{s:I,s:o,s:s,s:n}", "number", (json_int_t)num, "person",
				first->final.person[0] ? json_string(first->final.person) : json_null(), "role",
				cv__review_role_label(rv->r, first->final.person), "same_as"));
	}
	return arr;
}

static json_t *documents_json(const cv_review *rv)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < rv->co->nd; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:o}", "id", rv->co->docs[i].id, "title", rv->co->outs[i].title ?
			rv->co->outs[i].title : "", "fingerprint", rv->docs[i].text ? json_string(rv->docs[i].fingerprint) : json_null()));
	return arr;
}

int cv__review_write(cv_review *rv)
{
	json_t *root = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:O,s:[],s:[]}", "format", FORMAT, "version", 1,
		"notice", "Document de travail contenant des données personnelles de tiers : ne pas le communiquer au demandeur ; "
		"le détruire après usage.",
		"help", "Pour chaque mention, écrire dans \"decision\" : \"accept\" (garder ce qui est proposé), \"unmask\" "
		"(laisser en clair), \"mask\" (masquer) ou \"reassign:ID\" (attribuer à la personne ID du registre, qui garde son "
		"numéro). Chaque mention dont \"to_check\" vaut true doit recevoir une décision. Dans \"legend\", \"same_as\": N "
		"fusionne un numéro avec le numéro N. Pour masquer un passage oublié : ajouter à \"add\" un objet "
		"{\"doc\": ID, \"text\": \"…\", \"person\": ID ou null}. Puis : casevault export … --decisions CE_FICHIER.",
		"case", rv->co->ci.id, "ref", rv->co->ci.ref, "requester", rv->r->requester, "requester_name",
		rv->co->req_name ? rv->co->req_name : "", "policy", rv->r->policy, "documents", documents_json(rv), "legend",
		cv__review_legend_json(rv), "mentions", rv->out, "merge", "add");
	if (!root)
		return cv__oom();
	char *s = cv__json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!s)
		return cv__oom();
	int rc = cv__write_file_new(rv->path, s, strlen(s), 0600);
	cv__wipe(s, strlen(s));
	free(s);
	return rc;
}

int cv__review_parse_decision(const char *id, const char *v, cv_decision *d, char *target, size_t tn)
{
	*d = CV_DEC_NONE;
	target[0] = '\0';
	if (!v || !*v)
		return 0;
	if (!strcmp(v, "accept"))
		*d = CV_DEC_ACCEPT;
	else if (!strcmp(v, "unmask"))
		*d = CV_DEC_UNMASK;
	else if (!strcmp(v, "mask"))
		*d = CV_DEC_MASK;
	else if (!strncmp(v, "reassign:", 9) && v[9] && strlen(v + 9) < tn) {
		*d = CV_DEC_REASSIGN;
		snprintf(target, tn, "%s", v + 9);
	} else
		return cv__err(CV_EINVAL, "mention %s: decision \"%s\" is not one of accept, unmask, mask, reassign:PERSON", id, v);
	return 0;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int changed(const cv_review *rv, const char *what)
{
	return cv__err(CV_ESTATE, "review file %s was made on another state of the case (%s); make a new review file with "
		"--review-out", rv->path, what);
}

/* The file's header and documents must be this case, requester, policy and texts. */
static int check_header(cv_review *rv, json_t *f)
{
	json_t *ver = json_object_get(f, "version");
	if (!jstr(f, "format") || strcmp(jstr(f, "format"), FORMAT) || !json_is_integer(ver) || json_integer_value(ver) != 1)
		return cv__err(CV_EINVAL, "%s is not a casevault review file (format casevault-review, version 1)", rv->path);
	if (!jstr(f, "case") || strcmp(jstr(f, "case"), rv->co->ci.id))
		return cv__err(CV_EINVAL, "review file %s is for another case (%s), not %s", rv->path,
			jstr(f, "case") ? jstr(f, "case") : "none", rv->co->ci.ref);
	if (!jstr(f, "requester") || strcmp(jstr(f, "requester"), rv->r->requester))
		return cv__err(CV_EINVAL, "review file %s is for another requester (%s), not %s", rv->path,
			jstr(f, "requester") ? jstr(f, "requester") : "none", rv->r->requester);
	if (!jstr(f, "policy") || strcmp(jstr(f, "policy"), rv->r->policy))
		return changed(rv, "the redaction policy changed");
	json_t *docs = json_object_get(f, "documents");
	if (!json_is_array(docs) || json_array_size(docs) != rv->co->nd)
		return changed(rv, "documents were added or removed");
	for (size_t i = 0; i < rv->co->nd; i++) {
		json_t *d = json_array_get(docs, i);
		const char *fp = jstr(d, "fingerprint");
		if (!jstr(d, "id") || strcmp(jstr(d, "id"), rv->co->docs[i].id) || (rv->docs[i].text != (fp != NULL)) ||
			(fp && strcmp(fp, rv->docs[i].fingerprint))) {
			char what[120];
			snprintf(what, sizeof what, "document %s has another text", rv->co->docs[i].id);
			return changed(rv, what);
		}
	}
	return 0;
}

static cv_mention *mention_by_id(cv_review *rv, const char *id)
{
	for (size_t i = 0; id && i < rv->nm; i++)
		if (!strcmp(rv->m[i].id, id))
			return &rv->m[i];
	return NULL;
}

/* Each mention of the file: one the engine gives now, and its decision. */
static int read_mentions(cv_review *rv, json_t *f)
{
	json_t *arr = json_object_get(f, "mentions"), *j;
	size_t i;
	if (!json_is_array(arr))
		return cv__err(CV_EINVAL, "review file %s has no list of mentions", rv->path);
	json_array_foreach(arr, i, j) {
		const char *id = jstr(j, "id");
		cv_mention *m = mention_by_id(rv, id);
		json_t *s = json_object_get(j, "start"), *e = json_object_get(j, "end");
		if (!m || !jstr(j, "doc") || strcmp(jstr(j, "doc"), rv->co->docs[m->doc].id) || !json_is_integer(s) ||
			!json_is_integer(e) || (size_t)json_integer_value(s) != m->sp.start || (size_t)json_integer_value(e) != m->sp.end) {
			char what[120];
			snprintf(what, sizeof what, "mention %s is not found at the same place", id ? id : "without id");
			return changed(rv, what);
		}
		if (m->dec != CV_DEC_NONE)
			return cv__err(CV_EINVAL, "review file %s: mention %s is listed twice", rv->path, m->id);
		const char *v = jstr(j, "decision");
		if (json_object_get(j, "decision") && !v && !json_is_null(json_object_get(j, "decision")))
			return cv__err(CV_EINVAL, "review file %s: the decision of mention %s must be a text", rv->path, m->id);
		CV_TRY(cv__review_parse_decision(m->id, v, &m->dec, m->target, sizeof m->target));
	}
	return 0;
}

static int read_merges(cv_review *rv, json_t *f, unsigned **from, unsigned **into, size_t *n)
{
	json_t *legend = json_object_get(f, "legend"), *j;
	size_t i, cap = 0;
	json_array_foreach(legend, i, j) {
		json_t *num = json_object_get(j, "number"), *to = json_object_get(j, "same_as");
		if (!to || json_is_null(to))
			continue;
		if (!json_is_integer(num) || !json_is_integer(to) || json_integer_value(to) < 1 ||
			json_integer_value(to) == json_integer_value(num) || json_integer_value(to) > 1000000)
			return cv__err(CV_EINVAL, "review file %s: legend entry %zu: same_as must be another number", rv->path, i + 1);
		CV_TRY(cv__grow((void **)from, &cap, *n, sizeof **from));
		unsigned *grown = realloc(*into, cap * sizeof **into);
		if (!grown)
			return cv__oom();
		*into = grown;
		(*from)[*n] = (unsigned)json_integer_value(num);
		(*into)[(*n)++] = (unsigned)json_integer_value(to);
	}
	return 0;
}

static int doc_index(const cv_review *rv, const char *id, size_t *out)
{
	for (size_t i = 0; id && i < rv->co->nd; i++)
		if (!strcmp(rv->co->docs[i].id, id) && rv->docs[i].text) {
			*out = i;
			return 0;
		}
	return cv__err(CV_EINVAL, "review file %s: \"add\" names document %s, which is not a text document of the case",
		rv->path, id ? id : "(none)");
}

static int read_added(cv_review *rv, json_t *f)
{
	json_t *arr = json_object_get(f, "add"), *j;
	size_t i, cap = 0;
	json_array_foreach(arr, i, j) {
		const char *text = jstr(j, "text"), *person = jstr(j, "person");
		size_t doc = 0;
		CV_TRY(doc_index(rv, jstr(j, "doc"), &doc));
		if (!text || strlen(text) < 2)
			return cv__err(CV_EINVAL, "review file %s: passage to mask %zu has no text (two characters or more)", rv->path, i + 1);
		if (person && (!person_of(rv->r, person) || !strcmp(person, rv->r->requester)))
			return cv__err(CV_EINVAL, "review file %s: passage to mask %zu: '%s' is not a third party of the register",
				rv->path, i + 1, person);
		CV_TRY(cv__grow((void **)&rv->add, &cap, rv->nadd, sizeof *rv->add));
		cv_added *ad = &rv->add[rv->nadd];
		memset(ad, 0, sizeof *ad);
		if (!(ad->text = strdup(text)))
			return cv__oom();
		rv->nadd++;
		ad->doc = doc;
		snprintf(ad->person, sizeof ad->person, "%s", person ? person : "");
		rv->corrections++;
		CV_TRY(cv__buf_printf(&rv->journal, "doc:%s add:%zu person:%s decision:mask\n", rv->co->docs[doc].id, i + 1,
			person ? person : "-"));
	}
	return 0;
}

int cv__review_load_buffer(cv_review *rv, const char *data, size_t len)
{
	json_error_t err;
	rv->file = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	if (!rv->file || !json_is_object(rv->file))
		return cv__err(CV_EINVAL, "review file %s, line %d: %s", rv->path, rv->file ? 1 : err.line,
			rv->file ? "not a JSON object" : err.text);
	unsigned *from = NULL, *into = NULL;
	size_t nmerge = 0;
	int rc = check_header(rv, rv->file);
	if (!rc)
		rc = read_mentions(rv, rv->file);
	if (!rc)
		rc = read_added(rv, rv->file);
	if (!rc)
		rc = read_merges(rv, rv->file, &from, &into, &nmerge);
	if (!rc)
		rc = cv__review_decide_all(rv, from, into, nmerge);
	free(from);
	free(into);
	return rc;
}

int cv__review_load(cv_review *rv)
{
	cv_buf raw = CV_BUF_INIT;
	int rc = cv__read_file(&raw, rv->path, MAX_FILE);
	if (!rc)
		rc = cv__review_load_buffer(rv, (const char *)raw.data, raw.len);
	cv__buf_wipe_dispose(&raw);
	return rc;
}
