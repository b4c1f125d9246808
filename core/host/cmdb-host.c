#define G_LOG_DOMAIN "cmdb-host"

#include "cmdbuilder.h"
#include "host/cmdb-host-private.h"
#include "base/cmdb-paths-private.h"
#include "sources/cmdb-sources-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-host-error-quark, cmdb_host_error)
/* clang-format on */

struct _CmdbHost
{
  GObject parent_instance;
  CmdbConfig *config;
  PeasEngine *engine;
  GPtrArray *records;       /* CmdbPluginRecord, discovery order sorted */
  GHashTable *by_id;        /* id -> record (borrowed) */
  GHashTable *disabled;     /* id set */
  GHashTable *plugin_files; /* id -> the first .plugin file seen for it */
  GPtrArray *problems;      /* CmdbProblem */
  GString *captured;        /* library warnings captured while loading */
  char *python_failure;     /* (nullable) a captured Python traceback's gist */
  gint64 created_us;        /* monotonic time the host was created */
};

G_DEFINE_FINAL_TYPE (CmdbHost, cmdb_host, G_TYPE_OBJECT)

static void
plugin_record_free (CmdbPluginRecord *record)
{
  g_free (record->id);
  g_free (record->module_dir);
  g_free (record->error);
  g_clear_object (&record->extension);
  g_clear_pointer (&record->sources, g_ptr_array_unref);
  g_free (record->title);
  g_free (record->icon);
  g_free (record->schema_name);
  g_free (record->runner);
  g_free (record);
}

const char *
cmdb_plugin_kind_to_string (CmdbPluginKind kind)
{
  switch (kind)
    {
      case CMDB_PLUGIN_KIND_PAGE:
        return "page";
      case CMDB_PLUGIN_KIND_REGISTRY:
        return "registry";
      case CMDB_PLUGIN_KIND_EXECUTOR:
        return "executor";
      default:
        return "unknown";
    }
}

const char *
cmdb_page_state_to_string (CmdbPageState state)
{
  static const char *const names[] = { "discovered", "loaded", "activated", "shown", "left" };

  if ((guint) state < G_N_ELEMENTS (names))
    return names[state];
  return "unknown";
}

static gboolean
parse_kind (const char *text, CmdbPluginKind *ret_kind)
{
  for (int kind = CMDB_PLUGIN_KIND_PAGE; kind <= CMDB_PLUGIN_KIND_EXECUTOR; kind++)
    if (g_strcmp0 (text, cmdb_plugin_kind_to_string (kind)) == 0)
      {
        *ret_kind = kind;
        return TRUE;
      }
  return FALSE;
}

static GType
extension_type_for_kind (CmdbPluginKind kind)
{
  switch (kind)
    {
      case CMDB_PLUGIN_KIND_PAGE:
        return CMDB_TYPE_PAGE;
      case CMDB_PLUGIN_KIND_REGISTRY:
        return CMDB_TYPE_OPTION_SOURCE;
      case CMDB_PLUGIN_KIND_EXECUTOR:
        return CMDB_TYPE_EXECUTOR;
      default:
        return G_TYPE_INVALID;
    }
}

static void
add_problem (CmdbHost *self, CmdbProblem *problem)
{
  g_debug ("%s", problem->message);
  g_ptr_array_add (self->problems, problem);
}

/* libpeas and GObject report plugin failures only as log messages. While the
 * host scans or loads, those messages are captured so the failure can be
 * reported with the plugin it belongs to instead of as stray warnings. */
/* A Python traceback's last line (the exception), with the innermost
 * `File "X", line N` as X:N: what a syntax error or a missing module says. */
static char *
summarize_traceback (const char *message)
{
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);
  const char *last = NULL;
  g_autofree char *location = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);
      int number = 0;
      char file[1024];

      if (line[0] == '\0')
        continue;
      last = line;
      if (sscanf (line, "File \"%1023[^\"]\", line %d", file, &number) == 2 && file[0] != '<'
          && strstr (file, "importlib") == NULL)
        {
          g_free (location);
          location = g_strdup_printf ("%s:%d", file, number);
        }
    }
  if (last == NULL)
    return NULL;
  if (location != NULL)
    return g_strdup_printf ("%s (%s)", last, location);
  return g_strdup (last);
}

