#define G_LOG_DOMAIN "cmdb-sweep"

#include "sweep/cmdb-sweep-private.h"
#include "schema/cmdb-schema-private.h"

#include <string.h>

G_DEFINE_QUARK (cmdb - sweep - error - quark, cmdb_sweep_error)

void
cmdb_sweep_axis_free (CmdbSweepAxis *axis)
{
  if (axis == NULL)
    return;
  g_free (axis->key);
  g_clear_pointer (&axis->values, g_ptr_array_unref);
  g_free (axis);
}

CmdbSweepAxis *
cmdb_sweep_axis_parse (const char *spec, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (CmdbHydraOverride) override = cmdb_hydra_override_parse (spec, &local_error);
  g_autoptr (CmdbSweepAxis) axis = NULL;

  if (override == NULL)
    {
      g_set_error (error, CMDB_SWEEP_ERROR, CMDB_SWEEP_ERROR_PARSE, "--sweep %s: %s", spec,
                   local_error->message);
      return NULL;
    }
  if (override->type != CMDB_HYDRA_OVERRIDE_CHANGE || override->key[0] == '\0'
      || override->package != NULL || !override->has_value)
    {
      g_set_error (error, CMDB_SWEEP_ERROR, CMDB_SWEEP_ERROR_PARSE,
                   "--sweep %s: expected KEY=a,b,c or KEY=range(start,stop,step), KEY a form key",
                   spec);
      return NULL;
    }
  axis = g_new0 (CmdbSweepAxis, 1);
  axis->key = g_strdup (override->key);
  axis->values = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  if (override->value_type != CMDB_HYDRA_VALUE_SWEEP)
    {
      g_ptr_array_add (axis->values, json_node_copy (override->value));
      return g_steal_pointer (&axis);
    }
  if (override->sweep_kind != CMDB_HYDRA_SWEEP_CHOICE
      && override->sweep_kind != CMDB_HYDRA_SWEEP_RANGE)
    {
      g_set_error (error, CMDB_SWEEP_ERROR, CMDB_SWEEP_ERROR_PARSE,
                   "--sweep %s: interval() and glob() give no list of values to run; use a,b,c "
                   "or range()",
                   spec);
      return NULL;
    }
  {
    JsonArray *values = json_node_get_array (override->value);

    for (guint i = 0; i < json_array_get_length (values); i++)
      g_ptr_array_add (axis->values, json_node_copy (json_array_get_element (values, i)));
  }
  if (axis->values->len == 0)
    {
      g_set_error (error, CMDB_SWEEP_ERROR, CMDB_SWEEP_ERROR_PARSE, "--sweep %s: no values", spec);
      return NULL;
    }
  return g_steal_pointer (&axis);
}

char *
cmdb_sweep_value_text (JsonNode *value)
{
  return cmdb_format_scalar (value);
}

guint64
cmdb_sweep_count (GPtrArray *axes)
{
  guint64 count = 1;

  for (guint i = 0; i < axes->len; i++)
    {
      guint n = ((CmdbSweepAxis *) g_ptr_array_index (axes, i))->values->len;

      if (n != 0 && count > G_MAXUINT64 / n)
        return G_MAXUINT64;
      count *= n;
    }
  return count;
}

GPtrArray *
cmdb_sweep_expand (GPtrArray *axes, guint limit, GError **error)
{
  guint64 count = cmdb_sweep_count (axes);
  GPtrArray *members;

  for (guint i = 0; i < axes->len; i++)
    for (guint j = 0; j < i; j++)
      if (g_str_equal (((CmdbSweepAxis *) g_ptr_array_index (axes, i))->key,
                       ((CmdbSweepAxis *) g_ptr_array_index (axes, j))->key))
        {
          g_set_error (error, CMDB_SWEEP_ERROR, CMDB_SWEEP_ERROR_PARSE,
                       "--sweep %s is given twice; list its values once (KEY=a,b,c)",
                       ((CmdbSweepAxis *) g_ptr_array_index (axes, i))->key);
          return NULL;
        }
  if (count > limit)
    {
      g_set_error (error, CMDB_SWEEP_ERROR, CMDB_SWEEP_ERROR_LIMIT,
                   "the sweep has %" G_GUINT64_FORMAT
                   " members, more than the limit of %u ([sweep] limit in cmdbuilder.ini)",
                   count, limit);
      return NULL;
    }
  members = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  for (guint64 index = 0; index < count; index++)
    {
      JsonObject *member = json_object_new ();
      guint64 rest = index;

      /* The last axis varies fastest: take the digits from the right. */
      for (guint i = axes->len; i-- > 0;)
        {
          CmdbSweepAxis *axis = g_ptr_array_index (axes, i);
          guint n = axis->values->len;

          json_object_set_member (member, axis->key,
                                  json_node_copy (g_ptr_array_index (axis->values, rest % n)));
          rest /= n;
        }
      g_ptr_array_add (members, member);
    }
  return members;
}

guint
cmdb_sweep_get_limit (CmdbConfig *config)
{
  gint64 limit = cmdb_config_get_int (config, "sweep", "limit", CMDB_SWEEP_DEFAULT_LIMIT);

  return limit > 0 && limit <= G_MAXUINT ? (guint) limit : CMDB_SWEEP_DEFAULT_LIMIT;
}
