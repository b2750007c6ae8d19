/* The engine layer as one include, for the layers above it: the archive
 * handle, the access table, users and roles, the write transaction and the
 * keys. */
#ifndef CV_ENGINE_INTERNAL_H
#define CV_ENGINE_INTERNAL_H

#include "engine/access.h"
#include "engine/archive.h"
#include "engine/keys.h"
#include "engine/txn.h"
#include "engine/users.h"

#endif