static void
capture_log (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  CmdbHost *self = user_data;

  if (strstr (message, "Traceback (most recent call last):") != NULL)
    {
      g_free (self->python_failure);
      self->python_failure = summarize_traceback (message);
      return;
    }

  if (self->captured->len > 0)
    g_string_append (self->captured, "; ");
  g_string_append (self->captured, message);
}

/* NULL: libpeas' Python loader logs tracebacks without a domain. */
static const char *const captured_domains[]
    = { "libpeas", "GLib-GObject", "GLib-GModule", "GLib", NULL };

static void
begin_capture (CmdbHost *self, guint handler_ids[G_N_ELEMENTS (captured_domains)])
{
  g_string_truncate (self->captured, 0);
  g_clear_pointer (&self->python_failure, g_free);
  for (gsize i = 0; i < G_N_ELEMENTS (captured_domains); i++)
    handler_ids[i] = g_log_set_handler (
        captured_domains[i], G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_MESSAGE,
        capture_log, self);
}

static void
end_capture (CmdbHost *self, guint handler_ids[G_N_ELEMENTS (captured_domains)])
{
  for (gsize i = 0; i < G_N_ELEMENTS (captured_domains); i++)
    g_log_remove_handler (captured_domains[i], handler_ids[i]);
}

/* Stops libpeas from mapping a disabled plugin, however the load was asked
 * for (directly, through Depends=, or by set_loaded_plugins). */
static void
on_load_plugin (PeasEngine *engine, PeasPluginInfo *info, gpointer user_data)
{
  CmdbHost *self = user_data;
  g_autofree char *id = g_path_get_basename (peas_plugin_info_get_module_dir (info));

  if (g_hash_table_contains (self->disabled, id))
    g_signal_stop_emission_by_name (engine, "load-plugin");
}

static void
cmdb_host_finalize (GObject *object)
{
  CmdbHost *self = CMDB_HOST (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->records, g_ptr_array_unref);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->disabled, g_hash_table_unref);
  g_clear_pointer (&self->plugin_files, g_hash_table_unref);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->config, cmdb_config_unref);
  g_string_free (self->captured, TRUE);
  g_free (self->python_failure);
  G_OBJECT_CLASS (cmdb_host_parent_class)->finalize (object);
}

static void
cmdb_host_class_init (CmdbHostClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cmdb_host_finalize;
}

static void
cmdb_host_init (CmdbHost *self)
{
  self->records = g_ptr_array_new_with_free_func ((GDestroyNotify) plugin_record_free);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->disabled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->plugin_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  self->captured = g_string_new (NULL);
  self->created_us = g_get_monotonic_time ();
}

/* X-Cmdb-API names the plugin contract a plugin was written for; a file
 * without it predates the key and is API 1. */
static gboolean
plugin_api_supported (const char *api)
{
  g_autofree char *value = NULL;

  if (api == NULL)
    return TRUE;
  value = g_strstrip (g_strdup (api));
  return g_strcmp0 (value, CMDB_HOST_PLUGIN_API) == 0;
}

/* Checks one .plugin file ourselves before libpeas sees it: libpeas only logs
 * a warning and drops a broken file, and we want a located error. */
