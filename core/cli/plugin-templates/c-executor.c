/* @ID@: a Command Builder executor plugin, a starting point.
 *
 * It runs a run's command on this machine, in the background, the way a
 * cluster executor submits a job: start_async() runs a small shell wrapper
 * through cmdb_tool_run_async() and reads the process id it prints (sbatch
 * prints a job id). The wrapper writes the run's stdout.log and stderr.log
 * and, once the command ends, its exit code to @ID@-exit in the run's
 * directory. Nothing watches the command: update_async() reads that file and
 * records the end, for whoever reads the run (the server in the background,
 * the CLI before each check), so a run survives the process that started it.
 *
 * To make it yours, replace the wrapper with your system's submission, and
 * what update_async() reads with its status query. Methods that may wait are
 * the _async ones: the server never waits on an executor (docs/plugins.md,
 * "The contract"). Executors are written in C only. */

#include <cmdbuilder/cmdbuilder.h>
#include <libpeas/peas.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#define @UPPER@_TYPE_EXECUTOR (@ID@_executor_get_type ())
G_DECLARE_FINAL_TYPE (@TYPE@, @ID@_executor, @UPPER@, EXECUTOR, GObject)

struct _@TYPE@
{
  GObject parent_instance;
};

/* The run's record keeps the process (group) id under this key. */
#define PID_KEY "@ID@_pid"
#define EXIT_FILE "@ID@-exit"
#define SUBMIT_TIMEOUT_MS 5000

/* $1: the run's directory, then the command. The command leads its own
 * process group (setsid), so stop() reaches everything it started; the
 * exit file is renamed into place, so a reader never sees half of it. */
static const char wrapper[]
    = "dir=$1; shift\n"
      "setsid sh -c '\"$@\" >\"$0/stdout.log\" 2>\"$0/stderr.log\" </dev/null\n"
      "echo $? >\"$0/" EXIT_FILE ".tmp\" && mv \"$0/" EXIT_FILE ".tmp\" \"$0/" EXIT_FILE "\"' \\\n"
      "  \"$dir\" \"$@\" </dev/null >/dev/null 2>&1 &\n"
      "echo $!\n";

static void
set_now (JsonObject *data, const char *key)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *text = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

  json_object_set_string_member (data, key, text);
}

static const char *
@ID@_get_id (CmdbExecutor *executor)
{
  return "@ID@";
}

/* The wrapper answered: record the run as running, or as failed to start
 * (a command that cannot start is the run's failure, not the executor's). */
