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

/* The installed library's private directory, <libdir>/cmdbuilder-1, found
 * from where the library is: an SDK installed under any DESTDIR or prefix
 * finds its typelib and Python helper as it is (like its .pc file). */
static char *
installed_private_dir (const char *fallback)
{
  Dl_info info;

  if (dladdr ((const void *) installed_private_dir, &info) != 0 && info.dli_fname != NULL
      && g_path_is_absolute (info.dli_fname))
    {
      g_autofree char *libdir = g_path_get_dirname (info.dli_fname);
      g_autofree char *name = g_path_get_basename (CMDB_PRIVATE_LIB_DIR);
      return g_build_filename (libdir, name, NULL);
    }
  return g_strdup (fallback);
}

char *
cmdb_typelib_dir (void)
{
  g_autofree char *private_dir = NULL;

  if (cmdb_is_uninstalled ())
    return g_build_filename (CMDB_BUILD_ROOT, "core", NULL);
  private_dir = installed_private_dir (CMDB_PRIVATE_LIB_DIR);
  return g_build_filename (private_dir, "girepository-1.0", NULL);
}

char *
cmdb_python_helper_dir (void)
{
  g_autofree char *private_dir = NULL;

  if (cmdb_is_uninstalled ())
    return g_build_filename (CMDB_SOURCE_ROOT, "core", "python", NULL);
  private_dir = installed_private_dir (CMDB_PRIVATE_LIB_DIR);
  return g_build_filename (private_dir, "python", NULL);
}
