#define G_LOG_DOMAIN "cmdb-test"

/* The web UI's runs API with the Slurm executor, against a real single-node
 * cluster on localhost (slurm-cluster.sh, started in the group setup and
 * stopped by pid in the group teardown, also when a test failed). Each test
 * runs `cmdbuilder serve --port 0` on its own copy of the demo workspace
 * (server-test-util); the server inherits SLURM_CONF and
 * DEMO_EPOCH_SECONDS from this process. */

#include "server-test-util.h"
#include "slurm-test-cluster.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct
{
  char *tmp;
  char *cluster_dir;
} Cluster;

static Cluster cluster;

static int
group_setup (void **state)
{
  cluster.tmp = cmdb_test_make_tempdir ();
  cluster.cluster_dir = slurm_test_cluster_start (cluster.tmp);
  return cluster.cluster_dir != NULL ? 0 : -1;
}

static int
group_teardown (void **state)
{
  slurm_test_cluster_stop (cluster.cluster_dir);
  cmdb_test_remove_tree (cluster.tmp);
  g_free (cluster.tmp);
  g_free (cluster.cluster_dir);
  return 0;
}

/* (transfer full): GET @path on the fixture's server, 200 and JSON. */
static JsonNode *
get_json (const char *path)
{
  g_autoptr (TestResponse) response = test_get (fixture.server, path);

  return test_expect_json (response, 200, path);
}

/* (transfer full): the run @run_id as GET /api/runs lists it. */
static JsonObject *
listed_run (const char *run_id)
{
  g_autoptr (JsonNode) answer = get_json ("/api/runs");
  JsonArray *runs = json_object_get_array_member (json_node_get_object (answer), "runs");

  return json_object_ref (cmdb_test_find_by_id (runs, run_id, "GET /api/runs"));
}

/* (transfer full): the run as `cmdbuilder runs --json` shows it. */
static JsonObject *
cli_run (const char *run_id)
{
  g_autofree char *program = cmdb_test_cmdbuilder ();
  const char *argv[] = { program, "runs", "--json", NULL };
  g_autofree char *err = NULL;
  int exit_code = -1;
  g_autofree char *out = cmdb_test_run (argv, fixture.workspace, &err, &exit_code);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *runs;

  assert_int_equal (exit_code, 0);
  assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  runs = json_node_get_array (json_parser_get_root (parser));
  return json_object_ref (cmdb_test_find_by_id (runs, run_id, "runs --json"));
}

/* Waits (bounded: about two minutes) until @name exists in @directory. */
static void
wait_for_file (const char *directory, const char *name)
{
  g_autofree char *path = g_build_filename (directory, name, NULL);

  for (guint i = 0; i < 1200; i++)
    {
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        return;
      g_usleep (100 * 1000);
    }
  fail_msg ("%s never appeared", path);
}

/* (transfer full): POSTs a train run with max_epochs=2 to the slurm
 * executor; the answer (201). */
static JsonObject *
post_train_run (const char *executor_options)
{
  g_autofree char *body = g_strdup_printf (
      "{\"page\": \"train\", \"executor\": \"slurm\", \"executor_options\": %s}", executor_options);
  g_autoptr (JsonNode) changed
      = test_fixture_post_json ("/api/pages/train", "{\"changes\": {\"max_epochs\": 2}}", 200);
  g_autoptr (JsonNode) answer = test_fixture_post_json ("/api/runs", body, 201);

  return json_object_ref (json_node_get_object (answer));
}

/* A run posted with executor slurm is a Slurm job, listed by the API and by
 * the CLI with executor slurm; the server killed with SIGKILL while the job
 * runs does not matter: the restarted server records the job's end. */
