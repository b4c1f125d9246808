#define G_LOG_DOMAIN "cmdb-sweep"

/* The local queue of a sweep (docs/sweeps.md, "The queue"). It belongs to a
 * detached process, `cmdbuilder sweep-supervise SWEEP_DIR`, so neither the
 * CLI that launched the sweep nor the server has to stay alive:
 *
 * - The supervisor holds an exclusive flock(2) of supervisor.lock in the
 *   sweep's directory for its whole life. That lock is the liveness test
 *   (a killed process releases it; a recycled pid cannot fake it), and it
 *   makes a second supervisor of the same sweep exit at once, so recovery
 *   may spawn one without asking who else does.
 * - Every member exists from the start as a queued run. The supervisor
 *   starts the next queued one (cmdb_run_dequeue: a run leaves the queue
 *   exactly once, even against a user cancelling it) while fewer than
 *   "parallel" members are unfinished, and exits when none is queued; a
 *   started member belongs to its own run supervisor.
 * - A stop of the sweep is recorded in the sweep record (stop_requested_at):
 *   whoever asks cancels the queued members and stops the running ones at
 *   once, and the supervisor, reading the request, starts nothing more and
 *   stops what it started meanwhile.
 * - Recovery (cmdb_sweep_recover): a sweep with queued members whose
 *   supervisor is gone (kill -9, a reboot) gets a new one from `serve` or
 *   from any command that lists sweeps. */

#include "cmdb-sweep-private.h"
#include "run/cmdb-run-private.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define SUPERVISOR_LOCK_NAME "supervisor.lock"
/* How often the supervisor looks at its members. */
#define TICK_USEC (150 * 1000)

gboolean
cmdb_sweep_supervisor_alive (CmdbSweep *sweep)
{
  g_autofree char *path
      = g_build_filename (cmdb_sweep_get_directory (sweep), SUPERVISOR_LOCK_NAME, NULL);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  gboolean held;

  if (fd < 0)
    return FALSE;
  held = flock (fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
  close (fd);
  return held;
}

/* A queue with no member queued any more, ended normally: recovery never
 * needs to look at its members again. */
static gboolean
queue_ended (CmdbSweep *sweep)
{
  JsonNode *node = json_object_get_member (cmdb_sweep_get_data (sweep), "queue_ended_at");

  return node != NULL && !JSON_NODE_HOLDS_NULL (node);
}

static gboolean
spawn_supervisor (CmdbRunStore *store, CmdbSweep *sweep, GError **error)
{
  CmdbContext *context = cmdb_run_store_get_context (store);
  const char *program = cmdb_run_store_get_supervisor_program (store);
  g_autofree char *state
      = g_strdup_printf ("workspace.state=%s", cmdb_context_get_state_dir (context));
  const char *argv[] = { program,
                         "sweep-supervise",
                         "--quiet",
                         "--workspace",
                         cmdb_context_get_root (context),
                         "--config",
                         state,
                         cmdb_sweep_get_directory (sweep),
                         NULL };

  if (program == NULL)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                   "cannot find the cmdbuilder program to supervise the sweep");
      return FALSE;
    }
  /* Without DO_NOT_REAP_CHILD GLib forks twice: the supervisor is nobody's
   * child here, and it leaves our session itself (setsid), so a Ctrl-C at
   * the terminal never reaches it. Its own output goes to supervisor.log. */
  if (!g_spawn_async (cmdb_sweep_get_directory (sweep), (char **) argv, NULL,
                      G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL
                          | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, NULL, error))
    {
      g_prefix_error (error, "cannot start the sweep supervisor: ");
      return FALSE;
    }
  return TRUE;
}

gboolean
cmdb_sweep_launch (CmdbRunStore *store, CmdbSweep *sweep, GError **error)
{
  g_return_val_if_fail (CMDB_IS_RUN_STORE (store), FALSE);
  return spawn_supervisor (store, sweep, error);
}

static gboolean
has_queued (GPtrArray *members)
{
  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);

      if (run != NULL && cmdb_run_get_status (run) == CMDB_RUN_STATUS_QUEUED)
        return TRUE;
    }
  return FALSE;
}

