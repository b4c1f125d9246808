#define G_LOG_DOMAIN "cmdb-test"

/* The Slurm executor without a cluster: option defaults and precedence,
 * each refused value, the batch script of a fixed form (golden), reading
 * scontrol and the exit file, error summaries, and lazy loading of the
 * plugin by the run store. */

#include "test-util.h"
#include "slurm-job.h"
#include "host/cmdb-host-private.h"
#include "run/cmdb-run-private.h"

#include <string.h>

/* Validates @key=@value alone; (transfer full) the error message, or NULL. */
static char *
validate_one (const char *key, const char *value, const char *const *partitions)
{
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  g_autoptr (GError) error = NULL;

  assert_true (cmdb_slurm_options_set (options, key, value, NULL));
  if (cmdb_slurm_options_validate (options, partitions, &error))
    return NULL;
  assert_true (g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START));
  return g_strdup (error->message);
}

static void
assert_refused (const char *key, const char *value, const char *expected)
{
  const char *partitions[] = { "debug", "gpu", NULL };
  g_autofree char *message = validate_one (key, value, partitions);

  assert_non_null (message);
  assert_string_equal (message, expected);
}

static void
test_slurm_accepts_valid_values (void **state)
{
  const char *partitions[] = { "debug", "gpu", NULL };
  const char *const valid[][2] = {
    { "nodes", "2" },
    { "nodes", "1-4" },
    { "gpus", "1" },
    { "gpus", "a100:2" },
    { "cpus-per-task", "8" },
    { "cpus_per_task", "8" },
    { "mem", "16G" },
    { "mem", "500" },
    { "time", "30" },
    { "time", "30:00" },
    { "time", "2:00:00" },
    { "time", "1-12" },
    { "time", "1-12:30" },
    { "time", "1-12:30:00" },
    { "time", "UNLIMITED" },
    { "partition", "debug" },
    { "partition", "debug,gpu" },
    { "account", "my lab" },
    { "qos", "normal" },
    { "job-name", "golden run" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autofree char *message = validate_one (valid[i][0], valid[i][1], partitions);

      if (message != NULL)
        fail_msg ("%s=%s refused: %s", valid[i][0], valid[i][1], message);
    }
}

/* The per-key form of the checks (what a form shows next to each field):
 * every wrong value under its own key, in #SBATCH order, nothing for the
 * right ones; validate() says the same in one message. */
static void
test_slurm_check_per_key (void **state)
{
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  const char *const partitions[] = { "debug", NULL };
  g_autoptr (JsonObject) problems = NULL;
  g_autoptr (GList) keys = NULL;
  g_autoptr (GError) error = NULL;

  assert_true (cmdb_slurm_options_set (options, "time", "2h", NULL));
  assert_true (cmdb_slurm_options_set (options, "mem", "16G", NULL));
  assert_true (cmdb_slurm_options_set (options, "partition", "gpu", NULL));
  assert_true (cmdb_slurm_options_set (options, "nodes", "0", NULL));
  problems = cmdb_slurm_options_check (options, partitions);
  keys = json_object_get_members (problems);
  assert_int_equal (g_list_length (keys), 3);
  assert_string_equal (keys->data, "partition");
  assert_string_equal (keys->next->data, "nodes");
  assert_string_equal (keys->next->next->data, "time");
  assert_string_equal (json_object_get_string_member (problems, "partition"),
                       "the cluster has no partition 'gpu' (it has: debug)");
  assert_string_equal (json_object_get_string_member (problems, "nodes"),
                       "expected a positive whole number (or MIN-MAX), got '0'");
  assert_false (json_object_has_member (problems, "mem"));
  assert_false (cmdb_slurm_options_validate (options, partitions, &error));
  assert_string_equal (error->message,
                       "invalid Slurm options:\n"
                       "  partition: the cluster has no partition 'gpu' (it has: debug)\n"
                       "  nodes: expected a positive whole number (or MIN-MAX), got '0'\n"
                       "  time: expected MINUTES, MINUTES:SECONDS, HOURS:MINUTES:SECONDS, "
                       "DAYS-HOURS, DAYS-HOURS:MINUTES or DAYS-HOURS:MINUTES:SECONDS, got '2h'");
}

static void
test_slurm_refuses_zero_nodes (void **state)
{
  assert_refused ("nodes", "0",
                  "invalid Slurm options:\n  nodes: expected a positive whole number (or MIN-MAX), "
                  "got '0'");
}

static void
test_slurm_refuses_word_cpus (void **state)
{
  assert_refused ("cpus-per-task", "many",
                  "invalid Slurm options:\n  cpus-per-task: expected a positive whole number, got "
                  "'many'");
}

static void
test_slurm_refuses_zero_gpus (void **state)
{
  assert_refused ("gpus", "a100:0",
                  "invalid Slurm options:\n  gpus: expected a positive count, optionally after a "
                  "type (2, a100:2), got 'a100:0'");
}

static void
test_slurm_refuses_bad_memory (void **state)
{
  assert_refused ("mem", "16GB",
                  "invalid Slurm options:\n  mem: expected a positive size with an optional unit "
                  "K, M, G or T (16G), got '16GB'");
}

static void
test_slurm_refuses_bad_time (void **state)
{
  assert_refused ("time", "2h",
                  "invalid Slurm options:\n  time: expected MINUTES, MINUTES:SECONDS, "
                  "HOURS:MINUTES:SECONDS, DAYS-HOURS, DAYS-HOURS:MINUTES or "
                  "DAYS-HOURS:MINUTES:SECONDS, got '2h'");
}

static void
test_slurm_refuses_unknown_partition (void **state)
{
  assert_refused ("partition", "debug,big",
                  "invalid Slurm options:\n  partition: the cluster has no partition 'big' (it "
                  "has: debug, gpu)");
}

static void
test_slurm_refuses_partition_syntax (void **state)
{
  assert_refused ("partition", "a b",
                  "invalid Slurm options:\n  partition: 'a b' is not a partition name");
}

static void
test_slurm_refuses_multiline_account (void **state)
{
  assert_refused ("account", "lab\n#SBATCH --x",
                  "invalid Slurm options:\n  account: must be one line without '\"'");
}

static void
test_slurm_refuses_unknown_key (void **state)
{
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  g_autoptr (GError) error = NULL;

  assert_false (cmdb_slurm_options_set (options, "gres", "gpu:1", &error));
  assert_true (g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START));
  assert_string_equal (error->message,
                       "unknown Slurm option 'gres' (known: job-name, partition, nodes, gpus, "
                       "cpus-per-task, mem, time, account, qos, extra)");
}