static gboolean
check_plugin_file (CmdbHost *self, const char *path)
{
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *module = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *api = NULL;
  CmdbPluginKind parsed_kind;

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &error))
    {
      add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, path, 0, 0, NULL,
                                           "cannot read plugin file: %s", error->message));
      return FALSE;
    }
  if (!g_key_file_has_group (keyfile, "Plugin"))
    {
      add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, path, 0, 0, NULL,
                                           "plugin file has no [Plugin] group"));
      return FALSE;
    }
  module = g_key_file_get_string (keyfile, "Plugin", "Module", NULL);
  if (module == NULL || module[0] == '\0')
    {
      add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, path, 0, 0, "Module",
                                           "plugin file has no 'Module' key"));
      return FALSE;
    }
  if (!g_key_file_has_key (keyfile, "Plugin", "Name", NULL))
    {
      add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, path, 0, 0, "Name",
                                           "plugin file has no 'Name' key"));
      return FALSE;
    }
  api = g_key_file_get_string (keyfile, "Plugin", "X-Cmdb-API", NULL);
  if (!plugin_api_supported (api))
    {
      add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, path, 0, 0, "X-Cmdb-API",
                                           "plugin is written for plugin API %s, this cmdbuilder "
                                           "provides API %s: the plugin is skipped",
                                           api, CMDB_HOST_PLUGIN_API));
      return FALSE;
    }
  kind = g_key_file_get_string (keyfile, "Plugin", "X-Kind", NULL);
  if (!parse_kind (kind, &parsed_kind))
    {
      add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, path, 0, 0, "X-Kind",
                                           "plugin file needs X-Kind=page, registry or executor "
                                           "(got '%s')",
                                           kind != NULL ? kind : ""));
      return FALSE;
    }
  return TRUE;
}

/* Adds @dir as a search path after checking it and every .plugin one level
 * below it. A bad directory is a problem, never fatal. */
static void
add_search_dir (CmdbHost *self, const char *dir, gboolean must_exist)
{
  g_autoptr (GDir) listing = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;

  if (!g_file_test (dir, G_FILE_TEST_EXISTS))
    {
      if (must_exist)
        add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, dir, 0, 0, "plugins.path",
                                             "plugin directory does not exist"));
      return;
    }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, dir, 0, 0, "plugins.path",
                                           "plugin path is not a directory"));
      return;
    }
  listing = g_dir_open (dir, 0, &error);
  if (listing == NULL)
    {
      add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, dir, 0, 0, "plugins.path",
                                           "cannot read plugin directory: %s", error->message));
      return;
    }
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *subdir = g_build_filename (dir, name, NULL);
      g_autoptr (GDir) inner = NULL;
      const char *file;

      if (!g_file_test (subdir, G_FILE_TEST_IS_DIR))
        continue;
      inner = g_dir_open (subdir, 0, &error);
      if (inner == NULL)
        {
          add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, subdir, 0, 0, name,
                                               "cannot read plugin directory: %s", error->message));
          g_clear_error (&error);
          continue;
        }
      while ((file = g_dir_read_name (inner)) != NULL)
        if (g_str_has_suffix (file, ".plugin"))
          {
            g_autofree char *path = g_build_filename (subdir, file, NULL);
            const char *first = g_hash_table_lookup (self->plugin_files, name);

            check_plugin_file (self, path);
            /* The id is the directory name: a second directory of that name
             * on the path is shadowed by the first (the engine keeps one). */
            if (first != NULL && !g_str_equal (first, path))
              add_problem (self, cmdb_problem_new (CMDB_SEVERITY_WARNING, path, 0, 0, name,
                                                   "plugin id '%s' is also provided by %s, "
                                                   "found first; %s is ignored",
                                                   name, first, path));
            else if (first == NULL)
              g_hash_table_insert (self->plugin_files, g_strdup (name), g_strdup (path));
          }
    }
  peas_engine_add_search_path (self->engine, dir, NULL);
}

static char *
external (PeasPluginInfo *info, const char *key)
{
  const char *value = peas_plugin_info_get_external_data (info, key);

  return value != NULL && value[0] != '\0' ? g_strdup (value) : NULL;
}

static gboolean
is_first_for_id (CmdbHost *self, CmdbPluginRecord *record)
{
  const char *first = g_hash_table_lookup (self->plugin_files, record->id);
  g_autofree char *first_dir = first != NULL ? g_path_get_dirname (first) : NULL;

  return first_dir == NULL || g_str_equal (first_dir, record->module_dir);
}

