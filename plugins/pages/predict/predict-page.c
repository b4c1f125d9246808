/* The Predict page: prediction on a checkpoint.
 *
 * Its form, overrides and validation come from its schema (X-Schema in
 * predict.plugin) and the core's schema engine; this module only supplies what
 * is specific to the page.
 */
#define G_LOG_DOMAIN "cmdb-page-predict"

#include <cmdbuilder/cmdbuilder.h>
#include <libpeas/peas.h>

#define CMDB_TYPE_PREDICT_PAGE (cmdb_predict_page_get_type ())
G_DECLARE_FINAL_TYPE (CmdbPredictPage, cmdb_predict_page, CMDB, PREDICT_PAGE, GObject)

struct _CmdbPredictPage
{
  GObject parent_instance;
};

static void cmdb_predict_page_iface_init (CmdbPageInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbPredictPage, cmdb_predict_page, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_PAGE,
                                                               cmdb_predict_page_iface_init))

static void
cmdb_predict_page_iface_init (CmdbPageInterface *iface)
{
}

static void
cmdb_predict_page_class_init (CmdbPredictPageClass *klass)
{
}

static void
cmdb_predict_page_class_finalize (CmdbPredictPageClass *klass)
{
}

static void
cmdb_predict_page_init (CmdbPredictPage *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_predict_page_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_PAGE, CMDB_TYPE_PREDICT_PAGE);
}
