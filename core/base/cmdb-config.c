#define G_LOG_DOMAIN "cmdb-config"

#include "cmdbuilder.h"
#include "base/cmdb-config-private.h"

#include <string.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-config-error-quark, cmdb_config_error)
/* clang-format on */

typedef enum
{
  VALUE_STRING,
  VALUE_LIST,
  VALUE_INT,
  VALUE_BOOL,
  VALUE_DURATION,
} ValueType;

/* Every key we understand. docs/configuration.md documents the same table;
 * `cmdbuilder config --keys` could print it, and the test of the docs checks
 * that each key below is mentioned there. */
static const CmdbConfigKey known_keys[] = {
  { "plugins", "disabled", VALUE_LIST, NULL },
  { "plugins", "path", VALUE_LIST, NULL },
  { "workspace", "configs", VALUE_STRING, "configs" },
  { "workspace", "schemas", VALUE_LIST, NULL },
  { "workspace", "outputs", VALUE_STRING, "outputs" },
  { "workspace", "state", VALUE_STRING, ".cmdbuilder" },
  { "command", "launcher", VALUE_STRING, "uv run python" },
  { "command", "runners", VALUE_STRING, "runners" },
  { "command", "suffix", VALUE_BOOL, NULL },
  { "run", "executor", VALUE_STRING, "local" },
  { "run", "stop-grace", VALUE_DURATION, "5s" },
  { "server", "bind", VALUE_STRING, "127.0.0.1" },
  { "server", "port", VALUE_INT, "8501" },
  { "server", "allowed-hosts", VALUE_LIST, NULL },
  { "server", "max-connections", VALUE_INT, "512" },
  { "server", "idle-timeout", VALUE_DURATION, "60s" },
  { "server", "request-timeout", VALUE_DURATION, "30s" },
  { "server", "max-upload", VALUE_INT, "104857600" },
  { "cache", "max-bytes", VALUE_INT, "67108864" },
  { "cache", "max-watches", VALUE_INT, "1024" },
  { "slurm", "partition", VALUE_STRING, NULL },
  { "slurm", "nodes", VALUE_INT, NULL },
  { "slurm", "gpus", VALUE_STRING, NULL },
  { "slurm", "cpus-per-task", VALUE_INT, NULL },
  { "slurm", "mem", VALUE_STRING, NULL },
  { "slurm", "time", VALUE_STRING, NULL },
  { "slurm", "account", VALUE_STRING, NULL },
  { "slurm", "qos", VALUE_STRING, NULL },
  { "slurm", "extra", VALUE_LIST, NULL },
  { "slurm", "tool-timeout", VALUE_DURATION, "5s" },
  { "sweep", "limit", VALUE_INT, "100" },
  { "sweep", "parallel", VALUE_INT, "1" },
  { "metrics", "names", VALUE_LIST, NULL },
  { "metrics", "best", VALUE_STRING, NULL },
  { "metrics", "goal", VALUE_STRING, "max" },
};

typedef struct
{
  const CmdbConfigKey *key;
  char *scalar;    /* effective scalar value */
  char *origin;    /* who set it */
  GPtrArray *list; /* effective list value (element-type utf8) */
} ConfigValue;

struct _CmdbConfig
{
  gint ref_count;
  GHashTable *values;  /* "group\nkey" -> ConfigValue */
  GPtrArray *problems; /* CmdbProblem */
  GPtrArray *files;    /* utf8 */
};

static void
config_value_free (ConfigValue *value)
{
  g_free (value->scalar);
  g_free (value->origin);
  g_clear_pointer (&value->list, g_ptr_array_unref);
  g_free (value);
}

const CmdbConfigKey *
cmdb_config_lookup_key (const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_keys); i++)
    if (g_str_equal (known_keys[i].group, group) && g_str_equal (known_keys[i].key, key))
      return &known_keys[i];
  return NULL;
}

const CmdbConfigKey *
cmdb_config_get_known_keys (guint *ret_n_keys)
{
  *ret_n_keys = G_N_ELEMENTS (known_keys);
  return known_keys;
}

