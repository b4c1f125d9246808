#define G_LOG_DOMAIN "cmdb-run"

#include "cmdb-run-private.h"
#include "state/cmdb-state-private.h"

#include <errno.h>
#include <string.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-run-error-quark, cmdb_run_error)
/* clang-format on */

struct _CmdbRun
{
  gatomicrefcount ref_count;
  char *directory;
  JsonObject *data;
  /* The argv as a zero-terminated array, rebuilt from data on demand. */
  GStrv argv;
  /* Set by the store when the watcher is gone: never written to disk. */
  gboolean lost;
  char *lost_message;
  /* (nullable) The workspace the run is read from, set by the store; when
   * it differs from the recorded "workspace", the workspace moved. */
  char *workspace_now;
  GStrv relocated_argv; /* built on demand */
};

static const char *const status_names[] = {
  [CMDB_RUN_STATUS_STARTING] = "starting",   [CMDB_RUN_STATUS_RUNNING] = "running",
  [CMDB_RUN_STATUS_STOPPING] = "stopping",   [CMDB_RUN_STATUS_STOPPED] = "stopped",
  [CMDB_RUN_STATUS_SUCCEEDED] = "succeeded", [CMDB_RUN_STATUS_FAILED] = "failed",
  [CMDB_RUN_STATUS_LOST] = "lost",           [CMDB_RUN_STATUS_QUEUED] = "queued",
};

const char *
cmdb_run_status_to_string (CmdbRunStatus status)
{
  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (status_names), NULL);
  return status_names[status];
}

gboolean
cmdb_run_status_from_string (const char *text, CmdbRunStatus *ret_status)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (status_names); i++)
    if (g_str_equal (text, status_names[i]))
      {
        *ret_status = (CmdbRunStatus) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
cmdb_run_status_is_final (CmdbRunStatus status)
{
  return status == CMDB_RUN_STATUS_STOPPED || status == CMDB_RUN_STATUS_SUCCEEDED
         || status == CMDB_RUN_STATUS_FAILED || status == CMDB_RUN_STATUS_LOST;
}

const char *
cmdb_run_stream_to_string (CmdbRunStream stream)
{
  return stream == CMDB_RUN_STREAM_STDERR ? "stderr" : "stdout";
}

CmdbRun *
cmdb_run_new_record (const char *directory, const char *id)
{
  CmdbRun *run = g_new0 (CmdbRun, 1);

  g_atomic_ref_count_init (&run->ref_count);
  run->directory = g_strdup (directory);
  run->data = json_object_new ();
  json_object_set_int_member (run->data, "version",
                              cmdb_state_format_version (CMDB_STATE_RUN_RECORD));
  json_object_set_string_member (run->data, "id", id);
  json_object_set_string_member (run->data, "status", "starting");
  return run;
}

CmdbRun *
cmdb_run_ref (CmdbRun *run)
{
  g_return_val_if_fail (run != NULL, NULL);
  g_atomic_ref_count_inc (&run->ref_count);
  return run;
}

void
cmdb_run_unref (CmdbRun *run)
{
  g_return_if_fail (run != NULL);
  if (!g_atomic_ref_count_dec (&run->ref_count))
    return;
  g_free (run->directory);
  json_object_unref (run->data);
  g_strfreev (run->argv);
  g_free (run->lost_message);
  g_free (run->workspace_now);
  g_strfreev (run->relocated_argv);
  g_free (run);
}

CmdbRun *
cmdb_run_load_from_directory (const char *directory, GError **error)
{
  g_autofree char *path = g_build_filename (directory, CMDB_RUN_RECORD_NAME, NULL);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (JsonObject) data
      = cmdb_state_file_load (CMDB_STATE_RUN_RECORD, path, NULL, &local_error);
  CmdbRun *run;

  if (data == NULL)
    {
      g_set_error_literal (
          error, CMDB_RUN_ERROR,
          g_error_matches (local_error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NOT_FOUND)
              ? CMDB_RUN_ERROR_NOT_FOUND
          : g_error_matches (local_error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER)
              ? CMDB_RUN_ERROR_NEWER_FORMAT
              : CMDB_RUN_ERROR_INVALID,
          local_error->message);
      return NULL;
    }
  if (!json_object_has_member (data, "id") || !json_object_has_member (data, "status"))
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_INVALID,
                   "%s: not a run record (an object with \"id\" and \"status\")", path);
      return NULL;
    }
  run = g_new0 (CmdbRun, 1);
  g_atomic_ref_count_init (&run->ref_count);
  run->directory = g_strdup (directory);
  run->data = g_steal_pointer (&data);
  return run;
}

gboolean
cmdb_run_save (CmdbRun *run, GError **error)
{
  g_autofree char *path = g_build_filename (run->directory, CMDB_RUN_RECORD_NAME, NULL);

  /* Atomic and durable (temporary file, fsync, rename): a reader (another
   * process) sees either the old record or the new one, never a torn one,
   * even after a crash. */
  return cmdb_state_file_save (CMDB_STATE_RUN_RECORD, path, run->data, error);
}

