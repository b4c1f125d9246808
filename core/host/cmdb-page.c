#define G_LOG_DOMAIN "cmdb-host"

#include "cmdbuilder.h"
#include "base/cmdb-sync-call-private.h"

G_DEFINE_INTERFACE (CmdbPage, cmdb_page, G_TYPE_OBJECT)

static void
cmdb_page_default_init (CmdbPageInterface *iface)
{
}

/* What a page method returned: NULL without an error (a Python exception
 * outside the helper base, None returned) is an error too; the array gets
 * the free function its elements need (an array made by Python has none). */
static GPtrArray *
page_result (const char *method, GPtrArray *result, GError *error, GDestroyNotify free_element,
             GError **ret_error)
{
  if (result == NULL)
    {
      if (error != NULL)
        g_propagate_error (ret_error, error);
      else
        g_set_error (ret_error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     "the page's %s returned nothing and no error (an exception? see the log)",
                     method);
      return NULL;
    }
  g_clear_error (&error);
  g_ptr_array_set_free_func (result, free_element);
  return result;
}

GPtrArray *
cmdb_page_add_overrides (CmdbPage *self, CmdbContext *context, JsonObject *values, GError **error)
{
  CmdbPageInterface *iface;
  GError *page_error = NULL;
  GPtrArray *overrides;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->add_overrides == NULL)
    return g_ptr_array_new_with_free_func (g_free);
  overrides = iface->add_overrides (self, context, values, &page_error);
  return page_result ("add_overrides", overrides, page_error, g_free, error);
}

GPtrArray *
cmdb_page_validate (CmdbPage *self, CmdbContext *context, JsonObject *values, GError **error)
{
  CmdbPageInterface *iface;
  GError *page_error = NULL;
  GPtrArray *problems;

  g_return_val_if_fail (CMDB_IS_PAGE (self), NULL);

  iface = CMDB_PAGE_GET_IFACE (self);
  if (iface->validate == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  problems = iface->validate (self, context, values, &page_error);
  return page_result ("validate", problems, page_error, (GDestroyNotify) cmdb_problem_free, error);
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
