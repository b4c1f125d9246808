#define G_LOG_DOMAIN "cmdb-compose"

/* cmdb-compose-repo.c: the config repository the checker composes from.
 *
 * Two sources, searched in this order as Hydra searches its search path: the
 * workspace's config directory (read only through the cache service: each
 * file is parsed once while unchanged) and Hydra's own hydra/ groups,
 * built in here because a real primary config selects them
 * (`override hydra/job_logging: disabled`). The built-in options only carry
 * what composition needs: their package and the keys of Hydra's config
 * node that command-line overrides may name.
 */

#include <string.h>

#include "cmdbuilder.h"
#include "compose/cmdb-compose-private.h"

struct _ComposeRepo
{
  CmdbCache *cache;
  char *dir;
  /* config path -> ComposeConfig (or NULL: no such config), for this
   * composition: a config is looked up several times while the defaults
   * tree is built and merged. */
  GHashTable *loaded;
};

/* Hydra 1.3's hydra/config: its defaults list and the keys of HydraConf. */
static const char builtin_hydra_config[]
    = "defaults:\n"
      "  - output: default\n"
      "  - launcher: basic\n"
      "  - sweeper: basic\n"
      "  - help: default\n"
      "  - hydra_help: default\n"
      "  - hydra_logging: default\n"
      "  - job_logging: default\n"
      "  - callbacks: null\n"
      "  - env: default\n"
      "  - _self_\n"
      "mode: null\n"
      "searchpath: []\n"
      "run: {dir: '\?\?\?'}\n"
      "sweep: {dir: '\?\?\?', subdir: '\?\?\?'}\n"
      "hydra_logging: '\?\?\?'\n"
      "job_logging: '\?\?\?'\n"
      "sweeper: '\?\?\?'\n"
      "launcher: '\?\?\?'\n"
      "callbacks: {}\n"
      "help: {app_name: '\?\?\?', header: '\?\?\?', footer: '\?\?\?', template: '\?\?\?'}\n"
      "hydra_help: {template: '\?\?\?', hydra_help: '\?\?\?'}\n"
      "output_subdir: .hydra\n"
      "overrides: {hydra: [], task: []}\n"
      "job:\n"
      "  name: '\?\?\?'\n"
      "  chdir: null\n"
      "  override_dirname: '\?\?\?'\n"
      "  id: '\?\?\?'\n"
      "  num: '\?\?\?'\n"
      "  config_name: '\?\?\?'\n"
      "  env_set: {}\n"
      "  env_copy: []\n"
      "  config: {override_dirname: {kv_sep: '=', item_sep: ',', exclude_keys: []}}\n"
      "runtime:\n"
      "  version: '\?\?\?'\n"
      "  version_base: '\?\?\?'\n"
      "  cwd: '\?\?\?'\n"
      "  config_sources: '\?\?\?'\n"
      "  output_dir: '\?\?\?'\n"
      "  choices: {}\n"
      "verbose: false\n";