static const char *
get_string (CmdbRun *run, const char *key)
{
  JsonNode *node = json_object_get_member (run->data, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

void
cmdb_run_set_string (CmdbRun *run, const char *key, const char *value)
{
  if (value == NULL)
    json_object_set_null_member (run->data, key);
  else
    json_object_set_string_member (run->data, key, value);
}

void
cmdb_run_set_argv (CmdbRun *run, const char *const *argv)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; argv[i] != NULL; i++)
    json_array_add_string_element (array, argv[i]);
  json_object_set_array_member (run->data, "argv", array);
  g_clear_pointer (&run->argv, g_strfreev);
}

void
cmdb_run_set_int (CmdbRun *run, const char *key, gint64 value)
{
  json_object_set_int_member (run->data, key, value);
}

gint64
cmdb_run_get_int (CmdbRun *run, const char *key, gint64 default_value)
{
  JsonNode *node = json_object_get_member (run->data, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return default_value;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return default_value;
}

void
cmdb_run_set_time_now (CmdbRun *run, const char *key)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *text = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

  json_object_set_string_member (run->data, key, text);
}

static gint64
get_time (CmdbRun *run, const char *key)
{
  const char *text = get_string (run, key);
  g_autoptr (GDateTime) time = NULL;

  if (text == NULL)
    return 0;
  time = g_date_time_new_from_iso8601 (text, NULL);
  return time != NULL
             ? g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time)
             : 0;
}

void
cmdb_run_mark_lost (CmdbRun *run, const char *message)
{
  run->lost = TRUE;
  g_free (run->lost_message);
  run->lost_message = g_strdup (message);
}

const char *
cmdb_run_get_id (CmdbRun *run)
{
  return get_string (run, "id");
}

const char *
cmdb_run_get_directory (CmdbRun *run)
{
  return run->directory;
}

const char *
cmdb_run_get_page (CmdbRun *run)
{
  return get_string (run, "page");
}

const char *
cmdb_run_get_executor (CmdbRun *run)
{
  const char *executor = get_string (run, "executor");

  return executor != NULL ? executor : "local";
}

const char *const *
cmdb_run_get_argv (CmdbRun *run)
{
  if (run->argv == NULL)
    {
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
      JsonNode *node = json_object_get_member (run->data, "argv");

      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              const char *word = json_array_get_string_element (array, i);

              g_strv_builder_add (builder, word != NULL ? word : "");
            }
        }
      run->argv = g_strv_builder_end (builder);
    }
  return (const char *const *) run->argv;
}

const char *
cmdb_run_get_command (CmdbRun *run)
{
  const char *command = get_string (run, "command");

  return command != NULL ? command : "";
}

const char *
cmdb_run_get_edited_command (CmdbRun *run)
{
  return get_string (run, "edited_command");
}

