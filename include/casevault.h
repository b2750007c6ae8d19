/*
 * casevault — secure records archive for child-protection case files.
 * Umbrella header: include this one.
 */
#ifndef CASEVAULT_H
#define CASEVAULT_H

#include "casevault/common.h"
#include "casevault/archive.h"
#include "casevault/access.h"
#include "casevault/records.h"
#include "casevault/doc.h"
#include "casevault/case.h"
#include "casevault/find.h"
#include "casevault/ingest.h"
#include "casevault/journal.h"
#include "casevault/key.h"
#include "casevault/user.h"
#include "casevault/verify.h"
#include "casevault/plugins.h"
#include "casevault/sweep.h"
#include "casevault/export.h"
#include "casevault/origins.h"
#include "casevault/request.h"
#include "casevault/mirror.h"

#endif