guint
cmdb_sweep_recover (CmdbRunStore *store)
{
  g_autoptr (GPtrArray) sweeps = cmdb_sweep_list (store, NULL);
  guint spawned = 0;

  for (guint i = 0; sweeps != NULL && i < sweeps->len; i++)
    {
      CmdbSweep *sweep = g_ptr_array_index (sweeps, i);
      g_autoptr (GPtrArray) members = NULL;
      g_autoptr (GError) error = NULL;

      if (queue_ended (sweep) || cmdb_sweep_supervisor_alive (sweep))
        continue;
      members = cmdb_sweep_load_members (store, sweep);
      if (!has_queued (members))
        continue;
      if (spawn_supervisor (store, sweep, &error))
        spawned++;
      else
        g_warning ("sweep %s: %s", cmdb_sweep_get_id (sweep), error->message);
    }
  return spawned;
}

/* Cancels every queued member of @members; stops every unfinished one when
 * @stop_running. Errors of runs that ended meanwhile are not errors. */
static void
stop_members (CmdbRunStore *store, GPtrArray *members, gboolean stop_running)
{
  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);
      g_autoptr (GError) error = NULL;
      CmdbRunStatus status;

      if (run == NULL)
        continue;
      status = cmdb_run_get_status (run);
      if (status == CMDB_RUN_STATUS_QUEUED)
        {
          g_autoptr (CmdbRun) cancelled
              = cmdb_run_dequeue (cmdb_run_get_directory (run), CMDB_RUN_STATUS_STOPPED,
                                  "the sweep was stopped", &error);

          if (cancelled != NULL)
            continue;
          g_clear_error (&error);
          /* Started meanwhile: stopped below like the others. */
          status = CMDB_RUN_STATUS_STARTING;
        }
      if (!stop_running || cmdb_run_status_is_final (status))
        continue;
      if (!cmdb_run_store_stop (store, cmdb_run_get_id (run), &error))
        g_debug ("sweep member %s: %s", cmdb_run_get_id (run), error->message);
    }
}

gboolean
cmdb_sweep_stop (CmdbRunStore *store, CmdbSweep *sweep, gboolean stop_running, GError **error)
{
  g_autoptr (GPtrArray) members = NULL;

  if (!cmdb_sweep_request_stop (sweep, error))
    return FALSE;
  members = cmdb_sweep_load_members (store, sweep);
  stop_members (store, members, stop_running);
  return TRUE;
}

CmdbSweep *
cmdb_sweep_rerun_failed (CmdbRunStore *store, CmdbSweep *sweep, guint parallel, GError **error)
{
  JsonObject *data = cmdb_sweep_get_data (sweep);
  g_autoptr (GPtrArray) members = cmdb_sweep_load_members (store, sweep);
  g_autoptr (GPtrArray) specs
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_sweep_member_spec_free);
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  JsonArray *key_array = json_object_get_array_member (data, "keys");
  JsonNode *options = json_object_get_member (data, "executor_options");
  g_autoptr (CmdbSweep) rerun = NULL;

  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);
      JsonObject *record;
      JsonNode *values;
      JsonNode *experiment;
      CmdbRunStatus status;
      CmdbSweepMemberSpec *spec;

      if (run == NULL)
        continue;
      status = cmdb_run_get_status (run);
      if (status != CMDB_RUN_STATUS_FAILED && status != CMDB_RUN_STATUS_LOST
          && status != CMDB_RUN_STATUS_STOPPED)
        continue;
      record = cmdb_run_get_data (run);
      values = json_object_get_member (record, "values");
      experiment = json_object_get_member (record, "experiment");
      spec = g_new0 (CmdbSweepMemberSpec, 1);
      spec->values = cmdb_sweep_get_member_values (sweep, i) != NULL
                         ? json_object_ref (cmdb_sweep_get_member_values (sweep, i))
                         : json_object_new ();
      spec->form_values = values != NULL && JSON_NODE_HOLDS_OBJECT (values)
                              ? json_object_ref (json_node_get_object (values))
                              : json_object_new ();
      /* Exactly what ran, from where the workspace is now. */
      spec->argv = g_strdupv ((char **) cmdb_run_get_relocated_argv (run));
      spec->command = cmdb_run_relocate_text (run, cmdb_run_get_command (run));
      spec->experiment = experiment != NULL && JSON_NODE_HOLDS_VALUE (experiment)
                             ? g_strdup (json_node_get_string (experiment))
                             : NULL;
      g_ptr_array_add (specs, spec);
    }
  if (specs->len == 0)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND,
                   "sweep %s has no failed, lost or stopped member: nothing to rerun",
                   cmdb_sweep_get_id (sweep));
      return NULL;
    }
  for (guint k = 0; key_array != NULL && k < json_array_get_length (key_array); k++)
    g_ptr_array_add (keys, (gpointer) json_array_get_string_element (key_array, k));
  if (parallel == 0)
    parallel = (guint) MAX (json_object_get_int_member_with_default (data, "parallel", 1), 1);
  rerun = cmdb_sweep_create (
      store, cmdb_sweep_get_page (sweep), cmdb_sweep_get_executor (sweep), parallel, keys, specs,
      options != NULL && JSON_NODE_HOLDS_OBJECT (options) ? json_node_get_object (options) : NULL,
      cmdb_sweep_get_id (sweep), error);
  if (rerun == NULL || !cmdb_sweep_launch (store, rerun, error))
    return NULL;
  return g_steal_pointer (&rerun);
}