/* Two enabled registries naming one source: the first (by id) serves it. */
static void
report_shared_sources (CmdbHost *self)
{
  g_autoptr (GHashTable) providers = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < self->records->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (self->records, i);

      if (record->kind != CMDB_PLUGIN_KIND_REGISTRY || !record->enabled)
        continue;
      for (guint j = 0; j < record->sources->len; j++)
        {
          const char *source_id = g_ptr_array_index (record->sources, j);
          CmdbPluginRecord *first = g_hash_table_lookup (providers, source_id);

          if (first == NULL)
            {
              g_hash_table_insert (providers, (gpointer) source_id, record);
              continue;
            }
          add_problem (
              self,
              cmdb_problem_new (
                  CMDB_SEVERITY_WARNING, g_hash_table_lookup (self->plugin_files, record->id), 0, 0,
                  record->id,
                  "source '%s' is provided by two plugins: %s and %s; "
                  "plugin '%s' serves it",
                  source_id, (const char *) g_hash_table_lookup (self->plugin_files, first->id),
                  (const char *) g_hash_table_lookup (self->plugin_files, record->id), first->id));
        }
    }
}

const char *
cmdb_host_get_plugin_file (CmdbHost *self, const char *id)
{
  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);
  return g_hash_table_lookup (self->plugin_files, id);
}

/* libpeas 1.34 has no getter for a plugin's loader: read it from the file. */
static gboolean
plugin_file_names_python (const char *path)
{
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *loader = NULL;

  if (path == NULL || !g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL))
    return FALSE;
  loader = g_key_file_get_string (keyfile, "Plugin", "Loader", NULL);
  return loader != NULL && g_str_equal (g_strstrip (loader), "python3");
}

char *
cmdb_host_get_module_path (CmdbHost *self, CmdbPluginRecord *record)
{
  const char *module = peas_plugin_info_get_module_name (record->info);
  g_autofree char *file_name = NULL;
  g_autofree char *package = NULL;

  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);

  if (!record->python)
    {
      file_name = g_strdup_printf ("lib%s.so", module);
      return g_build_filename (record->module_dir, file_name, NULL);
    }
  package = g_build_filename (record->module_dir, module, NULL);
  if (g_file_test (package, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&package);
  file_name = g_strdup_printf ("%s.py", module);
  return g_build_filename (record->module_dir, file_name, NULL);
}

static CmdbPluginRecord *
make_record (CmdbHost *self, PeasPluginInfo *info)
{
  CmdbPluginRecord *record;
  g_autofree char *kind = external (info, "Kind");
  g_autofree char *order = external (info, "Order");
  g_autofree char *sources = external (info, "Sources");
  g_autofree char *suffix = external (info, "Suffix");
  CmdbPluginKind parsed_kind;

  if (!parse_kind (kind, &parsed_kind))
    return NULL; /* already reported by check_plugin_file */
  if (!plugin_api_supported (peas_plugin_info_get_external_data (info, "Cmdb-API")))
    return NULL; /* likewise; its module is never mapped */

  record = g_new0 (CmdbPluginRecord, 1);
  record->info = info;
  record->module_dir = g_strdup (peas_plugin_info_get_module_dir (info));
  record->id = g_path_get_basename (record->module_dir);
  record->kind = parsed_kind;
  record->python = plugin_file_names_python (g_hash_table_lookup (self->plugin_files, record->id));
  record->load_ms = -1;
  record->activate_ms = -1;
  record->sources = g_ptr_array_new_with_free_func (g_free);
  if (sources != NULL)
    {
      g_auto (GStrv) ids = g_strsplit_set (sources, ";,", -1);
      for (guint i = 0; ids[i] != NULL; i++)
        if (g_strstrip (ids[i])[0] != '\0')
          g_ptr_array_add (record->sources, g_strdup (ids[i]));
    }
  record->title = external (info, "Title");
  if (record->title == NULL)
    record->title = g_strdup (peas_plugin_info_get_name (info));
  record->order = order != NULL ? (int) g_ascii_strtoll (order, NULL, 10) : 1000;
  record->icon = external (info, "Icon");
  record->schema_name = external (info, "Schema");
  if (record->schema_name == NULL)
    record->schema_name = g_strdup (record->id);
  record->runner = external (info, "Runner");
  if (record->runner == NULL)
    record->runner = g_strdup_printf ("%s.py", record->id);
  record->suffix_default = suffix != NULL && (g_ascii_strcasecmp (suffix, "true") == 0);
  record->enabled = !g_hash_table_contains (self->disabled, record->id);
  record->state = CMDB_PAGE_STATE_DISCOVERED;
  return record;
}

