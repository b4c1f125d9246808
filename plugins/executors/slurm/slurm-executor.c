#define G_LOG_DOMAIN "cmdb-slurm"

#include "slurm-job.h"

#include <libpeas/peas.h>
#include <glib/gstdio.h>

#include <string.h>

/* The Slurm executor: a run is one batch job. docs/slurm.md.
 *
 * start writes the batch script into the run's directory and submits it
 * with `sbatch --parsable`. The job itself writes the run's stdout.log and
 * stderr.log (the workspace is on a filesystem the nodes share), a start
 * time, and, from a trap, its exit code and end time. Nothing watches the
 * job: whoever reads the run (is_alive(), called by the store for every
 * unfinished run it loads) brings the record up to date, from the exit
 * file first, so a job that ended while no cmdbuilder was running is still
 * recorded with its exit code even when Slurm has forgotten it; then from
 * what `scontrol show job` last said of the job.
 *
 * Nothing here waits: every Slurm tool runs through cmdb_tool_run_async()
 * with [slurm] tool-timeout, and is_alive() only reads files and the
 * answers update_async() keeps in memory (the server asks in the
 * background, the CLI before each check). */

/* How often one process asks Slurm about one job: followers load the run
 * every few milliseconds, the controller need not hear about it. */
#define QUERY_INTERVAL_USEC (G_USEC_PER_SEC / 2)
#define DEFAULT_TOOL_TIMEOUT_MS 5000
/* The options form (docs/slurm.md), installed next to the module. */
#define SLURM_OPTIONS_FORM "slurm-options.yaml"

/* The module's directory, set when it is registered. */
static char *module_dir;

#define CMDB_TYPE_SLURM_EXECUTOR (cmdb_slurm_executor_get_type ())
G_DECLARE_FINAL_TYPE (CmdbSlurmExecutor, cmdb_slurm_executor, CMDB, SLURM_EXECUTOR, GObject)

/* What Slurm last said about one run's job. */
typedef struct
{
  gint64 asked_us;     /* monotonic time the last question was asked; 0: never */
  gint64 answered_us;  /* monotonic time of the last answer (or failure); 0: none */
  gint64 exit_seen_us; /* when the job's exit file was first seen; 0: not yet */
  gboolean in_flight;
  gboolean known;     /* the last answer had a state */
  gboolean forgotten; /* the last answer: Slurm does not know the job */
  char *state;
  char *reason;
  int exit_code;
} JobInfo;

struct _CmdbSlurmExecutor
{
  GObject parent_instance;
  CmdbContext *context; /* (nullable): for [slurm] defaults */
  GHashTable *jobs;     /* run id -> JobInfo */
};

static void
job_info_free (JobInfo *info)
{
  g_free (info->state);
  g_free (info->reason);
  g_free (info);
}

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
  g_hash_table_unref (self->jobs);
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
  self->jobs
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) job_info_free);
}

static const char *
slurm_get_id (CmdbExecutor *executor)
{
  return "slurm";
}

static guint
tool_timeout_ms (CmdbSlurmExecutor *self)
{
  if (self->context == NULL)
    return DEFAULT_TOOL_TIMEOUT_MS;
  return (guint) CLAMP (cmdb_config_get_duration_ms (cmdb_context_get_config (self->context),
                                                     "slurm", "tool-timeout",
                                                     DEFAULT_TOOL_TIMEOUT_MS),
                        1, G_MAXINT);
}

/* Runs a Slurm tool without waiting for it. */
static void
run_tool_async (CmdbSlurmExecutor *self, const char *const *argv, const char *cwd,
                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  cmdb_tool_run_async (argv, cwd, tool_timeout_ms (self), cancellable, callback, user_data);
}

/* (transfer full) (nullable): the tool's output and status; NULL when it
 * could not run or did not answer in time, with an error saying so. */