static void
submitted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  CmdbRun *run = g_task_get_task_data (task);
  JsonObject *data = cmdb_run_get_data (run);
  g_autoptr (CmdbToolResult) tool = NULL;
  g_autoptr (GError) error = NULL;
  gint64 pid;

  tool = cmdb_tool_run_finish (result, &error);
  pid = tool != NULL && cmdb_tool_result_get_status (tool) == 0
            ? g_ascii_strtoll (cmdb_tool_result_get_stdout (tool), NULL, 10)
            : 0;
  if (pid > 0)
    {
      json_object_set_int_member (data, PID_KEY, pid);
      set_now (data, "started_at");
      cmdb_run_set_status (run, CMDB_RUN_STATUS_RUNNING);
    }
  else
    {
      cmdb_run_set_message (run, error != NULL ? error->message : "the wrapper printed no pid");
      set_now (data, "ended_at");
      cmdb_run_set_status (run, CMDB_RUN_STATUS_FAILED);
    }
  g_clear_error (&error);
  if (cmdb_run_save (run, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
@ID@_start_async (CmdbExecutor *executor, CmdbRun *run, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (executor, cancellable, callback, user_data);
  const char *const *command = cmdb_run_get_argv (run);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_task_set_task_data (task, cmdb_run_ref (run), (GDestroyNotify) cmdb_run_unref);
  g_ptr_array_add (argv, (char *) "sh");
  g_ptr_array_add (argv, (char *) "-c");
  g_ptr_array_add (argv, (char *) wrapper);
  g_ptr_array_add (argv, (char *) "sh");
  g_ptr_array_add (argv, (char *) cmdb_run_get_directory (run));
  for (guint i = 0; command[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) command[i]);
  g_ptr_array_add (argv, NULL);
  cmdb_tool_run_async ((const char *const *) argv->pdata, cmdb_run_get_working_directory (run),
                       SUBMIT_TIMEOUT_MS, cancellable, submitted, task);
}

static gboolean
@ID@_start_finish (CmdbExecutor *executor, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gint64
run_pid (CmdbRun *run)
{
  JsonObject *data = cmdb_run_get_data (run);

  return json_object_has_member (data, PID_KEY) ? json_object_get_int_member (data, PID_KEY) : 0;
}

static void
@ID@_stop_async (CmdbExecutor *executor, CmdbRun *run, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (executor, cancellable, callback, user_data);
  GError *error = NULL;
  gint64 pid = run_pid (run);

  if (pid <= 0)
    {
      g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING,
                               "run %s has no process", cmdb_run_get_id (run));
      return;
    }
  /* Recorded first: the end then reads as stopped, whoever sees it. */
  set_now (cmdb_run_get_data (run), "stop_requested_at");
  cmdb_run_set_status (run, CMDB_RUN_STATUS_STOPPING);
  if (!cmdb_run_save (run, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* The group, or the wrapper alone if it has not made its group yet. */
  if (kill (-(pid_t) pid, SIGTERM) != 0)
    kill ((pid_t) pid, SIGTERM);
  g_task_return_boolean (task, TRUE);
}

static gboolean
@ID@_stop_finish (CmdbExecutor *executor, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static char *
exit_file (CmdbRun *run)
{
  return g_build_filename (cmdb_run_get_directory (run), EXIT_FILE, NULL);
}

/* Answers from files and memory at once, as is_alive() must. */
static gboolean
@ID@_is_alive (CmdbExecutor *executor, CmdbRun *run)
{
  g_autofree char *path = exit_file (run);
  gint64 pid = run_pid (run);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE; /* ended: the next update records it */
  /* The wrapper's shell lives until the exit file is written. */
  return pid > 0 && (kill ((pid_t) pid, 0) == 0 || errno == EPERM);
}

/* Records the end once the exit file is there, or once a stopped command's
 * processes are gone. Reading one small file never waits. */
static void
@ID@_update_async (CmdbExecutor *executor, CmdbRun *run, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (executor, cancellable, callback, user_data);
  JsonObject *data = cmdb_run_get_data (run);
  g_autofree char *path = exit_file (run);
  g_autofree char *text = NULL;
  gboolean stopping = cmdb_run_get_status (run) == CMDB_RUN_STATUS_STOPPING;
  GError *error = NULL;

  if (cmdb_run_status_is_final (cmdb_run_get_status (run)))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (g_file_get_contents (path, &text, NULL, NULL))
    {
      int exit_code = atoi (text);

      json_object_set_int_member (data, "exit_code", exit_code);
      cmdb_run_set_status (run, stopping      ? CMDB_RUN_STATUS_STOPPED
                                : exit_code == 0 ? CMDB_RUN_STATUS_SUCCEEDED
                                                 : CMDB_RUN_STATUS_FAILED);
    }
  else if (stopping && !@ID@_is_alive (executor, run))
    cmdb_run_set_status (run, CMDB_RUN_STATUS_STOPPED);
  else
    {
      g_task_return_boolean (task, TRUE); /* still running */
      return;
    }
  set_now (data, "ended_at");
  if (cmdb_run_save (run, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
@ID@_update_finish (CmdbExecutor *executor, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
@ID@_executor_iface_init (CmdbExecutorInterface *iface)
{
  iface->get_id = @ID@_get_id;
  iface->start_async = @ID@_start_async;
  iface->start_finish = @ID@_start_finish;
  iface->stop_async = @ID@_stop_async;
  iface->stop_finish = @ID@_stop_finish;
  iface->is_alive = @ID@_is_alive;
  iface->update_async = @ID@_update_async;
  iface->update_finish = @ID@_update_finish;
}

G_DEFINE_DYNAMIC_TYPE_EXTENDED (@TYPE@, @ID@_executor, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_EXECUTOR,
                                                               @ID@_executor_iface_init))

static void
@ID@_executor_class_init (@TYPE@Class *klass)
{
}

static void
@ID@_executor_class_finalize (@TYPE@Class *klass)
{
}

static void
@ID@_executor_init (@TYPE@ *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  @ID@_executor_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_EXECUTOR, @UPPER@_TYPE_EXECUTOR);
}