static int
compare_records (gconstpointer a, gconstpointer b)
{
  const CmdbPluginRecord *ra = *(CmdbPluginRecord *const *) a;
  const CmdbPluginRecord *rb = *(CmdbPluginRecord *const *) b;

  if (ra->kind != rb->kind)
    return (int) ra->kind - (int) rb->kind;
  if (ra->kind == CMDB_PLUGIN_KIND_PAGE && ra->order != rb->order)
    return ra->order < rb->order ? -1 : 1;
  return strcmp (ra->id, rb->id);
}

static void
prepend_to_path_variable (const char *variable, const char *dir)
{
  const char *current = g_getenv (variable);
  g_autofree char *value = NULL;

  if (current != NULL && current[0] != '\0')
    {
      g_auto (GStrv) parts = g_strsplit (current, G_SEARCHPATH_SEPARATOR_S, -1);
      if (g_strv_contains ((const char *const *) parts, dir))
        return;
      value = g_strjoin (G_SEARCHPATH_SEPARATOR_S, dir, current, NULL);
    }
  else
    value = g_strdup (dir);
  g_setenv (variable, value, TRUE);
}

/* Python plugins import gi.repository.Cmdbuilder and the helper module
 * cmdbuilder_plugin. The interpreter and girepository read these variables
 * only when the first Python plugin is loaded (libpeas starts Python then),
 * so setting them costs a C-only session nothing. Done once, when the first
 * host is made, before any plugin code runs. */
static gpointer
prepare_python_environment (gpointer data)
{
  g_autofree char *typelib_dir = cmdb_typelib_dir ();
  g_autofree char *helper_dir = cmdb_python_helper_dir ();

  prepend_to_path_variable ("GI_TYPELIB_PATH", typelib_dir);
  prepend_to_path_variable ("PYTHONPATH", helper_dir);
  return NULL;
}

CmdbHost *
cmdb_host_new (CmdbConfig *config)
{
  static GOnce python_environment = G_ONCE_INIT;

  CmdbHost *self;
  g_autoptr (GPtrArray) defaults = cmdb_default_plugin_dirs ();
  GPtrArray *extra;
  GPtrArray *disabled;
  const GList *infos;
  guint handlers[G_N_ELEMENTS (captured_domains)];

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (CMDB_TYPE_HOST, NULL);
  self->config = cmdb_config_ref (config);
  disabled = cmdb_config_get_list (config, "plugins", "disabled");
  for (guint i = 0; i < disabled->len; i++)
    g_hash_table_add (self->disabled, g_strdup (g_ptr_array_index (disabled, i)));

  /* A private engine (not the process-wide default) so that hosts in tests
   * do not share state; no typelib is needed for C plugins. */
  self->engine = peas_engine_new ();
  /* Enabling the loader maps nothing: libpython comes with the first
   * Loader=python3 plugin that is loaded. */
  g_once (&python_environment, prepare_python_environment, NULL);
  peas_engine_enable_loader (self->engine, "python3");
  g_signal_connect (self->engine, "load-plugin", G_CALLBACK (on_load_plugin), self);

  /* libpeas logs a warning for each broken .plugin file while it scans;
   * add_search_dir() reports those files itself, with their path. */
  begin_capture (self, handlers);
  for (guint i = 0; i < defaults->len; i++)
    add_search_dir (self, g_ptr_array_index (defaults, i), FALSE);
  extra = cmdb_config_get_list (config, "plugins", "path");
  for (guint i = 0; i < extra->len; i++)
    add_search_dir (self, g_ptr_array_index (extra, i), TRUE);
  infos = peas_engine_get_plugin_list (self->engine);
  end_capture (self, handlers);

  for (const GList *l = infos; l != NULL; l = l->next)
    {
      CmdbPluginRecord *record = make_record (self, l->data);

      if (record == NULL)
        continue;
      /* A shadowed id (reported while scanning, with both .plugin files):
       * the first directory on the path wins, whatever order the engine
       * lists them in. */
      if (g_hash_table_contains (self->by_id, record->id) || !is_first_for_id (self, record))
        {
          plugin_record_free (record);
          continue;
        }
      g_ptr_array_add (self->records, record);
      g_hash_table_insert (self->by_id, record->id, record);
    }
  g_ptr_array_sort (self->records, compare_records);
  report_shared_sources (self);
  return self;
}