static CmdbToolResult *
run_tool_finish (GAsyncResult *result, GError **error)
{
  g_autoptr (GError) tool_error = NULL;
  CmdbToolResult *tool = cmdb_tool_run_finish (result, &tool_error);

  if (tool != NULL)
    return tool;
  if (g_error_matches (tool_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START, "Slurm is not installed here: %s",
                 tool_error->message);
  else
    g_propagate_error (error, g_steal_pointer (&tool_error));
  return NULL;
}

/* (transfer full) (nullable): the cluster's partitions from sinfo's
 * answer; NULL when sinfo cannot tell (then sbatch judges the partition
 * itself). */
static GStrv
partitions_finish (GAsyncResult *result)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbToolResult) tool = run_tool_finish (result, &error);
  g_auto (GStrv) lines = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  if (tool == NULL || cmdb_tool_result_get_status (tool) != 0)
    {
      g_debug ("the partitions are not known: %s",
               error != NULL ? error->message : cmdb_tool_result_get_stderr (tool));
      return NULL;
    }
  lines = g_strsplit (cmdb_tool_result_get_stdout (tool), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_strstrip (lines[i])[0] != '\0')
      g_strv_builder_add (builder, lines[i]);
  return g_strv_builder_end (builder);
}

static void
list_partitions_async (CmdbSlurmExecutor *self, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  const char *argv[] = { "sinfo", "--noheader", "--format=%R", NULL };

  run_tool_async (self, argv, NULL, cancellable, callback, user_data);
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

/* ---- option checks ---- */

/* CmdbExecutor.check_options_async: each requested value on its own (so one
 * bad key does not hide the others), then the value checks of a submission;
 * the cluster is asked for its partitions only when one is named. */
typedef struct
{
  CmdbSlurmOptions *options;
  JsonObject *problems;
} Check;

static void
check_free (Check *check)
{
  cmdb_slurm_options_free (check->options);
  json_object_unref (check->problems);
  g_free (check);
}

static void
finish_check (GTask *task, const char *const *partitions)
{
  Check *check = g_task_get_task_data (task);
  g_autoptr (JsonObject) checked = cmdb_slurm_options_check (check->options, partitions);
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, checked);
  while (json_object_iter_next (&iter, &name, &member))
    if (!json_object_has_member (check->problems, name))
      json_object_set_member (check->problems, name, json_node_copy (member));
  g_task_return_pointer (task, json_object_ref (check->problems),
                         (GDestroyNotify) json_object_unref);
}

static void
on_check_partitions (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_auto (GStrv) partitions = partitions_finish (result);

  finish_check (task, (const char *const *) partitions);
}

static void
slurm_check_options_async (CmdbExecutor *executor, JsonObject *requested, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (executor);
  g_autoptr (GTask) task = g_task_new (executor, cancellable, callback, user_data);
  Check *check = g_new0 (Check, 1);
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  check->options = cmdb_slurm_options_new ();
  check->problems = json_object_new ();
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);
  json_object_iter_init (&iter, requested);
  while (json_object_iter_next (&iter, &name, &member))
    {
      g_autoptr (JsonObject) one = json_object_new ();
      g_autoptr (GError) error = NULL;

      json_object_set_member (one, name, json_node_copy (member));
      if (!cmdb_slurm_options_apply_json (check->options, one, &error))
        json_object_set_string_member (check->problems, name, error->message);
    }
  if (cmdb_slurm_options_get (check->options, "partition") != NULL)
    list_partitions_async (self, cancellable, on_check_partitions, g_steal_pointer (&task));
  else
    finish_check (task, NULL);
}

