/* cmdb-hydra-private.h: what the hydra files share, not installed. */
#pragma once

#include "cmdbuilder.h"

G_BEGIN_DECLS

/* Reads @text as the value part of an override (what follows `key=`), with
 * the same rules as cmdb_hydra_override_parse. Returns TRUE and stores the
 * value type and (transfer full) value when Hydra would accept it; FALSE
 * (no error details) otherwise. The renderer uses it to check that a bare
 * string reads back as itself. */
gboolean cmdb_hydra_read_value_text (const char *text, CmdbHydraValueType *ret_type,
                                     JsonNode **ret_value);

G_END_DECLS
