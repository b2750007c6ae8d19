/* The plugin ABI 1.0 exactly as it was published, frozen: a plugin built
 * against this header is what an old plugin in the field looks like. Never
 * edit this file; the test plugins next to it prove that a newer host still
 * loads such plugins (members a 1.0 table lacks read as absent). */
#ifndef CV_TEST_ABI10_H
#define CV_TEST_ABI10_H

#include <stddef.h>
#include <stdint.h>

#define CV_PLUGIN_ABI_MAJOR 1
#define CV_PLUGIN_ABI_MINOR 0
#define CV_INGEST_OPS_VERSION 1
#define CV_REDACT_OPS_VERSION 1
#define CV_RETAIN_OPS_VERSION 1
#define CV_EINVAL (-2)
#define CV_ENOMEM (-9)

#define CV_PLUGIN_ENTRY(self, host) \
	__attribute__((visibility("default"))) int casevault_plugin_entry(cv_plugin *self, const cv_host *host)

typedef struct cv_plugin cv_plugin;
typedef struct cv_ingest_ctx cv_ingest_ctx;

typedef struct cv_case_fields {
	size_t size;
	const char *ref, *category, *opened, *closed, *territory;
} cv_case_fields;

typedef struct cv_person_fields {
	size_t size;
	const char *id, *role, *last;
	const char *const *first;
	size_t nfirst;
	const char *born, *sex, *phone, *email, *address, *nir, *function;
} cv_person_fields;

typedef struct cv_measure_fields {
	size_t size;
	const char *type, *basis, *start, *end;
} cv_measure_fields;

typedef struct cv_doc_fields {
	size_t size;
	const char *path, *title, *date, *type;
	const char *const *concerns;
	size_t nconcerns;
	uint64_t size_hint;
} cv_doc_fields;

typedef struct cv_plugin_info {
	size_t size;
	unsigned int abi_major, abi_minor;
	const char *name, *version, *description;
} cv_plugin_info;

typedef struct cv_ingest_limits {
	size_t size;
	uint64_t max_entry_bytes, max_total_bytes, max_entries, max_manifest_bytes;
	double max_ratio;
} cv_ingest_limits;

typedef struct cv_ingest_ops {
	unsigned int version;
	size_t size;
	void *state;
	int (*probe)(void *state, const char *path, int is_dir, const unsigned char *head, size_t headlen);
	int (*ingest)(void *state, cv_ingest_ctx *ctx, const char *path, const cv_ingest_limits *limits);
	void (*unload)(void *state);
} cv_ingest_ops;

typedef struct cv_redact_span {
	size_t start, end;
	int kind, flags;
	char replacement[48];
	char person[48];
} cv_redact_span;

typedef struct cv_redact_ops {
	unsigned int version;
	size_t size;
	void *state;
	int (*session_new)(void *state, void **session, const cv_person_fields *persons, size_t npersons,
		const char *requester_id);
	int (*redact)(void *session, const char *text, size_t len, cv_redact_span **spans, size_t *nspans);
	void (*session_free)(void *session);
	void (*unload)(void *state);
} cv_redact_ops;

typedef struct cv_retain_case {
	size_t size;
	const char *id, *ref, *category, *state, *opened, *closed, *child_born;
} cv_retain_case;

typedef struct cv_retain_verdict {
	size_t size;
	int action;
	const char *rule, *source;
	char due[11];
	int permanent;
	const char *const *keep_redacted;
	size_t nkeep_redacted;
	const char *final_action;
} cv_retain_verdict;

typedef struct cv_retain_ops {
	unsigned int version;
	size_t size;
	void *state;
	int (*policy_load)(void *state, void **policy, const char *path);
	int (*policy_evaluate)(void *policy, const cv_retain_case *c, const char *as_of, cv_retain_verdict *out);
	void (*policy_free)(void *policy);
	void (*unload)(void *state);
} cv_retain_ops;

typedef struct cv_host {
	unsigned int abi_major, abi_minor;
	size_t size;
	int (*declare)(cv_plugin *self, const cv_plugin_info *info);
	int (*register_ingest)(cv_plugin *self, const cv_ingest_ops *ops);
	int (*register_redact)(cv_plugin *self, const cv_redact_ops *ops);
	int (*register_retain)(cv_plugin *self, const cv_retain_ops *ops);
	void *(*alloc)(size_t n);
	void *(*realloc)(void *p, size_t n);
	void (*free)(void *p);
	void (*wipe)(void *p, size_t n);
	int (*error)(int code, const char *fmt, ...);
	void (*log)(cv_plugin *self, int level, const char *fmt, ...);
	const char *(*config_get)(cv_plugin *self, const char *key);
	int (*nfc)(char **out, const char *in, size_t len);
	int (*fold)(char **out, const char *in, size_t len);
	int (*date_valid)(const char *s);
	int (*category_valid)(const char *s);
	int (*role_valid)(const char *s);
	int (*case_set)(cv_ingest_ctx *ctx, const cv_case_fields *c);
	int (*person_add)(cv_ingest_ctx *ctx, const cv_person_fields *p);
	int (*measure_add)(cv_ingest_ctx *ctx, const cv_measure_fields *m);
	int (*doc_begin)(cv_ingest_ctx *ctx, const cv_doc_fields *d);
	int (*doc_write)(cv_ingest_ctx *ctx, const void *data, size_t len);
	int (*doc_end)(cv_ingest_ctx *ctx);
	int (*sealed_begin)(cv_ingest_ctx *ctx);
	int (*sealed_write)(cv_ingest_ctx *ctx, const void *data, size_t len);
	int (*sealed_end)(cv_ingest_ctx *ctx);
	void (*progress)(cv_ingest_ctx *ctx, const char *what, uint64_t done, uint64_t total);
} cv_host;

#endif