/* ---- the supervisor ---- */

static volatile sig_atomic_t stop_signalled;

static void
on_stop_signal (int signal_number)
{
  stop_signalled = 1;
}

/* The supervisor lock, retried briefly: a liveness probe holds it shared
 * for an instant, which must not make the only supervisor give up. */
static int
take_queue (const char *sweep_directory)
{
  g_autofree char *path = g_build_filename (sweep_directory, SUPERVISOR_LOCK_NAME, NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0)
    return -1;
  for (guint attempt = 0; attempt < 20; attempt++)
    {
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
      if (errno != EWOULDBLOCK && errno != EINTR)
        break;
      g_usleep (25 * 1000);
    }
  close (fd);
  return -1;
}

static void
set_queue_ended (JsonObject *data, gpointer user_data)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *text = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

  json_object_set_string_member (data, "queue_ended_at", text);
}

/* An executor that takes a whole sweep at once (Slurm: one job array) gets
 * every queued member now; the queue then has nothing left to feed. */
static void
start_as_group (CmdbRunStore *store, CmdbSweep *sweep, guint parallel)
{
  g_autoptr (GError) error = NULL;
  CmdbExecutor *executor
      = cmdb_run_store_load_executor (store, cmdb_sweep_get_executor (sweep), &error);
  g_autoptr (GPtrArray) members = NULL;
  g_autoptr (GPtrArray) group = NULL;

  if (executor == NULL || !cmdb_executor_can_start_group (executor)
      || cmdb_sweep_get_stop_requested (sweep))
    return;
  members = cmdb_sweep_load_members (store, sweep);
  group = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_run_unref);
  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);
      CmdbRun *dequeued;

      if (run == NULL || cmdb_run_get_status (run) != CMDB_RUN_STATUS_QUEUED)
        continue;
      dequeued
          = cmdb_run_dequeue (cmdb_run_get_directory (run), CMDB_RUN_STATUS_STARTING, NULL, NULL);
      if (dequeued != NULL)
        g_ptr_array_add (group, dequeued);
    }
  if (group->len == 0 || cmdb_executor_start_group (executor, group, parallel, &error))
    return;
  /* Nothing was submitted: each member says why. */
  for (guint i = 0; i < group->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (group, i);

      cmdb_run_set_status (run, CMDB_RUN_STATUS_FAILED);
      cmdb_run_set_message (run, error->message);
      cmdb_run_set_time_now (run, "ended_at");
      cmdb_run_save (run, NULL);
    }
}

