#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "run/cmdb-run-private.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* `cmdbuilder run PAGE` and `cmdbuilder exec -- ARGV...`: start a run
 * (recorded under the workspace's state directory, watched by its own
 * supervisor) and stream its output until it ends, exiting with its exit
 * code. Ctrl-C stops the run (exit 130); --detach prints the run id and
 * leaves it running. Killing this process does not stop the run. */

static volatile int interrupted;

static void
on_interrupt (int signal_number)
{
  interrupted = 1;
}

/* A store that loads executor plugins (Slurm) through the session's host,
 * only when a run names one. */
CmdbRunStore *
cmdb_cli_open_run_store (CmdbCliSession *session)
{
  CmdbRunStore *store = cmdb_run_store_new (session->context);

  cmdb_run_store_set_host (store, session->host);
  return store;
}

/* Parses --slurm KEY=VALUE options into the object recorded in the run as
 * "slurm_options" (the Slurm executor reads it when it submits and checks
 * the keys and values; docs/slurm.md). "extra" may be given several times:
 * each is one more #SBATCH line. Checked before the run is created, so a
 * usage error leaves no run behind. Returns TRUE with @ret_options NULL
 * when there are none. */
static gboolean
parse_slurm_options (CmdbCliSession *session, const char *executor, char **options,
                     JsonObject **ret_options, GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  JsonArray *extra = NULL;

  *ret_options = NULL;
  if (options == NULL || options[0] == NULL)
    return TRUE;
  if (executor == NULL)
    executor = cmdb_config_get_string (session->config, "run", "executor");
  if (g_strcmp0 (executor, "slurm") != 0)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED,
                   "--slurm needs the slurm executor (--executor slurm or [run] executor = slurm)");
      return FALSE;
    }
  object = json_object_new ();
  for (guint i = 0; options[i] != NULL; i++)
    {
      const char *equals = strchr (options[i], '=');
      g_autofree char *key = NULL;

      if (equals == NULL || equals == options[i])
        {
          g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED,
                       "--slurm %s: expected KEY=VALUE", options[i]);
          return FALSE;
        }
      key = g_strndup (options[i], equals - options[i]);
      if (g_str_equal (key, "extra"))
        {
          if (extra == NULL)
            {
              extra = json_array_new ();
              json_object_set_array_member (object, "extra", extra);
            }
          json_array_add_string_element (extra, equals + 1);
        }
      else
        json_object_set_string_member (object, key, equals + 1);
    }
  *ret_options = g_steal_pointer (&object);
  return TRUE;
}

/* Creates the run with its executor options (recorded as
 * "<executor>_options") and the page's experiment name (for `runs`). */
static CmdbRun *
create_run (CmdbRunStore *store, const char *page, const char *const *argv, const char *display,
            const char *edited, JsonObject *values, const char *experiment, const char *executor,
            JsonObject *executor_options, GError **error)
{
  g_autoptr (CmdbRun) run
      = cmdb_run_store_create (store, page, argv, display, edited, values, executor, error);

  if (run == NULL)
    return NULL;
  if (executor_options == NULL && experiment == NULL)
    return g_steal_pointer (&run);
  if (executor_options != NULL)
    {
      g_autofree char *key = g_strdup_printf ("%s_options", cmdb_run_get_executor (run));

      json_object_set_object_member (cmdb_run_get_data (run), key,
                                     json_object_ref (executor_options));
    }
  if (experiment != NULL)
    json_object_set_string_member (cmdb_run_get_data (run), "experiment", experiment);
  if (!cmdb_run_save (run, error))
    return NULL;
  return g_steal_pointer (&run);
}

/* The run id first, and how to reach the run from another shell: the
 * foreground output may be long, and the terminal may go away. */
static void
announce_run (CmdbRun *run)
{
  const char *id = cmdb_run_get_id (run);

  cmdb_cli_note ("run %s", id);
  cmdb_cli_note ("  follow: cmdbuilder logs %s --follow   (or: logs last -f)", id);
  cmdb_cli_note ("  stop:   cmdbuilder stop %s             (or: stop last)", id);
}

