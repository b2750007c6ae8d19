/*
 * casevault — the plugin ABI (ingestion, redaction, retention).
 *
 * A plugin is a shared module exporting one symbol, `casevault_plugin_entry`
 * (see CV_PLUGIN_ENTRY). The host calls it once with a table of host
 * functions; the plugin first declares itself (name, version, the ABI it was
 * built for) and then registers one operations table per kind it provides.
 * Plugins never link against libcasevault: everything they may do goes
 * through the host table.
 *
 * Compatibility rules, as SQLite's loadable extensions and Redis modules:
 *  - the host table and every operations table only ever grow at the end;
 *    `size` says how much of it the other side knows;
 *  - a plugin built for another ABI major, or for a newer minor than the
 *    host's, is refused at load time with a message naming it.
 *
 * Threading: the host calls a plugin from one thread at a time. Strings the
 * host passes are valid only during the call. Memory a plugin returns to the
 * host is allocated with host->alloc.
 */
#ifndef CASEVAULT_PLUGIN_H
#define CASEVAULT_PLUGIN_H

#include "records.h"

CV_BEGIN_DECL

#define CV_PLUGIN_ABI_MAJOR 1
#define CV_PLUGIN_ABI_MINOR 1

#define CV_PLUGIN_ENTRY_NAME "casevault_plugin_entry"
#if defined(__GNUC__)
#define CV_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CV_PLUGIN_EXPORT
#endif
/** Use as: CV_PLUGIN_ENTRY(self, host) { ... } */
#define CV_PLUGIN_ENTRY(self, host) \
	CV_PLUGIN_EXPORT int casevault_plugin_entry(cv_plugin *self, const cv_host *host)

typedef struct cv_plugin cv_plugin;         /**< the host's handle for a loaded plugin */
typedef struct cv_ingest_ctx cv_ingest_ctx; /**< the host's handle for one ingestion */

typedef enum {
	CV_PLUGIN_KIND_INGEST = 1,
	CV_PLUGIN_KIND_REDACT = 2,
	CV_PLUGIN_KIND_RETAIN = 3
} cv_plugin_kind;

/** What a plugin says about itself in host->declare. */
typedef struct cv_plugin_info {
	size_t size;             /**< sizeof(cv_plugin_info) */
	unsigned int abi_major;  /**< CV_PLUGIN_ABI_MAJOR the plugin was built with */
	unsigned int abi_minor;  /**< CV_PLUGIN_ABI_MINOR the plugin was built with */
	const char *name;        /**< unique: [a-z0-9-]{1,48} */
	const char *version;     /**< the plugin's own version */
	const char *description; /**< one line */
} cv_plugin_info;

#define CV_PLUGIN_INFO_INIT(name, version, description) \
	{ sizeof(cv_plugin_info), CV_PLUGIN_ABI_MAJOR, CV_PLUGIN_ABI_MINOR, (name), (version), (description) }

/* ------------------------------------------------------------------ */
/* Ingestion                                                           */

/** Limits the host asks the plugin to enforce while reading input. */
typedef struct cv_ingest_limits {
	size_t size;
	uint64_t max_entry_bytes;
	uint64_t max_total_bytes;
	uint64_t max_entries;
	uint64_t max_manifest_bytes;
	double max_ratio;
} cv_ingest_limits;

#define CV_INGEST_OPS_VERSION 1
typedef struct cv_ingest_ops {
	unsigned int version;    /**< CV_INGEST_OPS_VERSION */
	size_t size;             /**< sizeof(cv_ingest_ops) */
	void *state;             /**< passed back to every call */
	/** Bid for an input, as libarchive's format readers do: 0 = cannot read
	 * it, higher = more confident (at most 100). `head` holds up to 512
	 * first bytes of a file (headlen 0 for a directory). */
	int (*probe)(void *state, const char *path, int is_dir, const unsigned char *head, size_t headlen);
	/** Validate the whole input, then feed the case to the host through the
	 * sink functions with `ctx`. Returns 0, or a CV_E* code after
	 * host->error() explained what, where and why. */
	int (*ingest)(void *state, cv_ingest_ctx *ctx, const char *path, const cv_ingest_limits *limits);
	void (*unload)(void *state);
} cv_ingest_ops;

/* ------------------------------------------------------------------ */
/* Redaction                                                           */

typedef enum {
	CV_SPAN_PERSON = 1,    /**< a registered third party */
	CV_SPAN_NAME = 2,      /**< a proper name in no register */
	CV_SPAN_PHONE = 3,
	CV_SPAN_EMAIL = 4,
	CV_SPAN_NIR = 5,
	CV_SPAN_IBAN = 6,
	CV_SPAN_ADDRESS = 7,
	CV_SPAN_BIRTHDATE = 8
} cv_span_kind;

#define CV_SPAN_REVIEW 0x1   /**< listed for the officer: ambiguous or unregistered */
/** Shown to the officer but left in clear: the mention may designate the
 * requester (whose own data are never hidden). Since ABI 1.0 (the value was
 * private to the host and redact-fr before it was published here). */
#define CV_SPAN_KEEP 0x100

