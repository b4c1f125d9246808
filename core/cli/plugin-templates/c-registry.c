/* @ID@: a Command Builder registry plugin providing the option source
 * models.@ID@ (the stems of configs/model/@ID@/ *.yaml). */

#include <cmdbuilder/cmdbuilder.h>
#include <libpeas/peas.h>

#define @UPPER@_TYPE_REGISTRY (@ID@_registry_get_type ())
G_DECLARE_FINAL_TYPE (@TYPE@, @ID@_registry, @UPPER@, REGISTRY, GObject)

struct _@TYPE@
{
  GObject parent_instance;
};

static CmdbOptionList *
@ID@_registry_list_options (CmdbOptionSource *source, CmdbContext *context,
                            const char *source_id, GError **error)
{
  g_autoptr (CmdbOptionList) list = cmdb_option_list_new (source_id);

  if (!cmdb_option_list_add_yaml_dir (list, context, "model/@ID@", error))
    return NULL;
  return g_steal_pointer (&list);
}

static void
@ID@_registry_iface_init (CmdbOptionSourceInterface *iface)
{
  iface->list_options = @ID@_registry_list_options;
}

G_DEFINE_DYNAMIC_TYPE_EXTENDED (@TYPE@, @ID@_registry, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_OPTION_SOURCE,
                                                               @ID@_registry_iface_init))

static void
@ID@_registry_class_init (@TYPE@Class *klass)
{
}

static void
@ID@_registry_class_finalize (@TYPE@Class *klass)
{
}

static void
@ID@_registry_init (@TYPE@ *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  @ID@_registry_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_OPTION_SOURCE,
                                              @UPPER@_TYPE_REGISTRY);
}