static void
test_server_slurm_run_survives_server (void **state)
{
  g_autoptr (JsonObject) posted = post_train_run ("{\"time\": \"5\"}");
  const char *run_id = json_object_get_string_member (posted, "id");
  const char *directory = json_object_get_string_member (posted, "directory");
  g_autoptr (JsonObject) listed = NULL;
  g_autoptr (JsonObject) from_cli = NULL;
  g_autoptr (JsonObject) ended = NULL;
  JsonObject *options;

  assert_string_equal (json_object_get_string_member (posted, "executor"), "slurm");
  assert_string_equal (json_object_get_string_member (posted, "status"), "starting");
  assert_true (json_object_has_member (posted, "slurm_job_id"));
  options = json_object_get_object_member (posted, "slurm_options");
  assert_string_equal (json_object_get_string_member (options, "time"), "5");
  assert_string_equal (json_object_get_string_member (options, "job-name"), "ocr_training");

  listed = listed_run (run_id);
  assert_string_equal (json_object_get_string_member (listed, "executor"), "slurm");
  from_cli = cli_run (run_id);
  assert_string_equal (json_object_get_string_member (from_cli, "executor"), "slurm");
  assert_string_equal (json_object_get_string_member (from_cli, "slurm_job_id"),
                       json_object_get_string_member (posted, "slurm_job_id"));

  /* The job's script started: the server goes away without a word. */
  wait_for_file (directory, "slurm-started");
  assert_int_equal (kill (fixture.server->pid, SIGKILL), 0);
  test_server_stop (fixture.server);
  wait_for_file (directory, "slurm-exit");

  test_fixture_restart (NULL, TRUE);
  /* The runs table shows the executor (next to the status). */
  {
    g_autoptr (JsonNode) answer = get_json ("/api/runs");
    g_autofree char *row = g_strdup_printf ("<tr data-run=\"%s\"", run_id);
    const char *html = json_object_get_string_member (json_node_get_object (answer), "html");

    test_assert_contains (html, "<th scope=\"col\">Status</th>");
    test_assert_contains (html, row);
    test_assert_contains (strstr (html, row), "<span class=\"run-executor\">slurm</span>");
  }
  ended = listed_run (run_id);
  assert_string_equal (json_object_get_string_member (ended, "status"), "succeeded");
  assert_int_equal (json_object_get_int_member (ended, "exit_code"), 0);
  assert_string_equal (json_object_get_string_member (ended, "slurm_state"), "COMPLETED");
  assert_string_equal (json_object_get_string_member (ended, "executor"), "slurm");

  /* A rerun goes to Slurm again, with the same options. */
  {
    g_autofree char *body = g_strdup_printf ("{\"rerun\": \"%s\", \"mode\": \"argv\"}", run_id);
    g_autoptr (JsonNode) answer = test_fixture_post_json ("/api/runs", body, 201);
    JsonObject *rerun = json_node_get_object (answer);

    assert_string_equal (json_object_get_string_member (rerun, "executor"), "slurm");
    assert_string_equal (json_object_get_string_member (
                             json_object_get_object_member (rerun, "slurm_options"), "time"),
                         "5");
    wait_for_file (json_object_get_string_member (rerun, "directory"), "slurm-exit");
  }
}

/* GET /api/executors lists local and slurm from the plugin records: the
 * Slurm module is not loaded by listing. */
static void
test_server_executors_list (void **state)
{
  g_autoptr (JsonNode) answer = get_json ("/api/executors");
  JsonObject *object = json_node_get_object (answer);
  JsonArray *executors = json_object_get_array_member (object, "executors");
  JsonObject *local;
  JsonObject *slurm;

  assert_string_equal (json_object_get_string_member (object, "default"), "local");
  assert_int_equal (json_array_get_length (executors), 2);
  local = json_array_get_object_element (executors, 0);
  slurm = json_array_get_object_element (executors, 1);
  assert_string_equal (json_object_get_string_member (local, "id"), "local");
  assert_string_equal (json_object_get_string_member (slurm, "id"), "slurm");
  assert_string_equal (json_object_get_string_member (slurm, "title"), "Slurm");
  assert_false (json_object_get_boolean_member (slurm, "loaded"));
}

/* (transfer none): the field @key of a form answer. */
static JsonObject *
form_field (JsonObject *form, const char *key)
{
  JsonArray *fields = json_object_get_array_member (form, "fields");

  for (guint i = 0; i < json_array_get_length (fields); i++)
    {
      JsonObject *field = json_array_get_object_element (fields, i);

      if (g_str_equal (json_object_get_string_member (field, "key"), key))
        return field;
    }
  fail_msg ("the form has no field %s", key);
  return NULL;
}