typedef struct cv_redact_span {
	size_t start;            /**< byte offset in the input, inclusive */
	size_t end;              /**< byte offset, exclusive */
	int kind;                /**< cv_span_kind */
	int flags;               /**< CV_SPAN_REVIEW... */
	char replacement[48];    /**< "[tiers 2]", "[téléphone]", ... (UTF-8) */
	char person[48];         /**< register id of the person, "" if none */
} cv_redact_span;

#define CV_REDACT_OPS_VERSION 1
typedef struct cv_redact_ops {
	unsigned int version;
	size_t size;
	void *state;
	/** A session serves one copy: the case's register, the requester (a
	 * register id, never redacted), and the numbering of third parties,
	 * kept consistent across every text redacted in the session. */
	int (*session_new)(void *state, void **session, const cv_person_fields *persons,
		size_t npersons, const char *requester_id);
	/** Find spans in `text` (UTF-8, `len` bytes). Spans are sorted and do
	 * not overlap; the array is allocated with host->alloc. */
	int (*redact)(void *session, const char *text, size_t len, cv_redact_span **spans, size_t *nspans);
	void (*session_free)(void *session);
	void (*unload)(void *state);
} cv_redact_ops;

/* ------------------------------------------------------------------ */
/* Retention                                                           */

typedef enum {
	CV_ACTION_KEEP = 0,
	CV_ACTION_ARCHIVE = 1,
	CV_ACTION_ANONYMISE = 2,
	CV_ACTION_DESTROY = 3
} cv_retain_action;

/** What a policy sees of a case. */
typedef struct cv_retain_case {
	size_t size;
	const char *id;
	const char *ref;
	const char *category;
	const char *state;       /**< active, archived, anonymised, destroyed */
	const char *opened;
	const char *closed;      /**< NULL while services go on */
	const char *child_born;  /**< birth date of the case's child, or NULL */
} cv_retain_case;

/** A policy's answer for one case at one date. Strings point into the
 * policy and live as long as it. */
typedef struct cv_retain_verdict {
	size_t size;
	int action;              /**< cv_retain_action due at the as-of date */
	const char *rule;        /**< rule id in the policy */
	const char *source;      /**< legal source, for the slip */
	char due[11];            /**< date the next action is due, "" = never */
	int permanent;           /**< never anonymised automatically */
	const char *const *keep_redacted; /**< document types kept, redacted, at anonymisation */
	size_t nkeep_redacted;
	const char *final_action; /**< "anonymise" or "destroy": the end of the life cycle */
} cv_retain_verdict;

#define CV_RETAIN_OPS_VERSION 1
typedef struct cv_retain_ops {
	unsigned int version;
	size_t size;
	void *state;
	/** Load and validate a policy file; errors name file and line. */
	int (*policy_load)(void *state, void **policy, const char *path);
	/** Evaluate one case at `as_of` (YYYY-MM-DD). */
	int (*policy_evaluate)(void *policy, const cv_retain_case *c, const char *as_of, cv_retain_verdict *out);
	void (*policy_free)(void *policy);
	void (*unload)(void *state);
	/* --- ABI 1.1: read only when size covers it --- */
	/** Name and edition of a loaded policy ("ase-default v1"), owned by it. */
	const char *(*policy_describe)(void *policy);
} cv_retain_ops;

/* ------------------------------------------------------------------ */
/* The host table                                                      */

typedef struct cv_host {
	unsigned int abi_major;
	unsigned int abi_minor;
	size_t size;             /**< sizeof(cv_host) as the host knows it */

	/* --- ABI 1.0 --- */
	int (*declare)(cv_plugin *self, const cv_plugin_info *info);
	int (*register_ingest)(cv_plugin *self, const cv_ingest_ops *ops);
	int (*register_redact)(cv_plugin *self, const cv_redact_ops *ops);
	int (*register_retain)(cv_plugin *self, const cv_retain_ops *ops);

	void *(*alloc)(size_t n);
	void *(*realloc)(void *p, size_t n);
	void (*free)(void *p);
	/** Overwrite secrets before freeing them (not optimised away). */
	void (*wipe)(void *p, size_t n);

	/** Set the calling thread's last error; returns `code`. */
	int (*error)(int code, const char *fmt, ...);
	void (*log)(cv_plugin *self, int level, const char *fmt, ...);
	/** Configuration and policy values ("policy.default", "dict.french",
	 * "limits.*"); NULL when unset. */
	const char *(*config_get)(cv_plugin *self, const char *key);

	/** Unicode NFC of `len` bytes; *out allocated with host->alloc. */
	int (*nfc)(char **out, const char *in, size_t len);
	/** Search folding: NFKD, marks stripped, case folded, œ→oe. */
	int (*fold)(char **out, const char *in, size_t len);
	/** 1 if `s` is a valid YYYY-MM-DD calendar date. */
	int (*date_valid)(const char *s);
	/** 1 if the value belongs to bundle.md's vocabulary. */
	int (*category_valid)(const char *s);
	int (*role_valid)(const char *s);

	/* The ingestion sink, valid only inside cv_ingest_ops.ingest. */
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

typedef int (*cv_plugin_entry_fn)(cv_plugin *self, const cv_host *host);

CV_END_DECL

#endif
