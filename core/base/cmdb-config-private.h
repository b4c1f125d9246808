/* cmdb-config-private.h: the table of known configuration keys. */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"

G_BEGIN_DECLS

typedef struct
{
  const char *group;
  const char *key;
  int type;                  /* string, list, int, bool or duration */
  const char *default_value; /* (nullable) */
} CmdbConfigKey;

/* (transfer none) (nullable) */
const CmdbConfigKey *cmdb_config_lookup_key (const char *group, const char *key);
/* (transfer none): the whole table. */
#define cmdb_config_get_known_keys _cmdb_config_get_known_keys
CMDB_PRIVATE_EXPORT
const CmdbConfigKey *cmdb_config_get_known_keys (guint *ret_n_keys);

/* Parses a duration as the configuration writes one: a plain number is
 * seconds; suffixes ms, s, m (min), h, d. FALSE for anything else. */
#define cmdb_config_parse_duration_ms _cmdb_config_parse_duration_ms
CMDB_PRIVATE_EXPORT
gboolean cmdb_config_parse_duration_ms (const char *text, gint64 *ret_ms);

G_END_DECLS