GPtrArray *
cmdb_host_list_plugins (CmdbHost *self)
{
  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);
  return self->records;
}

GPtrArray *
cmdb_host_list_pages (CmdbHost *self)
{
  GPtrArray *pages;

  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);

  pages = g_ptr_array_new ();
  for (guint i = 0; i < self->records->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (self->records, i);
      if (record->kind == CMDB_PLUGIN_KIND_PAGE && record->enabled)
        g_ptr_array_add (pages, record);
    }
  return pages;
}

CmdbPluginRecord *
cmdb_host_lookup (CmdbHost *self, const char *id)
{
  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  return g_hash_table_lookup (self->by_id, id);
}

static CmdbPluginRecord *
find_source_provider (CmdbHost *self, const char *source_id, gboolean enabled_only)
{
  for (guint i = 0; i < self->records->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (self->records, i);

      if (record->kind != CMDB_PLUGIN_KIND_REGISTRY || (enabled_only && !record->enabled))
        continue;
      for (guint j = 0; j < record->sources->len; j++)
        if (g_str_equal (g_ptr_array_index (record->sources, j), source_id))
          return record;
    }
  return NULL;
}

CmdbPluginRecord *
cmdb_host_lookup_source_provider (CmdbHost *self, const char *source_id)
{
  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);
  g_return_val_if_fail (source_id != NULL, NULL);
  return find_source_provider (self, source_id, TRUE);
}

GPtrArray *
cmdb_host_get_problems (CmdbHost *self)
{
  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);
  return self->problems;
}

static void
record_failure (CmdbHost *self, CmdbPluginRecord *record, GError *error)
{
  if (record->error == NULL)
    {
      record->error = g_strdup (error->message);
      add_problem (self, cmdb_problem_new (CMDB_SEVERITY_ERROR, record->module_dir, 0, 0,
                                           record->id, "%s", error->message));
    }
}