static JsonObject *
slurm_check_options_finish (CmdbExecutor *executor, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- submission ---- */

typedef struct
{
  CmdbRun *run;
  CmdbSlurmOptions *options;
} Submission;

static void
submission_free (Submission *submission)
{
  cmdb_run_unref (submission->run);
  cmdb_slurm_options_free (submission->options);
  g_free (submission);
}

/* Completes the start: the run recorded as failed to submit (the start
 * itself succeeded: the record says why nothing runs). */
static void
return_submit_failure (GTask *task, const char *summary, const char *details)
{
  Submission *submission = g_task_get_task_data (task);
  GError *error = NULL;

  if (record_submit_failure (submission->run, summary, details, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_submitted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Submission *submission = g_task_get_task_data (task);
  JsonObject *data = cmdb_run_get_data (submission->run);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbToolResult) tool = run_tool_finish (result, &error);
  g_autofree char *out = NULL;
  const char *err;
  int status;

  if (tool == NULL)
    {
      return_submit_failure (task, error->message, NULL);
      return;
    }
  err = cmdb_tool_result_get_stderr (tool);
  status = cmdb_tool_result_get_status (tool);
  if (status != 0)
    {
      g_autofree char *summary = g_strdup_printf ("%s (sbatch exited with status %d)",
                                                  cmdb_slurm_summarize_error (err), status);

      return_submit_failure (task, summary, err);
      return;
    }
  /* --parsable prints "JOBID" or "JOBID;CLUSTER". */
  out = g_strdup (cmdb_tool_result_get_stdout (tool));
  out[strcspn (out, ";\n")] = '\0';
  g_strstrip (out);
  if (out[0] == '\0' || strspn (out, "0123456789_") != strlen (out))
    {
      g_autofree char *details = g_strconcat (out, err, NULL);

      return_submit_failure (task, "sbatch printed no job id", details);
      return;
    }
  json_object_set_string_member (data, "slurm_job_id", out);
  json_object_set_string_member (data, "slurm_state", "PENDING");
  set_now (data, "submitted_at");
  /* starting = queued: it becomes running when the job's script starts. */
  if (cmdb_run_save (submission->run, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* The options are known (the partitions too, when one was named): write the
 * script and submit it. */
static void
submit (GTask *task, const char *const *partitions)
{
  CmdbSlurmExecutor *self = g_task_get_source_object (task);
  Submission *submission = g_task_get_task_data (task);
  CmdbRun *run = submission->run;
  JsonObject *data = cmdb_run_get_data (run);
  g_autoptr (GError) error = NULL;
  g_autofree char *script = NULL;
  g_autofree char *script_path = NULL;

  if (!cmdb_slurm_options_validate (submission->options, partitions, &error))
    {
      return_submit_failure (task, error->message, NULL);
      return;
    }
  json_object_set_object_member (data, "slurm_options",
                                 cmdb_slurm_options_to_json (submission->options));
  script = cmdb_slurm_render_script (
      submission->options, cmdb_run_get_id (run), cmdb_run_get_directory (run),
      cmdb_run_get_working_directory (run), cmdb_run_get_argv (run), &error);
  if (script == NULL)
    {
      return_submit_failure (task, error->message, NULL);
      return;
    }
  script_path = g_build_filename (cmdb_run_get_directory (run), CMDB_SLURM_SCRIPT_NAME, NULL);
  if (!g_file_set_contents_full (script_path, script, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0755,
                                 &error))
    {
      return_submit_failure (task, error->message, NULL);
      return;
    }
  json_object_set_string_member (data, "slurm_script", script_path);
  {
    const char *argv[] = { "sbatch", "--parsable", script_path, NULL };

    run_tool_async (self, argv, cmdb_run_get_working_directory (run), g_task_get_cancellable (task),
                    on_submitted, g_object_ref (task));
  }
}

static void
on_start_partitions (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_auto (GStrv) partitions = partitions_finish (result);

  submit (task, (const char *const *) partitions);
}

static void
slurm_start_async (CmdbExecutor *executor, CmdbRun *run, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (executor);
  g_autoptr (GTask) task = g_task_new (executor, cancellable, callback, user_data);
  JsonNode *requested = json_object_get_member (cmdb_run_get_data (run), "slurm_options");
  g_autoptr (GError) error = NULL;
  Submission *submission = g_new0 (Submission, 1);

  submission->run = cmdb_run_ref (run);
  submission->options = cmdb_slurm_options_new ();
  g_task_set_task_data (task, submission, (GDestroyNotify) submission_free);
  /* Defaults from [slurm], then what the run asked for. */
  cmdb_slurm_options_set (submission->options, "job-name", default_job_name (run), NULL);
  if (self->context != NULL)
    cmdb_slurm_options_load_config (submission->options, cmdb_context_get_config (self->context));
  if (requested != NULL && JSON_NODE_HOLDS_OBJECT (requested)
      && !cmdb_slurm_options_apply_json (submission->options, json_node_get_object (requested),
                                         &error))
    {
      return_submit_failure (task, error->message, NULL);
      return;
    }
  if (cmdb_slurm_options_get (submission->options, "partition") != NULL)
    list_partitions_async (self, cancellable, on_start_partitions, g_steal_pointer (&task));
  else
    submit (task, NULL);
}

static gboolean
slurm_start_finish (CmdbExecutor *executor, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
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

static const char *
job_id (CmdbRun *run)
{
  JsonNode *node = json_object_get_member (cmdb_run_get_data (run), "slurm_job_id");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* (transfer none): what this process knows of @run's job (created empty). */
static JobInfo *
job_info (CmdbSlurmExecutor *self, CmdbRun *run)
{
  JobInfo *info = g_hash_table_lookup (self->jobs, cmdb_run_get_id (run));

  if (info == NULL)
    {
      info = g_new0 (JobInfo, 1);
      info->exit_code = -1;
      g_hash_table_insert (self->jobs, g_strdup (cmdb_run_get_id (run)), info);
    }
  return info;
}

/* The run ended: nothing more to ask about it. */
static void
forget_job (CmdbSlurmExecutor *self, CmdbRun *run)
{
  g_hash_table_remove (self->jobs, cmdb_run_get_id (run));
}

/* ---- status ---- */

/* The end as the job's trap wrote it; FALSE while it has not. The exit
 * code alone decides the status. Slurm names a failure it caused
 * (TIMEOUT, OUT_OF_MEMORY) from an answer asked after the exit file
 * appeared: until one arrived, a failed end waits (TRUE in
 * @ret_waiting); when Slurm could not be asked, or has forgotten the job,
 * the end is recorded all the same. */
static gboolean
finish_from_exit_file (CmdbSlurmExecutor *self, CmdbRun *run, gboolean *ret_waiting)
{
  g_autofree char *text = read_run_file (run, CMDB_SLURM_EXIT_NAME);
  g_autofree char *end_time = NULL;
  g_autofree char *message = NULL;
  const char *state;
  int exit_code = 0;

  *ret_waiting = FALSE;
  if (text == NULL || !cmdb_slurm_parse_exit (text, &exit_code, &end_time))
    return FALSE;
  /* What Slurm itself calls such an end. */
  if (json_object_has_member (cmdb_run_get_data (run), "stop_requested_at"))
    state = "CANCELLED";
  else if (exit_code == 0)
    state = "COMPLETED";
  else
    {
      JobInfo *info = job_info (self, run);

      state = "FAILED";
      if (info->exit_seen_us == 0)
        info->exit_seen_us = g_get_monotonic_time ();
      if (job_id (run) != NULL && (info->asked_us < info->exit_seen_us || info->in_flight))
        {
          *ret_waiting = TRUE;
          return FALSE;
        }
      if (info->known)
        {
          const char *slurm_state = info->state;

          /* While the job completes Slurm shows COMPLETING; the reason
           * already names a time limit. */
          if (g_str_equal (slurm_state, "COMPLETING") && g_strcmp0 (info->reason, "TimeLimit") == 0)
            slurm_state = "TIMEOUT";
          if (cmdb_slurm_state_is_final (slurm_state) && !g_str_equal (slurm_state, "COMPLETED")
              && !g_str_equal (slurm_state, "FAILED"))
            {
              state = slurm_state;
              message = g_strdup_printf ("Slurm ended the job: %s", slurm_state);
            }
        }
    }
  record_end (run, exit_code, end_time, state, message);
  forget_job (self, run);
  return TRUE;
}

/* Writes what Slurm said of a job that has not ended into the record, when
 * it changed. */
static void
record_state (CmdbRun *run, const char *state)
{
  JsonObject *data = cmdb_run_get_data (run);
  const char *recorded_state = json_object_get_string_member_with_default (data, "slurm_state", "");
  g_autoptr (CmdbRun) latest = NULL;
  JsonObject *latest_data;

  if (g_str_equal (recorded_state, state))
    return;
  /* Reread: another process may have written the end meanwhile, which this
   * older snapshot must not overwrite. */
  latest = cmdb_run_load_from_directory (cmdb_run_get_directory (run), NULL);
  if (latest == NULL || cmdb_run_status_is_final (cmdb_run_get_status (latest)))
    return;
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

/* Brings an unfinished run's record up to date from its files and the
 * last answer of update_async(); never waits. Returns FALSE when the
 * record is final now (the store rereads it) or when the job is gone
 * without a trace (the store marks the run lost). */
static gboolean
slurm_is_alive (CmdbExecutor *executor, CmdbRun *run)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (executor);
  JobInfo *info;
  gboolean waiting = FALSE;

  if (finish_from_exit_file (self, run, &waiting))
    return FALSE;
  if (waiting)
    return TRUE;
  if (job_id (run) == NULL)
    /* Created, not yet submitted: another process may be submitting it. */
    return g_get_real_time () - cmdb_run_get_created_time (run) < 60 * G_USEC_PER_SEC;

  info = g_hash_table_lookup (self->jobs, cmdb_run_get_id (run));
  if (info == NULL || info->answered_us == 0)
    return TRUE; /* nothing asked yet */
  if (info->forgotten)
    /* The job left no trace (the exit file was read above): lost. */
    return FALSE;
  if (!info->known)
    /* Slurm unreachable or not installed here: nothing can be said. */
    return TRUE;
  if (cmdb_slurm_state_is_final (info->state))
    {
      g_autofree char *message = NULL;
      g_autofree char *started = NULL;
      int exit_code = info->exit_code;
      g_autofree char *state = g_strdup (info->state);

      /* Ended without running its trap: cancelled while queued, killed at
       * the time limit, a node failure. A job whose script never started
       * has no exit code. */
      started = read_run_file (run, CMDB_SLURM_STARTED_NAME);
      if (started == NULL)
        exit_code = -1;
      if (!g_str_equal (state, "COMPLETED")
          && !json_object_has_member (cmdb_run_get_data (run), "stop_requested_at"))
        message = g_strdup_printf ("Slurm ended the job: %s", state);
      record_end (run, exit_code, NULL, state, message);
      forget_job (self, run);
      return FALSE;
    }
  record_state (run, info->state);
  return TRUE;
}

typedef struct
{
  CmdbSlurmExecutor *self;
  char *run_id;
  char *job_id;
  gint array_task; /* a task of a job array (the array is asked about): its index, else -1 */
} Query;

static void
query_free (Query *query)
{
  g_object_unref (query->self);
  g_free (query->run_id);
  g_free (query->job_id);
  g_free (query);
}

static void
on_job_queried (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Query *query = g_task_get_task_data (task);
  JobInfo *info = g_hash_table_lookup (query->self->jobs, query->run_id);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbToolResult) tool = run_tool_finish (result, &error);
  g_autofree char *state = NULL;
  int exit_code = -1;

  if (info == NULL)
    {
      /* The run ended meanwhile. */
      g_task_return_boolean (task, TRUE);
      return;
    }
  info->in_flight = FALSE;
  info->answered_us = g_get_monotonic_time ();
  info->known = FALSE;
  info->forgotten = FALSE;
  if (tool == NULL)
    {
      g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED,
                               "cannot ask Slurm about job %s: %s", query->job_id, error->message);
      return;
    }
  {
    /* A task of an array: its own record once Slurm split it off, else
     * the array's record of the tasks still pending (or cancelled). */
    g_autofree char *record
        = cmdb_tool_result_get_status (tool) != 0 ? NULL
          : query->array_task >= 0                ? cmdb_slurm_array_task_record (
                               cmdb_tool_result_get_stdout (tool), query->job_id, (guint) query->array_task)
                                   : g_strdup (cmdb_tool_result_get_stdout (tool));

    if (record != NULL && cmdb_slurm_parse_job (record, &state, &exit_code))
      {
        info->known = TRUE;
        g_free (info->state);
        info->state = g_steal_pointer (&state);
        info->exit_code = exit_code;
        g_free (info->reason);
        info->reason = cmdb_slurm_job_field (record, "Reason");
      }
    else
      info->forgotten = strstr (cmdb_tool_result_get_stderr (tool), "Invalid job id") != NULL
                        || (query->array_task >= 0 && record == NULL);
  }
  g_task_return_boolean (task, TRUE);
}

/* CmdbExecutor.update_async: asks `scontrol show job` about @run's job at
 * most every QUERY_INTERVAL_USEC (sooner once its exit file appeared) and
 * keeps the answer for is_alive(). One question per job at a time. */
static void
slurm_update_async (CmdbExecutor *executor, CmdbRun *run, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (executor);
  g_autoptr (GTask) task = g_task_new (executor, cancellable, callback, user_data);
  g_autofree char *exit_text = NULL;
  const char *id = job_id (run);
  gint64 now = g_get_monotonic_time ();
  JobInfo *info;
  Query *query;

  if (id == NULL || cmdb_run_status_is_final (cmdb_run_get_status (run)))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  info = job_info (self, run);
  exit_text = read_run_file (run, CMDB_SLURM_EXIT_NAME);
  if (exit_text != NULL && info->exit_seen_us == 0)
    info->exit_seen_us = now;
  if (info->in_flight
      || (info->asked_us != 0 && now - info->asked_us < QUERY_INTERVAL_USEC
          && info->asked_us >= info->exit_seen_us))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  info->asked_us = now;
  info->in_flight = TRUE;
  query = g_new0 (Query, 1);
  query->self = g_object_ref (self);
  query->run_id = g_strdup (cmdb_run_get_id (run));
  query->job_id = g_strdup (id);
  query->array_task = -1;
  /* An array's pending tasks have no record of their own: ask about the
   * array, and find the task in the answer. */
  {
    JsonObject *data = cmdb_run_get_data (run);
    const char *array
        = json_object_get_string_member_with_default (data, "slurm_array_job_id", NULL);

    if (array != NULL && json_object_has_member (data, "slurm_array_task"))
      {
        g_free (query->job_id);
        query->job_id = g_strdup (array);
        query->array_task = (gint) json_object_get_int_member (data, "slurm_array_task");
      }
  }
  g_task_set_task_data (task, query, (GDestroyNotify) query_free);
  {
    const char *argv[] = { "scontrol", "--oneliner", "show", "job", query->job_id, NULL };

    run_tool_async (self, argv, NULL, cancellable, on_job_queried, g_steal_pointer (&task));
  }
}

static gboolean
slurm_update_finish (CmdbExecutor *executor, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- stop ---- */

static void
on_cancelled_job (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  const char *id = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbToolResult) tool = run_tool_finish (result, &error);
  const char *err;

  if (tool == NULL)
    {
      g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED,
                               "cannot cancel Slurm job %s: %s", id, error->message);
      return;
    }
  if (cmdb_tool_result_get_status (tool) != 0)
    {
      g_autofree char *message = NULL;

      err = cmdb_tool_result_get_stderr (tool);
      message = g_strdup_printf ("cannot cancel Slurm job %s: %s (scancel exited with status "
                                 "%d)\n%s",
                                 id, cmdb_slurm_summarize_error (err),
                                 cmdb_tool_result_get_status (tool), err);
      g_strchomp (message);
      g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, "%s", message);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
slurm_stop_async (CmdbExecutor *executor, CmdbRun *run, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (executor);
  g_autoptr (GTask) task = g_task_new (executor, cancellable, callback, user_data);
  const char *id = job_id (run);
  GError *error = NULL;

  if (id == NULL)
    {
      g_task_return_new_error (task, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING,
                               "run %s was not submitted to Slurm", cmdb_run_get_id (run));
      return;
    }
  /* A second request while stopping changes nothing. */
  if (cmdb_run_get_status (run) == CMDB_RUN_STATUS_STOPPING)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* Recorded first: the job's end then reads as stopped, whoever sees it. */
  set_now (cmdb_run_get_data (run), "stop_requested_at");
  cmdb_run_set_status (run, CMDB_RUN_STATUS_STOPPING);
  if (!cmdb_run_save (run, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, g_strdup (id), g_free);
  {
    const char *argv[] = { "scancel", id, NULL };

    run_tool_async (self, argv, NULL, cancellable, on_cancelled_job, g_steal_pointer (&task));
  }
}

static gboolean
slurm_stop_finish (CmdbExecutor *executor, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- options form ---- */

/* CmdbExecutorInterface.load_options_form: the Slurm options as a form,
 * from the file installed next to the module. */
static CmdbSchema *
slurm_load_options_form (CmdbExecutor *executor, CmdbCache *cache, GError **error)
{
  g_autofree char *path = NULL;

  if (module_dir == NULL)
    return NULL;
  path = g_build_filename (module_dir, SLURM_OPTIONS_FORM, NULL);
  return cmdb_schema_load (cache, path, error);
}

/* ---- a sweep as one job array ---- */

/* CmdbExecutor.start_group_async: the members of a sweep as ONE job array
 * (docs/sweeps.md, "Slurm"): each member keeps its own script (as a single
 * run's), the array's task N runs member N's with its output in that run's
 * logs, and each run records its task as its job ("ARRAYID_N"), so its
 * state, exit code, logs and stop are a single run's. The options are the
 * first member's (a sweep's are the same for every member). */
typedef struct
{
  GPtrArray *runs; /* (element-type CmdbRun) */
  CmdbSlurmOptions *options;
  guint parallel;
} Group;

static void
group_free (Group *group)
{
  g_ptr_array_unref (group->runs);
  cmdb_slurm_options_free (group->options);
  g_free (group);
}

/* Every member recorded as failed to submit; the start itself completed. */
static void
fail_group (GTask *task, const char *summary, const char *details)
{
  Group *group = g_task_get_task_data (task);

  for (guint i = 0; i < group->runs->len; i++)
    record_submit_failure (g_ptr_array_index (group->runs, i), summary, details, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
on_group_submitted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Group *group = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbToolResult) tool = run_tool_finish (result, &error);
  g_autofree char *out = NULL;
  const char *err;

  if (tool == NULL)
    {
      fail_group (task, error->message, NULL);
      return;
    }
  err = cmdb_tool_result_get_stderr (tool);
  if (cmdb_tool_result_get_status (tool) != 0)
    {
      g_autofree char *summary
          = g_strdup_printf ("%s (sbatch exited with status %d)", cmdb_slurm_summarize_error (err),
                             cmdb_tool_result_get_status (tool));

      fail_group (task, summary, err);
      return;
    }
  out = g_strdup (cmdb_tool_result_get_stdout (tool));
  out[strcspn (out, ";\n")] = '\0';
  g_strstrip (out);
  if (out[0] == '\0' || strspn (out, "0123456789") != strlen (out))
    {
      g_autofree char *details = g_strconcat (out, err, NULL);

      fail_group (task, "sbatch printed no job id", details);
      return;
    }
  for (guint i = 0; i < group->runs->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (group->runs, i);
      JsonObject *data = cmdb_run_get_data (run);
      g_autofree char *task_id = g_strdup_printf ("%s_%u", out, i);
      g_autoptr (GError) save_error = NULL;

      json_object_set_string_member (data, "slurm_job_id", task_id);
      json_object_set_string_member (data, "slurm_array_job_id", out);
      json_object_set_int_member (data, "slurm_array_task", i);
      json_object_set_string_member (data, "slurm_state", "PENDING");
      set_now (data, "submitted_at");
      if (!cmdb_run_save (run, &save_error))
        g_warning ("%s: %s", cmdb_run_get_id (run), save_error->message);
    }
  g_task_return_boolean (task, TRUE);
}

static void
submit_group (GTask *task, const char *const *partitions)
{
  CmdbSlurmExecutor *self = g_task_get_source_object (task);
  Group *group = g_task_get_task_data (task);
  CmdbRun *first = g_ptr_array_index (group->runs, 0);
  g_autoptr (GStrvBuilder) directories = g_strv_builder_new ();
  g_auto (GStrv) directory_list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *array_script = NULL;
  g_autofree char *array_path = NULL;

  if (!cmdb_slurm_options_validate (group->options, partitions, &error))
    {
      fail_group (task, error->message, NULL);
      return;
    }
  for (guint i = 0; i < group->runs->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (group->runs, i);
      JsonObject *data = cmdb_run_get_data (run);
      g_autofree char *script = cmdb_slurm_render_script (
          group->options, cmdb_run_get_id (run), cmdb_run_get_directory (run),
          cmdb_run_get_working_directory (run), cmdb_run_get_argv (run), &error);
      g_autofree char *path
          = g_build_filename (cmdb_run_get_directory (run), CMDB_SLURM_SCRIPT_NAME, NULL);

      if (script == NULL
          || !g_file_set_contents_full (path, script, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0755,
                                        &error))
        {
          fail_group (task, error->message, NULL);
          return;
        }
      json_object_set_object_member (data, "slurm_options",
                                     cmdb_slurm_options_to_json (group->options));
      json_object_set_string_member (data, "slurm_script", path);
      g_strv_builder_add (directories, cmdb_run_get_directory (run));
    }
  directory_list = g_strv_builder_end (directories);
  array_script = cmdb_slurm_render_array_script (
      group->options, (const char *const *) directory_list, group->parallel, &error);
  array_path
      = g_build_filename (cmdb_run_get_directory (first), CMDB_SLURM_ARRAY_SCRIPT_NAME, NULL);
  if (array_script == NULL
      || !g_file_set_contents_full (array_path, array_script, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                    0755, &error))
    {
      fail_group (task, error->message, NULL);
      return;
    }
  {
    const char *argv[] = { "sbatch", "--parsable", array_path, NULL };

    run_tool_async (self, argv, cmdb_run_get_working_directory (first),
                    g_task_get_cancellable (task), on_group_submitted, g_object_ref (task));
  }
}

static void
on_group_partitions (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_auto (GStrv) partitions = partitions_finish (result);

  submit_group (task, (const char *const *) partitions);
}

static void
slurm_start_group_async (CmdbExecutor *executor, GPtrArray *runs, guint parallel,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  CmdbSlurmExecutor *self = CMDB_SLURM_EXECUTOR (executor);
  g_autoptr (GTask) task = g_task_new (executor, cancellable, callback, user_data);
  CmdbRun *first;
  JsonNode *requested;
  JsonNode *sweep;
  g_autoptr (GError) error = NULL;
  Group *group = g_new0 (Group, 1);

  g_return_if_fail (runs != NULL && runs->len > 0);
  group->runs = g_ptr_array_ref (runs);
  group->options = cmdb_slurm_options_new ();
  group->parallel = parallel;
  g_task_set_task_data (task, group, (GDestroyNotify) group_free);
  first = g_ptr_array_index (runs, 0);
  requested = json_object_get_member (cmdb_run_get_data (first), "slurm_options");
  sweep = json_object_get_member (cmdb_run_get_data (first), "sweep");
  /* The array is named after its sweep. */
  cmdb_slurm_options_set (group->options, "job-name",
                          sweep != NULL && JSON_NODE_HOLDS_VALUE (sweep)
                                  && json_node_get_value_type (sweep) == G_TYPE_STRING
                              ? json_node_get_string (sweep)
                              : default_job_name (first),
                          NULL);
  if (self->context != NULL)
    cmdb_slurm_options_load_config (group->options, cmdb_context_get_config (self->context));
  if (requested != NULL && JSON_NODE_HOLDS_OBJECT (requested)
      && !cmdb_slurm_options_apply_json (group->options, json_node_get_object (requested), &error))
    {
      fail_group (task, error->message, NULL);
      return;
    }
  if (cmdb_slurm_options_get (group->options, "partition") != NULL)
    list_partitions_async (self, cancellable, on_group_partitions, g_steal_pointer (&task));
  else
    submit_group (task, NULL);
}

static gboolean
slurm_start_group_finish (CmdbExecutor *executor, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
executor_iface_init (CmdbExecutorInterface *iface)
{
  iface->get_id = slurm_get_id;
  iface->start_async = slurm_start_async;
  iface->start_finish = slurm_start_finish;
  iface->stop_async = slurm_stop_async;
  iface->stop_finish = slurm_stop_finish;
  iface->is_alive = slurm_is_alive;
  iface->update_async = slurm_update_async;
  iface->update_finish = slurm_update_finish;
  iface->check_options_async = slurm_check_options_async;
  iface->check_options_finish = slurm_check_options_finish;
  iface->load_options_form = slurm_load_options_form;
  iface->start_group_async = slurm_start_group_async;
  iface->start_group_finish = slurm_start_group_finish;
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  /* The module stays resident (C plugins are never unloaded): its
   * directory, where the options form lies, is kept for its life. */
  g_free (module_dir);
  module_dir = g_strdup (peas_object_module_get_path (module));
  cmdb_slurm_executor_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_EXECUTOR, CMDB_TYPE_SLURM_EXECUTOR);
}
