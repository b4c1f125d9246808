#define G_LOG_DOMAIN "cmdb-page-shared"

#include "cmdb-checkpoint-origin.h"

#include <string.h>

/* The experiment directory's name: the path component before
 * "checkpoints" (outputs/<experiment>/checkpoints/<file>). */
static char *
experiment_of (const char *checkpoint)
{
  g_auto (GStrv) parts = g_strsplit (checkpoint, "/", -1);
  guint n = g_strv_length (parts);

  for (guint i = n; i-- > 1;)
    if (g_str_equal (parts[i], "checkpoints") && parts[i - 1][0] != '\0')
      return g_strdup (parts[i - 1]);
  return NULL;
}

/* The model keys a training run's record holds, as the Train page names
 * them (the Test and Predict pages use the same keys). */
static const char *const model_keys[] = { "architecture", "decoder", "encoder", "head", "loss" };

/* How many resumed runs are followed back to the one that chose the model. */
#define MAX_RESUMES 8

static JsonObject *origin_of (CmdbContext *context, const char *checkpoint, guint depth);

/* From the run history: the values of the Train run that wrote the
 * checkpoint (its experiment directory is the run's, and the file is
 * younger than the run). A run that resumed from a checkpoint records no
 * model (the form hides it: the checkpoint decides), so the checkpoint it
 * resumed from is asked in turn. */
static JsonObject *
origin_from_run (CmdbContext *context, const char *checkpoint, guint depth)
{
  g_autoptr (CmdbRun) run = cmdb_run_find_producer (context, checkpoint, "train");
  JsonNode *node;
  JsonObject *recorded;
  JsonObject *origin;
  const char *resumed_from;

  if (run == NULL)
    return NULL;
  node = json_object_get_member (cmdb_run_get_data (run), "values");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  recorded = json_node_get_object (node);
  if (json_object_get_string_member_with_default (recorded, "architecture", NULL) == NULL)
    {
      resumed_from = json_object_get_string_member_with_default (recorded, "checkpoint_path", NULL);
      if (!json_object_get_boolean_member_with_default (recorded, "resume_training", FALSE)
          || resumed_from == NULL || resumed_from[0] == '\0' || depth >= MAX_RESUMES
          || g_str_equal (resumed_from, checkpoint))
        return NULL;
      return origin_of (context, resumed_from, depth + 1);
    }
  origin = json_object_new ();
  for (guint i = 0; i < G_N_ELEMENTS (model_keys); i++)
    {
      const char *value
          = json_object_get_string_member_with_default (recorded, model_keys[i], NULL);

      if (value != NULL && value[0] != '\0')
        json_object_set_string_member (origin, model_keys[i], value);
    }
  return origin;
}

/* From the experiment name's suffix: -<architecture>-<decoder>-<encoder>. */
static JsonObject *
origin_from_name (CmdbContext *context, const char *checkpoint)
{
  g_autofree char *experiment = NULL;
  g_autoptr (CmdbCatalog) catalog = NULL;
  const char *best = NULL;
  const char *best_at = NULL;
  JsonObject *origin;

  experiment = experiment_of (checkpoint);
  if (experiment == NULL)
    return NULL;
  catalog = cmdb_context_get_architectures (context, NULL);
  if (catalog == NULL)
    return NULL;
  /* The suffix is the end of the name: the architecture whose "-<name>-"
   * starts last (dbnet and dbnetpp never both match: the dash after). */
  for (guint i = 0; i < cmdb_catalog_get_n_items (catalog); i++)
    {
      const char *name = cmdb_catalog_get_item (catalog, i)->name;
      g_autofree char *needle = g_strconcat ("-", name, "-", NULL);
      const char *at = g_strrstr (experiment, needle);

      if (at != NULL && (best_at == NULL || at > best_at))
        best = name, best_at = at;
    }
  if (best == NULL)
    return NULL;
  {
    const char *rest = best_at + strlen (best) + 2; /* <decoder>-<encoder> */
    const char *dash = strchr (rest, '-');
    g_autofree char *decoder = NULL;

    if (dash == NULL || dash == rest || dash[1] == '\0')
      return NULL;
    decoder = g_strndup (rest, dash - rest);
    origin = json_object_new ();
    json_object_set_string_member (origin, "architecture", best);
    json_object_set_string_member (origin, "decoder", decoder);
    json_object_set_string_member (origin, "encoder", dash + 1);
  }
  return origin;
}

static JsonObject *
origin_of (CmdbContext *context, const char *checkpoint, guint depth)
{
  JsonObject *origin = origin_from_run (context, checkpoint, depth);

  return origin != NULL ? origin : origin_from_name (context, checkpoint);
}

JsonObject *
cmdb_checkpoint_origin_infer (CmdbContext *context, JsonObject *values)
{
  const char *checkpoint;

  if (values == NULL || !json_object_has_member (values, "checkpoint_path"))
    return NULL;
  checkpoint = json_object_get_string_member_with_default (values, "checkpoint_path", NULL);
  if (checkpoint == NULL || checkpoint[0] == '\0')
    return NULL;
  return origin_of (context, checkpoint, 0);
}