GObject *
cmdb_host_load_plugin (CmdbHost *self, const char *id, GError **error)
{
  CmdbPluginRecord *record;
  const char *const *dependencies;
  GType extension_type;
  gint64 start;
  gboolean loaded;
  guint handlers[G_N_ELEMENTS (captured_domains)];
  GError *local_error = NULL;

  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  record = g_hash_table_lookup (self->by_id, id);
  if (record == NULL)
    {
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND, "no plugin named '%s'", id);
      return NULL;
    }
  if (record->extension != NULL)
    return record->extension;
  if (!record->enabled)
    {
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_DISABLED,
                   "plugin '%s' is disabled by configuration ([plugins] disabled)", id);
      return NULL;
    }
  if (record->error != NULL)
    {
      /* libpeas keeps a failed plugin unavailable for the engine's life. */
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_LOAD_FAILED, "%s", record->error);
      return NULL;
    }
  dependencies = peas_plugin_info_get_dependencies (record->info);
  for (guint i = 0; dependencies != NULL && dependencies[i] != NULL; i++)
    if (g_hash_table_contains (self->disabled, dependencies[i]))
      {
        local_error = g_error_new (CMDB_HOST_ERROR, CMDB_HOST_ERROR_DISABLED,
                                   "plugin '%s' depends on '%s', which is disabled by "
                                   "configuration",
                                   id, dependencies[i]);
        record_failure (self, record, local_error);
        g_propagate_error (error, local_error);
        return NULL;
      }

  extension_type = extension_type_for_kind (record->kind);
  if (extension_type == G_TYPE_INVALID)
    {
      local_error = g_error_new (CMDB_HOST_ERROR, CMDB_HOST_ERROR_WRONG_KIND,
                                 "plugin '%s' is of kind '%s', which this version cannot load", id,
                                 cmdb_plugin_kind_to_string (record->kind));
      record_failure (self, record, local_error);
      g_propagate_error (error, local_error);
      return NULL;
    }

  begin_capture (self, handlers);
  start = g_get_monotonic_time ();
  loaded = peas_engine_load_plugin (self->engine, record->info);
  if (loaded && peas_engine_provides_extension (self->engine, record->info, extension_type))
    record->extension
        = peas_engine_create_extension (self->engine, record->info, extension_type, NULL);
  record->load_ms = (g_get_monotonic_time () - start) / 1000.0;
  end_capture (self, handlers);
  record->loaded = peas_plugin_info_is_loaded (record->info);
  if (record->loaded)
    record->loaded_at_us = g_get_monotonic_time ();
  else
    record->load_ms = -1;

  if (!loaded && self->python_failure != NULL)
    local_error = g_error_new (CMDB_HOST_ERROR, CMDB_HOST_ERROR_LOAD_FAILED,
                               "plugin '%s' failed to import: %s", id, self->python_failure);
  else if (!loaded)
    local_error = g_error_new (CMDB_HOST_ERROR, CMDB_HOST_ERROR_LOAD_FAILED,
                               "plugin '%s' failed to load: %s", id,
                               self->captured->len > 0 ? self->captured->str : "unknown reason");
  else if (record->extension == NULL)
    local_error = g_error_new (
        CMDB_HOST_ERROR, CMDB_HOST_ERROR_NO_EXTENSION, "plugin '%s' provides no %s extension%s%s",
        id, g_type_name (extension_type), self->captured->len > 0 ? ": " : "", self->captured->str);
  if (local_error != NULL)
    {
      record_failure (self, record, local_error);
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (record->kind == CMDB_PLUGIN_KIND_PAGE && record->state == CMDB_PAGE_STATE_DISCOVERED)
    record->state = CMDB_PAGE_STATE_LOADED;
  g_debug ("loaded plugin %s in %.3f ms", id, record->load_ms);
  return record->extension;
}

static CmdbOptionList *
resolve_source (CmdbContext *context, const char *source_id, gpointer user_data, GError **error)
{
  CmdbHost *self = user_data;
  CmdbPluginRecord *provider;
  GObject *extension;

  if (cmdb_builtin_sources_provides (source_id))
    return cmdb_builtin_sources_list (context, source_id, error);

  provider = find_source_provider (self, source_id, FALSE);
  if (provider == NULL)
    {
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND,
                   "unknown option source '%s': no plugin provides it", source_id);
      return NULL;
    }
  if (!provider->enabled)
    {
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_DISABLED,
                   "option source '%s' is provided by plugin '%s', which is disabled by "
                   "configuration",
                   source_id, provider->id);
      return NULL;
    }
  extension = cmdb_host_load_plugin (self, provider->id, error);
  if (extension == NULL)
    {
      g_prefix_error (error, "option source '%s': ", source_id);
      return NULL;
    }
  return cmdb_option_source_list_options (CMDB_OPTION_SOURCE (extension), context, source_id,
                                          error);
}

void
cmdb_host_attach_context (CmdbHost *self, CmdbContext *context)
{
  g_return_if_fail (CMDB_IS_HOST (self));
  g_return_if_fail (CMDB_IS_CONTEXT (context));

  /* The context does not own the host: the host outlives its contexts. */
  cmdb_context_set_source_resolver (context, resolve_source, self, NULL);
}