/* The Slurm form: the fields of slurm-options.yaml evaluated by the schema
 * engine, each with its executor_options key, the partitions from sinfo,
 * defaults from [slurm]; asking for it loads the plugin. */
static void
test_server_slurm_form (void **state)
{
  g_autofree char *ini = g_build_filename (fixture.workspace, "cmdbuilder.ini", NULL);
  g_autofree char *ini_text = cmdb_test_read_file (ini);
  g_autofree char *with_slurm = g_strconcat (ini_text, "\n[slurm]\ntime = 7\nnodes = 2\n", NULL);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (JsonNode) executors = NULL;
  g_autoptr (JsonNode) local = NULL;
  JsonObject *form;
  JsonObject *partition;
  JsonArray *choices;
  gboolean has_debug = FALSE;
  const char *const keys[]
      = { "slurm_partition", "slurm_nodes",   "slurm_gpus", "slurm_cpus_per_task", "slurm_mem",
          "slurm_time",      "slurm_account", "slurm_qos",  "slurm_job_name",      NULL };

  g_assert_true (g_file_set_contents (ini, with_slurm, -1, NULL));
  test_fixture_restart (NULL, TRUE);
  answer = get_json ("/api/executors/slurm/form");
  form = json_node_get_object (answer);
  assert_string_equal (json_object_get_string_member (form, "executor"), "slurm");
  assert_string_equal (json_object_get_string_member (form, "title"), "Slurm");
  for (guint i = 0; keys[i] != NULL; i++)
    form_field (form, keys[i]);
  partition = form_field (form, "slurm_partition");
  assert_string_equal (json_object_get_string_member (partition, "option"), "partition");
  assert_string_equal (json_object_get_string_member (partition, "type"), "selectbox");
  choices = json_object_get_array_member (partition, "options");
  for (guint i = 0; i < json_array_get_length (choices); i++)
    if (g_str_equal (
            json_object_get_string_member (json_array_get_object_element (choices, i), "value"),
            "debug"))
      has_debug = TRUE;
  assert_true (has_debug);
  assert_string_equal (json_object_get_string_member (form_field (form, "slurm_time"), "value"),
                       "7");
  assert_int_equal (json_object_get_int_member (form_field (form, "slurm_nodes"), "value"), 2);
  assert_string_equal (
      json_object_get_string_member (form_field (form, "slurm_cpus_per_task"), "option"),
      "cpus-per-task");

  /* The form as the execution panel shows it: each input names its
   * executor_options key. */
  test_assert_contains (json_object_get_string_member (form, "html"),
                        "<select id=\"executor-slurm_partition\" data-option=\"partition\">");
  test_assert_contains (json_object_get_string_member (form, "html"),
                        "<option value=\"debug\">debug</option>");
  test_assert_contains (json_object_get_string_member (form, "html"),
                        "data-option=\"time\" type=\"text\" value=\"7\">");

  executors = get_json ("/api/executors");
  test_assert_contains (json_object_get_string_member (json_node_get_object (executors), "html"),
                        "<select id=\"run-executor-select\">");
  assert_true (json_object_get_boolean_member (
      json_array_get_object_element (
          json_object_get_array_member (json_node_get_object (executors), "executors"), 1),
      "loaded"));
  local = get_json ("/api/executors/local/form");
  assert_int_equal (
      json_array_get_length (json_object_get_array_member (json_node_get_object (local), "fields")),
      0);
}

/* An executor nobody provides is refused before any run is recorded. */
static void
test_server_unknown_executor (void **state)
{
  g_autoptr (JsonNode) answer
      = test_fixture_post_json ("/api/runs", "{\"page\": \"train\", \"executor\": \"nope\"}", 400);
  g_autoptr (JsonNode) runs = get_json ("/api/runs");

  assert_string_equal (json_object_get_string_member (json_node_get_object (answer), "error"),
                       "unknown executor 'nope'");
  assert_int_equal (json_object_get_int_member (json_node_get_object (runs), "total"), 0);
}