static gboolean
group_is_known (const char *group)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_keys); i++)
    if (g_str_equal (known_keys[i].group, group))
      return TRUE;
  return FALSE;
}

static ConfigValue *
lookup_value (CmdbConfig *config, const CmdbConfigKey *key, gboolean create)
{
  g_autofree char *id = g_strconcat (key->group, "\n", key->key, NULL);
  ConfigValue *value = g_hash_table_lookup (config->values, id);

  if (value == NULL && create)
    {
      value = g_new0 (ConfigValue, 1);
      value->key = key;
      value->list = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (config->values, g_steal_pointer (&id), value);
    }
  return value;
}

CmdbConfig *
cmdb_config_new (void)
{
  CmdbConfig *config = g_new0 (CmdbConfig, 1);

  config->ref_count = 1;
  config->values
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) config_value_free);
  config->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  config->files = g_ptr_array_new_with_free_func (g_free);
  return config;
}

CmdbConfig *
cmdb_config_ref (CmdbConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_atomic_int_inc (&config->ref_count);
  return config;
}

void
cmdb_config_unref (CmdbConfig *config)
{
  if (config == NULL || !g_atomic_int_dec_and_test (&config->ref_count))
    return;
  g_hash_table_unref (config->values);
  g_ptr_array_unref (config->problems);
  g_ptr_array_unref (config->files);
  g_free (config);
}

/* Parses a duration: a plain number is seconds; suffixes ms, s, m, h, d. */
gboolean
cmdb_config_parse_duration_ms (const char *text, gint64 *ret_ms)
{
  char *end = NULL;
  double number;
  double factor = 1000.0;

  if (text == NULL)
    return FALSE;
  number = g_ascii_strtod (text, &end);
  if (end == text || number < 0)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  if (*end == '\0' || g_str_equal (end, "s"))
    factor = 1000.0;
  else if (g_str_equal (end, "ms"))
    factor = 1.0;
  else if (g_str_equal (end, "m") || g_str_equal (end, "min"))
    factor = 60000.0;
  else if (g_str_equal (end, "h"))
    factor = 3600000.0;
  else if (g_str_equal (end, "d"))
    factor = 86400000.0;
  else
    return FALSE;
  *ret_ms = (gint64) (number * factor);
  return TRUE;
}

static gboolean
parse_bool (const char *text, gboolean *ret_value)
{
  static const char *const yes[] = { "true", "yes", "on", "1" };
  static const char *const no[] = { "false", "no", "off", "0" };

  for (gsize i = 0; i < G_N_ELEMENTS (yes); i++)
    if (g_ascii_strcasecmp (text, yes[i]) == 0)
      {
        *ret_value = TRUE;
        return TRUE;
      }
  for (gsize i = 0; i < G_N_ELEMENTS (no); i++)
    if (g_ascii_strcasecmp (text, no[i]) == 0)
      {
        *ret_value = FALSE;
        return TRUE;
      }
  return FALSE;
}

static gboolean
check_value (const CmdbConfigKey *key, const char *text, GError **error)
{
  gint64 number;
  gboolean flag;

  switch ((ValueType) key->type)
    {
      case VALUE_INT:
        if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &number, NULL))
          {
            g_set_error (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_INVALID,
                         "[%s] %s: expected a whole number, got '%s'", key->group, key->key, text);
            return FALSE;
          }
        return TRUE;
      case VALUE_BOOL:
        if (!parse_bool (text, &flag))
          {
            g_set_error (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_INVALID,
                         "[%s] %s: expected true or false, got '%s'", key->group, key->key, text);
            return FALSE;
          }
        return TRUE;
      case VALUE_DURATION:
        if (!cmdb_config_parse_duration_ms (text, &number))
          {
            g_set_error (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_INVALID,
                         "[%s] %s: expected a duration such as 5, 5s, 500ms or 2m, got '%s'",
                         key->group, key->key, text);
            return FALSE;
          }
        return TRUE;
      case VALUE_STRING:
      case VALUE_LIST:
      default:
        return TRUE;
    }
}