int
cmdb_sweep_supervise (CmdbRunStore *store, const char *sweep_directory)
{
  g_autoptr (CmdbSweep) sweep = NULL;
  g_autoptr (GHashTable) ended = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) asked_to_stop
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) error = NULL;
  struct sigaction action = { 0 };
  int lock_fd;
  guint parallel;

  lock_fd = take_queue (sweep_directory);
  if (lock_fd < 0)
    return 0; /* another supervisor has this queue */
  sweep = cmdb_sweep_load_directory (sweep_directory, &error);
  if (sweep == NULL || !cmdb_sweep_record_supervisor (sweep, getpid (), &error))
    {
      g_printerr ("cmdbuilder sweep-supervise: %s\n", error->message);
      close (lock_fd);
      return 1;
    }
  action.sa_handler = on_stop_signal;
  sigemptyset (&action.sa_mask);
  sigaction (SIGTERM, &action, NULL);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGHUP, &action, NULL);
  parallel = (guint) MAX (
      json_object_get_int_member_with_default (cmdb_sweep_get_data (sweep), "parallel", 1), 1);
  start_as_group (store, sweep, parallel);

  for (;;)
    {
      g_autoptr (CmdbSweep) current = NULL;
      gboolean stopping;
      guint active = 0;
      guint queued = 0;
      guint starting = 0;
      guint n;

      if (stop_signalled && !cmdb_sweep_get_stop_requested (sweep))
        cmdb_sweep_request_stop (sweep, NULL);
      current = cmdb_sweep_reload (sweep, NULL);
      if (current != NULL)
        {
          cmdb_sweep_unref (sweep);
          sweep = cmdb_sweep_ref (current);
        }
      stopping = cmdb_sweep_get_stop_requested (sweep) || stop_signalled;
      n = cmdb_sweep_get_n_members (sweep);
      for (guint i = 0; i < n; i++)
        {
          const char *run_id = cmdb_sweep_get_member_run (sweep, i);
          g_autoptr (CmdbRun) run = NULL;
          CmdbRunStatus status;

          if (run_id == NULL || g_hash_table_contains (ended, run_id))
            continue;
          run = cmdb_run_store_load (store, run_id, NULL);
          if (run == NULL)
            {
              g_hash_table_add (ended, g_strdup (run_id)); /* deleted */
              continue;
            }
          status = cmdb_run_get_status (run);
          if (cmdb_run_status_is_final (status))
            {
              g_hash_table_add (ended, g_strdup (run_id));
              continue;
            }
          if (status == CMDB_RUN_STATUS_QUEUED)
            {
              g_autoptr (CmdbRun) dequeued = NULL;
              g_autoptr (CmdbRun) started = NULL;
              g_autoptr (GError) start_error = NULL;

              if (stopping)
                {
                  g_autoptr (CmdbRun) cancelled
                      = cmdb_run_dequeue (cmdb_run_get_directory (run), CMDB_RUN_STATUS_STOPPED,
                                          "the sweep was stopped", NULL);
                  continue;
                }
              if (active >= parallel)
                {
                  queued++;
                  continue;
                }
              dequeued = cmdb_run_dequeue (cmdb_run_get_directory (run), CMDB_RUN_STATUS_STARTING,
                                           NULL, NULL);
              if (dequeued == NULL)
                continue; /* cancelled by a user meanwhile */
              active++;
              started = cmdb_run_store_start (store, dequeued, &start_error);
              if (started == NULL)
                g_printerr ("cmdbuilder sweep-supervise: %s: %s\n", run_id, start_error->message);
              continue;
            }
          active++;
          starting += status == CMDB_RUN_STATUS_STARTING;
          if (stopping && !g_hash_table_contains (asked_to_stop, run_id))
            {
              g_autoptr (GError) stop_error = NULL;

              if (cmdb_run_store_stop (store, run_id, &stop_error)
                  || status != CMDB_RUN_STATUS_STARTING)
                g_hash_table_add (asked_to_stop, g_strdup (run_id));
            }
        }
      /* Nothing left to feed. A member still starting keeps the queue: a
       * stop cannot reach it before its supervisor has adopted it, so only
       * this loop can ask again. And a stop requested while the members
       * were read may have found one starting: read the request once more
       * (it is written before any member is asked), or nobody retries. */
      if (queued == 0 && starting == 0 && !stopping)
        {
          g_autoptr (CmdbSweep) latest = cmdb_sweep_reload (sweep, NULL);

          if (latest == NULL || !cmdb_sweep_get_stop_requested (latest))
            break;
          continue;
        }
      if (stopping && active == 0)
        break;
      g_usleep (TICK_USEC);
    }
  cmdb_sweep_update (sweep, set_queue_ended, NULL, NULL);
  close (lock_fd);
  return 0;
}
