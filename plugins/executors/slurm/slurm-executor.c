#define G_LOG_DOMAIN "cmdb-slurm"

#include "slurm-job.h"

#include <libpeas/peas.h>
#include <glib/gstdio.h>

#include <string.h>
#include <sys/wait.h>

/* The Slurm executor: a run is one batch job. docs/slurm.md.
 *
 * start() writes the batch script into the run's directory and submits it
 * with `sbatch --parsable`. The job itself writes the run's stdout.log and
 * stderr.log (the workspace is on a filesystem the nodes share), a start
 * time, and, from a trap, its exit code and end time. Nothing watches the
 * job: whoever reads the run (is_alive(), called by the store for every
 * unfinished run it loads) brings the record up to date, from the exit
 * file first, so a job that ended while no cmdbuilder was running is still
 * recorded with its exit code even when Slurm has forgotten it; then from
 * `scontrol show job` for the queue state. */

/* How often one process asks Slurm about one job: followers load the run
 * every few milliseconds, the controller need not hear about it. */
#define QUERY_INTERVAL_USEC (G_USEC_PER_SEC / 2)

#define CMDB_TYPE_SLURM_EXECUTOR (cmdb_slurm_executor_get_type ())
G_DECLARE_FINAL_TYPE (CmdbSlurmExecutor, cmdb_slurm_executor, CMDB, SLURM_EXECUTOR, GObject)

struct _CmdbSlurmExecutor
{
  GObject parent_instance;
  CmdbContext *context;      /* (nullable): for [slurm] defaults */
  GHashTable *last_query_us; /* run id -> gint64* monotonic time of the last scontrol */
};

enum
{
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static void executor_iface_init (CmdbExecutorInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbSlurmExecutor, cmdb_slurm_executor, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_EXECUTOR,
                                                               executor_iface_init))

static void
cmdb_slurm_executor_set_property (GObject *object, guint property_id, const GValue *value,
                                  GParamSpec *pspec)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (object);

  switch (property_id)
    {
      case PROP_CONTEXT:
        g_set_object (&self->context, g_value_get_object (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, property_id, pspec);
    }
}

static void
cmdb_slurm_executor_get_property (GObject *object, guint property_id, GValue *value,
                                  GParamSpec *pspec)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (object);

  switch (property_id)
    {
      case PROP_CONTEXT:
        g_value_set_object (value, self->context);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, property_id, pspec);
    }
}

static void
cmdb_slurm_executor_finalize (GObject *object)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (object);

  g_clear_object (&self->context);
  g_hash_table_unref (self->last_query_us);
  G_OBJECT_CLASS (cmdb_slurm_executor_parent_class)->finalize (object);
}