/* Splits a list value on ';' or ',' and trims each item; empty items go. */
static GPtrArray *
split_list (const char *text)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) parts = g_strsplit_set (text, ";,", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *item = g_strstrip (parts[i]);
      if (item[0] != '\0')
        g_ptr_array_add (items, g_strdup (item));
    }
  return g_steal_pointer (&items);
}

static gboolean
list_contains (GPtrArray *list, const char *item)
{
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (g_ptr_array_index (list, i), item))
      return TRUE;
  return FALSE;
}

/* Applies one layer's value for @key. @base_dir (nullable) resolves relative
 * [plugins] path entries of a file against the file's directory. */
static gboolean
apply_value (CmdbConfig *config, const CmdbConfigKey *key, const char *text, const char *origin,
             const char *base_dir, GError **error)
{
  ConfigValue *value;

  if (!check_value (key, text, error))
    return FALSE;
  value = lookup_value (config, key, TRUE);
  if (key->type == VALUE_LIST)
    {
      g_autoptr (GPtrArray) items = split_list (text);
      gboolean is_path = g_str_equal (key->group, "plugins") && g_str_equal (key->key, "path");

      /* [plugins] disabled: a later layer replaces the list, so a user can
       * re-enable what a system file disabled (an empty value clears it).
       * [workspace] schemas too: the workspace's own list is the one meant. */
      if ((g_str_equal (key->group, "plugins") && g_str_equal (key->key, "disabled"))
          || (g_str_equal (key->group, "workspace") && g_str_equal (key->key, "schemas")))
        g_ptr_array_set_size (value->list, 0);
      for (guint i = 0; i < items->len; i++)
        {
          const char *item = g_ptr_array_index (items, i);
          g_autofree char *resolved = NULL;

          if (is_path && base_dir != NULL && !g_path_is_absolute (item))
            resolved = g_canonicalize_filename (item, base_dir);
          else
            resolved = g_strdup (item);
          if (!list_contains (value->list, resolved))
            g_ptr_array_add (value->list, g_steal_pointer (&resolved));
        }
    }
  else
    {
      g_free (value->scalar);
      value->scalar = g_strstrip (g_strdup (text));
    }
  g_free (value->origin);
  value->origin = g_strdup (origin);
  return TRUE;
}

/* The 1-based line where "key=" appears in group @group of @text, for
 * locating warnings (GKeyFile does not keep line numbers). */
static guint
find_line (const char *text, const char *group, const char *key)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean in_group = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      gsize key_len;

      while (g_ascii_isspace (*line))
        line++;
      if (line[0] == '[')
        {
          g_autofree char *name = g_strndup (line + 1, strcspn (line + 1, "]"));
          in_group = g_str_equal (name, group);
          if (key == NULL && in_group)
            return i + 1;
          continue;
        }
      if (!in_group || key == NULL)
        continue;
      key_len = strlen (key);
      if (strncmp (line, key, key_len) == 0)
        {
          const char *rest = line + key_len;
          while (*rest == ' ' || *rest == '\t')
            rest++;
          if (*rest == '=')
            return i + 1;
        }
    }
  return 0;
}

/* GKeyFile silently keeps the last of two equal keys, so a setting written
 * twice would take effect without a word: FALSE with @error naming both
 * lines instead. A group written twice is one group (as in GKeyFile). */
static gboolean
check_duplicate_keys (const char *path, const char *text, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *group = g_strdup ("");

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *equals;
      g_autofree char *key = NULL;
      g_autofree char *id = NULL;
      gpointer first;

      while (g_ascii_isspace (*line))
        line++;
      if (line[0] == '#' || line[0] == '\0')
        continue;
      if (line[0] == '[')
        {
          g_free (group);
          group = g_strndup (line + 1, strcspn (line + 1, "]"));
          continue;
        }
      equals = strchr (line, '=');
      if (equals == NULL)
        continue; /* GKeyFile reports it */
      key = g_strstrip (g_strndup (line, (gsize) (equals - line)));
      id = g_strconcat (group, "\n", key, NULL);
      if (g_hash_table_lookup_extended (seen, id, NULL, &first))
        {
          g_set_error (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_INVALID,
                       "%s:%u: duplicate key '%s' in [%s] (first at line %u); keep one", path,
                       i + 1, key, group, GPOINTER_TO_UINT (first));
          return FALSE;
        }
      g_hash_table_insert (seen, g_steal_pointer (&id), GUINT_TO_POINTER (i + 1));
    }
  return TRUE;
}

