/* The Train page: training commands (the experiment-name suffix is on by
 * default, see X-Suffix).
 *
 * Its form and overrides come from its schema (X-Schema in train.plugin),
 * the model pages' shared rules (../shared) and the core's schema engine;
 * this module supplies what is specific to training: a resumed run keeps
 * the checkpoint's encoder.
 */
#define G_LOG_DOMAIN "cmdb-page-train"

#include <cmdbuilder/cmdbuilder.h>
#include "cmdb-model-page-rules.h"
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

static JsonObject *
train_get_rules (CmdbPage *page)
{
  return cmdb_model_page_rules_new ();
}

static gboolean
value_is_true (JsonObject *values, const char *key)
{
  JsonNode *node = json_object_get_member (values, key);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static gboolean
value_is_set (JsonObject *values, const char *key)
{
  JsonNode *node = json_object_get_member (values, key);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node)[0] != '\0';
  return TRUE;
}

/* Resuming continues the checkpoint's model: a different encoder cannot
 * be loaded into it (only schemas that leave the encoder visible while
 * resuming can get here; the bundled one hides it). */
static GPtrArray *
train_validate (CmdbPage *page, CmdbContext *context, JsonObject *values, GError **error)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);

  if (value_is_true (values, "resume_training") && value_is_set (values, "checkpoint_path")
      && value_is_set (values, "encoder"))
    g_ptr_array_add (problems,
                     cmdb_problem_new (CMDB_SEVERITY_ERROR, NULL, 0, 0, "encoder",
                                       "Cannot change Encoder when resuming from a checkpoint."));
  return problems;
}

static void
cmdb_train_page_iface_init (CmdbPageInterface *iface)
{
  iface->get_rules = train_get_rules;
  iface->validate = train_validate;
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
