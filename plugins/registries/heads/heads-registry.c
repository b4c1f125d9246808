#define G_LOG_DOMAIN "cmdb-heads"

/* heads-registry.c: the "heads" registry plugin. A thin wrapper: the
 * component rules live once in the library (cmdb-components.h), this
 * module only says which sources it provides (as its .plugin file does). */

#include <libpeas/peas.h>
#include <cmdbuilder/cmdbuilder.h>

#define CMDB_TYPE_HEADS_REGISTRY (cmdb_heads_registry_get_type ())
G_DECLARE_FINAL_TYPE (CmdbHeadsRegistry, cmdb_heads_registry, CMDB, HEADS_REGISTRY, GObject)

struct _CmdbHeadsRegistry
{
  GObject parent_instance;
};

/* The sources named in heads.plugin's X-Sources, with their kind. */
static const struct
{
  const char *source_id;
  CmdbComponentKind kind;
} provided_sources[] = {
  { "models.heads", CMDB_COMPONENT_HEAD },
};

static CmdbOptionList *
cmdb_heads_registry_list_options (CmdbOptionSource *source, CmdbContext *context,
                                  const char *source_id, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (provided_sources); i++)
    if (g_str_equal (source_id, provided_sources[i].source_id))
      return cmdb_component_source_list (context, provided_sources[i].kind, source_id, error);

  g_set_error (error, CMDB_OPTION_SOURCE_ERROR, CMDB_OPTION_SOURCE_ERROR_UNKNOWN_SOURCE,
               "the heads registry does not provide the option source '%s'", source_id);
  return NULL;
}

static void
cmdb_heads_registry_iface_init (CmdbOptionSourceInterface *iface)
{
  iface->list_options = cmdb_heads_registry_list_options;
}

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbHeadsRegistry, cmdb_heads_registry, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_OPTION_SOURCE,
                                                               cmdb_heads_registry_iface_init))

static void
cmdb_heads_registry_class_init (CmdbHeadsRegistryClass *klass)
{
}

static void
cmdb_heads_registry_class_finalize (CmdbHeadsRegistryClass *klass)
{
}

static void
cmdb_heads_registry_init (CmdbHeadsRegistry *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_heads_registry_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_OPTION_SOURCE,
                                              CMDB_TYPE_HEADS_REGISTRY);
}
