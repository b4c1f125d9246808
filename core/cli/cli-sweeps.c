#define G_LOG_DOMAIN "cmdb-cli"

/* Launched sweeps on the command line: `run --sweep` (create, hand the
 * queue to a sweep supervisor, follow), `sweeps`, `sweep SWEEP` (the
 * comparison, --json, --csv, --rerun-failed), `stop SWEEP`, `runs delete
 * SWEEP` and the hidden `sweep-supervise`. The sweep itself lives in
 * core/sweep (docs/sweeps.md). */

#include "cli.h"
#include "run/cmdb-run-private.h"
#include "sweep/cmdb-sweep-private.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* How often a foreground sweep looks at its members. */
#define FOLLOW_POLL_USEC (200 * 1000)
/* A queue without its supervisor for this long gets a new one. */
#define RESPAWN_AFTER_USEC (3 * G_USEC_PER_SEC)

static volatile int interrupted;

static void
on_interrupt (int signal_number)
{
  interrupted = 1;
}

gboolean
cmdb_cli_is_sweep_word (const char *word)
{
  return g_str_has_prefix (word, "sweep-");
}

static CmdbRunStore *
open_session_store (CmdbCliCommonOptions *common, CmdbCliSession **ret_session)
{
  g_autoptr (GError) error = NULL;

  common->any_directory = TRUE;
  *ret_session = cmdb_cli_session_open (common, &error);
  if (*ret_session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return NULL;
    }
  return cmdb_cli_open_run_store (*ret_session);
}

/* (transfer full): "KEY=VALUE ..." of member @index, in the sweep's key
 * order (the first --sweep first). */
static char *
member_label (CmdbSweep *sweep, guint index)
{
  JsonArray *keys = json_object_get_array_member (cmdb_sweep_get_data (sweep), "keys");
  JsonObject *values = cmdb_sweep_get_member_values (sweep, index);
  GString *label = g_string_new (NULL);

  for (guint k = 0; values != NULL && keys != NULL && k < json_array_get_length (keys); k++)
    {
      const char *key = json_array_get_string_element (keys, k);
      JsonNode *value = json_object_get_member (values, key);
      g_autofree char *text = value != NULL ? cmdb_sweep_value_text (value) : g_strdup ("");

      g_string_append_printf (label, "%s%s=%s", label->len > 0 ? " " : "", key, text);
    }
  return g_string_free (label, FALSE);
}

/* One line for a member that ended: id, status, exit, its values. */
static void
print_member_line (CmdbSweep *sweep, guint index, CmdbRun *run)
{
  g_autofree char *label = member_label (sweep, index);
  int exit_code = 0;
  g_autofree char *exit_text = cmdb_run_get_exit_code (run, &exit_code)
                                   ? g_strdup_printf ("exit %d", exit_code)
                                   : g_strdup ("exit -");

  printf ("%s  %-9s  %-8s  %s  (%u/%u)\n", cmdb_cli_safe (cmdb_run_get_id (run)),
          cmdb_run_status_to_string (cmdb_run_get_status (run)), exit_text, cmdb_cli_safe (label),
          index + 1, cmdb_sweep_get_n_members (sweep));
  fflush (stdout);
}