gboolean
cmdb_config_merge_file (CmdbConfig *config, const char *path, gboolean must_exist, GError **error)
{
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *base_dir = NULL;
  g_auto (GStrv) groups = NULL;
  gsize length = 0;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_file_get_contents (path, &text, &length, &local_error))
    {
      if (!must_exist && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_FAILED, "%s: %s", path,
                   local_error->message);
      return FALSE;
    }
  if (!check_duplicate_keys (path, text, error))
    return FALSE;
  if (!g_key_file_load_from_data (keyfile, text, length, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_PARSE, "%s: %s", path,
                   local_error->message);
      return FALSE;
    }

  base_dir = g_path_get_dirname (path);
  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_auto (GStrv) keys = g_key_file_get_keys (keyfile, groups[g], NULL, NULL);

      if (!group_is_known (groups[g]))
        {
          g_ptr_array_add (config->problems,
                           cmdb_problem_new (CMDB_SEVERITY_WARNING, path,
                                             find_line (text, groups[g], NULL), 1, groups[g],
                                             "unknown group [%s]", groups[g]));
          continue;
        }
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          const CmdbConfigKey *key = cmdb_config_lookup_key (groups[g], keys[k]);
          g_autofree char *raw = NULL;

          if (key == NULL)
            {
              g_ptr_array_add (config->problems,
                               cmdb_problem_new (CMDB_SEVERITY_WARNING, path,
                                                 find_line (text, groups[g], keys[k]), 1, keys[k],
                                                 "unknown key '%s' in group [%s]", keys[k],
                                                 groups[g]));
              continue;
            }
          raw = g_key_file_get_value (keyfile, groups[g], keys[k], NULL);
          if (!apply_value (config, key, raw != NULL ? raw : "", path, base_dir, &local_error))
            {
              g_set_error (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_INVALID, "%s:%u: %s", path,
                           find_line (text, groups[g], keys[k]), local_error->message);
              return FALSE;
            }
        }
    }
  g_ptr_array_add (config->files, g_strdup (path));
  return TRUE;
}

gboolean
cmdb_config_load_user_layers (CmdbConfig *config, GError **error)
{
  const char *const *system_dirs = g_get_system_config_dirs ();
  g_autofree char *user_file = NULL;
  gssize n = 0;

  g_return_val_if_fail (config != NULL, FALSE);

  /* XDG: the first system directory listed is the most important, so it is
   * merged last among them. GLib caches these per process, which is fine:
   * tests set XDG_* before the first call. */
  while (system_dirs[n] != NULL)
    n++;
  for (gssize i = n - 1; i >= 0; i--)
    {
      g_autofree char *path
          = g_build_filename (system_dirs[i], "cmdbuilder", "cmdbuilder.ini", NULL);
      if (!cmdb_config_merge_file (config, path, FALSE, error))
        return FALSE;
    }
  user_file = g_build_filename (g_get_user_config_dir (), "cmdbuilder", "cmdbuilder.ini", NULL);
  return cmdb_config_merge_file (config, user_file, FALSE, error);
}

/* CMDBUILDER_<GROUP>_<KEY>: upper case, '-' as '_'. */
static char *
environment_name (const CmdbConfigKey *key)
{
  g_autofree char *raw = g_strdup_printf ("CMDBUILDER_%s_%s", key->group, key->key);
  char *name = g_ascii_strup (raw, -1);

  g_strdelimit (name, "-", '_');
  return name;
}

