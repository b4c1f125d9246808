/* cmdb-hydra.h: Hydra override reader, value rendering, shell layer.
 * PLACEHOLDER so the tree configures while the hydra module is written;
 * the hydra engineer replaces this file. */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib.h>
