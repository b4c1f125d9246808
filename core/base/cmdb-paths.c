#define G_LOG_DOMAIN "cmdb-base"
#define _GNU_SOURCE /* dladdr */

#include "cmdbuilder.h"
#include "cmdb-build-config.h"
#include "base/cmdb-paths-private.h"

#include <dlfcn.h>

gboolean
cmdb_is_uninstalled (void)
{
  static gsize initialized = 0;
  static gboolean uninstalled = FALSE;

  if (g_once_init_enter (&initialized))
    {
      Dl_info info;
      if (dladdr ((const void *) cmdb_is_uninstalled, &info) != 0 && info.dli_fname != NULL)
        {
          g_autofree char *library = g_canonicalize_filename (info.dli_fname, NULL);
          g_autofree char *prefix = g_strconcat (CMDB_BUILD_ROOT, G_DIR_SEPARATOR_S, NULL);
          uninstalled = g_str_has_prefix (library, prefix);
        }
      g_once_init_leave (&initialized, 1);
    }
  return uninstalled;
}

char *
cmdb_default_schemas_dir (void)
{
  if (cmdb_is_uninstalled ())
    return g_build_filename (CMDB_SOURCE_ROOT, "schemas", NULL);
  return g_strdup (CMDB_SCHEMA_DIR);
}

GPtrArray *
cmdb_default_plugin_dirs (void)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);

  if (cmdb_is_uninstalled ())
    {
      static const char *const kinds[] = { "pages", "registries", "executors" };
      for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
        g_ptr_array_add (dirs, g_build_filename (CMDB_BUILD_ROOT, "plugins", kinds[i], NULL));
    }
  else
    g_ptr_array_add (dirs, g_strdup (CMDB_PLUGIN_DIR));
  return dirs;
}

char *
cmdb_typelib_dir (void)
{
  if (cmdb_is_uninstalled ())
    return g_build_filename (CMDB_BUILD_ROOT, "core", NULL);
  return g_strdup (CMDB_TYPELIB_DIR);
}

char *
cmdb_python_helper_dir (void)
{
  if (cmdb_is_uninstalled ())
    return g_build_filename (CMDB_SOURCE_ROOT, "core", "python", NULL);
  return g_strdup (CMDB_PYTHON_DIR);
}
