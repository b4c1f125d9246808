#define G_LOG_DOMAIN "cmdb-run"

#include "cmdb-run-private.h"

#include <glib-unix.h>
#include <gio/gunixinputstream.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a start waits for the supervisor to report: spawning a command
 * takes milliseconds; this only guards against a supervisor that hangs. */
#define READY_TIMEOUT_MS 30000
/* A run created but not yet adopted by a supervisor is not lost before
 * this much time: another process may be starting it right now. */
#define UNSTARTED_GRACE_USEC (60 * G_USEC_PER_SEC)

struct _CmdbLocalExecutor
{
  GObject parent_instance;
  char *program;
};

static void executor_iface_init (CmdbExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CmdbLocalExecutor, cmdb_local_executor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CMDB_TYPE_EXECUTOR, executor_iface_init))

static void
cmdb_local_executor_finalize (GObject *object)
{
  CmdbLocalExecutor *self = CMDB_LOCAL_EXECUTOR (object);

  g_free (self->program);
  G_OBJECT_CLASS (cmdb_local_executor_parent_class)->finalize (object);
}

static void
cmdb_local_executor_class_init (CmdbLocalExecutorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cmdb_local_executor_finalize;
}

static void
cmdb_local_executor_init (CmdbLocalExecutor *self)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *base = self_exe != NULL ? g_path_get_basename (self_exe) : NULL;

  /* The server and the CLI are cmdbuilder themselves; anything else that
   * links the library (an embedder, a test) names the program. */
  if (base != NULL && g_str_equal (base, "cmdbuilder"))
    self->program = g_steal_pointer (&self_exe);
  else
    self->program = g_find_program_in_path ("cmdbuilder");
}

CmdbExecutor *
cmdb_local_executor_new (void)
{
  return g_object_new (CMDB_TYPE_LOCAL_EXECUTOR, NULL);
}

void
cmdb_local_executor_set_program (CmdbLocalExecutor *self, const char *program)
{
  g_return_if_fail (CMDB_IS_LOCAL_EXECUTOR (self));
  g_free (self->program);
  self->program = g_strdup (program);
}

const char *
cmdb_local_executor_get_program (CmdbLocalExecutor *self)
{
  g_return_val_if_fail (CMDB_IS_LOCAL_EXECUTOR (self), NULL);
  return self->program;
}

static const char *
local_get_id (CmdbExecutor *executor)
{
  return "local";
}

/* Starting a run: the supervisor is spawned with the write end of a pipe as
 * fd 3 and reports on it ("started", "failed" or an error message) before
 * closing it. The report is read asynchronously, with a timeout, so the
 * caller's main loop keeps running. */
typedef struct
{
  GInputStream *report_stream;
  GString *report;
  GSource *timeout;
  GCancellable *reading; /* cancelled by the timeout */
  gboolean timed_out;
  char buffer[256];
} Start;

static void
start_free (Start *start)
{
  if (start->timeout != NULL)
    {
      g_source_destroy (start->timeout);
      g_source_unref (start->timeout);
    }
  g_clear_object (&start->report_stream);
  g_clear_object (&start->reading);
  g_string_free (start->report, TRUE);
  g_free (start);
}

static void
finish_start (GTask *task, Start *start)
{
  char *report = start->report->str;

  g_strchomp (report);
  if (g_str_equal (report, "started") || g_str_equal (report, "failed"))
    g_task_return_boolean (task, TRUE);
  else if (report[0] == '\0')
    g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                             "the supervisor exited before starting the command");
  else
    g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START, "%s", report);
}

static void
on_report_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Start *start = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n < 0)
    {
      if (start->timed_out)
        g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                                 "the supervisor did not report within %d s",
                                 READY_TIMEOUT_MS / 1000);
      else
        g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                                 "cannot read the supervisor's report: %s", error->message);
      return;
    }
  if (n == 0)
    {
      finish_start (task, start);
      return;
    }
  /* Bounded: the report is one short line. */
  if (start->report->len < 4096)
    g_string_append_len (start->report, start->buffer, n);
  g_input_stream_read_async (start->report_stream, start->buffer, sizeof start->buffer,
                             G_PRIORITY_DEFAULT, start->reading, on_report_read,
                             g_steal_pointer (&task));
}

static gboolean
on_report_timeout (gpointer user_data)
{
  Start *start = user_data;

  start->timed_out = TRUE;
  g_cancellable_cancel (start->reading);
  return G_SOURCE_REMOVE;
}

/* The spawned process forks the real supervisor and exits at once: reaped
 * here, on the caller's context, instead of waited for. */
static void
on_intermediate_exited (GPid pid, gint wait_status, gpointer user_data)
{
  g_spawn_close_pid (pid);
}

