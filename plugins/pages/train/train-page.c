/* The Train page: training commands (exp_name suffix on by default, see X-Suffix).
 *
 * Its form, overrides and validation come from its schema (X-Schema in
 * train.plugin) and the core's schema engine; this module only supplies what
 * is specific to the page.
 */
#define G_LOG_DOMAIN "cmdb-page-train"

#include <cmdbuilder/cmdbuilder.h>
#include <libpeas/peas.h>

#define CMDB_TYPE_TRAIN_PAGE (cmdb_train_page_get_type ())
G_DECLARE_FINAL_TYPE (CmdbTrainPage, cmdb_train_page, CMDB, TRAIN_PAGE, GObject)

struct _CmdbTrainPage
{
  GObject parent_instance;
};

static void cmdb_train_page_iface_init (CmdbPageInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbTrainPage, cmdb_train_page, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_PAGE,
                                                               cmdb_train_page_iface_init))

static void
cmdb_train_page_iface_init (CmdbPageInterface *iface)
{
}

static void
cmdb_train_page_class_init (CmdbTrainPageClass *klass)
{
}

static void
cmdb_train_page_class_finalize (CmdbTrainPageClass *klass)
{
}

static void
cmdb_train_page_init (CmdbTrainPage *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_train_page_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_PAGE, CMDB_TYPE_TRAIN_PAGE);
}