/* Every problem is reported at once, one line each. */
static void
test_slurm_reports_every_problem (void **state)
{
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  g_autoptr (GError) error = NULL;

  cmdb_slurm_options_set (options, "nodes", "-1", NULL);
  cmdb_slurm_options_set (options, "extra", "--comment=a\nb", NULL);
  assert_false (cmdb_slurm_options_validate (options, NULL, &error));
  assert_string_equal (error->message,
                       "invalid Slurm options:\n  nodes: expected a positive whole number (or "
                       "MIN-MAX), got '-1'\n  extra: each line must be one line");
}

/* [slurm] gives defaults; the run's own options win; "extra" adds up. */
static void
test_slurm_defaults_and_precedence (void **state)
{
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (JsonNode) result_node = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  assert_true (cmdb_config_set (config, "slurm", "partition", "debug", NULL));
  assert_true (cmdb_config_set (config, "slurm", "time", "1:00:00", NULL));
  assert_true (cmdb_config_set (config, "slurm", "nodes", "2", NULL));
  assert_true (cmdb_config_set (config, "slurm", "extra", "--comment=from-config", NULL));
  cmdb_slurm_options_load_config (options, config);
  assert_true (json_parser_load_from_data (
      parser, "{\"time\": \"30\", \"nodes\": 1, \"partition\": null, \"extra\": [\"--exclusive\"]}",
      -1, NULL));
  assert_true (cmdb_slurm_options_apply_json (
      options, json_node_get_object (json_parser_get_root (parser)), &error));
  result = cmdb_slurm_options_to_json (options);
  result_node = json_node_init_object (json_node_alloc (), result);
  text = json_to_string (result_node, FALSE);
  assert_string_equal (text,
                       "{\"nodes\":\"1\",\"time\":\"30\",\"extra\":[\"--comment=from-config\","
                       "\"--exclusive\"]}");
}

