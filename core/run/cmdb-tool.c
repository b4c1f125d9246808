#define G_LOG_DOMAIN "cmdb-run"

#include "cmdb-run-private.h"

/* External tools of executors (a cluster's sbatch, scontrol, ...), run
 * without blocking the caller's main loop: a GSubprocess whose output is
 * collected asynchronously, a timeout after which it is killed, and a
 * cancellable. Completions are dispatched on the thread-default main
 * context of the caller of cmdb_tool_run_async(). */

struct _CmdbToolResult
{
  char *out;
  char *err;
  int status;
};

typedef struct
{
  GSubprocess *process;
  char *tool; /* argv[0], for messages */
  guint timeout_ms;
  GSource *timeout;        /* (nullable) */
  GCancellable *operation; /* cancelled on timeout or by the caller */
  GCancellable *caller;    /* (nullable) */
  gulong caller_handler;
  gboolean timed_out;
  CmdbToolResult *result; /* (nullable) once communicated */
} ToolCall;

void
cmdb_tool_result_free (CmdbToolResult *result)
{
  if (result == NULL)
    return;
  g_free (result->out);
  g_free (result->err);
  g_free (result);
}

const char *
cmdb_tool_result_get_stdout (CmdbToolResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  return result->out;
}

const char *
cmdb_tool_result_get_stderr (CmdbToolResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  return result->err;
}

int
cmdb_tool_result_get_status (CmdbToolResult *result)
{
  g_return_val_if_fail (result != NULL, -1);
  return result->status;
}

static void
tool_call_free (ToolCall *call)
{
  if (call->timeout != NULL)
    {
      g_source_destroy (call->timeout);
      g_source_unref (call->timeout);
    }
  if (call->caller != NULL)
    g_cancellable_disconnect (call->caller, call->caller_handler);
  g_clear_object (&call->caller);
  g_clear_object (&call->operation);
  g_clear_object (&call->process);
  g_free (call->tool);
  cmdb_tool_result_free (call->result);
  g_free (call);
}

static char *
bytes_text (GBytes *bytes)
{
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  return data != NULL ? g_utf8_make_valid (data, (gssize) size) : g_strdup ("");
}

/* Kills the tool; its pipes close and the collection ends. */
static void
abandon (ToolCall *call)
{
  g_subprocess_force_exit (call->process);
  g_cancellable_cancel (call->operation);
}

static gboolean
on_tool_timeout (gpointer user_data)
{
  GTask *task = user_data;
  ToolCall *call = g_task_get_task_data (task);

  call->timed_out = TRUE;
  g_clear_pointer (&call->timeout, g_source_unref);
  abandon (call);
  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable *cancellable, gpointer user_data)
{
  ToolCall *call = user_data;

  /* Only signals here (it may run in another thread); the collection
   * completes with G_IO_ERROR_CANCELLED on the caller's context. */
  g_subprocess_force_exit (call->process);
  g_cancellable_cancel (call->operation);
}

static void
return_interrupted (GTask *task, ToolCall *call, GError *error)
{
  if (call->timed_out)
    {
      g_autofree char *limit = call->timeout_ms % 1000 == 0
                                   ? g_strdup_printf ("%u s", call->timeout_ms / 1000)
                                   : g_strdup_printf ("%.1f s", call->timeout_ms / 1000.0);

      g_clear_error (&error);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               "%s did not answer within %s (it was stopped)", call->tool, limit);
      return;
    }
  g_task_return_error (task, error);
}

static void
on_tool_waited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ToolCall *call = g_task_get_task_data (task);
  GSubprocess *process = G_SUBPROCESS (source);
  GError *error = NULL;

  if (!g_subprocess_wait_finish (process, result, &error))
    {
      return_interrupted (task, call, error);
      return;
    }
  if (call->timed_out)
    {
      return_interrupted (task, call, NULL);
      return;
    }
  call->result->status = g_subprocess_get_if_exited (process)
                             ? g_subprocess_get_exit_status (process)
                             : 128 + g_subprocess_get_term_sig (process);
  g_task_return_pointer (task, g_steal_pointer (&call->result),
                         (GDestroyNotify) cmdb_tool_result_free);
}

static void
on_tool_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ToolCall *call = g_task_get_task_data (task);
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GBytes) err = NULL;
  GError *error = NULL;

  if (!g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &out, &err, &error))
    {
      return_interrupted (task, call, error);
      return;
    }
  call->result = g_new0 (CmdbToolResult, 1);
  call->result->out = bytes_text (out);
  call->result->err = bytes_text (err);
  /* The pipes closed; the exit status follows at once (or the timeout
   * still applies to a tool that closed its output and kept running). */
  g_subprocess_wait_async (call->process, call->operation, on_tool_waited, g_steal_pointer (&task));
}

void
cmdb_tool_run_async (const char *const *argv, const char *cwd, guint timeout_ms,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GError) error = NULL;
  ToolCall *call;

  g_return_if_fail (argv != NULL && argv[0] != NULL);
  g_task_set_source_tag (task, cmdb_tool_run_async);
  call = g_new0 (ToolCall, 1);
  call->tool = g_strdup (argv[0]);
  call->timeout_ms = timeout_ms;
  call->operation = g_cancellable_new ();
  g_task_set_task_data (task, call, (GDestroyNotify) tool_call_free);

  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, cwd);
  call->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (call->process == NULL)
    {
      if (g_error_matches (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s was not found in PATH",
                                 argv[0]);
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot run %s: %s", argv[0],
                                 error->message);
      return;
    }
  if (cancellable != NULL)
    {
      call->caller = g_object_ref (cancellable);
      call->caller_handler
          = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled), call, NULL);
    }
  if (timeout_ms > 0)
    {
      call->timeout = g_timeout_source_new (timeout_ms);
      g_source_set_callback (call->timeout, on_tool_timeout, task, NULL);
      g_source_attach (call->timeout, g_task_get_context (task));
    }
  g_subprocess_communicate_async (call->process, NULL, call->operation, on_tool_communicated,
                                  g_steal_pointer (&task));
}

CmdbToolResult *
cmdb_tool_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