/* The options of Hydra's own groups: group, option, package, body. */
static const struct
{
  const char *group;
  const char *option;
  const char *package;
  const char *body;
} builtin_options[] = {
  { "env", "default", "hydra", "{}" },
  { "help", "default", "hydra.help", "{app_name: '${hydra.job.name}'}" },
  { "hydra_help", "default", "hydra.hydra_help", "{hydra_help: '\?\?\?'}" },
  { "hydra_logging", "default", "hydra.hydra_logging",
    "{version: 1, root: {level: INFO}, disable_existing_loggers: false}" },
  { "hydra_logging", "disabled", "hydra.hydra_logging",
    "{version: 1, root: {level: ERROR}, disable_existing_loggers: true}" },
  { "hydra_logging", "hydra_debug", "hydra.hydra_logging",
    "{version: 1, root: {level: DEBUG}, disable_existing_loggers: false}" },
  { "hydra_logging", "none", "hydra.hydra_logging", "{version: 1, root: null}" },
  { "job_logging", "default", "hydra.job_logging",
    "{version: 1, root: {level: INFO}, disable_existing_loggers: false}" },
  { "job_logging", "disabled", "hydra.job_logging",
    "{version: 1, root: {level: ERROR}, disable_existing_loggers: true}" },
  { "job_logging", "none", "hydra.job_logging", "{version: 1, root: null}" },
  { "job_logging", "stdout", "hydra.job_logging",
    "{version: 1, root: {level: INFO}, disable_existing_loggers: false}" },
  { "launcher", "basic", "hydra.launcher",
    "{_target_: hydra._internal.core_plugins.basic_launcher.BasicLauncher}" },
  { "output", "default", "hydra",
    "{run: {dir: 'outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}'}, "
    "sweep: {dir: 'multirun/${now:%Y-%m-%d}/${now:%H-%M-%S}', subdir: '${hydra.job.num}'}}" },
  { "sweeper", "basic", "hydra.sweeper",
    "{_target_: hydra._internal.core_plugins.basic_sweeper.BasicSweeper, max_batch_size: null, "
    "params: null}" },
};

ComposeRepo *
compose_repo_new (CmdbCache *cache, const char *config_dir)
{
  ComposeRepo *repo = g_new0 (ComposeRepo, 1);

  repo->cache = cmdb_cache_ref (cache);
  repo->dir = g_strdup (config_dir);
  repo->loaded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) compose_config_unref);
  return repo;
}

void
compose_repo_free (ComposeRepo *repo)
{
  if (repo == NULL)
    return;
  cmdb_cache_unref (repo->cache);
  g_free (repo->dir);
  g_hash_table_unref (repo->loaded);
  g_free (repo);
}

const char *
compose_repo_get_dir (ComposeRepo *repo)
{
  return repo->dir;
}

static ComposeConfig *
compose_config_ref (ComposeConfig *config)
{
  g_atomic_int_inc (&config->ref_count);
  return config;
}

void
compose_config_unref (ComposeConfig *config)
{
  if (config == NULL || !g_atomic_int_dec_and_test (&config->ref_count))
    return;
  g_free (config->path);
  g_free (config->package_header);
  if (config->document != NULL)
    cmdb_yaml_document_unref (config->document);
  cfg_node_free (config->body);
  g_free (config->error);
  g_free (config);
}

/* Hydra reads `# @package X` from the leading comment lines; the first line
 * that is neither blank nor such a header ends the header. */
static char *
read_package_header (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      const char *p;

      if (line[0] == '\0')
        continue;
      if (line[0] != '#')
        break;
      p = line;
      while (*p == '#')
        p++;
      while (g_ascii_isspace (*p))
        p++;
      if (*p != '@')
        break;
      if (g_str_has_prefix (p, "@package"))
        {
          g_auto (GStrv) parts = g_strsplit_set (p, " \t", -1);
          const char *value = NULL;

          for (guint k = 1; parts[k] != NULL; k++)
            if (parts[k][0] != '\0')
              {
                value = parts[k];
                break;
              }
          if (value != NULL)
            return g_strdup (value);
        }
    }
  return NULL;
}

static ComposeConfig *
config_from_document (const char *path, CmdbYamlDocument *document, char *package_header)
{
  ComposeConfig *config = g_new0 (ComposeConfig, 1);
  const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);

  config->ref_count = 1;
  config->path = g_strdup (path);
  config->package_header = package_header;
  config->document = cmdb_yaml_document_ref (document);
  if (root == NULL || cmdb_yaml_node_is_null (root))
    config->body = cfg_node_new_dict ();
  else if (cmdb_yaml_node_get_kind (root) != CMDB_YAML_NODE_MAPPING)
    {
      config->body = cfg_node_new_dict ();
      config->error = g_strdup_printf ("%s: a config file must hold a mapping", path);
    }
  else
    {
      config->body = cfg_node_from_yaml (root);
      config->defaults = cmdb_yaml_node_lookup (root, "defaults");
      cfg_dict_remove (config->body, "defaults");
    }
  return config;
}