/* The batch script of fixed options, run and paths (with a blank and a
 * '%' that sbatch would expand) is the golden file. */
static void
test_slurm_batch_script_golden (void **state)
{
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  const char *argv[] = { "python3",         "runners/train.py",
                         "exp_name=my run", "trainer.max_epochs=2",
                         "model.note=it's", NULL };
  g_autofree char *golden_path
      = cmdb_test_source_path ("tests/slurm/golden/options-batch-script.sh");
  g_autofree char *golden = NULL;
  g_autofree char *script = NULL;

  if (g_file_test (golden_path, G_FILE_TEST_EXISTS))
    golden = cmdb_test_read_file (golden_path);
  cmdb_slurm_options_set (options, "job-name", "my run", NULL);
  cmdb_slurm_options_set (options, "partition", "gpu", NULL);
  cmdb_slurm_options_set (options, "nodes", "1", NULL);
  cmdb_slurm_options_set (options, "gpus", "a100:2", NULL);
  cmdb_slurm_options_set (options, "cpus-per-task", "8", NULL);
  cmdb_slurm_options_set (options, "mem", "32G", NULL);
  cmdb_slurm_options_set (options, "time", "1-00:00:00", NULL);
  cmdb_slurm_options_set (options, "account", "vision-lab", NULL);
  cmdb_slurm_options_set (options, "qos", "high", NULL);
  cmdb_slurm_options_set (options, "extra", "--exclusive", NULL);
  cmdb_slurm_options_set (options, "extra", "#SBATCH --mail-type=END", NULL);
  script = cmdb_slurm_render_script (options, "20261130-120000-train-abcd",
                                     "/shared/lab 100%/.cmdbuilder/runs/20261130-120000-train-abcd",
                                     "/shared/lab 100%", argv, NULL);
  assert_non_null (script);
  /* CMDB_SLURM_DUMP_DIR=DIR writes the actual script there, to review a
   * change before copying it over the golden file. */
  if (g_getenv ("CMDB_SLURM_DUMP_DIR") != NULL)
    g_free (
        cmdb_test_write_file (g_getenv ("CMDB_SLURM_DUMP_DIR"), "options-batch-script.sh", script));
  cmdb_test_assert_text_equal (golden, script, "the batch script");
}

static void
test_slurm_refuses_quote_in_path (void **state)
{
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  const char *argv[] = { "true", NULL };
  g_autoptr (GError) error = NULL;

  assert_null (
      cmdb_slurm_render_script (options, "r", "/shared/a\"b/r", "/shared/a\"b", argv, &error));
  assert_true (g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START));
  assert_string_equal (error->message, "cannot write --output in an #SBATCH line: "
                                       "'/shared/a\"b/r/stdout.log' holds a '\"' or a line break");
}

