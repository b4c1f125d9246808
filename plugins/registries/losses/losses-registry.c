#define G_LOG_DOMAIN "cmdb-losses"

/* losses-registry.c: the "losses" registry plugin. A thin wrapper: the
 * component rules live once in the library (cmdb-components.h), this
 * module only says which sources it provides (as its .plugin file does). */

#include <libpeas/peas.h>
#include <cmdbuilder/cmdbuilder.h>

#define CMDB_TYPE_LOSSES_REGISTRY (cmdb_losses_registry_get_type ())
G_DECLARE_FINAL_TYPE (CmdbLossesRegistry, cmdb_losses_registry, CMDB, LOSSES_REGISTRY, GObject)

struct _CmdbLossesRegistry
{
  GObject parent_instance;
};

/* The sources named in losses.plugin's X-Sources, with their kind. */
static const struct
{
  const char *source_id;
  CmdbComponentKind kind;
} provided_sources[] = {
  { "models.losses", CMDB_COMPONENT_LOSS },
};

static CmdbOptionList *
cmdb_losses_registry_list_options (CmdbOptionSource *source, CmdbContext *context,
                                   const char *source_id, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (provided_sources); i++)
    if (g_str_equal (source_id, provided_sources[i].source_id))
      return cmdb_component_source_list (context, provided_sources[i].kind, source_id, error);

  g_set_error (error, CMDB_OPTION_SOURCE_ERROR, CMDB_OPTION_SOURCE_ERROR_UNKNOWN_SOURCE,
               "the losses registry does not provide the option source '%s'", source_id);
  return NULL;
}

static void
cmdb_losses_registry_iface_init (CmdbOptionSourceInterface *iface)
{
  iface->list_options = cmdb_losses_registry_list_options;
}

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbLossesRegistry, cmdb_losses_registry, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_OPTION_SOURCE,
                                                               cmdb_losses_registry_iface_init))

static void
cmdb_losses_registry_class_init (CmdbLossesRegistryClass *klass)
{
}

static void
cmdb_losses_registry_class_finalize (CmdbLossesRegistryClass *klass)
{
}

static void
cmdb_losses_registry_init (CmdbLossesRegistry *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_losses_registry_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_OPTION_SOURCE,
                                              CMDB_TYPE_LOSSES_REGISTRY);
}
