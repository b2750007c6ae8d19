/* case.json (bundle.md, version 1): parsing and validation into plain
 * structs, before anything reaches the core. Every error names the bundle,
 * the field and what is wrong. Pure; no I/O. Document paths follow the
 * core's rule (cv__path_problem, util/vocab.h), plus two checks of the
 * bundle's own: case.json is not a document, and no path is listed twice. */
#ifndef CV_BUNDLE_MANIFEST_H
#define CV_BUNDLE_MANIFEST_H

#include <casevault/plugin.h>
#include <jansson.h>

typedef struct bundle_person {
	cv_person_fields f;
	const char **first; /* points into the JSON document */
} bundle_person;

typedef struct bundle_doc {
	cv_doc_fields f;
	const char **concerns;
} bundle_doc;

typedef struct bundle_manifest {
	const cv_host *h;
	json_t *root;              /* owns every string below */
	cv_case_fields c;
	bundle_person *persons;
	size_t npersons;
	cv_measure_fields *measures;
	size_t nmeasures;
	bundle_doc *docs;
	size_t ndocs;
	const char *sealed_path;   /* NULL when absent */
} bundle_manifest;

/** Parse and validate. On error, host->error has been called with a message
 * prefixed by `label` ("bundle.zip: case.json: ..."). */
int bundle_manifest_parse(bundle_manifest *m, const cv_host *host, const char *label, const char *text, size_t len);
void bundle_manifest_free(bundle_manifest *m);

#endif