/* Follows @sweep until every member has ended; returns the exit status. */
static int
follow_sweep (CmdbRunStore *store, CmdbSweep *sweep)
{
  guint n = cmdb_sweep_get_n_members (sweep);
  g_autofree gboolean *reported = g_new0 (gboolean, n);
  gboolean stop_sent = FALSE;
  gboolean all_succeeded = TRUE;
  gint64 supervisor_missing_since = 0;

  for (;;)
    {
      g_autoptr (GPtrArray) members = cmdb_sweep_load_members (store, sweep);
      gboolean all_final = TRUE;
      gboolean any_queued = FALSE;

      for (guint i = 0; i < members->len; i++)
        {
          CmdbRun *run = g_ptr_array_index (members, i);
          CmdbRunStatus status;

          if (run == NULL)
            continue; /* deleted meanwhile */
          status = cmdb_run_get_status (run);
          any_queued |= status == CMDB_RUN_STATUS_QUEUED;
          if (!cmdb_run_status_is_final (status))
            {
              all_final = FALSE;
              continue;
            }
          if (!reported[i])
            {
              reported[i] = TRUE;
              all_succeeded &= status == CMDB_RUN_STATUS_SUCCEEDED;
              print_member_line (sweep, i, run);
            }
        }
      if (all_final)
        break;
      if (interrupted && !stop_sent)
        {
          g_autoptr (GError) error = NULL;

          stop_sent = TRUE;
          cmdb_cli_note ("stopping sweep %s", cmdb_sweep_get_id (sweep));
          if (!cmdb_sweep_stop (store, sweep, TRUE, &error))
            cmdb_cli_error ("%s", error->message);
        }
      /* The queue's keeper was killed: a new one takes it over. */
      if (any_queued && !stop_sent && !cmdb_sweep_supervisor_alive (sweep))
        {
          if (supervisor_missing_since == 0)
            supervisor_missing_since = g_get_monotonic_time ();
          else if (g_get_monotonic_time () - supervisor_missing_since > RESPAWN_AFTER_USEC)
            {
              g_autoptr (GError) error = NULL;

              cmdb_cli_note ("sweep %s: its supervisor is gone; starting a new one",
                             cmdb_sweep_get_id (sweep));
              if (!cmdb_sweep_launch (store, sweep, &error))
                cmdb_cli_error ("%s", error->message);
              supervisor_missing_since = 0;
            }
        }
      else
        supervisor_missing_since = 0;
      g_usleep (FOLLOW_POLL_USEC);
    }
  if (interrupted)
    return 130;
  return all_succeeded ? 0 : 1;
}

int
cmdb_cli_run_sweep (CmdbCliSession *session, const char *page_id,
                    const CmdbCliPageCommandFlags *flags, char **specs, gint parallel,
                    const char *executor, JsonObject *executor_options, gboolean detach,
                    gboolean force)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) axes = NULL;
  g_autoptr (GPtrArray) members = cmdb_cli_sweep_members (session, specs, &axes, &error);
  g_autoptr (GPtrArray) specs_out
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_sweep_member_spec_free);
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (CmdbSweep) sweep = NULL;
  struct sigaction action = { 0 };
  struct sigaction old_int;
  struct sigaction old_term;
  int worst = 0;
  int status;

  if (members == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 2;
    }
  for (guint i = 0; i < axes->len; i++)
    g_ptr_array_add (keys, ((CmdbSweepAxis *) g_ptr_array_index (axes, i))->key);
  for (guint i = 0; i < members->len; i++)
    {
      JsonObject *member = g_ptr_array_index (members, i);
      g_autofree char *label = cmdb_cli_sweep_member_label (member);
      g_autoptr (CmdbFormState) state = NULL;
      g_autoptr (CmdbCommand) command = NULL;
      g_autoptr (GError) member_error = NULL;
      g_autofree char *experiment = NULL;
      CmdbSweepMemberSpec *spec;
      int member_status = 1;

      command = cmdb_cli_build_sweep_member (session, page_id, flags, member, &state, &experiment,
                                             &member_status, &member_error);
      if (member_error != NULL)
        cmdb_cli_error ("%s: %s", cmdb_cli_safe (label), member_error->message);
      else if (member_status != 0)
        cmdb_cli_error ("member %u (%s) would not run (see above)", i + 1, cmdb_cli_safe (label));
      /* --force runs what Hydra would not compose; a form error still stops. */
      if (command == NULL || command->errors->len > 0 || (member_status != 0 && !force))
        {
          worst = MAX (worst, member_status != 0 ? member_status : 2);
          continue;
        }
      spec = g_new0 (CmdbSweepMemberSpec, 1);
      spec->values = json_object_ref (member);
      spec->form_values = json_object_ref (cmdb_form_state_get_values (state));
      spec->command = g_strdup (command->display);
      spec->experiment = g_steal_pointer (&experiment);
      {
        g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

        for (guint w = 0; w < command->argv->len; w++)
          g_strv_builder_add (builder, g_ptr_array_index (command->argv, w));
        spec->argv = g_strv_builder_end (builder);
      }
      g_ptr_array_add (specs_out, spec);
    }
  if (worst != 0)
    {
      cmdb_cli_error ("a member of the sweep would not run (see above); nothing was run%s",
                      force ? "" : ". A command Hydra would not compose runs with --force.");
      return worst;
    }
  store = cmdb_cli_open_run_store (session);
  sweep = cmdb_sweep_create (store, page_id, executor,
                             parallel > 0 ? (guint) parallel
                                          : cmdb_sweep_get_default_parallel (session->config),
                             keys, specs_out, executor_options, NULL, &error);
  if (sweep == NULL || !cmdb_sweep_launch (store, sweep, &error))
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  cmdb_cli_note ("sweep %s: %u members, %" G_GINT64_FORMAT " at a time", cmdb_sweep_get_id (sweep),
                 cmdb_sweep_get_n_members (sweep),
                 json_object_get_int_member (cmdb_sweep_get_data (sweep), "parallel"));
  cmdb_cli_note ("  compare: cmdbuilder sweep %s", cmdb_sweep_get_id (sweep));
  cmdb_cli_note ("  stop:    cmdbuilder stop %s", cmdb_sweep_get_id (sweep));
  if (detach)
    {
      printf ("%s\n", cmdb_sweep_get_id (sweep));
      return 0;
    }
  action.sa_handler = on_interrupt;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, &old_int);
  sigaction (SIGTERM, &action, &old_term);
  status = follow_sweep (store, sweep);
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  return status;
}

