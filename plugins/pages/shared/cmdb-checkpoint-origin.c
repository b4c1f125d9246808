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

JsonObject *
cmdb_checkpoint_origin_infer (CmdbContext *context, JsonObject *values)
{
  const char *checkpoint;
  g_autofree char *experiment = NULL;
  g_autoptr (CmdbCatalog) catalog = NULL;
  const char *best = NULL;
  const char *best_at = NULL;
  JsonObject *origin;

  if (values == NULL || !json_object_has_member (values, "checkpoint_path"))
    return NULL;
  checkpoint = json_object_get_string_member_with_default (values, "checkpoint_path", NULL);
  if (checkpoint == NULL || checkpoint[0] == '\0')
    return NULL;
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
