#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "sweep/cmdb-sweep-private.h"
#include "run/cmdb-run-private.h"
#include "base/cmdb-config-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* `cmdbuilder runs`, `cmdbuilder logs RUN`, `cmdbuilder stop RUN`: the runs
 * of a workspace, whether a server or another CLI started them (they all
 * read <state dir>/runs; docs/runs.md). */

/* The follower's buffer: the only memory a follower needs, whatever the
 * size of the log. */
#define FOLLOW_CHUNK (64 * 1024)
/* How often a follower looks for new bytes once it has read everything. */
#define FOLLOW_POLL_USEC (20 * 1000)

static gboolean
write_all (int fd, const void *data, gsize length)
{
  const char *at = data;

  while (length > 0)
    {
      gssize written = write (fd, at, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        return FALSE;
      at += written;
      length -= (gsize) written;
    }
  return TRUE;
}

/* Copies what is there now, at most @max_chunks buffers (so a stream
 * written faster than we read does not starve the other one); TRUE when
 * something was copied. */
static gboolean
copy_available (CmdbLogReader *reader, int fd, guint8 *buffer, guint max_chunks,
                gboolean *ret_output_closed, GError **error)
{
  gboolean copied = FALSE;

  for (guint chunk = 0; chunk < max_chunks; chunk++)
    {
      gssize n = cmdb_log_reader_read (reader, buffer, FOLLOW_CHUNK, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        return copied;
      copied = TRUE;
      /* A reader that went away (a closed pipe) ends the copy, not the run. */
      if (!*ret_output_closed && !write_all (fd, buffer, (gsize) n))
        *ret_output_closed = TRUE;
    }
  return copied;
}

CmdbRun *
cmdb_cli_follow_run (CmdbRunStore *store, CmdbRun *run, gboolean want_stdout, gboolean want_stderr,
                     gboolean follow, volatile int *interrupted, GError **error)
{
  g_autoptr (CmdbLogReader) out
      = want_stdout ? cmdb_log_reader_new (run, CMDB_RUN_STREAM_STDOUT, 0) : NULL;
  g_autoptr (CmdbLogReader) err
      = want_stderr ? cmdb_log_reader_new (run, CMDB_RUN_STREAM_STDERR, 0) : NULL;
  g_autofree guint8 *buffer = g_malloc (FOLLOW_CHUNK);
  g_autoptr (CmdbRun) latest = cmdb_run_ref (run);
  gboolean stop_sent = FALSE;
  gboolean output_closed = FALSE;

  for (;;)
    {
      gboolean copied = FALSE;
      gboolean final;
      guint max_chunks;

      /* The record is read before the logs: once it says the run ended,
       * the supervisor had written every byte, so this pass reads them all. */
      if (follow)
        {
          CmdbRun *loaded = cmdb_run_store_load (store, cmdb_run_get_id (run), error);

          if (loaded == NULL)
            return NULL;
          cmdb_run_unref (latest);
          latest = loaded;
        }
      final = cmdb_run_status_is_final (cmdb_run_get_status (latest));
      /* Once the run has ended (or when not following), read to the end. */
      max_chunks = final || !follow ? G_MAXUINT : 64;
      if (out != NULL)
        {
          gboolean copied_out
              = copy_available (out, STDOUT_FILENO, buffer, max_chunks, &output_closed, error);

          if (error != NULL && *error != NULL)
            return NULL;
          copied |= copied_out;
        }
      if (err != NULL)
        {
          gboolean copied_err
              = copy_available (err, STDERR_FILENO, buffer, max_chunks, &output_closed, error);

          if (error != NULL && *error != NULL)
            return NULL;
          copied |= copied_err;
        }
      if (!follow || final)
        break;
      if (interrupted != NULL && *interrupted && !stop_sent)
        {
          g_autoptr (GError) stop_error = NULL;

          stop_sent = TRUE;
          if (!cmdb_run_store_stop (store, cmdb_run_get_id (run), &stop_error)
              && !g_error_matches (stop_error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING))
            cmdb_cli_error ("%s", stop_error->message);
        }
      if (!copied)
        g_usleep (FOLLOW_POLL_USEC);
    }
  return g_steal_pointer (&latest);
}

static CmdbRunStore *
open_store (CmdbCliCommonOptions *common, CmdbCliSession **ret_session)
{
  g_autoptr (GError) error = NULL;
  CmdbCliSession *session = NULL;
  CmdbRunStore *store;

  /* Runs of `exec` may live in any directory. */
  common->any_directory = TRUE;
  session = cmdb_cli_session_open (common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return NULL;
    }
  *ret_session = session;
  store = cmdb_run_store_new (session->context);
  /* A run of a plugin's executor (Slurm) is checked, stopped and finished
   * by that executor: it is loaded when such a run is met. */
  cmdb_run_store_set_host (store, session->host);
  return store;
}

static char *
format_time (gint64 usec)
{
  g_autoptr (GDateTime) time = NULL;

  if (usec == 0)
    return g_strdup ("-");
  time = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);
  return g_date_time_format (time, "%Y-%m-%d %H:%M:%S");
}

/* "42s", "3m05s", "1h02m", "2d04h": from the start to the end (or now). */
static char *
format_duration (CmdbRun *run)
{
  gint64 started = cmdb_run_get_started_time (run);
  gint64 ended = cmdb_run_get_ended_time (run);
  gint64 seconds;

  if (started == 0)
    return g_strdup ("-");
  if (ended == 0)
    ended = cmdb_run_status_is_final (cmdb_run_get_status (run)) ? started : g_get_real_time ();
  seconds = MAX (ended - started, 0) / G_USEC_PER_SEC;
  if (seconds < 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT "s", seconds);
  if (seconds < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT "m%02" G_GINT64_FORMAT "s", seconds / 60,
                            seconds % 60);
  if (seconds < 86400)
    return g_strdup_printf ("%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", seconds / 3600,
                            seconds % 3600 / 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT "d%02" G_GINT64_FORMAT "h", seconds / 86400,
                          seconds % 86400 / 3600);
}

/* The experiment the run belongs to, as its page named it when the run
 * was created (recorded as "experiment"); "-" for runs without one. */
static const char *
run_experiment (CmdbRun *run)
{
  JsonObject *data = cmdb_run_get_data (run);
  const char *name = json_object_get_string_member_with_default (data, "experiment", NULL);

  return name != NULL && name[0] != '\0' ? name : "-";
}

/* @text cut to @width columns, "~" marking the cut. (transfer full) */
static char *
fit (const char *text, int width)
{
  if ((int) g_utf8_strlen (text, -1) <= width)
    return g_strdup (text);
  {
    g_autofree char *head = g_utf8_substring (text, 0, width - 1);
    return g_strconcat (head, "~", NULL);
  }
}

static void
print_runs (GPtrArray *runs, gboolean wide)
{
  /* 26 + 22 + 9 + 8 + 4 columns and 4 spaces: 73, within 80. */
  if (wide)
    printf ("%-26s %-8s %-24s %-9s %-19s %-8s %-4s %-8s %s\n", "ID", "PAGE", "EXPERIMENT", "STATUS",
            "STARTED", "DURATION", "EXIT", "EXECUTOR", "COMMAND");
  else
    printf ("%-26s %-22s %-9s %-8s %s\n", "ID", "EXPERIMENT", "STATUS", "DURATION", "EXIT");
  for (guint i = 0; i < runs->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (runs, i);
      g_autofree char *duration = format_duration (run);
      g_autofree char *exit_text = NULL;
      const char *status = cmdb_run_status_to_string (cmdb_run_get_status (run));
      int exit_code;

      exit_text = cmdb_run_get_exit_code (run, &exit_code) ? g_strdup_printf ("%d", exit_code)
                                                           : g_strdup ("-");
      if (wide)
        {
          g_autofree char *started = format_time (cmdb_run_get_started_time (run));
          const char *command = cmdb_run_get_edited (run) ? cmdb_run_get_edited_command (run)
                                                          : cmdb_run_get_command (run);

          /* Ids, pages, names and commands come from run records on disk. */
          printf ("%-26s %-8s %-24s %-9s %-19s %-8s %-4s %-8s %s\n",
                  cmdb_cli_safe (cmdb_run_get_id (run)), cmdb_cli_safe (cmdb_run_get_page (run)),
                  cmdb_cli_safe (run_experiment (run)), status, started, duration, exit_text,
                  cmdb_cli_safe (cmdb_run_get_executor (run)), cmdb_cli_safe (command));
        }
      else
        {
          g_autofree char *id = fit (cmdb_cli_safe (cmdb_run_get_id (run)), 26);
          g_autofree char *experiment = fit (cmdb_cli_safe (run_experiment (run)), 22);

          printf ("%-26s %-22s %-9s %-8s %s\n", id, experiment, status, duration, exit_text);
        }
    }
}

CmdbRun *
cmdb_cli_load_run (CmdbRunStore *store, const char *word, GError **error)
{
  g_autoptr (GPtrArray) runs = NULL;
  CmdbRun *newest = NULL;

  if (!g_str_equal (word, "last"))
    return cmdb_run_store_load (store, word, error);
  runs = cmdb_run_store_list (store, NULL, NULL, error);
  if (runs == NULL)
    return NULL;
  for (guint i = 0; i < runs->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (runs, i);

      if (newest == NULL || cmdb_run_get_created_time (run) > cmdb_run_get_created_time (newest)
          || (cmdb_run_get_created_time (run) == cmdb_run_get_created_time (newest)
              && g_strcmp0 (cmdb_run_get_id (run), cmdb_run_get_id (newest)) > 0))
        newest = run;
    }
  if (newest == NULL)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND,
                   "no runs yet in this workspace (cmdbuilder run PAGE starts one)");
      return NULL;
    }
  return cmdb_run_ref (newest);
}

