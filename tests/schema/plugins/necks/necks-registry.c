#define G_LOG_DOMAIN "cmdb-test-necks"

/* A test-only registry for a model family the core has never heard of:
 * models.necks lists the YAML files of configs/model/necks/ (their stems). Together
 * with `compatible_necks` / `default_neck` in the architectures' metadata
 * and a schema fragment, it must get filtering, defaults, a cross-field
 * error and a composable override without any core change
 * (tests/schema/test-necks.c). */

#include <cmdbuilder/cmdbuilder.h>
#include <libpeas/peas.h>
#include <string.h>

#define CMDB_TYPE_TEST_NECKS_REGISTRY (cmdb_test_necks_registry_get_type ())
G_DECLARE_FINAL_TYPE (CmdbTestNecksRegistry, cmdb_test_necks_registry, CMDB, TEST_NECKS_REGISTRY,
                      GObject)

struct _CmdbTestNecksRegistry
{
  GObject parent_instance;
};

static CmdbOptionList *
necks_list_options (CmdbOptionSource *source, CmdbContext *context, const char *source_id,
                    GError **error)
{
  g_autofree char *dir = NULL;
  g_autoptr (CmdbDirScan) scan = NULL;
  CmdbOptionList *list;

  if (!g_str_equal (source_id, "models.necks"))
    {
      g_set_error (error, CMDB_OPTION_SOURCE_ERROR, CMDB_OPTION_SOURCE_ERROR_UNKNOWN_SOURCE,
                   "the necks registry does not provide the option source '%s'", source_id);
      return NULL;
    }
  dir = g_build_filename (cmdb_context_get_configs_dir (context), "model", "necks", NULL);
  scan
      = cmdb_cache_scan_dir (cmdb_context_get_cache (context), dir, CMDB_SCAN_FILES, ".yaml", NULL);
  list = cmdb_option_list_new (source_id);
  for (guint i = 0; scan != NULL && i < cmdb_dir_scan_get_n_entries (scan); i++)
    {
      const char *name = cmdb_dir_scan_get_entry (scan, i)->name;
      g_autofree char *stem = g_strndup (name, strlen (name) - strlen (".yaml"));
      g_autofree char *file = g_build_filename (dir, name, NULL);
      g_autoptr (CmdbOptionEntry) entry = cmdb_option_entry_new (stem, file);

      cmdb_option_list_add (list, entry);
    }
  return list;
}

static void
cmdb_test_necks_registry_iface_init (CmdbOptionSourceInterface *iface)
{
  iface->list_options = necks_list_options;
}

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbTestNecksRegistry, cmdb_test_necks_registry, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_OPTION_SOURCE,
                                                               cmdb_test_necks_registry_iface_init))

static void
cmdb_test_necks_registry_class_init (CmdbTestNecksRegistryClass *klass)
{
}

static void
cmdb_test_necks_registry_class_finalize (CmdbTestNecksRegistryClass *klass)
{
}

static void
cmdb_test_necks_registry_init (CmdbTestNecksRegistry *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_test_necks_registry_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_OPTION_SOURCE,
                                              CMDB_TYPE_TEST_NECKS_REGISTRY);
}
