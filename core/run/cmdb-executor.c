#define G_LOG_DOMAIN "cmdb-run"

#include "cmdb-run-private.h"
#include "base/cmdb-sync-call-private.h"

/* The executor interface's wrappers. Each method has a synchronous and an
 * _async form; an executor implements one of them and the wrapper provides
 * the other (cmdb-executor.h):
 *   - the _async wrapper of a synchronous method calls it and completes the
 *     task at once;
 *   - the synchronous wrapper of an _async method runs it on a private main
 *     context (cmdb-sync-call-private.h). Only the CLI and tests use it. */

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

static void
no_method (CmdbExecutor *self, GAsyncReadyCallback callback, gpointer user_data, gpointer tag,
           gint code, const char *what)
{
  g_task_report_new_error (self, callback, user_data, tag, CMDB_RUN_ERROR, code,
                           "executor '%s' cannot %s", cmdb_executor_get_id (self), what);
}

/* ---- start and stop: one pair of forms for each, the same wrappers ---- */

/* The two forms of a method that takes a run and returns a boolean. */
typedef struct
{
  gboolean (*sync) (CmdbExecutor *self, CmdbRun *run, GError **error);
  void (*async) (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*finish) (CmdbExecutor *self, GAsyncResult *result, GError **error);
} RunMethod;

static RunMethod
start_method (CmdbExecutorInterface *iface)
{
  return (RunMethod){ iface->start, iface->start_async, iface->start_finish };
}

static RunMethod
stop_method (CmdbExecutorInterface *iface)
{
  return (RunMethod){ iface->stop, iface->stop_async, iface->stop_finish };
}

/* The _async wrapper: the executor's _async form, else its synchronous one
 * completing at once; @tag marks the results this wrapper made. */
static void
run_method_async (CmdbExecutor *self, RunMethod method, CmdbRun *run, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data, gpointer tag, gint code,
                  const char *what)
{
  g_autoptr (GTask) task = NULL;
  GError *error = NULL;

  if (method.async != NULL)
    {
      method.async (self, run, cancellable, callback, user_data);
      return;
    }
  if (method.sync == NULL)
    {
      no_method (self, callback, user_data, tag, code, what);
      return;
    }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tag);
  if (method.sync (self, run, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
run_method_finish (CmdbExecutor *self, RunMethod method, GAsyncResult *result, gpointer tag,
                   GError **error)
{
  if (method.finish != NULL && !g_async_result_is_tagged (result, tag))
    return method.finish (self, result, error);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cmdb_executor_start_async (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CMDB_IS_EXECUTOR (self));
  run_method_async (self, start_method (CMDB_EXECUTOR_GET_IFACE (self)), run, cancellable, callback,
                    user_data, cmdb_executor_start_async, CMDB_RUN_ERROR_START, "start runs");
}

gboolean
cmdb_executor_start_finish (CmdbExecutor *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  return run_method_finish (self, start_method (CMDB_EXECUTOR_GET_IFACE (self)), result,
                            cmdb_executor_start_async, error);
}

void
cmdb_executor_stop_async (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CMDB_IS_EXECUTOR (self));
  run_method_async (self, stop_method (CMDB_EXECUTOR_GET_IFACE (self)), run, cancellable, callback,
                    user_data, cmdb_executor_stop_async, CMDB_RUN_ERROR_FAILED, "stop runs");
}

gboolean
cmdb_executor_stop_finish (CmdbExecutor *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  return run_method_finish (self, stop_method (CMDB_EXECUTOR_GET_IFACE (self)), result,
                            cmdb_executor_stop_async, error);
}

/* The synchronous wrapper: the executor's synchronous form, else its _async
 * one driven on a private main context through the public wrappers. */
static gboolean
run_method_sync (CmdbExecutor *self, RunMethod method, CmdbRun *run,
                 void (*wrapper_async) (CmdbExecutor *, CmdbRun *, GCancellable *,
                                        GAsyncReadyCallback, gpointer),
                 gboolean (*wrapper_finish) (CmdbExecutor *, GAsyncResult *, GError **),
                 GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  CmdbSyncCall call;

  if (method.sync != NULL)
    return method.sync (self, run, error);
  cmdb_sync_call_begin (&call);
  wrapper_async (self, run, NULL, cmdb_sync_call_done, &call);
  result = cmdb_sync_call_wait (&call);
  return wrapper_finish (self, result, error);
}

gboolean
cmdb_executor_start (CmdbExecutor *self, CmdbRun *run, GError **error)
{
  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  return run_method_sync (self, start_method (CMDB_EXECUTOR_GET_IFACE (self)), run,
                          cmdb_executor_start_async, cmdb_executor_start_finish, error);
}

gboolean
cmdb_executor_stop (CmdbExecutor *self, CmdbRun *run, GError **error)
{
  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  return run_method_sync (self, stop_method (CMDB_EXECUTOR_GET_IFACE (self)), run,
                          cmdb_executor_stop_async, cmdb_executor_stop_finish, error);
}

/* ---- a sweep as one group ---- */

gboolean
cmdb_executor_can_start_group (CmdbExecutor *self)
{
  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  return CMDB_EXECUTOR_GET_IFACE (self)->start_group_async != NULL;
}

gboolean
cmdb_executor_start_group (CmdbExecutor *self, GPtrArray *runs, guint parallel, GError **error)
{
  CmdbExecutorInterface *iface;
  g_autoptr (GAsyncResult) result = NULL;
  CmdbSyncCall call;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->start_group_async == NULL || iface->start_group_finish == NULL)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                   "executor '%s' cannot start a group of runs", cmdb_executor_get_id (self));
      return FALSE;
    }
  cmdb_sync_call_begin (&call);
  iface->start_group_async (self, runs, parallel, NULL, cmdb_sync_call_done, &call);
  result = cmdb_sync_call_wait (&call);
  return iface->start_group_finish (self, result, error);
}