/* `runs delete RUN...`: each named run that has ended. Exit 1 when one
 * cannot be found or deleted (the others are still deleted). */
static int
delete_runs (CmdbRunStore *store, int argc, char **argv)
{
  int status = 0;

  if (argc < 3)
    {
      cmdb_cli_error (
          "runs delete: name one or more RUNs (an id, a unique prefix or last) or SWEEPs");
      return 1;
    }
  for (int i = 2; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CmdbRun) run = NULL;

      /* A whole sweep: its record and every member, none unfinished. */
      if (cmdb_cli_is_sweep_word (argv[i]))
        {
          if (cmdb_cli_delete_sweep (store, argv[i]) != 0)
            status = 1;
          continue;
        }
      run = cmdb_cli_load_run (store, argv[i], &error);

      if (run == NULL || !cmdb_run_delete (run, &error))
        {
          cmdb_cli_error ("%s", error->message);
          status = 1;
          continue;
        }
      cmdb_cli_note ("deleted run %s", cmdb_cli_safe (cmdb_run_get_id (run)));
    }
  return status;
}

/* `runs prune [--older-than DURATION] [--status STATUS]`: every run that
 * has ended and matches; never a run that may still be doing something. */
static int
prune_runs (CmdbRunStore *store, const char *older_than, const char *status, gboolean json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) runs = NULL;
  g_autoptr (JsonArray) deleted = json_array_new ();
  gint64 older_than_ms = 0;
  gint64 now = g_get_real_time ();
  CmdbRunStatus parsed;
  int exit_status = 0;

  if (older_than != NULL && !cmdb_config_parse_duration_ms (older_than, &older_than_ms))
    {
      cmdb_cli_error ("--older-than %s: expected a duration such as 30d, 12h, 90m or 45s",
                      older_than);
      return 1;
    }
  if (status != NULL && !cmdb_run_status_from_string (status, &parsed))
    {
      cmdb_cli_error ("--status %s: expected stopped, succeeded, failed or lost", status);
      return 1;
    }
  if (older_than == NULL && status == NULL)
    {
      cmdb_cli_error (
          "runs prune: say what to delete: --older-than DURATION and/or --status STATUS");
      return 1;
    }
  runs = cmdb_run_store_list (store, NULL, status, &error);
  if (runs == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  for (guint i = 0; i < runs->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (runs, i);
      g_autoptr (GError) delete_error = NULL;

      if (!cmdb_run_is_prunable (run, older_than_ms * 1000, now, status))
        continue;
      if (!cmdb_run_delete (run, &delete_error))
        {
          cmdb_cli_error ("%s", delete_error->message);
          exit_status = 1;
          continue;
        }
      json_array_add_string_element (deleted, cmdb_run_get_id (run));
      if (!json)
        cmdb_cli_note ("deleted run %s (%s)", cmdb_cli_safe (cmdb_run_get_id (run)),
                       cmdb_run_status_to_string (cmdb_run_get_status (run)));
    }
  if (json)
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

      json_node_set_array (node, deleted);
      cmdb_cli_print_json (node);
    }
  else
    cmdb_cli_note ("%u run%s deleted", json_array_get_length (deleted),
                   json_array_get_length (deleted) == 1 ? "" : "s");
  return exit_status;
}