static void
test_slurm_parses_scontrol (void **state)
{
  char *job_state = NULL;
  int exit_code = -1;

  assert_true (cmdb_slurm_parse_job (
      "JobId=7 JobName=my run UserId=root(0) JobState=RUNNING Reason=None ExitCode=0:0 RunTime=1\n",
      &job_state, &exit_code));
  assert_string_equal (job_state, "RUNNING");
  assert_int_equal (exit_code, 0);
  g_free (job_state);
  assert_true (cmdb_slurm_parse_job ("JobId=7 JobState=CANCELLED Reason=None ExitCode=0:15",
                                     &job_state, &exit_code));
  assert_string_equal (job_state, "CANCELLED");
  assert_int_equal (exit_code, 143);
  g_free (job_state);
  assert_true (
      cmdb_slurm_parse_job ("JobId=7 JobState=FAILED ExitCode=3:0", &job_state, &exit_code));
  assert_int_equal (exit_code, 3);
  g_free (job_state);
  /* A job name that looks like a field does not fool the reader. */
  assert_true (cmdb_slurm_parse_job ("JobId=8 JobName=xJobState=FAKE JobState=PENDING", &job_state,
                                     &exit_code));
  assert_string_equal (job_state, "PENDING");
  g_free (job_state);
  assert_false (cmdb_slurm_parse_job ("slurm_load_jobs error: Invalid job id specified\n",
                                      &job_state, &exit_code));
  {
    g_autofree char *reason = cmdb_slurm_job_field (
        "JobId=9 JobState=COMPLETING Reason=TimeLimit Dependency=(null)", "Reason");
    g_autofree char *missing = cmdb_slurm_job_field ("JobId=9 JobState=RUNNING", "Reason");

    assert_string_equal (reason, "TimeLimit");
    assert_null (missing);
  }
  assert_true (cmdb_slurm_state_is_final ("TIMEOUT"));
  assert_false (cmdb_slurm_state_is_final ("COMPLETING"));
  assert_true (cmdb_slurm_state_is_running ("COMPLETING"));
  assert_false (cmdb_slurm_state_is_running ("PENDING"));
}

static void
test_slurm_parses_exit_file (void **state)
{
  g_autofree char *end_time = NULL;
  int exit_code = -1;

  assert_true (cmdb_slurm_parse_exit ("3 2026-11-30T20:05:01.061686Z\n", &exit_code, &end_time));
  assert_int_equal (exit_code, 3);
  assert_string_equal (end_time, "2026-11-30T20:05:01.061686Z");
  assert_false (cmdb_slurm_parse_exit ("", &exit_code, NULL));
  assert_false (cmdb_slurm_parse_exit ("x 2026", &exit_code, NULL));
  assert_false (cmdb_slurm_parse_exit ("300 2026", &exit_code, NULL));
}

static void
test_slurm_summarizes_errors (void **state)
{
  assert_string_equal (
      cmdb_slurm_summarize_error ("sbatch: error: Batch job submission failed: Unable to contact "
                                  "slurm controller (connect failure)\n"),
      "the Slurm controller cannot be reached");
  assert_string_equal (cmdb_slurm_summarize_error ("sbatch: error: invalid partition specified: x"),
                       "the cluster has no such partition");
  assert_string_equal (
      cmdb_slurm_summarize_error ("sbatch: error: Batch job submission failed: Requested node "
                                  "configuration is not available"),
      "the cluster cannot satisfy the requested resources");
  assert_string_equal (cmdb_slurm_summarize_error ("sbatch: error: something new"),
                       "Slurm refused the job");
}

/* The form section's description (for the web UI) lists exactly the
 * options the executor takes. */
static void
test_slurm_form_section_matches_options (void **state)
{
  g_autofree char *path = cmdb_test_source_path ("plugins/executors/slurm/slurm-options.yaml");
  g_autofree char *text = cmdb_test_read_file (path);
  const char *const *keys = cmdb_slurm_option_keys ();
  guint n_options = 0;
  const char *at = text;

  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *line = g_strdup_printf ("\n    option: %s\n", keys[i]);

      if (strstr (text, line) == NULL)
        fail_msg ("slurm-options.yaml has no element for option '%s'", keys[i]);
    }
  while ((at = strstr (at, "\n    option: ")) != NULL)
    {
      n_options++;
      at++;
    }
  assert_int_equal (n_options, g_strv_length ((char **) keys));
}