int
cmdb_cli_stop_sweep (CmdbRunStore *store, const char *word, gboolean wait)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbSweep) sweep = cmdb_sweep_load (store, word, &error);

  if (sweep == NULL || !cmdb_sweep_stop (store, sweep, TRUE, &error))
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (!wait)
    {
      printf ("stopping %s\n", cmdb_cli_safe (cmdb_sweep_get_id (sweep)));
      return 0;
    }
  for (;;)
    {
      g_autoptr (GPtrArray) members = cmdb_sweep_load_members (store, sweep);
      const char *status = cmdb_sweep_status (sweep, members);

      if (cmdb_sweep_status_is_final (status))
        {
          printf ("%s %s\n", cmdb_cli_safe (cmdb_sweep_get_id (sweep)), status);
          return 0;
        }
      g_usleep (FOLLOW_POLL_USEC);
    }
}

int
cmdb_cli_delete_sweep (CmdbRunStore *store, const char *word)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbSweep) sweep = cmdb_sweep_load (store, word, &error);

  if (sweep == NULL || !cmdb_sweep_delete (store, sweep, &error))
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  cmdb_cli_note ("deleted sweep %s (%u runs)", cmdb_cli_safe (cmdb_sweep_get_id (sweep)),
                 cmdb_sweep_get_n_members (sweep));
  return 0;
}