/* Starts @run and streams it; returns the process exit status. */
static int
start_and_follow (CmdbRunStore *store, CmdbRun *run, gboolean detach)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbRun) started = NULL;
  g_autoptr (CmdbRun) last = NULL;
  int exit_code = 1;

  announce_run (run);
  started = cmdb_run_store_start (store, run, &error);
  if (started == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  /* Failed with no start time: the command could not be executed, nothing
   * ran, the record says why. (A quick command can also have run and
   * failed already by now: that one is followed or detached like any.) */
  if (cmdb_run_get_status (started) == CMDB_RUN_STATUS_FAILED
      && cmdb_run_get_started_time (started) <= 0)
    {
      if (detach)
        printf ("%s\n", cmdb_cli_safe (cmdb_run_get_id (started)));
      fprintf (stderr, "cmdbuilder: %s\n",
               cmdb_run_get_message (started) != NULL ? cmdb_run_get_message (started)
                                                      : "the command could not be started");
      return cmdb_run_get_exit_code (started, &exit_code) ? exit_code : 1;
    }
  if (detach)
    {
      printf ("%s\n", cmdb_cli_safe (cmdb_run_get_id (started)));
      return 0;
    }

  last = cmdb_cli_follow_run (store, started, TRUE, TRUE, TRUE, &interrupted, &error);
  if (last == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (cmdb_run_get_status (last) == CMDB_RUN_STATUS_STOPPED && interrupted)
    return 130;
  if (cmdb_run_get_status (last) == CMDB_RUN_STATUS_LOST)
    {
      fprintf (stderr, "cmdbuilder: run %s is lost: %s\n", cmdb_run_get_id (last),
               cmdb_run_get_message (last));
      return 1;
    }
  return cmdb_run_get_exit_code (last, &exit_code) ? exit_code : 1;
}

/* Ctrl-C and SIGTERM are caught from before the run starts: a signal that
 * arrives while the executor is starting it (the run may already be
 * listed as running) then stops the run once it has started, instead of
 * killing this process. A detached start is not guarded: nothing follows. */
static int
start_and_stream (CmdbRunStore *store, CmdbRun *run, gboolean detach)
{
  struct sigaction action = { 0 };
  struct sigaction old_int;
  struct sigaction old_term;
  int status;

  if (detach)
    return start_and_follow (store, run, detach);
  action.sa_handler = on_interrupt;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, &old_int);
  sigaction (SIGTERM, &action, &old_term);
  status = start_and_follow (store, run, detach);
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  return status;
}

/* What run, exec and rerun share: create the run (create_run), report a
 * failure, then start and stream it (start_and_stream). Returns the
 * process exit status. */
static int
create_and_stream (CmdbRunStore *store, const char *page, const char *const *argv,
                   const char *display, const char *edited, JsonObject *values,
                   const char *experiment, const char *executor, JsonObject *executor_options,
                   gboolean detach)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbRun) run = create_run (store, page, argv, display, edited, values, experiment,
                                        executor, executor_options, &error);

  if (run == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  return start_and_stream (store, run, detach);
}

/* The composition check of what a run would execute (@words: an argv, or
 * NULL to split @edited); FALSE (and the problems on stderr) when Hydra
 * would not compose it. */
static gboolean
composes_or_report (CmdbCliSession *session, const char *page_id, GPtrArray *words,
                    const char *edited, CmdbComposeResult **ret_compose)
{
  g_autoptr (CmdbPageSession) page_session = NULL;
  g_autoptr (GPtrArray) split = NULL;

  if (page_id == NULL)
    return TRUE; /* exec --page-less runs have no config to compose */
  page_session = cmdb_page_session_open (session->host, session->context, page_id, NULL);
  if (words == NULL && edited != NULL)
    words = split = cmdb_command_split_text (edited, NULL);
  if (page_session == NULL || words == NULL)
    return TRUE; /* the run itself reports an unusable page or text */
  g_clear_pointer (ret_compose, cmdb_compose_result_free);
  *ret_compose = cmdb_page_session_compose_argv (page_session, words);
  if (*ret_compose == NULL || cmdb_compose_result_get_ok (*ret_compose))
    return TRUE;
  cmdb_cli_print_compose_result (*ret_compose, page_id, stderr);
  return FALSE;
}

