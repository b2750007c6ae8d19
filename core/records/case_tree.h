/* A case's tree in git: its manifest and its current documents, rebuilt
 * into the transaction after any change of the case. */
#ifndef CV_RECORDS_CASE_TREE_H
#define CV_RECORDS_CASE_TREE_H

#include "engine/internal.h"

/** Rebuild a case's tree (manifest + current documents) into the txn. */
int cv__case_rebuild_tree(cv_txn *t, const char *case_id, const cv_case_key *k);

#endif