int
cmdb_cli_runs (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean json = FALSE;
  gboolean wide = FALSE;
  g_autofree char *page = NULL;
  g_autofree char *status = NULL;
  g_autofree char *older_than = NULL;
  const GOptionEntry entries[] = {
    { "older-than", 0, 0, G_OPTION_ARG_STRING, &older_than,
      "prune: only runs that ended at least this long ago (30d, 12h, 90m)", "DURATION" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array of run records", NULL },
    { "wide", 0, 0, G_OPTION_ARG_NONE, &wide,
      "Every column in full: page, start time, executor, command", NULL },
    { "page", 'p', 0, G_OPTION_ARG_STRING, &page, "Only the runs of this page", "PAGE" },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status,
      "Only runs with this status (starting, running, stopping, stopped, succeeded, failed, lost)",
      "STATUS" },
    { NULL }
  };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("[delete RUN...|prune] - list the runs, unfinished first, then "
                              "newest; delete runs that ended; prune the history");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (GPtrArray) runs = NULL;
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  common.json_output = json;
  if (argc >= 2 && !g_str_equal (argv[1], "delete") && !g_str_equal (argv[1], "prune"))
    {
      cmdb_cli_error ("runs: unknown action '%s'; expected delete RUN... or prune", argv[1]);
      return 1;
    }
  store = open_store (&common, &session);
  if (store == NULL)
    return 1;
  if (argc >= 2 && g_str_equal (argv[1], "delete"))
    return delete_runs (store, argc, argv);
  if (argc >= 2 && g_str_equal (argv[1], "prune"))
    return prune_runs (store, older_than, status, json);
  /* Queued sweep members whose queue lost its keeper get a new one. */
  cmdb_sweep_recover (store);
  runs = cmdb_run_store_list (store, page, status, &error);
  if (runs == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (json)
    {
      g_autoptr (JsonArray) array = json_array_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < runs->len; i++)
        json_array_add_element (array, cmdb_run_to_json (g_ptr_array_index (runs, i)));
      json_node_set_array (node, array);
      cmdb_cli_print_json (node);
      return 0;
    }
  print_runs (runs, wide);
  return 0;
}