int
cmdb_cli_run (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_auto (GStrv) sets = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *use_case_id = NULL;
  g_autofree char *preset = NULL;
  g_autofree char *experiment = NULL;
  g_autofree char *executor = NULL;
  g_auto (GStrv) slurm_options = NULL;
  g_autoptr (JsonObject) parsed_slurm_options = NULL;
  g_auto (GStrv) sweeps = NULL;
  gint parallel = 0;
  gboolean detach = FALSE;
  gboolean force = FALSE;
  const GOptionEntry entries[]
      = { { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets,
            "Set a form value (as for cmdbuilder build); repeatable", "KEY=VALUE" },
          { "sweep", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sweeps,
            "Several values of a key: one run per member of the product of every --sweep "
            "(KEY=a,b,c or KEY=range(start,stop,step)), queued as one sweep; repeatable",
            "KEY=VALUES" },
          { "parallel", 'j', 0, G_OPTION_ARG_INT, &parallel,
            "With --sweep: how many members run at a time (default: [sweep] parallel, 1)", "K" },
          { "use-case", 0, 0, G_OPTION_ARG_STRING, &use_case_id,
            "Apply a suggested setup first (--set values still win)", "ID" },
          { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
            "Run even when Hydra would not compose the command", NULL },
          { "preset", 0, 0, G_OPTION_ARG_STRING, &preset,
            "Apply a preset (cmdbuilder presets PAGE) after the use case (--set values still win)",
            "NAME" },
          { "executor", 'e', 0, G_OPTION_ARG_STRING, &executor,
            "Run with this executor (local, slurm; default: [run] executor)", "ID" },
          { "slurm", 0, 0, G_OPTION_ARG_STRING_ARRAY, &slurm_options,
            "A Slurm option (partition, nodes, gpus, cpus-per-task, mem, time, account, qos, "
            "job-name, extra); repeatable",
            "KEY=VALUE" },
          { "command", 0, 0, G_OPTION_ARG_STRING, &edited,
            "Run this text instead of the page's command (recorded as edited)", "TEXT" },
          { "detach", 'd', 0, G_OPTION_ARG_NONE, &detach,
            "Print the run id (with --sweep: the sweep id, once queued) and leave it running",
            NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context = g_option_context_new ("PAGE - run a page's command");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (CmdbFormState) state = NULL;
  g_autoptr (CmdbCommand) command = NULL;
  g_autoptr (CmdbComposeResult) compose = NULL;
  g_autoptr (GPtrArray) words = NULL;
  g_autoptr (GError) error = NULL;
  CmdbCliPageCommandFlags flags = { 0 };
  int status = 1;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse_page_options (option_context, &common, &argc, &argv, &status))
    return status;
  if (argc != 2)
    {
      cmdb_cli_error ("run: expected one PAGE (e.g. train); run with --help for the options");
      return 1;
    }
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (!parse_slurm_options (session, executor, slurm_options, &parsed_slurm_options, &error))
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  flags.sets = sets;
  flags.use_case_id = use_case_id;
  flags.preset = preset;
  flags.suffix = -1;
  flags.compose_check = edited == NULL;
  if (sweeps != NULL)
    {
      if (edited != NULL)
        {
          cmdb_cli_error ("run: --command and --sweep exclude each other");
          return 1;
        }
      return cmdb_cli_run_sweep (session, argv[1], &flags, sweeps, parallel, executor,
                                 parsed_slurm_options, detach, force);
    }
  if (parallel != 0)
    {
      cmdb_cli_error ("run: --parallel applies to a sweep (--sweep KEY=VALUES)");
      return 1;
    }
  command = cmdb_cli_build_page_command (session, argv[1], &flags, &state, &experiment, &status,
                                         &compose, &error);
  if (command == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return status;
    }
  if (command->errors->len > 0)
    return status; /* the form has errors: nothing to run */
  if (edited != NULL && !composes_or_report (session, argv[1], NULL, edited, &compose))
    status = 2;
  if (status != 0 && !force)
    {
      cmdb_cli_error ("Hydra would not compose this command (see above); nothing was run. Fix "
                      "it, or run it anyway with --force.");
      return status;
    }
  words = g_ptr_array_copy (command->argv, (GCopyFunc) (void (*) (void)) g_strdup, NULL);
  g_ptr_array_set_free_func (words, g_free);
  g_ptr_array_add (words, NULL);

  store = cmdb_cli_open_run_store (session);
  return create_and_stream (store, argv[1], (const char *const *) words->pdata, command->display,
                            edited, cmdb_form_state_get_values (state), experiment, executor,
                            parsed_slurm_options, detach);
}

int
cmdb_cli_exec (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_autofree char *page = NULL;
  g_autofree char *executor = NULL;
  g_auto (GStrv) slurm_options = NULL;
  g_autoptr (JsonObject) parsed_slurm_options = NULL;
  gboolean detach = FALSE;
  const GOptionEntry entries[]
      = { { "page", 'p', 0, G_OPTION_ARG_STRING, &page, "Record the run under this page", "PAGE" },
          { "executor", 'e', 0, G_OPTION_ARG_STRING, &executor,
            "Run with this executor (local, slurm; default: [run] executor)", "ID" },
          { "slurm", 0, 0, G_OPTION_ARG_STRING_ARRAY, &slurm_options,
            "A Slurm option (as for cmdbuilder run); repeatable", "KEY=VALUE" },
          { "detach", 'd', 0, G_OPTION_ARG_NONE, &detach, "Print the run id and leave it running",
            NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("-- PROGRAM [ARGUMENT...] - run any command as a recorded run");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *display = NULL;
  char **command_argv = NULL;
  int option_argc = argc;

  /* Everything after "--" is the command, untouched by option parsing. */
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--"))
      {
        option_argc = i;
        command_argv = argv + i + 1;
        break;
      }
  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  argv[option_argc] = NULL;
  if (!cmdb_cli_parse (option_context, &option_argc, &argv))
    return 1;
  if (command_argv == NULL || command_argv[0] == NULL || option_argc != 1)
    {
      cmdb_cli_error ("exec: expected -- PROGRAM [ARGUMENT...]");
      return 1;
    }
  /* Any command, in any directory: no Hydra config tree needed. */
  common.any_directory = TRUE;
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (!parse_slurm_options (session, executor, slurm_options, &parsed_slurm_options, &error))
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  store = cmdb_cli_open_run_store (session);
  display = cmdb_shell_join ((const char *const *) command_argv);
  return create_and_stream (store, page, (const char *const *) command_argv, display, NULL, NULL,
                            NULL, executor, parsed_slurm_options, detach);
}

/* `cmdbuilder rerun RUN`: the run's exact command again (an edited run
 * stays edited), under its page, with its form values, executor and
 * executor options. A run made before the workspace moved reruns from where
 * the workspace is now (docs/runs.md, "A moved or cloned workspace"). */
int
cmdb_cli_rerun (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean detach = FALSE;
  gboolean force = FALSE;
  const GOptionEntry entries[] = { { "detach", 'd', 0, G_OPTION_ARG_NONE, &detach,
                                     "Print the run id and leave it running", NULL },
                                   { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
                                     "Run even when Hydra would not compose the command", NULL },
                                   { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("RUN - run a run's exact command again");
  g_autoptr (CmdbComposeResult) compose = NULL;
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (CmdbRun) previous = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *command = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *options_key = NULL;
  JsonObject *data;
  JsonNode *values;
  JsonNode *options;
  JsonNode *experiment;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 2)
    {
      cmdb_cli_error ("rerun: expected one RUN (an id, a unique prefix or last)");
      return 1;
    }
  /* The runs are what it needs, not the Hydra config tree (like exec). */
  common.any_directory = TRUE;
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  store = cmdb_cli_open_run_store (session);
  previous = cmdb_cli_load_run (store, argv[1], &error);
  if (previous == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  data = cmdb_run_get_data (previous);
  values = json_object_get_member (data, "values");
  options_key = g_strdup_printf ("%s_options", cmdb_run_get_executor (previous));
  options = json_object_get_member (data, options_key);
  command = cmdb_run_relocate_text (previous, cmdb_run_get_command (previous));
  if (cmdb_run_get_edited (previous))
    edited = cmdb_run_relocate_text (previous, cmdb_run_get_edited_command (previous));
  if (!force)
    {
      const char *const *relocated = cmdb_run_get_relocated_argv (previous);
      g_autoptr (GPtrArray) words = g_ptr_array_new ();

      for (guint i = 0; relocated != NULL && relocated[i] != NULL; i++)
        g_ptr_array_add (words, (gpointer) relocated[i]);
      if (!composes_or_report (session, cmdb_run_get_page (previous), edited != NULL ? NULL : words,
                               edited, &compose))
        {
          cmdb_cli_error ("Hydra would not compose this command (see above); nothing was run. "
                          "Fix it, or run it anyway with --force.");
          return 2;
        }
    }
  experiment = json_object_get_member (data, "experiment");
  return create_and_stream (
      store, cmdb_run_get_page (previous), cmdb_run_get_relocated_argv (previous), command, edited,
      values != NULL && JSON_NODE_HOLDS_OBJECT (values) ? json_node_get_object (values) : NULL,
      experiment != NULL && JSON_NODE_HOLDS_VALUE (experiment) ? json_node_get_string (experiment)
                                                               : NULL,
      cmdb_run_get_executor (previous),
      options != NULL && JSON_NODE_HOLDS_OBJECT (options) ? json_node_get_object (options) : NULL,
      detach);
}