gboolean
cmdb_run_get_edited (CmdbRun *run)
{
  JsonNode *node = json_object_get_member (run->data, "edited");

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

const char *
cmdb_run_get_workspace (CmdbRun *run)
{
  return get_string (run, "workspace");
}

void
cmdb_run_set_workspace_now (CmdbRun *run, const char *root)
{
  if (g_strcmp0 (run->workspace_now, root) == 0)
    return;
  g_free (run->workspace_now);
  run->workspace_now = g_strdup (root);
  g_clear_pointer (&run->relocated_argv, g_strfreev);
}

const char *
cmdb_run_get_moved_from (CmdbRun *run)
{
  const char *recorded = cmdb_run_get_workspace (run);

  if (recorded == NULL || run->workspace_now == NULL || g_str_equal (recorded, run->workspace_now))
    return NULL;
  return recorded;
}

const char *const *
cmdb_run_get_relocated_argv (CmdbRun *run)
{
  const char *from = cmdb_run_get_moved_from (run);

  if (from == NULL)
    return cmdb_run_get_argv (run);
  if (run->relocated_argv == NULL)
    run->relocated_argv
        = cmdb_state_relocate_argv (cmdb_run_get_argv (run), from, run->workspace_now);
  return (const char *const *) run->relocated_argv;
}

char *
cmdb_run_relocate_text (CmdbRun *run, const char *text)
{
  const char *from = cmdb_run_get_moved_from (run);

  if (text == NULL)
    return NULL;
  if (from == NULL)
    return g_strdup (text);
  return cmdb_state_relocate_text (text, from, run->workspace_now);
}

const char *
cmdb_run_get_working_directory (CmdbRun *run)
{
  const char *cwd = get_string (run, "cwd");

  return cwd != NULL ? cwd : "/";
}

CmdbRunStatus
cmdb_run_get_status (CmdbRun *run)
{
  CmdbRunStatus status = CMDB_RUN_STATUS_FAILED;

  if (run->lost)
    return CMDB_RUN_STATUS_LOST;
  if (!cmdb_run_status_from_string (get_string (run, "status"), &status))
    return CMDB_RUN_STATUS_FAILED;
  return status;
}

gboolean
cmdb_run_get_exit_code (CmdbRun *run, int *ret_exit_code)
{
  gint64 code = cmdb_run_get_int (run, "exit_code", G_MININT64);

  if (code == G_MININT64)
    return FALSE;
  if (ret_exit_code != NULL)
    *ret_exit_code = (int) code;
  return TRUE;
}

const char *
cmdb_run_get_message (CmdbRun *run)
{
  if (run->lost && run->lost_message != NULL)
    return run->lost_message;
  return get_string (run, "message");
}

gint64
cmdb_run_get_created_time (CmdbRun *run)
{
  return get_time (run, "created_at");
}

gint64
cmdb_run_get_unstarted_since (CmdbRun *run)
{
  gint64 dequeued = get_time (run, "dequeued_at");

  return dequeued > 0 ? dequeued : get_time (run, "created_at");
}

gint64
cmdb_run_get_started_time (CmdbRun *run)
{
  return get_time (run, "started_at");
}

gint64
cmdb_run_get_ended_time (CmdbRun *run)
{
  return get_time (run, "ended_at");
}

char *
cmdb_run_get_log_path (CmdbRun *run, CmdbRunStream stream)
{
  g_autofree char *name = g_strconcat (cmdb_run_stream_to_string (stream), ".log", NULL);

  return g_build_filename (run->directory, name, NULL);
}

gboolean
cmdb_run_get_final_log_size (CmdbRun *run, CmdbRunStream stream, guint64 *ret_size)
{
  const char *key = stream == CMDB_RUN_STREAM_STDERR ? "stderr_bytes" : "stdout_bytes";
  gint64 size = cmdb_run_get_int (run, key, -1);

  if (size < 0)
    return FALSE;
  if (ret_size != NULL)
    *ret_size = (guint64) size;
  return TRUE;
}

JsonObject *
cmdb_run_get_data (CmdbRun *run)
{
  return run->data;
}

JsonNode *
cmdb_run_to_json (CmdbRun *run)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  JsonNode *node;

  json_object_iter_init (&iter, run->data);
  while (json_object_iter_next (&iter, &name, &member))
    json_object_set_member (copy, name, json_node_copy (member));
  json_object_set_string_member (copy, "status",
                                 cmdb_run_status_to_string (cmdb_run_get_status (run)));
  if (run->lost && run->lost_message != NULL)
    json_object_set_string_member (copy, "message", run->lost_message);
  /* A lost run whose command still lives (its supervisor was killed): say
   * so; `cmdbuilder stop` or Stop ends it and its descendants. Only the
   * command's own process is checked here (two small reads), listings
   * being frequent; stopping looks for every descendant. */
  if (run->lost)
    {
      GPid pid = (GPid) cmdb_run_get_int (run, "pid", 0);
      gboolean alive = pid > 0 && cmdb_run_process_is_leftover (pid, cmdb_run_get_id (run));

      json_object_set_boolean_member (copy, "processes_alive", alive);
      if (alive)
        {
          g_autofree char *message = g_strdup_printf (
              "%s; its command still runs (process %d): stop the run to end it",
              run->lost_message != NULL ? run->lost_message : "the run is lost", (int) pid);
          json_object_set_string_member (copy, "message", message);
        }
    }
  json_object_set_string_member (copy, "directory", run->directory);
  /* The record keeps what ran, for the audit; a moved workspace's reader
   * also sees where that is now, and a rerun uses it. */
  if (cmdb_run_get_moved_from (run) != NULL)
    {
      JsonObject *relocated = json_object_new ();
      const char *const *argv = cmdb_run_get_relocated_argv (run);
      JsonArray *array = json_array_new ();
      g_autofree char *command = cmdb_run_relocate_text (run, cmdb_run_get_command (run));

      for (guint i = 0; argv[i] != NULL; i++)
        json_array_add_string_element (array, argv[i]);
      json_object_set_string_member (relocated, "workspace", run->workspace_now);
      json_object_set_array_member (relocated, "argv", array);
      json_object_set_string_member (relocated, "command", command);
      json_object_set_object_member (copy, "relocated", relocated);
    }
  node = json_node_init_object (json_node_alloc (), copy);
  json_object_unref (copy);
  return node;
}

void
cmdb_run_set_status (CmdbRun *run, CmdbRunStatus status)
{
  g_return_if_fail (status != CMDB_RUN_STATUS_LOST);
  json_object_set_string_member (run->data, "status", cmdb_run_status_to_string (status));
}

void
cmdb_run_set_message (CmdbRun *run, const char *message)
{
  cmdb_run_set_string (run, "message", message);
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbRun, cmdb_run, cmdb_run_ref, cmdb_run_unref)