int
cmdb_cli_logs (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean follow = FALSE;
  g_autofree char *stream = NULL;
  const GOptionEntry entries[]
      = { { "follow", 'f', 0, G_OPTION_ARG_NONE, &follow, "Keep printing until the run ends",
            NULL },
          { "stream", 0, 0, G_OPTION_ARG_STRING, &stream,
            "stdout, stderr or both (default): stdout goes to stdout, stderr to stderr", "STREAM" },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("RUN - print a run's output (RUN: an id, a unique prefix or last)");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (CmdbRun) run = NULL;
  g_autoptr (CmdbRun) last = NULL;
  g_autoptr (GError) error = NULL;
  gboolean want_stdout = TRUE, want_stderr = TRUE;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 2)
    {
      cmdb_cli_error ("logs: expected one RUN (an id, a unique prefix or last)");
      return 1;
    }
  if (stream != NULL && g_str_equal (stream, "stdout"))
    want_stderr = FALSE;
  else if (stream != NULL && g_str_equal (stream, "stderr"))
    want_stdout = FALSE;
  else if (stream != NULL && !g_str_equal (stream, "both"))
    {
      fprintf (stderr, "cmdbuilder logs: --stream %s: expected stdout, stderr or both\n", stream);
      return 1;
    }
  store = open_store (&common, &session);
  if (store == NULL)
    return 1;
  run = cmdb_cli_load_run (store, argv[1], &error);
  if (run == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  last = cmdb_cli_follow_run (store, run, want_stdout, want_stderr, follow, NULL, &error);
  if (last == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  return 0;
}

int
cmdb_cli_stop (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean wait = FALSE;
  const GOptionEntry entries[]
      = { { "wait", 0, 0, G_OPTION_ARG_NONE, &wait, "Wait until the run has stopped", NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("RUN|SWEEP - stop a run (an id, a unique prefix or last): SIGTERM, "
                              "then SIGKILL after [run] stop-grace; a queued sweep member is "
                              "cancelled; a sweep (sweep-...) stops its running and queued "
                              "members");
  g_autofree char *id = NULL;
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (CmdbRun) run = NULL;
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 2)
    {
      cmdb_cli_error ("stop: expected one RUN (an id, a unique prefix or last)");
      return 1;
    }
  store = open_store (&common, &session);
  if (store == NULL)
    return 1;
  if (cmdb_cli_is_sweep_word (argv[1]))
    return cmdb_cli_stop_sweep (store, argv[1], wait);
  run = cmdb_cli_load_run (store, argv[1], &error);
  if (run == NULL || !cmdb_run_store_stop (store, cmdb_run_get_id (run), &error))
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (!wait)
    {
      printf ("stopping %s\n", cmdb_cli_safe (cmdb_run_get_id (run)));
      return 0;
    }
  id = g_strdup (cmdb_run_get_id (run));
  g_clear_pointer (&run, cmdb_run_unref);
  run = cmdb_run_store_wait (store, id, -1, &error);
  if (run == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  printf ("%s %s\n", cmdb_cli_safe (cmdb_run_get_id (run)),
          cmdb_run_status_to_string (cmdb_run_get_status (run)));
  return 0;
}