/* The executor's check of the options: the run is recorded as failed to
 * submit, with every problem under the summary. */
static void
test_server_invalid_partition (void **state)
{
  g_autoptr (JsonObject) posted = post_train_run ("{\"partition\": \"nope\"}");
  const char *run_id = json_object_get_string_member (posted, "id");
  g_autoptr (JsonObject) listed = listed_run (run_id);

  assert_string_equal (json_object_get_string_member (posted, "status"), "failed");
  assert_string_equal (json_object_get_string_member (listed, "status"), "failed");
  assert_string_equal (json_object_get_string_member (listed, "slurm_state"), "SUBMIT_FAILED");
  assert_string_equal (json_object_get_string_member (listed, "message"),
                       "failed to submit to Slurm: invalid Slurm options:\n"
                       "  partition: the cluster has no partition 'nope' (it has: debug)");
}

/* POST /api/executors/<id>/check: each wrong value named by its key, the
 * partition against the real cluster's, and no run recorded; malformed
 * requests and unknown executors are refused. */
static void
test_server_check_options (void **state)
{
  g_autoptr (JsonNode) wrong = test_fixture_post_json (
      "/api/executors/slurm/check",
      "{\"options\": {\"partition\": \"nope\", \"time\": \"soon\", \"mem\": \"16G\", "
      "\"bogus\": \"1\"}}",
      200);
  g_autoptr (JsonNode) fine = test_fixture_post_json (
      "/api/executors/slurm/check",
      "{\"options\": {\"partition\": \"debug\", \"time\": \"1:30:00\", \"gpus\": \"\"}}", 200);
  g_autoptr (JsonNode) local = test_fixture_post_json ("/api/executors/local/check",
                                                       "{\"options\": {\"time\": \"5\"}}", 200);
  g_autoptr (JsonNode) malformed
      = test_fixture_post_json ("/api/executors/slurm/check", "{\"options\": 3}", 400);
  g_autoptr (JsonNode) unknown
      = test_fixture_post_json ("/api/executors/nope/check", "{\"options\": {}}", 404);
  g_autoptr (JsonNode) runs = get_json ("/api/runs");
  JsonObject *problems = json_object_get_object_member (json_node_get_object (wrong), "problems");

  assert_false (json_object_get_boolean_member (json_node_get_object (wrong), "valid"));
  assert_int_equal (json_object_get_size (problems), 3);
  assert_string_equal (json_object_get_string_member (problems, "partition"),
                       "the cluster has no partition 'nope' (it has: debug)");
  assert_non_null (strstr (json_object_get_string_member (problems, "time"), "got 'soon'"));
  assert_non_null (
      strstr (json_object_get_string_member (problems, "bogus"), "unknown Slurm option 'bogus'"));
  assert_true (json_object_get_boolean_member (json_node_get_object (fine), "valid"));
  assert_int_equal (json_object_get_size (
                        json_object_get_object_member (json_node_get_object (fine), "problems")),
                    0);
  assert_string_equal (
      json_object_get_string_member (
          json_object_get_object_member (json_node_get_object (local), "problems"), "time"),
      "the local executor takes no options");
  assert_string_equal (json_object_get_string_member (json_node_get_object (unknown), "error"),
                       "unknown executor 'nope'");
  assert_non_null (malformed);
  assert_int_equal (json_object_get_int_member (json_node_get_object (runs), "total"), 0);
}

/* A job sbatch itself refuses: its lines verbatim under the summary. */
static void
test_server_rejected_job (void **state)
{
  g_autoptr (JsonObject) posted = post_train_run ("{\"mem\": \"999999G\"}");
  const char *run_id = json_object_get_string_member (posted, "id");
  g_autoptr (JsonObject) listed = listed_run (run_id);

  assert_string_equal (json_object_get_string_member (listed, "status"), "failed");
  assert_string_equal (json_object_get_string_member (listed, "slurm_state"), "SUBMIT_FAILED");
  assert_string_equal (
      json_object_get_string_member (listed, "message"),
      "failed to submit to Slurm: the cluster cannot satisfy the requested resources (sbatch "
      "exited with status 1)\n"
      "sbatch: error: Memory specification can not be satisfied\n"
      "sbatch: error: Batch job submission failed: Requested node configuration is not "
      "available");
}