gboolean
cmdb_config_merge_environment (CmdbConfig *config, char **envp, GError **error)
{
  g_auto (GStrv) own_env = NULL;
  const char *plugin_path;

  g_return_val_if_fail (config != NULL, FALSE);

  if (envp == NULL)
    envp = own_env = g_get_environ ();
  for (gsize i = 0; i < G_N_ELEMENTS (known_keys); i++)
    {
      g_autofree char *name = environment_name (&known_keys[i]);
      const char *value = g_environ_getenv (envp, name);

      if (value != NULL && !apply_value (config, &known_keys[i], value, "environment", NULL, error))
        {
          g_prefix_error (error, "%s: ", name);
          return FALSE;
        }
    }
  /* The documented short name for extra plugin directories; ':' separated
   * like PATH. */
  plugin_path = g_environ_getenv (envp, "CMDBUILDER_PLUGIN_PATH");
  if (plugin_path != NULL)
    {
      g_auto (GStrv) dirs = g_strsplit (plugin_path, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; dirs[i] != NULL; i++)
        if (dirs[i][0] != '\0'
            && !apply_value (config, cmdb_config_lookup_key ("plugins", "path"), dirs[i],
                             "environment", NULL, error))
          return FALSE;
    }
  return TRUE;
}

gboolean
cmdb_config_set (CmdbConfig *config, const char *group, const char *key, const char *value,
                 GError **error)
{
  const CmdbConfigKey *known;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (group != NULL && key != NULL && value != NULL, FALSE);

  known = cmdb_config_lookup_key (group, key);
  if (known == NULL)
    {
      g_set_error (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_INVALID,
                   "unknown configuration key [%s] %s", group, key);
      return FALSE;
    }
  return apply_value (config, known, value, "command line", NULL, error);
}

const char *
cmdb_config_get_string (CmdbConfig *config, const char *group, const char *key)
{
  const CmdbConfigKey *known;
  ConfigValue *value;

  g_return_val_if_fail (config != NULL, NULL);

  known = cmdb_config_lookup_key (group, key);
  g_return_val_if_fail (known != NULL, NULL);
  value = lookup_value (config, known, FALSE);
  if (value != NULL && value->scalar != NULL)
    return value->scalar;
  return known->default_value;
}

GPtrArray *
cmdb_config_get_list (CmdbConfig *config, const char *group, const char *key)
{
  const CmdbConfigKey *known;

  g_return_val_if_fail (config != NULL, NULL);

  known = cmdb_config_lookup_key (group, key);
  g_return_val_if_fail (known != NULL && known->type == VALUE_LIST, NULL);
  return lookup_value (config, known, TRUE)->list;
}

gint64
cmdb_config_get_int (CmdbConfig *config, const char *group, const char *key, gint64 default_value)
{
  const char *text = cmdb_config_get_string (config, group, key);
  gint64 number;

  if (text == NULL || !g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &number, NULL))
    return default_value;
  return number;
}

gboolean
cmdb_config_get_bool (CmdbConfig *config, const char *group, const char *key,
                      gboolean default_value)
{
  const char *text = cmdb_config_get_string (config, group, key);
  gboolean flag;

  if (text == NULL || !parse_bool (text, &flag))
    return default_value;
  return flag;
}

gint64
cmdb_config_get_duration_ms (CmdbConfig *config, const char *group, const char *key,
                             gint64 default_ms)
{
  const char *text = cmdb_config_get_string (config, group, key);
  gint64 ms;

  if (text == NULL || !cmdb_config_parse_duration_ms (text, &ms))
    return default_ms;
  return ms;
}

const char *
cmdb_config_get_origin (CmdbConfig *config, const char *group, const char *key)
{
  const CmdbConfigKey *known = cmdb_config_lookup_key (group, key);
  ConfigValue *value;

  g_return_val_if_fail (known != NULL, NULL);
  value = lookup_value (config, known, FALSE);
  return value != NULL ? value->origin : NULL;
}

GPtrArray *
cmdb_config_get_problems (CmdbConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return config->problems;
}

GPtrArray *
cmdb_config_get_files (CmdbConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return config->files;
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbConfig, cmdb_config, cmdb_config_ref, cmdb_config_unref)