static void
local_start_async (CmdbExecutor *executor, CmdbRun *run, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  CmdbLocalExecutor *self = CMDB_LOCAL_EXECUTOR (executor);
  g_autoptr (GTask) task = g_task_new (executor, cancellable, callback, user_data);
  const char *argv[]
      = { self->program, "supervise", "--ready-fd", "3", cmdb_run_get_directory (run), NULL };
  int pipe_fds[2];
  int source_fds[1];
  int target_fds[1] = { 3 };
  GPid pid = 0;
  GError *error = NULL;
  GSource *child_watch;
  Start *start;
  gboolean spawned;

  if (self->program == NULL)
    {
      g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                               "cannot find the cmdbuilder program to supervise the run");
      return;
    }
  if (!g_unix_open_pipe (pipe_fds, FD_CLOEXEC, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  source_fds[0] = pipe_fds[1];
  /* The supervisor's stdio is /dev/null: it must hold none of our
   * descriptors (a pipe to whoever reads our output would never close). */
  spawned = g_spawn_async_with_pipes_and_fds (
      cmdb_run_get_directory (run), argv, NULL,
      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL
          | G_SPAWN_STDERR_TO_DEV_NULL,
      NULL, NULL, -1, -1, -1, source_fds, target_fds, 1, &pid, NULL, NULL, NULL, &error);
  close (pipe_fds[1]);
  if (!spawned)
    {
      close (pipe_fds[0]);
      g_prefix_error (&error, "cannot start the supervisor: ");
      g_task_return_error (task, error);
      return;
    }
  child_watch = g_child_watch_source_new (pid);
  g_source_set_callback (child_watch, G_SOURCE_FUNC (on_intermediate_exited), NULL, NULL);
  g_source_attach (child_watch, g_task_get_context (task));
  g_source_unref (child_watch);

  start = g_new0 (Start, 1);
  start->report = g_string_new (NULL);
  start->report_stream = g_unix_input_stream_new (pipe_fds[0], TRUE);
  start->reading = g_cancellable_new ();
  start->timeout = g_timeout_source_new (READY_TIMEOUT_MS);
  g_source_set_callback (start->timeout, on_report_timeout, start, NULL);
  g_source_attach (start->timeout, g_task_get_context (task));
  g_task_set_task_data (task, start, (GDestroyNotify) start_free);
  g_input_stream_read_async (start->report_stream, start->buffer, sizeof start->buffer,
                             G_PRIORITY_DEFAULT, start->reading, on_report_read,
                             g_steal_pointer (&task));
}

static gboolean
local_start_finish (CmdbExecutor *executor, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
supervisor_alive (CmdbRun *run)
{
  GPid pid = (GPid) cmdb_run_get_int (run, "supervisor_pid", 0);
  const char *needles[] = { "supervise", cmdb_run_get_id (run), NULL };

  /* The command line check guards against a recycled pid. The directory is
   * matched by its last component: another process may spell the
   * workspace differently (a symlink). */
  return pid > 0 && cmdb_run_process_matches (pid, needles);
}

static gboolean
local_stop (CmdbExecutor *executor, CmdbRun *run, GError **error)
{
  g_autoptr (CmdbRun) latest = NULL;
  GPid pid = (GPid) cmdb_run_get_int (run, "supervisor_pid", 0);

  /* Not adopted yet when the caller read it: the record may say more now.
   * A run no supervisor adopted has no leftovers to end: its command would
   * be stopped behind its supervisor's back (recorded failed, not
   * stopped). The caller asks again. */
  if (pid <= 0)
    {
      latest = cmdb_run_load_from_directory (cmdb_run_get_directory (run), NULL);
      if (latest != NULL)
        run = latest;
      pid = (GPid) cmdb_run_get_int (run, "supervisor_pid", 0);
      if (pid <= 0)
        {
          g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING,
                       "run %s has not started yet; stop it again in a moment",
                       cmdb_run_get_id (run));
          return FALSE;
        }
    }
  if (!supervisor_alive (run))
    {
      /* Killed (kill -9): what it started may still run, under init. */
      if (cmdb_run_end_leftovers (cmdb_run_get_id (run),
                                  MAX (cmdb_run_get_int (run, "stop_grace_ms", 5000), 0))
          > 0)
        return TRUE;
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING,
                   "run %s has no supervisor any more", cmdb_run_get_id (run));
      return FALSE;
    }
  /* The supervisor turns SIGTERM into the stop sequence (docs/runs.md). */
  if (kill (pid, SIGTERM) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED,
                   "cannot signal the supervisor of %s: %s", cmdb_run_get_id (run),
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
local_is_alive (CmdbExecutor *executor, CmdbRun *run)
{
  if (cmdb_run_get_int (run, "supervisor_pid", 0) <= 0)
    return g_get_real_time () - cmdb_run_get_unstarted_since (run) < UNSTARTED_GRACE_USEC;
  return supervisor_alive (run);
}

/* The local executor has no options: whatever is asked for is a problem. */
static JsonObject *
local_check_options (CmdbExecutor *executor, JsonObject *options)
{
  JsonObject *problems = json_object_new ();
  g_autoptr (GList) keys = json_object_get_members (options);

  for (GList *l = keys; l != NULL; l = l->next)
    json_object_set_string_member (problems, l->data, "the local executor takes no options");
  return problems;
}

static void
executor_iface_init (CmdbExecutorInterface *iface)
{
  iface->get_id = local_get_id;
  iface->start_async = local_start_async;
  iface->start_finish = local_start_finish;
  iface->stop = local_stop;
  iface->is_alive = local_is_alive;
  iface->check_options = local_check_options;
}

gboolean
cmdb_run_process_matches (GPid pid, const char *const *needles)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *cmdline_path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *stat = NULL;
  g_autofree char *cmdline = NULL;
  gsize length = 0;
  const char *paren;

  if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
    return FALSE;
  paren = strrchr (stat, ')');
  if (paren == NULL || paren[1] == '\0' || paren[2] == 'Z' || paren[2] == 'X')
    return FALSE;
  if (!g_file_get_contents (cmdline_path, &cmdline, &length, NULL))
    return FALSE;
  for (guint i = 0; needles[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (gsize at = 0; at < length && !found; at += strlen (cmdline + at) + 1)
        {
          const char *argument = cmdline + at;
          gsize argument_length = strlen (argument);
          gsize needle_length = strlen (needles[i]);

          found = g_str_equal (argument, needles[i])
                  || (argument_length > needle_length
                      && argument[argument_length - needle_length - 1] == '/'
                      && g_str_equal (argument + argument_length - needle_length, needles[i]));
        }
      if (!found)
        return FALSE;
    }
  return TRUE;
}
