#define G_LOG_DOMAIN "cmdb-host"

/* Where a page's schema comes from: its search path, the file that wins,
 * and the fragments merged into it (docs/schema-format.md, "Where a page's
 * schema comes from"). Every file and directory looked at is a cache
 * dependency, so a cached page view notices a schema or fragment appearing,
 * changing or going away. */

#include "host/cmdb-host-private.h"

#include <string.h>

static CmdbPluginRecord *
page_record (CmdbHost *self, const char *id)
{
  CmdbPluginRecord *record = cmdb_host_lookup (self, id);

  return record != NULL && record->kind == CMDB_PLUGIN_KIND_PAGE ? record : NULL;
}

static void
add_unique (GPtrArray *dirs, const char *dir)
{
  for (guint i = 0; i < dirs->len; i++)
    if (g_str_equal (g_ptr_array_index (dirs, i), dir))
      return;
  g_ptr_array_add (dirs, g_strdup (dir));
}

GPtrArray *
cmdb_host_get_schema_path (CmdbHost *self, CmdbContext *context, const char *id)
{
  GPtrArray *path = g_ptr_array_new_with_free_func (g_free);
  CmdbPluginRecord *record;
  GPtrArray *configured;

  g_return_val_if_fail (CMDB_IS_HOST (self), path);
  g_return_val_if_fail (CMDB_IS_CONTEXT (context), path);

  record = page_record (self, id);
  if (record == NULL)
    return path;
  configured = cmdb_context_get_schema_dirs (context);
  for (guint i = 0; i < configured->len; i++)
    add_unique (path, g_ptr_array_index (configured, i));
  if (record->module_dir != NULL)
    add_unique (path, record->module_dir);
  add_unique (path, cmdb_context_get_bundled_schemas_dir (context));
  return path;
}

char *
cmdb_host_find_schema (CmdbHost *self, CmdbContext *context, const char *id, GError **error)
{
  CmdbPluginRecord *record;
  CmdbCache *cache;
  g_autoptr (GPtrArray) path = NULL;
  g_autofree char *plain_name = NULL;
  g_autofree char *prefixed_name = NULL;
  g_autoptr (GString) searched = g_string_new (NULL);

  g_return_val_if_fail (CMDB_IS_HOST (self), NULL);
  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);

  record = page_record (self, id);
  if (record == NULL)
    {
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND, "no page named '%s'", id);
      return NULL;
    }
  cache = cmdb_context_get_cache (context);
  path = cmdb_host_get_schema_path (self, context, id);
  plain_name = g_strdup_printf ("%s.yaml", record->schema_name);
  prefixed_name = g_strdup_printf ("command_builder_%s.yaml", record->schema_name);
  for (guint i = 0; i < path->len; i++)
    {
      const char *dir = g_ptr_array_index (path, i);
      const char *names[] = { plain_name, prefixed_name };

      for (gsize j = 0; j < G_N_ELEMENTS (names); j++)
        {
          g_autofree char *file = g_build_filename (dir, names[j], NULL);

          /* Which file is the schema is itself a fact about the workspace:
           * a cached computation that asked must be redone when a name
           * earlier on the path appears. */
          cmdb_cache_add_dependency (cache, file);
          if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
            return g_steal_pointer (&file);
        }
      g_string_append_printf (searched, "%s%s", i > 0 ? ", " : "", dir);
    }
  g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND,
               "page '%s': no schema %s or %s in %s", id, plain_name, prefixed_name, searched->str);
  return NULL;
}

GPtrArray *
cmdb_host_find_schema_fragments (CmdbHost *self, CmdbContext *context, const char *id)
{
  GPtrArray *fragments = g_ptr_array_new_with_free_func (g_free);
  CmdbPluginRecord *record;
  CmdbCache *cache;
  g_autoptr (GPtrArray) path = NULL;
  g_autofree char *dir_name = NULL;

  g_return_val_if_fail (CMDB_IS_HOST (self), fragments);
  g_return_val_if_fail (CMDB_IS_CONTEXT (context), fragments);

  record = page_record (self, id);
  if (record == NULL)
    return fragments;
  cache = cmdb_context_get_cache (context);
  path = cmdb_host_get_schema_path (self, context, id);
  dir_name = g_strdup_printf ("%s.d", record->schema_name);
  /* The last directory of the path first: the directories searched first
   * have the last word, as they do for the schema itself. */
  for (guint i = path->len; i > 0; i--)
    {
      g_autofree char *dir = g_build_filename (g_ptr_array_index (path, i - 1), dir_name, NULL);
      g_autoptr (CmdbDirScan) scan = NULL;

      /* The directory is a dependency, also while it does not exist. */
      cmdb_cache_add_dependency (cache, dir);
      scan = cmdb_cache_scan_dir (cache, dir, CMDB_SCAN_FILES, ".yaml", NULL);
      for (guint j = 0; scan != NULL && j < scan->n_entries; j++)
        g_ptr_array_add (fragments, g_build_filename (dir, scan->entries[j].name, NULL));
    }
  return fragments;
}

CmdbSchema *
cmdb_host_load_schema (CmdbHost *self, CmdbContext *context, const char *id, GError **error)
{
  g_autofree char *path = cmdb_host_find_schema (self, context, id, error);
  g_autoptr (GPtrArray) fragments = NULL;

  if (path == NULL)
    return NULL;
  fragments = cmdb_host_find_schema_fragments (self, context, id);
  return cmdb_schema_load_layered (cmdb_context_get_cache (context), path, fragments, error);
}
