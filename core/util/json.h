/* JSON the archive wrote and now reads back (records, plans, certificates,
 * manifests). jansson reports running out of memory like text that does
 * not parse -- and with no reason at all when its lexer cannot start --,
 * but the two mean opposite things here: the first is a failure to retry,
 * the second damage. Stateless; thread-safe. */
#ifndef CV_UTIL_JSON_H
#define CV_UTIL_JSON_H

#include <jansson.h>
#include <stddef.h>

/** Parse `len` bytes of `text` ((size_t)-1: up to its NUL). 0 and *out (the
 * caller's reference) on success; CV_ENOMEM when memory ran out; otherwise
 * CV_EDAMAGED with "WHAT is not valid JSON (line L: reason)". */
int cv__json_parse(json_t **out, const void *text, size_t len, size_t flags, const char *what);

/** json_dumps that never returns a damaged text: jansson 2.14 ignores a
 * failure to write an object's key (dump.c, dump_string) and goes on, so a
 * transient allocation failure gave JSON with a key missing, `{:"x"}`,
 * stored and read back as damage. NULL (out of memory) when any jansson
 * allocation of this thread failed during the dump (the text is wiped). */
char *cv__json_dumps(const json_t *o, size_t flags);

/** 1 when a failed jansson call ran out of memory (see above). */
int cv__json_oom(const json_error_t *je);

/** json_loadb (len (size_t)-1: json_loads) that, on failure, sets *oom to
 * 1 when memory ran out rather than the text being bad (parsing again, and
 * a probe allocation); *je describes the first failure. Sets no error:
 * for plugins, which report through their host. */
json_t *cv__json_load_checked(const void *text, size_t len, size_t flags, json_error_t *je, int *oom);

/** jansson builds objects without a word when an allocation fails:
 * json_pack() returns NULL, json_array_append_new(a, NULL) and
 * json_object_set_new(o, k, NULL) fail, and a caller that does not check
 * each one stores a record with a field missing. The watch counts the
 * failed allocations of the calling thread (jansson's allocator, wrapped
 * once per process and chained to the one in place); a write compares the
 * count at its start and before it commits (engine/txn.c, export). Only
 * libcasevault installs it (linked with -z nodelete, so the wrapper is never
 * unloaded from under jansson); plugins never do. */
void cv__json_watch_install(void);
/** Failed jansson allocations of this thread so far (0 before install). */
unsigned long cv__json_failures(void);

#endif