/* The run store maps the Slurm module only when a run names the slurm
 * executor; a local run leaves it unmapped. */
static void
test_slurm_plugin_loads_lazily (void **state)
{
  g_autofree char *tmp = cmdb_test_make_tempdir ();
  g_autofree char *workspace = g_build_filename (tmp, "ws", NULL);
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "true", NULL };
  CmdbTestSession *session;
  CmdbRunStore *store;
  CmdbRun *run;

  cmdb_test_isolate_environment (tmp);
  g_free (cmdb_test_write_file (workspace, "pyproject.toml", ""));
  session = cmdb_test_session_new (workspace, NULL);
  store = cmdb_run_store_new (session->context);
  cmdb_run_store_set_host (store, session->host);

  run = cmdb_run_store_create (store, "train", argv, "true", NULL, NULL, "local", &error);
  assert_non_null (run);
  cmdb_run_unref (run);
  assert_false (cmdb_test_module_is_mapped ("libslurm.so"));
  assert_null (cmdb_run_store_get_executor (store, "slurm"));

  run = cmdb_run_store_create (store, "train", argv, "true", NULL, NULL, "slurm", &error);
  assert_non_null (run);
  assert_string_equal (cmdb_run_get_executor (run), "slurm");
  cmdb_run_unref (run);
  assert_true (cmdb_test_module_is_mapped ("libslurm.so"));
  assert_non_null (cmdb_run_store_get_executor (store, "slurm"));

  g_object_unref (store);
  cmdb_test_session_free (session);
  cmdb_test_remove_tree (tmp);
}

/* Without the host, the store knows only its own executors. */
static void
test_slurm_unknown_without_host (void **state)
{
  g_autofree char *tmp = cmdb_test_make_tempdir ();
  g_autofree char *workspace = g_build_filename (tmp, "ws", NULL);
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "true", NULL };
  CmdbTestSession *session;
  CmdbRunStore *store;

  cmdb_test_isolate_environment (tmp);
  g_free (cmdb_test_write_file (workspace, "pyproject.toml", ""));
  session = cmdb_test_session_new (workspace, "[plugins]\ndisabled=slurm\n");
  store = cmdb_run_store_new (session->context);
  cmdb_run_store_set_host (store, session->host);
  assert_null (cmdb_run_store_create (store, "train", argv, "true", NULL, NULL, "slurm", &error));
  assert_true (g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_UNKNOWN_EXECUTOR));
  assert_true (g_str_has_prefix (error->message, "cannot load executor 'slurm': "));
  g_object_unref (store);
  cmdb_test_session_free (session);
  cmdb_test_remove_tree (tmp);
}

/* A sweep's array script: the options, --array with the concurrency,
 * Slurm's own output discarded, task N running member N's script with its
 * output in that member's logs. */
static void
test_slurm_array_script (void **state)
{
  g_autoptr (CmdbSlurmOptions) options = cmdb_slurm_options_new ();
  const char *directories[]
      = { "/ws/.cmdbuilder/runs/a", "/ws/.cmdbuilder/runs/b c", "/ws/.cmdbuilder/runs/d", NULL };
  g_autofree char *limited = NULL;
  g_autofree char *unlimited = NULL;

  cmdb_slurm_options_set (options, "job-name", "sweep-x", NULL);
  cmdb_slurm_options_set (options, "partition", "debug", NULL);
  limited = cmdb_slurm_render_array_script (options, directories, 2, NULL);
  cmdb_test_assert_contains (limited, "#SBATCH --job-name=sweep-x\n");
  cmdb_test_assert_contains (limited, "#SBATCH --partition=debug\n");
  cmdb_test_assert_contains (limited, "#SBATCH --array=0-2%2\n");
  cmdb_test_assert_contains (limited, "#SBATCH --output=/dev/null\n");
  cmdb_test_assert_contains (limited, "0) cmdb_run_dir=/ws/.cmdbuilder/runs/a ;;\n");
  cmdb_test_assert_contains (limited, "1) cmdb_run_dir='/ws/.cmdbuilder/runs/b c' ;;\n");
  cmdb_test_assert_contains (limited, "*) exit 1 ;;\n");
  cmdb_test_assert_contains (limited,
                             "exec /bin/bash \"$cmdb_run_dir/slurm-job.sh\" "
                             ">>\"$cmdb_run_dir/stdout.log\" 2>>\"$cmdb_run_dir/stderr.log\"");
  unlimited = cmdb_slurm_render_array_script (options, directories, 3, NULL);
  cmdb_test_assert_contains (unlimited, "#SBATCH --array=0-2\n");
}