static void
cmdb_slurm_executor_class_init (CmdbSlurmExecutorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = cmdb_slurm_executor_set_property;
  object_class->get_property = cmdb_slurm_executor_get_property;
  object_class->finalize = cmdb_slurm_executor_finalize;
  g_object_class_install_property (
      object_class, PROP_CONTEXT,
      g_param_spec_object ("context", NULL, NULL, CMDB_TYPE_CONTEXT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
cmdb_slurm_executor_class_finalize (CmdbSlurmExecutorClass *klass)
{
}

static void
cmdb_slurm_executor_init (CmdbSlurmExecutor *self)
{
  self->last_query_us = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static const char *
slurm_get_id (CmdbExecutor *executor)
{
  return "slurm";
}

/* Runs a Slurm tool and waits. FALSE only when it could not be executed
 * (not installed); @ret_stdout, @ret_stderr (transfer full) and
 * @ret_status (its exit status) otherwise. */
static gboolean
run_tool (const char *const *argv, const char *cwd, char **ret_stdout, char **ret_stderr,
          int *ret_status, GError **error)
{
  g_autoptr (GError) spawn_error = NULL;
  int wait_status = 0;

  if (!g_spawn_sync (cwd, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, ret_stdout,
                     ret_stderr, &wait_status, &spawn_error))
    {
      if (g_error_matches (spawn_error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
        g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                     "Slurm is not installed here: %s was not found in PATH", argv[0]);
      else
        g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START, "cannot run %s: %s", argv[0],
                     spawn_error->message);
      return FALSE;
    }
  *ret_status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
  return TRUE;
}

/* (transfer full) (nullable): the cluster's partitions, from sinfo; NULL
 * when sinfo cannot tell (then sbatch judges the partition itself). */
static GStrv
list_partitions (void)
{
  const char *argv[] = { "sinfo", "--noheader", "--format=%R", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  int status = 0;

  if (!run_tool (argv, NULL, &out, &err, &status, NULL) || status != 0)
    return NULL;
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_strstrip (lines[i])[0] != '\0')
      g_strv_builder_add (builder, lines[i]);
  return g_strv_builder_end (builder);
}

/* Sets @key of @data to the current time (ISO 8601, UTC, microseconds). */
static void
set_now (JsonObject *data, const char *key)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *text = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

  json_object_set_string_member (data, key, text);
}

/* Records @run as failed to submit: nothing ran, the message says why. */
static gboolean
record_submit_failure (CmdbRun *run, const char *summary, const char *details, GError **error)
{
  g_autofree char *message
      = details != NULL && details[0] != '\0'
            ? g_strdup_printf ("failed to submit to Slurm: %s\n%s", summary, details)
            : g_strdup_printf ("failed to submit to Slurm: %s", summary);
  JsonObject *data = cmdb_run_get_data (run);

  g_strchomp (message);
  cmdb_run_set_status (run, CMDB_RUN_STATUS_FAILED);
  cmdb_run_set_message (run, message);
  json_object_set_string_member (data, "slurm_state", "SUBMIT_FAILED");
  set_now (data, "ended_at");
  return cmdb_run_save (run, error);
}

/* The job name: the form's experiment name when there is one. */
static const char *
default_job_name (CmdbRun *run)
{
  JsonObject *data = cmdb_run_get_data (run);
  JsonNode *values = json_object_get_member (data, "values");

  if (values != NULL && JSON_NODE_HOLDS_OBJECT (values))
    {
      JsonNode *name = json_object_get_member (json_node_get_object (values), "exp_name");

      if (name != NULL && JSON_NODE_HOLDS_VALUE (name)
          && json_node_get_value_type (name) == G_TYPE_STRING
          && json_node_get_string (name)[0] != '\0')
        return json_node_get_string (name);
    }
  return cmdb_run_get_page (run) != NULL ? cmdb_run_get_page (run) : "cmdbuilder";
}

/* CmdbExecutor.check_options: each requested value on its own (so one bad
 * key does not hide the others), then the value checks of a submission;
 * the cluster is asked for its partitions only when one is named. */
static JsonObject *
slurm_check_options (CmdbExecutor *executor, JsonObject *requested)
{
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  g_autoptr (JsonObject) checked = NULL;
  g_auto (GStrv) partitions = NULL;
  JsonObject *problems = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, requested);
  while (json_object_iter_next (&iter, &name, &member))
    {
      g_autoptr (JsonObject) one = json_object_new ();
      g_autoptr (GError) error = NULL;

      json_object_set_member (one, name, json_node_copy (member));
      if (!cmdb_slurm_options_apply_json (options, one, &error))
        json_object_set_string_member (problems, name, error->message);
    }
  if (cmdb_slurm_options_get (options, "partition") != NULL)
    partitions = list_partitions ();
  checked = cmdb_slurm_options_check (options, (const char *const *) partitions);
  json_object_iter_init (&iter, checked);
  while (json_object_iter_next (&iter, &name, &member))
    if (!json_object_has_member (problems, name))
      json_object_set_member (problems, name, json_node_copy (member));
  return problems;
}

static gboolean
slurm_start (CmdbExecutor *executor, CmdbRun *run, GError **error)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (executor);
  JsonObject *data = cmdb_run_get_data (run);
  JsonNode *requested = json_object_get_member (data, "slurm_options");
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) partitions = NULL;
  g_autofree char *script = NULL;
  g_autofree char *script_path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  /* Defaults from [slurm], then what the run asked for. */
  cmdb_slurm_options_set (options, "job-name", default_job_name (run), NULL);
  if (self->context != NULL)
    cmdb_slurm_options_load_config (options, cmdb_context_get_config (self->context));
  if (requested != NULL && JSON_NODE_HOLDS_OBJECT (requested)
      && !cmdb_slurm_options_apply_json (options, json_node_get_object (requested), &local_error))
    return record_submit_failure (run, local_error->message, NULL, error);
  if (cmdb_slurm_options_get (options, "partition") != NULL)
    partitions = list_partitions ();
  if (!cmdb_slurm_options_validate (options, (const char *const *) partitions, &local_error))
    return record_submit_failure (run, local_error->message, NULL, error);
  json_object_set_object_member (data, "slurm_options", cmdb_slurm_options_to_json (options));

  script = cmdb_slurm_render_script (options, cmdb_run_get_id (run), cmdb_run_get_directory (run),
                                     cmdb_run_get_working_directory (run), cmdb_run_get_argv (run),
                                     &local_error);
  if (script == NULL)
    return record_submit_failure (run, local_error->message, NULL, error);
  script_path = g_build_filename (cmdb_run_get_directory (run), CMDB_SLURM_SCRIPT_NAME, NULL);
  if (!g_file_set_contents_full (script_path, script, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0755,
                                 &local_error))
    return record_submit_failure (run, local_error->message, NULL, error);
  json_object_set_string_member (data, "slurm_script", script_path);

  {
    const char *argv[] = { "sbatch", "--parsable", script_path, NULL };

    if (!run_tool (argv, cmdb_run_get_working_directory (run), &out, &err, &status, &local_error))
      return record_submit_failure (run, local_error->message, NULL, error);
  }
  if (status != 0)
    {
      g_autofree char *summary = g_strdup_printf ("%s (sbatch exited with status %d)",
                                                  cmdb_slurm_summarize_error (err), status);

      return record_submit_failure (run, summary, err, error);
    }
  /* --parsable prints "JOBID" or "JOBID;CLUSTER". */
  out[strcspn (out, ";\n")] = '\0';
  g_strstrip (out);
  if (out[0] == '\0' || strspn (out, "0123456789_") != strlen (out))
    {
      g_autofree char *details = g_strconcat (out, err, NULL);

      return record_submit_failure (run, "sbatch printed no job id", details, error);
    }
  json_object_set_string_member (data, "slurm_job_id", out);
  json_object_set_string_member (data, "slurm_state", "PENDING");
  set_now (data, "submitted_at");
  /* starting = queued: it becomes running when the job's script starts. */
  return cmdb_run_save (run, error);
}

