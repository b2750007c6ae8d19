/* The JSON objects of casevault's command line (--json) and of the web
 * service's API (/api/v1/): one builder per object so that both answer with
 * the same keys (docs/cli.md is the contract). Every builder returns a new
 * reference (NULL only when out of memory). Uses only the public API;
 * stateless and thread-safe. */
#ifndef CV_TOOLS_CVJSON_H
#define CV_TOOLS_CVJSON_H

#include <casevault.h>
#include <jansson.h>

/** json_string, or null for NULL and "". */
json_t *cvj_str_or_null(const char *s);
/** `case list --json` element. */
json_t *cvj_case(const cv_case_info *ci);
/** `case show --json`: the case, its persons, measures and documents. */
json_t *cvj_case_detail(const cv_case_detail *d);
/** `doc list --json` element. */
json_t *cvj_doc(const cv_doc_info *d);
/** `request list --json` element (full = 0) or `request show --json` (full = 1). */
json_t *cvj_request(const cv_request *r, int full);
/** `sweep plan --json` / `sweep show --json`: with its items when with_items. */
json_t *cvj_plan(const cv_sweep_plan *p, int with_items);
/** One item of a plan (the command line streams a plan's items). */
json_t *cvj_plan_item(const cv_sweep_item *x);
/** `journal show --json` element. */
json_t *cvj_journal_entry(const cv_journal_entry *e);
/** A hit of a person search for the API: {"case","ref","person","role"}
 * (`find --json` lists only the case ids). */
json_t *cvj_find_hit(const cv_find_hit *h);

#endif
