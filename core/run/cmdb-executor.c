#define G_LOG_DOMAIN "cmdb-run"

#include "cmdb-run-private.h"

G_DEFINE_INTERFACE (CmdbExecutor, cmdb_executor, G_TYPE_OBJECT)

static void
cmdb_executor_default_init (CmdbExecutorInterface *iface)
{
}

const char *
cmdb_executor_get_id (CmdbExecutor *self)
{
  CmdbExecutorInterface *iface;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), NULL);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  g_return_val_if_fail (iface->get_id != NULL, NULL);
  return iface->get_id (self);
}

gboolean
cmdb_executor_start (CmdbExecutor *self, CmdbRun *run, GError **error)
{
  CmdbExecutorInterface *iface;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->start == NULL)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START, "executor '%s' cannot start runs",
                   cmdb_executor_get_id (self));
      return FALSE;
    }
  return iface->start (self, run, error);
}

gboolean
cmdb_executor_stop (CmdbExecutor *self, CmdbRun *run, GError **error)
{
  CmdbExecutorInterface *iface;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->stop == NULL)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, "executor '%s' cannot stop runs",
                   cmdb_executor_get_id (self));
      return FALSE;
    }
  return iface->stop (self, run, error);
}

gboolean
cmdb_executor_is_alive (CmdbExecutor *self, CmdbRun *run)
{
  CmdbExecutorInterface *iface;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), TRUE);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  return iface->is_alive == NULL || iface->is_alive (self, run);
}

JsonObject *
cmdb_executor_check_options (CmdbExecutor *self, JsonObject *options)
{
  CmdbExecutorInterface *iface;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), NULL);
  g_return_val_if_fail (options != NULL, NULL);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->check_options == NULL)
    return json_object_new ();
  return iface->check_options (self, options);
}
