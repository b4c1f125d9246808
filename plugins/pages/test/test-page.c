/* The Test page: evaluation of a checkpoint.
 *
 * Its form, overrides and validation come from its schema (X-Schema in
 * test.plugin) and the core's schema engine; this module only supplies what
 * is specific to the page.
 */
#define G_LOG_DOMAIN "cmdb-page-test"

#include <cmdbuilder/cmdbuilder.h>
#include "cmdb-model-page-rules.h"
#include "cmdb-checkpoint-origin.h"
#include <libpeas/peas.h>

#define CMDB_TYPE_TEST_PAGE (cmdb_test_page_get_type ())
G_DECLARE_FINAL_TYPE (CmdbTestPage, cmdb_test_page, CMDB, TEST_PAGE, GObject)

struct _CmdbTestPage
{
  GObject parent_instance;
};

static void cmdb_test_page_iface_init (CmdbPageInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbTestPage, cmdb_test_page, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_PAGE,
                                                               cmdb_test_page_iface_init))

static JsonObject *
test_get_rules (CmdbPage *page)
{
  return cmdb_model_page_rules_new ();
}

/* A checkpoint's architecture and components: from the run that made it. */
static JsonObject *
test_infer_values (CmdbPage *page, CmdbContext *context, JsonObject *values)
{
  return cmdb_checkpoint_origin_infer (context, values);
}

static void
cmdb_test_page_iface_init (CmdbPageInterface *iface)
{
  iface->get_rules = test_get_rules;
  iface->infer_values = test_infer_values;
}

static void
cmdb_test_page_class_init (CmdbTestPageClass *klass)
{
}

static void
cmdb_test_page_class_finalize (CmdbTestPageClass *klass)
{
}

static void
cmdb_test_page_init (CmdbTestPage *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_test_page_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_PAGE, CMDB_TYPE_TEST_PAGE);
}