/* `cmdbuilder sweeps [--json]` */
int
cmdb_cli_sweeps (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[] = { { "json", 0, 0, G_OPTION_ARG_NONE, &json,
                                     "Print [{id, page, count, status, counts, ...}]", NULL },
                                   { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("- list the sweeps, newest first");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (GPtrArray) sweeps = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) array = json_array_new ();

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 1)
    {
      cmdb_cli_error ("sweeps: takes no arguments (cmdbuilder sweep SWEEP shows one)");
      return 1;
    }
  common.json_output = json;
  store = open_session_store (&common, &session);
  if (store == NULL)
    return 1;
  /* A queue whose supervisor is gone gets a new one (docs/sweeps.md). */
  cmdb_sweep_recover (store);
  sweeps = cmdb_sweep_list (store, &error);
  if (sweeps == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (!json && sweeps->len > 0)
    printf ("%-40s %-10s %5s  %-9s %s\n", "SWEEP", "PAGE", "COUNT", "STATUS", "MEMBERS");
  for (guint i = 0; i < sweeps->len; i++)
    {
      CmdbSweep *sweep = g_ptr_array_index (sweeps, i);
      g_autoptr (GPtrArray) members = cmdb_sweep_load_members (store, sweep);
      g_autoptr (JsonNode) node = cmdb_sweep_to_json (sweep, members, FALSE);

      if (!json)
        {
          JsonObject *counts
              = json_object_get_object_member (json_node_get_object (node), "counts");
          g_autoptr (GList) names = json_object_get_members (counts);
          g_autoptr (GString) text = g_string_new (NULL);

          for (GList *l = names; l != NULL; l = l->next)
            g_string_append_printf (text, "%s%" G_GINT64_FORMAT " %s", text->len > 0 ? ", " : "",
                                    json_object_get_int_member (counts, l->data),
                                    (const char *) l->data);
          printf ("%-40s %-10s %5u  %-9s %s\n", cmdb_cli_safe (cmdb_sweep_get_id (sweep)),
                  cmdb_cli_safe (cmdb_sweep_get_page (sweep)), cmdb_sweep_get_n_members (sweep),
                  cmdb_sweep_status (sweep, members), text->str);
        }
      json_array_add_element (array, g_steal_pointer (&node));
    }
  if (json)
    {
      g_autoptr (JsonNode) root = json_node_new (JSON_NODE_ARRAY);

      json_node_set_array (root, array);
      cmdb_cli_print_json (root);
    }
  else if (sweeps->len == 0)
    cmdb_cli_note ("no sweeps yet (cmdbuilder run PAGE --sweep KEY=a,b starts one)");
  return 0;
}

/* The comparison table for a person: run, keys, status, exit, metrics; the
 * best row marked with '*'. */
static void
print_report (JsonNode *report)
{
  JsonObject *object = json_node_get_object (report);
  JsonArray *keys = json_object_get_array_member (object, "keys");
  JsonArray *names = json_object_get_array_member (object, "metric_names");
  JsonArray *rows = json_object_get_array_member (object, "members");
  JsonObject *best = json_object_get_object_member (object, "best");

  printf ("sweep %s  page %s  %s  %u members\n",
          cmdb_cli_safe (json_object_get_string_member (object, "id")),
          cmdb_cli_safe (json_object_get_string_member (object, "page")),
          json_object_get_string_member (object, "status"), json_array_get_length (rows));
  printf ("  %-32s", "RUN");
  for (guint k = 0; k < json_array_get_length (keys); k++)
    printf (" %-14s", cmdb_cli_safe (json_array_get_string_element (keys, k)));
  printf (" %-9s %4s %8s", "STATUS", "EXIT", "TIME");
  for (guint m = 0; m < json_array_get_length (names); m++)
    printf (" %12s", cmdb_cli_safe (json_array_get_string_element (names, m)));
  printf ("\n");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonObject *values = json_object_get_object_member (row, "values");
      JsonObject *metrics = json_object_get_object_member (row, "metrics");
      JsonNode *exit_code = json_object_get_member (row, "exit_code");
      JsonNode *duration = json_object_get_member (row, "duration_s");

      printf ("%c %-32s", json_object_get_boolean_member (row, "best") ? '*' : ' ',
              cmdb_cli_safe (json_object_get_string_member (row, "run")));
      for (guint k = 0; k < json_array_get_length (keys); k++)
        {
          JsonNode *value
              = values != NULL
                    ? json_object_get_member (values, json_array_get_string_element (keys, k))
                    : NULL;
          g_autofree char *text = value != NULL ? cmdb_sweep_value_text (value) : g_strdup ("");

          printf (" %-14s", cmdb_cli_safe (text));
        }
      printf (" %-9s", json_object_get_string_member (row, "status"));
      if (exit_code != NULL && !JSON_NODE_HOLDS_NULL (exit_code))
        printf (" %4" G_GINT64_FORMAT, json_node_get_int (exit_code));
      else
        printf (" %4s", "-");
      if (duration != NULL && !JSON_NODE_HOLDS_NULL (duration))
        printf (" %7.1fs", json_node_get_double (duration));
      else
        printf (" %8s", "-");
      for (guint m = 0; m < json_array_get_length (names); m++)
        {
          const char *name = json_array_get_string_element (names, m);

          if (metrics != NULL && json_object_has_member (metrics, name))
            printf (" %12.4g", json_object_get_double_member (metrics, name));
          else
            printf (" %12s", "-");
        }
      printf ("\n");
    }
  if (!JSON_NODE_HOLDS_NULL (json_object_get_member (best, "run")))
    printf ("best by %s (%s): %s\n", cmdb_cli_safe (json_object_get_string_member (best, "metric")),
            json_object_get_string_member (best, "goal"),
            cmdb_cli_safe (json_object_get_string_member (best, "run")));
}