/* (transfer full) (nullable): a file of the run directory, NULL when absent. */
static char *
read_run_file (CmdbRun *run, const char *name)
{
  g_autofree char *path = g_build_filename (cmdb_run_get_directory (run), name, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static void
record_log_sizes (CmdbRun *run)
{
  for (CmdbRunStream stream = CMDB_RUN_STREAM_STDOUT; stream <= CMDB_RUN_STREAM_STDERR; stream++)
    {
      g_autofree char *path = cmdb_run_get_log_path (run, stream);
      GStatBuf info;

      json_object_set_int_member (cmdb_run_get_data (run),
                                  stream == CMDB_RUN_STREAM_STDOUT ? "stdout_bytes"
                                                                   : "stderr_bytes",
                                  g_stat (path, &info) == 0 ? (gint64) info.st_size : 0);
    }
}

static void
record_started (CmdbRun *run)
{
  JsonObject *data = cmdb_run_get_data (run);
  g_autofree char *started = read_run_file (run, CMDB_SLURM_STARTED_NAME);

  if (json_object_has_member (data, "started_at"))
    return;
  if (started != NULL && g_strstrip (started)[0] != '\0')
    json_object_set_string_member (data, "started_at", started);
  else
    set_now (data, "started_at");
}

/* Writes the end of @run: @exit_code (< 0: unknown), the final status
 * (stopped when a stop was asked for), @slurm_state, the log sizes. */
static void
record_end (CmdbRun *run, int exit_code, const char *end_time, const char *slurm_state,
            const char *message)
{
  JsonObject *data = cmdb_run_get_data (run);
  CmdbRunStatus status;

  if (json_object_has_member (data, "stop_requested_at"))
    status = CMDB_RUN_STATUS_STOPPED;
  else
    status = exit_code == 0 ? CMDB_RUN_STATUS_SUCCEEDED : CMDB_RUN_STATUS_FAILED;
  if (exit_code >= 0)
    {
      json_object_set_int_member (data, "exit_code", exit_code);
      if (exit_code > 128 && exit_code < 128 + 65)
        json_object_set_int_member (data, "signal", exit_code - 128);
    }
  if (message != NULL)
    cmdb_run_set_message (run, message);
  json_object_set_string_member (data, "slurm_state", slurm_state);
  if (cmdb_run_get_started_time (run) == 0 && exit_code >= 0)
    record_started (run);
  record_log_sizes (run);
  if (end_time != NULL)
    json_object_set_string_member (data, "ended_at", end_time);
  else
    set_now (data, "ended_at");
  cmdb_run_set_status (run, status);
  if (!cmdb_run_save (run, NULL))
    g_debug ("cannot record the end of run %s", cmdb_run_get_id (run));
}

static const char *job_id (CmdbRun *run);

/* Asks `scontrol show job` about @run's job: TRUE with (transfer full)
 * @ret_state, @ret_exit_code and @ret_reason (nullable); FALSE when Slurm cannot say, with
 * @ret_forgotten TRUE when Slurm answered that it does not know the job. */
static gboolean
query_job (CmdbRun *run, char **ret_state, int *ret_exit_code, gboolean *ret_forgotten,
           char **ret_reason)
{
  const char *argv[] = { "scontrol", "--oneliner", "show", "job", job_id (run), NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  *ret_forgotten = FALSE;
  if (argv[4] == NULL || !run_tool (argv, NULL, &out, &err, &status, NULL))
    return FALSE;
  if (status == 0 && cmdb_slurm_parse_job (out, ret_state, ret_exit_code))
    {
      if (ret_reason != NULL)
        *ret_reason = cmdb_slurm_job_field (out, "Reason");
      return TRUE;
    }
  *ret_forgotten = err != NULL && strstr (err, "Invalid job id") != NULL;
  return FALSE;
}

/* The end as the job's trap wrote it; FALSE while it has not. The exit
 * code alone decides the status. Slurm is asked only to name a failure it
 * caused (TIMEOUT, OUT_OF_MEMORY); when it cannot be asked, or has
 * forgotten the job, the end is recorded all the same. */
static gboolean
finish_from_exit_file (CmdbRun *run)
{
  g_autofree char *text = read_run_file (run, CMDB_SLURM_EXIT_NAME);
  g_autofree char *end_time = NULL;
  g_autofree char *slurm_state = NULL;
  g_autofree char *message = NULL;
  g_autofree char *reason = NULL;
  const char *state;
  gboolean forgotten = FALSE;
  int slurm_exit_code = -1;
  int exit_code = 0;

  if (text == NULL || !cmdb_slurm_parse_exit (text, &exit_code, &end_time))
    return FALSE;
  /* What Slurm itself calls such an end. */
  if (json_object_has_member (cmdb_run_get_data (run), "stop_requested_at"))
    state = "CANCELLED";
  else if (exit_code == 0)
    state = "COMPLETED";
  else
    {
      state = "FAILED";
      if (query_job (run, &slurm_state, &slurm_exit_code, &forgotten, &reason))
        {
          /* While the job completes Slurm shows COMPLETING; the reason
           * already names a time limit. */
          if (g_str_equal (slurm_state, "COMPLETING") && g_strcmp0 (reason, "TimeLimit") == 0)
            {
              g_free (slurm_state);
              slurm_state = g_strdup ("TIMEOUT");
            }
          if (cmdb_slurm_state_is_final (slurm_state) && !g_str_equal (slurm_state, "COMPLETED")
              && !g_str_equal (slurm_state, "FAILED"))
            {
              state = slurm_state;
              message = g_strdup_printf ("Slurm ended the job: %s", slurm_state);
            }
        }
    }
  record_end (run, exit_code, end_time, state, message);
  return TRUE;
}

static const char *
job_id (CmdbRun *run)
{
  JsonNode *node = json_object_get_member (cmdb_run_get_data (run), "slurm_job_id");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Brings an unfinished run's record up to date. Returns FALSE when the
 * record is final now (the store rereads it) or when the job is gone
 * without a trace (the store marks the run lost). */
static gboolean
slurm_is_alive (CmdbExecutor *executor, CmdbRun *run)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (executor);
  JsonObject *data = cmdb_run_get_data (run);
  const char *id = job_id (run);
  g_autofree char *state = NULL;
  const char *recorded_state;
  gint64 now = g_get_monotonic_time ();
  gint64 *last;
  gboolean forgotten = FALSE;
  int exit_code = -1;

  if (finish_from_exit_file (run))
    return FALSE;
  if (id == NULL)
    /* Created, not yet submitted: another process may be submitting it. */
    return g_get_real_time () - cmdb_run_get_created_time (run) < 60 * G_USEC_PER_SEC;

  last = g_hash_table_lookup (self->last_query_us, cmdb_run_get_id (run));
  if (last != NULL && now - *last < QUERY_INTERVAL_USEC)
    return TRUE;
  if (last == NULL)
    {
      last = g_new (gint64, 1);
      g_hash_table_insert (self->last_query_us, g_strdup (cmdb_run_get_id (run)), last);
    }
  *last = now;

  if (!query_job (run, &state, &exit_code, &forgotten, NULL))
    /* Slurm unreachable or not installed here: nothing can be said. When
     * it has forgotten the job, the trap may have just written; else the
     * job left no trace and the run is lost. */
    return forgotten ? finish_from_exit_file (run) : TRUE;

  if (cmdb_slurm_state_is_final (state))
    {
      g_autofree char *message = NULL;

      /* The trap writes before the job ends: read it once more. */
      if (finish_from_exit_file (run))
        return FALSE;
      /* Ended without running its trap: cancelled while queued, killed
       * at the time limit, a node failure. A job whose script never
       * started has no exit code. */
      {
        g_autofree char *started = read_run_file (run, CMDB_SLURM_STARTED_NAME);

        if (started == NULL)
          exit_code = -1;
      }
      if (!g_str_equal (state, "COMPLETED") && !json_object_has_member (data, "stop_requested_at"))
        message = g_strdup_printf ("Slurm ended the job: %s", state);
      record_end (run, exit_code, NULL, state, message);
      return FALSE;
    }

  recorded_state = json_object_get_string_member_with_default (data, "slurm_state", "");
  if (g_str_equal (recorded_state, state))
    return TRUE;
  /* Reread: another process may have written the end meanwhile, which this
   * older snapshot must not overwrite. */
  {
    g_autoptr (CmdbRun) latest = cmdb_run_load_from_directory (cmdb_run_get_directory (run), NULL);
    JsonObject *latest_data;

    if (latest == NULL || cmdb_run_status_is_final (cmdb_run_get_status (latest)))
      return FALSE;
    latest_data = cmdb_run_get_data (latest);
    json_object_set_string_member (latest_data, "slurm_state", state);
    if (cmdb_slurm_state_is_running (state))
      {
        if (cmdb_run_get_status (latest) == CMDB_RUN_STATUS_STARTING)
          cmdb_run_set_status (latest, CMDB_RUN_STATUS_RUNNING);
        record_started (latest);
      }
    cmdb_run_save (latest, NULL);
    /* The caller's snapshot shows the same. */
    json_object_set_string_member (data, "slurm_state", state);
    json_object_set_string_member (data, "status",
                                   json_object_get_string_member (latest_data, "status"));
    if (json_object_has_member (latest_data, "started_at"))
      json_object_set_string_member (data, "started_at",
                                     json_object_get_string_member (latest_data, "started_at"));
  }
  return TRUE;
}

static gboolean
slurm_stop (CmdbExecutor *executor, CmdbRun *run, GError **error)
{
  const char *id = job_id (run);
  const char *argv[] = { "scancel", id, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (id == NULL)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING,
                   "run %s was not submitted to Slurm", cmdb_run_get_id (run));
      return FALSE;
    }
  /* A second request while stopping changes nothing. */
  if (cmdb_run_get_status (run) == CMDB_RUN_STATUS_STOPPING)
    return TRUE;
  /* Recorded first: the job's end then reads as stopped, whoever sees it. */
  set_now (cmdb_run_get_data (run), "stop_requested_at");
  cmdb_run_set_status (run, CMDB_RUN_STATUS_STOPPING);
  if (!cmdb_run_save (run, error))
    return FALSE;
  if (!run_tool (argv, NULL, &out, &err, &status, error))
    return FALSE;
  if (status != 0)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED,
                   "cannot cancel Slurm job %s: %s (scancel exited with status %d)\n%s", id,
                   cmdb_slurm_summarize_error (err), status, err);
      g_strchomp ((*error)->message);
      return FALSE;
    }
  return TRUE;
}

static void
executor_iface_init (CmdbExecutorInterface *iface)
{
  iface->get_id = slurm_get_id;
  iface->start = slurm_start;
  iface->stop = slurm_stop;
  iface->is_alive = slurm_is_alive;
  iface->check_options = slurm_check_options;
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_slurm_executor_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_EXECUTOR, CMDB_TYPE_SLURM_EXECUTOR);
}
