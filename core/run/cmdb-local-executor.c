#define G_LOG_DOMAIN "cmdb-run"

#include "cmdb-run-private.h"

#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long start() waits for the supervisor to report: spawning a command
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

/* Reads the supervisor's report: everything until it closes the pipe. */
static char *
read_report (int fd, GError **error)
{
  GString *report = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + READY_TIMEOUT_MS * 1000;

  for (;;)
    {
      char buffer[256];
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      int ready;
      gssize n;

      if (left_ms <= 0)
        {
          g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                       "the supervisor did not report within %d s", READY_TIMEOUT_MS / 1000);
          g_string_free (report, TRUE);
          return NULL;
        }
      ready = poll (&pfd, 1, (int) left_ms);
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready == 0)
        continue;
      n = read (fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      /* Bounded: the report is one short line. */
      if (report->len < 4096)
        g_string_append_len (report, buffer, n);
    }
  return g_string_free (report, FALSE);
}

static gboolean
local_start (CmdbExecutor *executor, CmdbRun *run, GError **error)
{
  CmdbLocalExecutor *self = CMDB_LOCAL_EXECUTOR (executor);
  const char *argv[]
      = { self->program, "supervise", "--ready-fd", "3", cmdb_run_get_directory (run), NULL };
  int pipe_fds[2];
  int source_fds[1];
  int target_fds[1] = { 3 };
  GPid pid = 0;
  int wait_status = 0;
  g_autofree char *report = NULL;
  gboolean spawned;

  if (self->program == NULL)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                   "cannot find the cmdbuilder program to supervise the run");
      return FALSE;
    }
  if (!g_unix_open_pipe (pipe_fds, FD_CLOEXEC, error))
    return FALSE;
  source_fds[0] = pipe_fds[1];
  /* The supervisor's stdio is /dev/null: it must hold none of our
   * descriptors (a pipe to whoever reads our output would never close). */
  spawned = g_spawn_async_with_pipes_and_fds (
      cmdb_run_get_directory (run), argv, NULL,
      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL
          | G_SPAWN_STDERR_TO_DEV_NULL,
      NULL, NULL, -1, -1, -1, source_fds, target_fds, 1, &pid, NULL, NULL, NULL, error);
  close (pipe_fds[1]);
  if (!spawned)
    {
      close (pipe_fds[0]);
      g_prefix_error (error, "cannot start the supervisor: ");
      return FALSE;
    }
  /* The spawned process forks the real supervisor and exits at once. */
  while (waitpid (pid, &wait_status, 0) < 0 && errno == EINTR)
    ;
  report = read_report (pipe_fds[0], error);
  close (pipe_fds[0]);
  if (report == NULL)
    return FALSE;
  g_strchomp (report);
  if (g_str_equal (report, "started") || g_str_equal (report, "failed"))
    return TRUE;
  if (report[0] == '\0')
    g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                 "the supervisor exited before starting the command");
  else
    g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START, "%s", report);
  return FALSE;
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
  GPid pid = (GPid) cmdb_run_get_int (run, "supervisor_pid", 0);

  if (!supervisor_alive (run))
    {
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
    return g_get_real_time () - cmdb_run_get_created_time (run) < UNSTARTED_GRACE_USEC;
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
  iface->start = local_start;
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
