/* cmdb-config.h: layered configuration.
 *
 * One GKeyFile format (cmdbuilder.ini), read from, later winning:
 *   1. $XDG_CONFIG_DIRS/cmdbuilder/cmdbuilder.ini (each directory, the last
 *      listed first, so the first listed wins among them, as XDG says)
 *   2. $XDG_CONFIG_HOME/cmdbuilder/cmdbuilder.ini
 *   3. <workspace>/cmdbuilder.ini
 *   4. environment variables CMDBUILDER_<GROUP>_<KEY> (upper case, '-' as '_')
 *   5. command-line flags.
 * Scalar keys: the last layer that sets a key wins. List keys merge by union
 * in layer order, except [plugins] disabled, which is replaced by a later
 * layer that sets it (an empty value clears it). docs/configuration.md lists
 * every key; unknown groups or keys are warnings with file:line.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>
#include "cmdb-problem.h"

G_BEGIN_DECLS

#define CMDB_CONFIG_ERROR (cmdb_config_error_quark ())

typedef enum
{
  CMDB_CONFIG_ERROR_FAILED,
  CMDB_CONFIG_ERROR_PARSE,   /* a file is not valid key-file syntax */
  CMDB_CONFIG_ERROR_INVALID, /* a value has the wrong type or range */
} CmdbConfigError;

typedef struct _CmdbConfig CmdbConfig;

#define CMDB_TYPE_CONFIG (cmdb_config_get_type ())
/**
 * cmdb_config_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_config_get_type (void) G_GNUC_CONST;

/**
 * cmdb_config_error_quark:
 *
 * Returns: the error domain.
 */
CMDB_AVAILABLE_IN_ALL
GQuark cmdb_config_error_quark (void);

/**
 * cmdb_config_new:
 *
 * Returns: (transfer full): a configuration holding only the built-in defaults.
 */
CMDB_AVAILABLE_IN_ALL
CmdbConfig *cmdb_config_new (void);
/**
 * cmdb_config_ref:
 * @config: the object
 *
 * Returns: (transfer full): @config, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbConfig *cmdb_config_ref (CmdbConfig *config);
/**
 * cmdb_config_unref:
 * @config: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_config_unref (CmdbConfig *config);

/**
 * cmdb_config_load_user_layers:
 *
 * Merges the system and user files (layers 1-2). Missing files are fine.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_config_load_user_layers (CmdbConfig *config, GError **error);
/**
 * cmdb_config_merge_file:
 *
 * Merges one file as the next layer; a missing file is fine unless @must_exist. Errors name the
 * file and line.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_config_merge_file (CmdbConfig *config, const char *path, gboolean must_exist,
                                 GError **error);
/**
 * cmdb_config_merge_environment:
 *
 * Merges CMDBUILDER_* variables from @envp (NULL: the process's).
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_config_merge_environment (CmdbConfig *config, char **envp, GError **error);
/**
 * cmdb_config_set:
 *
 * Sets one value as the top layer (command-line flags). For list keys @value is ';'- or
 * ','-separated and merges like a file layer.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_config_set (CmdbConfig *config, const char *group, const char *key, const char *value,
                          GError **error);

/**
 * cmdb_config_get_string:
 *
 * Returns: (transfer none) (nullable): the effective scalar value, or NULL.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_config_get_string (CmdbConfig *config, const char *group, const char *key);
/**
 * cmdb_config_get_list:
 *
 * Returns: (transfer none) (element-type utf8): the effective list (never NULL).
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_config_get_list (CmdbConfig *config, const char *group, const char *key);
/**
 * cmdb_config_get_int:
 *
 * The value parsed as an integer / boolean / duration in milliseconds ("5", "5s", "500ms", "2m"),
 * or @default_value when unset. A malformed value was already refused when it was merged.
 */
CMDB_AVAILABLE_IN_ALL
gint64 cmdb_config_get_int (CmdbConfig *config, const char *group, const char *key,
                            gint64 default_value);
/**
 * cmdb_config_get_bool:
 * @config: the configuration
 * @group: the group
 * @key: the key
 * @default_value: the value when unset
 *
 * Returns: the value parsed as a boolean.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_config_get_bool (CmdbConfig *config, const char *group, const char *key,
                               gboolean default_value);
/**
 * cmdb_config_get_duration_ms:
 * @config: the configuration
 * @group: the group
 * @key: the key
 * @default_ms: the value when unset
 *
 * Returns: the value parsed as a duration, in milliseconds.
 */
CMDB_AVAILABLE_IN_ALL
gint64 cmdb_config_get_duration_ms (CmdbConfig *config, const char *group, const char *key,
                                    gint64 default_ms);
/**
 * cmdb_config_get_origin:
 *
 * Returns: (transfer none) (nullable): the file that set the effective value of a scalar key,
 *   "environment", "command line", or NULL for the default.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_config_get_origin (CmdbConfig *config, const char *group, const char *key);
/**
 * cmdb_config_get_problems:
 *
 * Returns: (transfer none) (element-type CmdbProblem): warnings about unknown groups and keys,
 *   with their file and line.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_config_get_problems (CmdbConfig *config);
/**
 * cmdb_config_get_files:
 *
 * Returns: (transfer none) (element-type utf8): the files merged, in order.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_config_get_files (CmdbConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbConfig, cmdb_config_unref)

G_END_DECLS