static gpointer
compute_config (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                GError **error)
{
  const char *path = user_data;
  g_autofree char *text = NULL;
  g_autoptr (CmdbYamlDocument) document = NULL;
  ComposeConfig *config;

  cmdb_cache_add_dependency (cache, path);
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  document = cmdb_cache_get_yaml (cache, path, error);
  if (document == NULL)
    return NULL;
  config = config_from_document (path, document, read_package_header (text));
  *ret_size = strlen (text) * 4 + 256;
  return config;
}

static gboolean
project_entry_exists (ComposeRepo *repo, const char *relative, gboolean want_dir)
{
  g_autofree char *full = g_build_filename (repo->dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (full);
  g_autofree char *name = g_path_get_basename (full);
  g_autoptr (CmdbDirScan) scan = NULL;

  if (strstr (relative, "..") != NULL)
    return FALSE;
  scan = cmdb_cache_scan_dir (repo->cache, parent, want_dir ? CMDB_SCAN_DIRS : CMDB_SCAN_FILES,
                              NULL, NULL);
  if (scan == NULL)
    return FALSE;
  for (guint i = 0; i < scan->n_entries; i++)
    if (strcmp (scan->entries[i].name, name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
builtin_split (const char *config_path, char **ret_group, const char **ret_option)
{
  const char *slash;

  if (!g_str_has_prefix (config_path, "hydra/"))
    return FALSE;
  slash = strrchr (config_path, '/');
  *ret_group = g_strndup (config_path + 6, (gsize) (slash - config_path) - 6);
  *ret_option = slash + 1;
  return TRUE;
}

static ComposeConfig *
builtin_config (const char *text, const char *path, const char *package)
{
  g_autoptr (CmdbYamlDocument) document = cmdb_yaml_document_parse (path, text, -1, NULL);

  g_assert (document != NULL);
  return config_from_document (path, document, g_strdup (package));
}

static ComposeConfig *builtin_load_uncached (const char *config_path);

/* Built-in configs are parsed once per process (they never change). */
static ComposeConfig *
builtin_load (const char *config_path)
{
  static GHashTable *parsed = NULL;
  ComposeConfig *config;

  if (parsed == NULL)
    parsed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) compose_config_unref);
  if (g_hash_table_lookup_extended (parsed, config_path, NULL, (gpointer *) &config))
    return config != NULL ? compose_config_ref (config) : NULL;
  config = builtin_load_uncached (config_path);
  g_hash_table_insert (parsed, g_strdup (config_path),
                       config != NULL ? compose_config_ref (config) : NULL);
  return config;
}

static ComposeConfig *
builtin_load_uncached (const char *config_path)
{
  g_autofree char *group = NULL;
  const char *option = NULL;

  if (strcmp (config_path, "hydra/config") == 0)
    return builtin_config (builtin_hydra_config, "<hydra>/hydra/config.yaml", "hydra");
  if (!builtin_split (config_path, &group, &option))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (builtin_options); i++)
    if (strcmp (builtin_options[i].group, group) == 0
        && strcmp (builtin_options[i].option, option) == 0)
      {
        g_autofree char *path = g_strdup_printf ("<hydra>/%s.yaml", config_path);

        return builtin_config (builtin_options[i].body, path, builtin_options[i].package);
      }
  return NULL;
}

gboolean
compose_repo_config_exists (ComposeRepo *repo, const char *config_path)
{
  g_autoptr (ComposeConfig) config = compose_repo_load (repo, config_path);

  return config != NULL;
}

static ComposeConfig *compose_repo_load_uncached (ComposeRepo *repo, const char *config_path);

ComposeConfig *
compose_repo_load (ComposeRepo *repo, const char *config_path)
{
  ComposeConfig *config;

  if (g_hash_table_lookup_extended (repo->loaded, config_path, NULL, (gpointer *) &config))
    return config != NULL ? compose_config_ref (config) : NULL;
  config = compose_repo_load_uncached (repo, config_path);
  g_hash_table_insert (repo->loaded, g_strdup (config_path),
                       config != NULL ? compose_config_ref (config) : NULL);
  return config;
}

static ComposeConfig *
compose_repo_load_uncached (ComposeRepo *repo, const char *config_path)
{
  g_autofree char *file = g_strconcat (config_path, ".yaml", NULL);

  if (project_entry_exists (repo, file, FALSE))
    {
      g_autofree char *path = g_build_filename (repo->dir, file, NULL);
      g_autofree char *key = g_strconcat ("compose-config:", path, NULL);
      g_autoptr (GError) local_error = NULL;
      ComposeConfig *config;

      config = cmdb_cache_get_derived (repo->cache, key, compute_config, path,
                                       (GBoxedCopyFunc) compose_config_ref,
                                       (GDestroyNotify) compose_config_unref, &local_error);
      if (config == NULL)
        {
          /* A file that does not parse is reported as such, not as missing. */
          config = g_new0 (ComposeConfig, 1);
          config->ref_count = 1;
          config->path = g_strdup (path);
          config->body = cfg_node_new_dict ();
          config->error = g_strdup (local_error->message);
        }
      return config;
    }
  return builtin_load (config_path);
}

static gboolean
builtin_group_exists (const char *group_path)
{
  if (strcmp (group_path, "hydra") == 0)
    return TRUE;
  if (!g_str_has_prefix (group_path, "hydra/"))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (builtin_options); i++)
    if (strcmp (builtin_options[i].group, group_path + 6) == 0)
      return TRUE;
  return FALSE;
}

