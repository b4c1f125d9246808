/* @ID@: a Command Builder page plugin. Its form is @ID@.yaml, next to this
 * file; the command runs the workspace's runner @ID@.py. The page's own
 * rules go in the CmdbPageInterface methods (all optional). */

#include <cmdbuilder/cmdbuilder.h>
#include <libpeas/peas.h>

#define @UPPER@_TYPE_PAGE (@ID@_page_get_type ())
G_DECLARE_FINAL_TYPE (@TYPE@, @ID@_page, @UPPER@, PAGE, GObject)

struct _@TYPE@
{
  GObject parent_instance;
};

static void
@ID@_page_iface_init (CmdbPageInterface *iface)
{
}

G_DEFINE_DYNAMIC_TYPE_EXTENDED (@TYPE@, @ID@_page, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_PAGE,
                                                               @ID@_page_iface_init))

static void
@ID@_page_class_init (@TYPE@Class *klass)
{
}

static void
@ID@_page_class_finalize (@TYPE@Class *klass)
{
}

static void
@ID@_page_init (@TYPE@ *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  @ID@_page_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_PAGE, @UPPER@_TYPE_PAGE);
}
