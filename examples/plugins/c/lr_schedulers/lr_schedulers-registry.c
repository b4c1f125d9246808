/* lr_schedulers: a Command Builder registry plugin providing the option source
 * lr_schedulers (the stems of configs/lr_scheduler/ *.yaml): the
 * Python example in C. */

#include <cmdbuilder/cmdbuilder.h>
#include <libpeas/peas.h>

#define LR_SCHEDULERS_TYPE_REGISTRY (lr_schedulers_registry_get_type ())
G_DECLARE_FINAL_TYPE (LrSchedulersRegistry, lr_schedulers_registry, LR_SCHEDULERS, REGISTRY, GObject)

struct _LrSchedulersRegistry
{
  GObject parent_instance;
};

static CmdbOptionList *
lr_schedulers_registry_list_options (CmdbOptionSource *source, CmdbContext *context,
                            const char *source_id, GError **error)
{
  g_autoptr (CmdbOptionList) list = cmdb_option_list_new (source_id);

  if (!cmdb_option_list_add_yaml_dir (list, context, "lr_scheduler", error))
    return NULL;
  return g_steal_pointer (&list);
}

static void
lr_schedulers_registry_iface_init (CmdbOptionSourceInterface *iface)
{
  iface->list_options = lr_schedulers_registry_list_options;
}

G_DEFINE_DYNAMIC_TYPE_EXTENDED (LrSchedulersRegistry, lr_schedulers_registry, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_OPTION_SOURCE,
                                                               lr_schedulers_registry_iface_init))

static void
lr_schedulers_registry_class_init (LrSchedulersRegistryClass *klass)
{
}

static void
lr_schedulers_registry_class_finalize (LrSchedulersRegistryClass *klass)
{
}

static void
lr_schedulers_registry_init (LrSchedulersRegistry *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  lr_schedulers_registry_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_OPTION_SOURCE,
                                              LR_SCHEDULERS_TYPE_REGISTRY);
}
