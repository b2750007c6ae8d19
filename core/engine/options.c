/* The public options structs' initialisers, as libgit2's
 * git_*_options_init: for callers that cannot use the _INIT macros (other
 * languages' bindings). Each needs only the public header of its struct. */
#include "casevault.h"
#include "util/error.h"

#include <stddef.h>
#include <string.h>

#define CV_OPTIONS_INIT_FN(fn, type, macro) CV_OPTIONS_INIT_FN_V(fn, type, macro, sizeof(type))

/* A caller built against an older header has a smaller struct: write only
 * what its version has (`size` for that version), then set the version. */
#define CV_OPTIONS_INIT_FN_V(fn, type, macro, size)                                                          \
	CV_EXTERN(int) fn(type *opts, unsigned int version)                                                 \
	{                                                                                                    \
		CV_TRY(cv__options_version(opts, version, macro##_VERSION, #fn));                            \
		static const type defaults = macro##_INIT;                                                  \
		memcpy(opts, &defaults, (size));                                                             \
		opts->version = version;                                                                     \
		return 0;                                                                                    \
	}

CV_OPTIONS_INIT_FN(cv_open_options_init, cv_open_options, CV_OPEN_OPTIONS)
CV_OPTIONS_INIT_FN_V(cv_export_options_init, cv_export_options, CV_EXPORT_OPTIONS,
	version >= 2 ? sizeof(cv_export_options) : offsetof(cv_export_options, review_out))
CV_OPTIONS_INIT_FN(cv_case_list_options_init, cv_case_list_options, CV_CASE_LIST_OPTIONS)
CV_OPTIONS_INIT_FN(cv_journal_filter_init, cv_journal_filter, CV_JOURNAL_FILTER)
CV_OPTIONS_INIT_FN(cv_find_query_init, cv_find_query, CV_FIND_QUERY)
CV_OPTIONS_INIT_FN(cv_ingest_options_init, cv_ingest_options, CV_INGEST_OPTIONS)
CV_OPTIONS_INIT_FN_V(cv_origins_setup_options_init, cv_origins_setup_options, CV_ORIGINS_SETUP_OPTIONS,
	version >= 2 ? sizeof(cv_origins_setup_options) : offsetof(cv_origins_setup_options, credential))
CV_OPTIONS_INIT_FN_V(cv_origins_reshare_options_init, cv_origins_reshare_options, CV_ORIGINS_RESHARE_OPTIONS,
	version >= 2 ? sizeof(cv_origins_reshare_options) : offsetof(cv_origins_reshare_options, credential))
CV_OPTIONS_INIT_FN(cv_origins_fact_options_init, cv_origins_fact_options, CV_ORIGINS_FACT_OPTIONS)
CV_OPTIONS_INIT_FN(cv_origins_release_options_init, cv_origins_release_options, CV_ORIGINS_RELEASE_OPTIONS)
CV_OPTIONS_INIT_FN(cv_request_open_options_init, cv_request_open_options, CV_REQUEST_OPEN_OPTIONS)
CV_OPTIONS_INIT_FN(cv_request_filter_init, cv_request_filter, CV_REQUEST_FILTER)
CV_OPTIONS_INIT_FN_V(cv_request_fulfil_options_init, cv_request_fulfil_options, CV_REQUEST_FULFIL_OPTIONS,
	version >= 2 ? sizeof(cv_request_fulfil_options) : offsetof(cv_request_fulfil_options, credential))
CV_OPTIONS_INIT_FN(cv_sweep_options_init, cv_sweep_options, CV_SWEEP_OPTIONS)
CV_OPTIONS_INIT_FN_V(cv_verify_options_init, cv_verify_options, CV_VERIFY_OPTIONS,
	version >= 3 ? sizeof(cv_verify_options) : version == 2 ? offsetof(cv_verify_options, threads)
		: offsetof(cv_verify_options, anchor_file))