CmdbPage *
cmdb_host_activate_page (CmdbHost *self, CmdbContext *context, const char *id, GError **error)
{
  CmdbPluginRecord *record;
  GObject *extension;
  g_autoptr (CmdbSchema) schema = NULL;
  GPtrArray *sources;
  gint64 start;

  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);
  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  record = g_hash_table_lookup (self->by_id, id);
  if (record == NULL || record->kind != CMDB_PLUGIN_KIND_PAGE)
    {
      g_set_error (error, CMDB_HOST_ERROR,
                   record == NULL ? CMDB_HOST_ERROR_NOT_FOUND : CMDB_HOST_ERROR_WRONG_KIND,
                   "no page named '%s'", id);
      return NULL;
    }
  if (record->state >= CMDB_PAGE_STATE_ACTIVATED)
    return CMDB_PAGE (record->extension);

  start = g_get_monotonic_time ();
  extension = cmdb_host_load_plugin (self, id, error);
  if (extension == NULL)
    return NULL;
  schema = cmdb_host_load_schema (self, context, id, error);
  if (schema == NULL)
    return NULL;

  /* Only the registries this schema needs; a registry that cannot load is
   * not fatal to the page: its fields show the error when evaluated. */
  sources = cmdb_schema_get_option_sources (schema);
  for (guint i = 0; i < sources->len; i++)
    {
      const char *source_id = g_ptr_array_index (sources, i);
      CmdbPluginRecord *provider;
      g_autoptr (GError) load_error = NULL;

      if (cmdb_builtin_sources_provides (source_id))
        continue;
      provider = find_source_provider (self, source_id, TRUE);
      if (provider != NULL && cmdb_host_load_plugin (self, provider->id, &load_error) == NULL)
        g_debug ("page %s: %s", id, load_error->message);
    }
  record->activate_ms = (g_get_monotonic_time () - start) / 1000.0;
  record->state = CMDB_PAGE_STATE_ACTIVATED;
  g_debug ("activated page %s in %.3f ms", id, record->activate_ms);
  return CMDB_PAGE (record->extension);
}

void
cmdb_host_show_page (CmdbHost *self, const char *id)
{
  CmdbPluginRecord *record = cmdb_host_lookup (self, id);

  g_return_if_fail (record != NULL && record->state >= CMDB_PAGE_STATE_ACTIVATED);
  record->state = CMDB_PAGE_STATE_SHOWN;
}

void
cmdb_host_leave_page (CmdbHost *self, const char *id)
{
  CmdbPluginRecord *record = cmdb_host_lookup (self, id);

  g_return_if_fail (record != NULL);
  if (record->state == CMDB_PAGE_STATE_SHOWN)
    record->state = CMDB_PAGE_STATE_LEFT;
}

JsonNode *
cmdb_host_plugins_to_json (CmdbHost *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);

  json_builder_begin_array (builder);
  for (guint i = 0; i < self->records->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (self->records, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, record->id);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, cmdb_plugin_kind_to_string (record->kind));
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, record->module_dir);
      json_builder_set_member_name (builder, "enabled");
      json_builder_add_boolean_value (builder, record->enabled);
      json_builder_set_member_name (builder, "loaded");
      json_builder_add_boolean_value (builder, record->loaded);
      json_builder_set_member_name (builder, "load_ms");
      if (record->loaded)
        json_builder_add_double_value (builder, record->load_ms);
      else
        json_builder_add_null_value (builder);
      /* When, in ms since the host started: shows what a page switch loaded. */
      json_builder_set_member_name (builder, "loaded_at_ms");
      if (record->loaded)
        json_builder_add_double_value (builder, (record->loaded_at_us - self->created_us) / 1000.0);
      else
        json_builder_add_null_value (builder);
      if (record->kind == CMDB_PLUGIN_KIND_PAGE)
        {
          json_builder_set_member_name (builder, "title");
          json_builder_add_string_value (builder, record->title);
          json_builder_set_member_name (builder, "order");
          json_builder_add_int_value (builder, record->order);
          json_builder_set_member_name (builder, "state");
          json_builder_add_string_value (builder, cmdb_page_state_to_string (record->state));
          json_builder_set_member_name (builder, "activate_ms");
          if (record->activate_ms >= 0)
            json_builder_add_double_value (builder, record->activate_ms);
          else
            json_builder_add_null_value (builder);
        }
      if (record->kind == CMDB_PLUGIN_KIND_REGISTRY)
        {
          json_builder_set_member_name (builder, "sources");
          json_builder_begin_array (builder);
          for (guint j = 0; j < record->sources->len; j++)
            json_builder_add_string_value (builder, g_ptr_array_index (record->sources, j));
          json_builder_end_array (builder);
        }
      if (record->error != NULL)
        {
          json_builder_set_member_name (builder, "error");
          json_builder_add_string_value (builder, record->error);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}
