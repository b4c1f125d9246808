/* A test-only page (built as a third party would) whose schema uses only
 * models.decoders: activating it must map the decoders registry and no
 * other registry. */
#define G_LOG_DOMAIN "cmdb-test-decoder-lab"

#include <cmdbuilder/cmdbuilder.h>
#include <libpeas/peas.h>

#define CMDB_TYPE_DECODER_LAB_PAGE (cmdb_decoder_lab_page_get_type ())
G_DECLARE_FINAL_TYPE (CmdbDecoderLabPage, cmdb_decoder_lab_page, CMDB, DECODER_LAB_PAGE, GObject)

struct _CmdbDecoderLabPage
{
  GObject parent_instance;
};

static void cmdb_decoder_lab_page_iface_init (CmdbPageInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbDecoderLabPage, cmdb_decoder_lab_page, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_PAGE,
                                                               cmdb_decoder_lab_page_iface_init))

static GPtrArray *
add_overrides (CmdbPage *page, CmdbContext *context, JsonObject *values, GError **error)
{
  GPtrArray *overrides = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (overrides, g_strdup ("+lab=decoder"));
  return overrides;
}

static void
cmdb_decoder_lab_page_iface_init (CmdbPageInterface *iface)
{
  iface->add_overrides = add_overrides;
}

static void
cmdb_decoder_lab_page_class_init (CmdbDecoderLabPageClass *klass)
{
}

static void
cmdb_decoder_lab_page_class_finalize (CmdbDecoderLabPageClass *klass)
{
}

static void
cmdb_decoder_lab_page_init (CmdbDecoderLabPage *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_decoder_lab_page_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_PAGE, CMDB_TYPE_DECODER_LAB_PAGE);
}
