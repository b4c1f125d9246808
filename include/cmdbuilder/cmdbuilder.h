/* cmdbuilder.h: the public API of Command Builder, for plugins and hosts.
 *
 * Build a plugin against it with `pkg-config --cflags --libs cmdbuilder-1`.
 */
#pragma once

#define CMDBUILDER_INSIDE
#include "cmdb-version.h"
#include "cmdb-problem.h"
#include "cmdb-yaml.h"
#include "cmdb-cache.h"
#include "cmdb-config.h"
#include "cmdb-option-source.h"
#include "cmdb-context.h"
#include "cmdb-catalog.h"
#include "cmdb-components.h"
#include "cmdb-page.h"
#include "cmdb-hydra.h"
#include "cmdb-compose.h"
#include "cmdb-executor.h"
#include "cmdb-schema.h"
#include "cmdb-form.h"
#undef CMDBUILDER_INSIDE

#ifdef CMDBUILDER_COMPILATION
/* Inside the tree only: the layouts the installed headers keep opaque. */
#include "cmdb-layouts-private.h"
#endif