gboolean
compose_repo_group_exists (ComposeRepo *repo, const char *group_path)
{
  if (group_path[0] == '\0')
    return TRUE;
  return project_entry_exists (repo, group_path, TRUE) || builtin_group_exists (group_path);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
add_unique (GPtrArray *names, const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (strcmp (g_ptr_array_index (names, i), name) == 0)
      return;
  g_ptr_array_add (names, g_strdup (name));
}

GPtrArray *
compose_repo_group_options (ComposeRepo *repo, const char *group_path)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = g_build_filename (repo->dir, group_path, NULL);
  g_autoptr (CmdbDirScan) scan = NULL;

  if (strstr (group_path, "..") == NULL)
    scan = cmdb_cache_scan_dir (repo->cache, dir, CMDB_SCAN_FILES, ".yaml", NULL);
  for (guint i = 0; scan != NULL && i < scan->n_entries; i++)
    {
      g_autofree char *name = g_strndup (scan->entries[i].name, strlen (scan->entries[i].name) - 5);

      add_unique (names, name);
    }
  if (g_str_has_prefix (group_path, "hydra/"))
    for (guint i = 0; i < G_N_ELEMENTS (builtin_options); i++)
      if (strcmp (builtin_options[i].group, group_path + 6) == 0)
        add_unique (names, builtin_options[i].option);
  g_ptr_array_sort (names, compare_strings);
  return names;
}

GPtrArray *
compose_repo_subgroups (ComposeRepo *repo, const char *group_path)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = g_build_filename (repo->dir, group_path, NULL);
  g_autoptr (CmdbDirScan) scan = NULL;

  if (strstr (group_path, "..") == NULL)
    scan = cmdb_cache_scan_dir (repo->cache, dir, CMDB_SCAN_DIRS, NULL, NULL);
  for (guint i = 0; scan != NULL && i < scan->n_entries; i++)
    add_unique (names, scan->entries[i].name);
  g_ptr_array_sort (names, compare_strings);
  return names;
}
