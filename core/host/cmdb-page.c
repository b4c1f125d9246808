#define G_LOG_DOMAIN "cmdb-host"

#include "cmdbuilder.h"
#include "base/cmdb-sync-call-private.h"

G_DEFINE_INTERFACE (CmdbPage, cmdb_page, G_TYPE_OBJECT)

static void
cmdb_page_default_init (CmdbPageInterface *iface)
{
}

void
cmdb_page_add_overrides (CmdbPage *self, CmdbContext *context, JsonObject *values,
                         GPtrArray *overrides)
{
  CmdbPageInterface *iface;

  g_return_if_fail (CMDB_IS_PAGE (self));
  g_return_if_fail (overrides != NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->add_overrides != NULL)
    iface->add_overrides (self, context, values, overrides);
}

void
cmdb_page_validate (CmdbPage *self, CmdbContext *context, JsonObject *values, GPtrArray *problems)
{
  CmdbPageInterface *iface;

  g_return_if_fail (CMDB_IS_PAGE (self));
  g_return_if_fail (problems != NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->validate != NULL)
    iface->validate (self, context, values, problems);
}

GPtrArray *
cmdb_page_list_actions (CmdbPage *self)
{
  CmdbPageInterface *iface;
  GPtrArray *actions = NULL;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->list_actions != NULL)
    actions = iface->list_actions (self);
  return actions != NULL ? actions : g_ptr_array_new_with_free_func (g_free);
}

static void
report_no_action (CmdbPage *self, const char *action_id, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  g_task_report_new_error (self, callback, user_data, cmdb_page_run_action_async, G_IO_ERROR,
                           G_IO_ERROR_NOT_SUPPORTED, "this page has no action '%s'", action_id);
}

void
cmdb_page_run_action_async (CmdbPage *self, CmdbContext *context, const char *action_id,
                            JsonObject *params, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  CmdbPageInterface *iface;
  g_autoptr (GTask) task = NULL;
  GError *error = NULL;
  JsonObject *result;

  g_return_if_fail (CMDB_IS_PAGE (self));
  g_return_if_fail (action_id != NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->run_action_async != NULL)
    {
      iface->run_action_async (self, context, action_id, params, cancellable, callback, user_data);
      return;
    }
  if (iface->run_action == NULL)
    {
      report_no_action (self, action_id, callback, user_data);
      return;
    }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cmdb_page_run_action_async);
  result = iface->run_action (self, context, action_id, params, &error);
  if (result != NULL)
    g_task_return_pointer (task, result, (GDestroyNotify) json_object_unref);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "the action failed");
}

JsonObject *
cmdb_page_run_action_finish (CmdbPage *self, GAsyncResult *result, GError **error)
{
  CmdbPageInterface *iface;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->run_action_finish != NULL
      && !g_async_result_is_tagged (result, cmdb_page_run_action_async))
    return iface->run_action_finish (self, result, error);
  return g_task_propagate_pointer (G_TASK (result), error);
}

JsonObject *
cmdb_page_run_action (CmdbPage *self, CmdbContext *context, const char *action_id,
                      JsonObject *params, GError **error)
{
  CmdbPageInterface *iface;
  g_autoptr (GAsyncResult) result = NULL;
  CmdbSyncCall call;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);
  g_return_val_if_fail (action_id != NULL, NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->run_action_async == NULL && iface->run_action == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "this page has no action '%s'",
                   action_id);
      return NULL;
    }
  if (iface->run_action != NULL)
    return iface->run_action (self, context, action_id, params, error);
  cmdb_sync_call_begin (&call);
  cmdb_page_run_action_async (self, context, action_id, params, NULL, cmdb_sync_call_done, &call);
  result = cmdb_sync_call_wait (&call);
  return cmdb_page_run_action_finish (self, result, error);
}

JsonObject *
cmdb_page_infer_values (CmdbPage *self, CmdbContext *context, JsonObject *values)
{
  CmdbPageInterface *iface;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  return iface->infer_values != NULL ? iface->infer_values (self, context, values) : NULL;
}

JsonObject *
cmdb_page_get_rules (CmdbPage *self)
{
  CmdbPageInterface *iface;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  return iface->get_rules != NULL ? iface->get_rules (self) : NULL;
}