/* `sweep SWEEP --rerun-failed`: a new sweep of the members that failed,
 * were lost or were stopped, with their exact commands; followed like
 * `run --sweep` unless @detach. */
static int
rerun_failed (CmdbRunStore *store, CmdbSweep *sweep, gint parallel, gboolean detach)
{
  g_autoptr (CmdbSweep) rerun = NULL;
  g_autoptr (GError) error = NULL;
  struct sigaction action = { 0 };

  rerun = cmdb_sweep_rerun_failed (store, sweep, parallel > 0 ? (guint) parallel : 0, &error);
  if (rerun == NULL)
    {
      if (g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND))
        {
          cmdb_cli_note ("%s", error->message);
          return 0;
        }
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  cmdb_cli_note ("sweep %s: %u members of %s again", cmdb_sweep_get_id (rerun),
                 cmdb_sweep_get_n_members (rerun), cmdb_sweep_get_id (sweep));
  if (detach)
    {
      printf ("%s\n", cmdb_sweep_get_id (rerun));
      return 0;
    }
  action.sa_handler = on_interrupt;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
  return follow_sweep (store, rerun);
}

/* `cmdbuilder sweep SWEEP [--json|--csv] [--rerun-failed [--detach]]` */
int
cmdb_cli_sweep (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean json = FALSE, csv = FALSE, rerun = FALSE, detach = FALSE;
  gint parallel = 0;
  const GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json,
            "Print the comparison as JSON (members, values, status, metrics, best)", NULL },
          { "csv", 0, 0, G_OPTION_ARG_NONE, &csv,
            "Print the comparison as CSV: run, the varying keys, status, exit, the metrics", NULL },
          { "rerun-failed", 0, 0, G_OPTION_ARG_NONE, &rerun,
            "Start a new sweep of the members that failed, were lost or were stopped", NULL },
          { "parallel", 'j', 0, G_OPTION_ARG_INT, &parallel,
            "With --rerun-failed: members at a time (default: the sweep's)", "K" },
          { "detach", 'd', 0, G_OPTION_ARG_NONE, &detach,
            "With --rerun-failed: print the new sweep's id and leave it running", NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("SWEEP - compare a sweep's members (an id, a unique prefix or last)");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (CmdbSweep) sweep = NULL;
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 2)
    {
      cmdb_cli_error ("sweep: expected one SWEEP (an id, a unique prefix or last)");
      return 1;
    }
  if ((json ? 1 : 0) + (csv ? 1 : 0) + (rerun ? 1 : 0) > 1)
    {
      cmdb_cli_error ("sweep: --json, --csv and --rerun-failed exclude each other");
      return 1;
    }
  common.json_output = json || csv;
  store = open_session_store (&common, &session);
  if (store == NULL)
    return 1;
  cmdb_sweep_recover (store);
  sweep = cmdb_sweep_load (store, argv[1], &error);
  if (sweep == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (rerun)
    return rerun_failed (store, sweep, parallel, detach);
  report = cmdb_sweep_report (store, sweep);
  if (json)
    cmdb_cli_print_json (report);
  else if (csv)
    {
      g_autofree char *text = cmdb_sweep_report_to_csv (report);

      fputs (text, stdout);
    }
  else
    print_report (report);
  return 0;
}

/* `cmdbuilder sweep-supervise SWEEP_DIR`: the keeper of one sweep's local
 * queue, spawned by cmdb_sweep_launch() and recovery (never by people:
 * hidden from --help). It leaves the session of whoever spawned it first,
 * so a Ctrl-C at their terminal never reaches it. */
int
cmdb_cli_sweep_supervise (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("SWEEP_DIR - hold one sweep's queue (internal)");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbRunStore) store = NULL;
  g_autofree char *log_path = NULL;

  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 2)
    {
      fprintf (stderr, "cmdbuilder sweep-supervise: expected one SWEEP_DIR\n");
      return 1;
    }
  setsid ();
  log_path = g_build_filename (argv[1], "supervisor.log", NULL);
  if (freopen (log_path, "a", stderr) == NULL)
    return 1;
  store = open_session_store (&common, &session);
  if (store == NULL)
    return 1;
  return cmdb_sweep_supervise (store, argv[1]);
}