/* A task's record in `scontrol show job ARRAY`: its own once split off,
 * the pending range's, or the array's own after a cancel. */
static void
test_slurm_array_task_record (void **state)
{
  const char *running = "JobId=8 ArrayJobId=7 ArrayTaskId=0 JobState=RUNNING ExitCode=0:0\n"
                        "JobId=7 ArrayJobId=7 ArrayTaskId=1-3%1 JobState=PENDING ExitCode=0:0\n";
  const char *cancelled
      = "JobId=7 ArrayJobId=7 ArrayTaskId=4294967294 JobState=CANCELLED ExitCode=0:0\n"
        "JobId=8 ArrayJobId=7 ArrayTaskId=0 JobState=CANCELLED ExitCode=143:0\n";
  g_autofree char *first = cmdb_slurm_array_task_record (running, "7", 0);
  g_autofree char *pending = cmdb_slurm_array_task_record (running, "7", 2);
  g_autofree char *gone = cmdb_slurm_array_task_record (cancelled, "7", 3);
  g_autofree char *done = cmdb_slurm_array_task_record (cancelled, "7", 0);
  g_autofree char *none = cmdb_slurm_array_task_record ("JobId=9 ArrayTaskId=0\n", "7", 1);

  cmdb_test_assert_contains (first, "JobId=8 ");
  cmdb_test_assert_contains (pending, "JobState=PENDING");
  cmdb_test_assert_contains (gone, "JobId=7 ");
  cmdb_test_assert_contains (gone, "JobState=CANCELLED");
  cmdb_test_assert_contains (done, "ExitCode=143:0");
  assert_null (none);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_slurm_accepts_valid_values),
    cmocka_unit_test (test_slurm_check_per_key),
    cmocka_unit_test (test_slurm_refuses_zero_nodes),
    cmocka_unit_test (test_slurm_refuses_word_cpus),
    cmocka_unit_test (test_slurm_refuses_zero_gpus),
    cmocka_unit_test (test_slurm_refuses_bad_memory),
    cmocka_unit_test (test_slurm_refuses_bad_time),
    cmocka_unit_test (test_slurm_refuses_unknown_partition),
    cmocka_unit_test (test_slurm_refuses_partition_syntax),
    cmocka_unit_test (test_slurm_refuses_multiline_account),
    cmocka_unit_test (test_slurm_refuses_unknown_key),
    cmocka_unit_test (test_slurm_reports_every_problem),
    cmocka_unit_test (test_slurm_defaults_and_precedence),
    cmocka_unit_test (test_slurm_batch_script_golden),
    cmocka_unit_test (test_slurm_refuses_quote_in_path),
    cmocka_unit_test (test_slurm_parses_scontrol),
    cmocka_unit_test (test_slurm_array_script),
    cmocka_unit_test (test_slurm_array_task_record),
    cmocka_unit_test (test_slurm_parses_exit_file),
    cmocka_unit_test (test_slurm_summarizes_errors),
    cmocka_unit_test (test_slurm_form_section_matches_options),
    cmocka_unit_test (test_slurm_plugin_loads_lazily),
    cmocka_unit_test (test_slurm_unknown_without_host),
  };

  return cmocka_run_group_tests_name ("slurm-job", tests, NULL, NULL);
}