/* ---- status ---- */

gboolean
cmdb_executor_is_alive (CmdbExecutor *self, CmdbRun *run)
{
  CmdbExecutorInterface *iface;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), TRUE);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  return iface->is_alive == NULL || iface->is_alive (self, run);
}

gboolean
cmdb_executor_has_update (CmdbExecutor *self)
{
  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  return CMDB_EXECUTOR_GET_IFACE (self)->update_async != NULL;
}

void
cmdb_executor_update_async (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  CmdbExecutorInterface *iface;
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (CMDB_IS_EXECUTOR (self));
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->update_async != NULL)
    {
      iface->update_async (self, run, cancellable, callback, user_data);
      return;
    }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cmdb_executor_update_async);
  g_task_return_boolean (task, TRUE);
}

gboolean
cmdb_executor_update_finish (CmdbExecutor *self, GAsyncResult *result, GError **error)
{
  CmdbExecutorInterface *iface;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->update_finish != NULL
      && !g_async_result_is_tagged (result, cmdb_executor_update_async))
    return iface->update_finish (self, result, error);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
cmdb_executor_update (CmdbExecutor *self, CmdbRun *run, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  CmdbSyncCall call;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), FALSE);
  if (!cmdb_executor_has_update (self))
    return TRUE;
  cmdb_sync_call_begin (&call);
  cmdb_executor_update_async (self, run, NULL, cmdb_sync_call_done, &call);
  result = cmdb_sync_call_wait (&call);
  return cmdb_executor_update_finish (self, result, error);
}

/* ---- option form ---- */

CmdbSchema *
cmdb_executor_load_options_form (CmdbExecutor *self, CmdbCache *cache, GError **error)
{
  CmdbExecutorInterface *iface;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), NULL);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->load_options_form == NULL)
    return NULL;
  return iface->load_options_form (self, cache, error);
}

/* ---- option checks ---- */

void
cmdb_executor_check_options_async (CmdbExecutor *self, JsonObject *options,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  CmdbExecutorInterface *iface;
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (CMDB_IS_EXECUTOR (self));
  g_return_if_fail (options != NULL);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->check_options_async != NULL)
    {
      iface->check_options_async (self, options, cancellable, callback, user_data);
      return;
    }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cmdb_executor_check_options_async);
  g_task_return_pointer (task,
                         iface->check_options != NULL ? iface->check_options (self, options)
                                                      : json_object_new (),
                         (GDestroyNotify) json_object_unref);
}

JsonObject *
cmdb_executor_check_options_finish (CmdbExecutor *self, GAsyncResult *result, GError **error)
{
  CmdbExecutorInterface *iface;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), NULL);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->check_options_finish != NULL
      && !g_async_result_is_tagged (result, cmdb_executor_check_options_async))
    return iface->check_options_finish (self, result, error);
  return g_task_propagate_pointer (G_TASK (result), error);
}

JsonObject *
cmdb_executor_check_options (CmdbExecutor *self, JsonObject *options)
{
  CmdbExecutorInterface *iface;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *problems;
  CmdbSyncCall call;

  g_return_val_if_fail (CMDB_IS_EXECUTOR (self), NULL);
  g_return_val_if_fail (options != NULL, NULL);
  iface = CMDB_EXECUTOR_GET_IFACE (self);
  if (iface->check_options_async == NULL)
    return iface->check_options != NULL ? iface->check_options (self, options) : json_object_new ();
  cmdb_sync_call_begin (&call);
  cmdb_executor_check_options_async (self, options, NULL, cmdb_sync_call_done, &call);
  result = cmdb_sync_call_wait (&call);
  problems = cmdb_executor_check_options_finish (self, result, &error);
  if (problems == NULL)
    {
      g_debug ("checking the options of executor '%s' failed: %s", cmdb_executor_get_id (self),
               error->message);
      problems = json_object_new ();
    }
  return problems;
}