static GPid
controller_pid (void)
{
  g_autofree char *path = g_build_filename (cluster.cluster_dir, "slurmctld.daemon-pid", NULL);
  g_autofree char *text = cmdb_test_read_file (path);

  return (GPid) g_ascii_strtoll (g_strstrip (text), NULL, 10);
}

/* The controller hangs (SIGSTOP): nothing the server does for Slurm blocks
 * its other answers. A Slurm run that was running stays listed from memory
 * while the background `scontrol` hangs; a new submission waits for
 * `sbatch` without holding anything up, and ends with a clear message when
 * [slurm] tool-timeout expires. Liveness, not timing: the pages and the
 * runs list are answered while the submission is still pending, which it
 * must be until the tool's timeout. */
static void
test_server_controller_hangs (void **state)
{
  const char *const args[] = { "--config", "slurm.tool-timeout=6s", NULL };
  g_autoptr (JsonNode) first = NULL;
  g_autoptr (JsonNode) pages = NULL;
  g_autoptr (JsonNode) runs = NULL;
  g_autoptr (JsonNode) submitted = NULL;
  g_autoptr (TestResponse) response = NULL;
  TestPendingPost *post;
  JsonObject *record;
  const char *run_id;
  const char *directory;
  GPid controller = controller_pid ();

  test_fixture_restart (args, TRUE);
  first = test_fixture_post_json (
      "/api/runs", "{\"page\": \"train\", \"command\": \"sleep 60\", \"executor\": \"slurm\"}",
      201);
  run_id = json_object_get_string_member (json_node_get_object (first), "id");
  directory = json_object_get_string_member (json_node_get_object (first), "directory");
  wait_for_file (directory, "slurm-started");
  /* The background update saw it run (bounded: about a minute). */
  for (guint i = 0; i < 600; i++)
    {
      g_autoptr (JsonObject) listed = listed_run (run_id);

      if (g_str_equal (json_object_get_string_member (listed, "status"), "running"))
        break;
      g_usleep (100 * 1000);
    }

  assert_true (controller > 0);
  assert_int_equal (kill (controller, SIGSTOP), 0);
  post = test_post_json_in_thread (
      fixture.server, "/api/runs",
      "{\"page\": \"train\", \"command\": \"sleep 2\", \"executor\": \"slurm\"}");
  /* Answered while sbatch waits for the stopped controller. */
  pages = get_json ("/api/pages");
  runs = get_json ("/api/runs");
  assert_false (test_pending_post_answered (post));
  {
    JsonArray *listed = json_object_get_array_member (json_node_get_object (runs), "runs");
    JsonObject *running = cmdb_test_find_by_id (listed, run_id, "GET /api/runs");

    assert_string_equal (json_object_get_string_member (running, "status"), "running");
  }
  response = test_pending_post_wait (post);
  assert_int_equal (kill (controller, SIGCONT), 0);

  submitted = test_expect_json (response, 201, "the submission");
  record = json_node_get_object (submitted);
  assert_string_equal (json_object_get_string_member (record, "status"), "failed");
  assert_string_equal (json_object_get_string_member (record, "message"),
                       "failed to submit to Slurm: sbatch did not answer within 6 s (it was "
                       "stopped)");

  /* The running job is stopped through the API once the controller is back. */
  {
    g_autofree char *stop = g_strdup_printf ("/api/runs/%s/stop", run_id);
    g_autoptr (JsonNode) stopped = test_fixture_post_json (stop, "{}", 202);

    wait_for_file (directory, "slurm-exit");
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_server_slurm_run_survives_server,
                                     test_fixture_setup_login, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_server_executors_list, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_server_slurm_form, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_server_unknown_executor, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_server_check_options, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_server_invalid_partition, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_server_rejected_job, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_server_controller_hangs, test_fixture_setup_login,
                                     test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, group_setup, group_teardown);
}
