#define G_LOG_DOMAIN "cmdb-test"

/* The histories earlier builds wrote (tests/fixtures/state-*: a run that
 * succeeded, one that failed with exit 1, one stopped with 143, Train and
 * Test page state), each installed in a copy of the demo workspace at
 * another path than the one it was written in, read by the cmdbuilder
 * executable: the runs list, their logs print, reruns and a new run start
 * the current workspace's runner, the state directory gets its .gitignore;
 * a record of a newer format is reported once and left as it is while the
 * others still list, and `check` names it. Every test runs once per
 * fixture. */

#include "test-util.h"
#include "state-fixtures.h"

#include <string.h>

typedef struct
{
  const CmdbTestStateFixture *spec;
  const CmdbTestFixtureRun *runs;
  char *tmp;
  char *workspace; /* the demo workspace, moved: <tmp>/moved here/ocr-workspace */
  char *state;
} Fixture;

/* *@state starts as the CmdbTestStateFixture to install. */
static int
setup (void **state)
{
  Fixture *fixture = g_new0 (Fixture, 1);
  g_autofree char *demo = cmdb_test_source_path ("examples/ocr-workspace");

  fixture->spec = *state;
  fixture->runs = fixture->spec->runs;
  fixture->tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (fixture->tmp);
  g_setenv ("DEMO_EPOCH_SECONDS", "0", TRUE);
  /* A space in the new path: relocated commands must quote it. */
  fixture->workspace = g_build_filename (fixture->tmp, "moved here", "ocr-workspace", NULL);
  cmdb_test_copy_tree (demo, fixture->workspace);
  fixture->state = cmdb_test_install_state_fixture (fixture->workspace, fixture->spec->name);
  *state = fixture;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *fixture = *state;

  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture->workspace);
  g_free (fixture->state);
  g_free (fixture);
  return 0;
}

/* Runs `cmdbuilder ARGS... --workspace WS`; (transfer full) stdout. */
static char *
cmdbuilder (Fixture *fixture, const char *const *args, char **ret_stderr, int *ret_exit)
{
  return cmdb_test_run_cmdbuilder (args, fixture->workspace, ret_stderr, ret_exit);
}

/* (transfer full): `runs --json` parsed; @ret_stderr (nullable). */
static JsonNode *
list_runs (Fixture *fixture, char **ret_stderr)
{
  const char *args[] = { "runs", "--json", NULL };
  int exit_code = -1;
  g_autofree char *out = cmdbuilder (fixture, args, ret_stderr, &exit_code);
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  assert_int_equal (exit_code, 0);
  node = json_from_string (out, &error);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    fail_msg ("runs --json: not an array: %s", out);
  return node;
}

static char *
fixture_log (Fixture *fixture, const char *id, const char *stream)
{
  g_autofree char *name = g_strconcat (stream, ".log", NULL);
  g_autofree char *relative = g_build_filename ("tests", "fixtures", fixture->spec->name, "state",
                                                "runs", id, name, NULL);
  g_autofree char *path = cmdb_test_source_path (relative);

  return cmdb_test_read_file (path);
}

static void
test_history_lists_and_logs_print (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *err = NULL;
  g_autoptr (JsonNode) listing = list_runs (fixture, &err);
  JsonArray *runs = json_node_get_array (listing);

  assert_string_equal (err, "");
  assert_int_equal (json_array_get_length (runs), CMDB_FIXTURE_N_RUNS);
  for (guint i = 0; i < CMDB_FIXTURE_N_RUNS; i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      JsonObject *relocated = json_object_get_object_member (run, "relocated");
      g_autofree char *old_runner
          = g_build_filename (fixture->spec->old_workspace, fixture->runs[i].runner, NULL);
      g_autofree char *new_runner
          = g_build_filename (fixture->workspace, fixture->runs[i].runner, NULL);
      const char *args[] = { "logs", fixture->runs[i].id, NULL };
      g_autofree char *out = NULL;
      g_autofree char *log_err = NULL;
      g_autofree char *expected_out = fixture_log (fixture, fixture->runs[i].id, "stdout");
      g_autofree char *expected_err = fixture_log (fixture, fixture->runs[i].id, "stderr");
      int exit_code = -1;

      /* Newest first, as the release listed them. */
      assert_string_equal (json_object_get_string_member (run, "id"), fixture->runs[i].id);
      assert_string_equal (json_object_get_string_member (run, "page"), fixture->runs[i].page);
      assert_string_equal (json_object_get_string_member (run, "status"), fixture->runs[i].status);
      assert_int_equal (json_object_get_int_member (run, "exit_code"), fixture->runs[i].exit_code);
      /* The record keeps what ran, exactly; a reader sees where it is now. */
      assert_string_equal (
          json_array_get_string_element (json_object_get_array_member (run, "argv"), 1),
          old_runner);
      assert_string_equal (json_object_get_string_member (run, "workspace"),
                           fixture->spec->old_workspace);
      assert_non_null (relocated);
      assert_string_equal (json_object_get_string_member (relocated, "workspace"),
                           fixture->workspace);
      assert_string_equal (
          json_array_get_string_element (json_object_get_array_member (relocated, "argv"), 1),
          new_runner);

      out = cmdbuilder (fixture, args, &log_err, &exit_code);
      assert_int_equal (exit_code, 0);
      assert_string_equal (out, expected_out);
      assert_string_equal (log_err, expected_err);
    }
  /* The failure's traceback and the stop's last words are there. */
  {
    g_autofree char *err_log
        = fixture_log (fixture, fixture->runs[CMDB_FIXTURE_RUN_FAILED].id, "stderr");
    g_autofree char *out_log
        = fixture_log (fixture, fixture->runs[CMDB_FIXTURE_RUN_STOPPED].id, "stdout");

    assert_non_null (strstr (err_log, "RuntimeError: simulated failure"));
    assert_non_null (strstr (out_log, "Received SIGTERM, stopping"));
  }
}

/* A run started in the moved workspace runs the current workspace's
 * runner, is listed first with the old ones, and the state directory (an
 * older build made it) gets its .gitignore. */
static void
test_new_run_uses_current_workspace (void **state)
{
  Fixture *fixture = *state;
  const char *args[] = { "run", "train", "--set", "max_epochs=1", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *gitignore = g_build_filename (fixture->state, ".gitignore", NULL);
  g_autofree char *runner = g_build_filename (fixture->workspace, "runners", "train.py", NULL);
  g_autoptr (JsonNode) listing = NULL;
  JsonObject *newest;
  int exit_code = -1;

  assert_false (g_file_test (gitignore, G_FILE_TEST_EXISTS));
  out = cmdbuilder (fixture, args, &err, &exit_code);
  if (exit_code != 0)
    fail_msg ("run train: exit %d: %s", exit_code, err);
  assert_non_null (strstr (out, "Training completed successfully"));
  listing = list_runs (fixture, NULL);
  assert_int_equal (json_array_get_length (json_node_get_array (listing)), 4);
  newest = json_array_get_object_element (json_node_get_array (listing), 0);
  assert_string_equal (json_object_get_string_member (newest, "status"), "succeeded");
  assert_int_equal (json_object_get_int_member (newest, "version"), 2);
  assert_string_equal (json_object_get_string_member (newest, "workspace"), fixture->workspace);
  assert_string_equal (
      json_array_get_string_element (json_object_get_array_member (newest, "argv"), 1), runner);
  assert_false (json_object_has_member (newest, "relocated"));
  {
    g_autofree char *text = cmdb_test_read_file (gitignore);
    assert_non_null (strstr (text, "\n*\n"));
  }
}

/* `rerun` of a run made before the move: its exact argv, from where the
 * workspace is now; an edited run stays edited; the old records stay as
 * they were. */
static void
test_rerun_uses_current_workspace (void **state)
{
  Fixture *fixture = *state;
  const char *succeeded[] = { "rerun", fixture->runs[CMDB_FIXTURE_RUN_SUCCEEDED].id, NULL };
  /* Its simulate.fail=true is the demo runner's hook, no key of the Hydra
   * config: the composition check refuses it unless forced. */
  const char *failed[] = { "rerun", fixture->runs[CMDB_FIXTURE_RUN_FAILED].id, "--force", NULL };
  g_autofree char *runner = g_build_filename (fixture->workspace, "runners", "train.py", NULL);
  g_autofree char *record_path = g_build_filename (
      fixture->state, "runs", fixture->runs[CMDB_FIXTURE_RUN_SUCCEEDED].id, "run.json", NULL);
  g_autofree char *record = cmdb_test_read_file (record_path);
  g_autofree char *record_after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonNode) listing = NULL;
  JsonArray *runs;
  JsonObject *run;
  int exit_code = -1;

  out = cmdbuilder (fixture, succeeded, &err, &exit_code);
  if (exit_code != 0)
    fail_msg ("rerun: exit %d: %s", exit_code, err);
  assert_non_null (strstr (out, "Training completed successfully"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  out = cmdbuilder (fixture, failed, &err, &exit_code);
  assert_int_equal (exit_code, 1);
  assert_non_null (strstr (err, "RuntimeError: simulated failure"));

  listing = list_runs (fixture, NULL);
  runs = json_node_get_array (listing);
  assert_int_equal (json_array_get_length (runs), 5);
  for (guint i = 0; i < 2; i++)
    {
      /* Newest first: the failed one's rerun, then the succeeded one's. */
      run = json_array_get_object_element (runs, i);
      assert_string_equal (
          json_array_get_string_element (json_object_get_array_member (run, "argv"), 1), runner);
      assert_string_equal (json_object_get_string_member (run, "cwd"), fixture->workspace);
      assert_string_equal (json_object_get_string_member (run, "page"), "train");
      assert_string_equal (json_object_get_string_member (run, "status"),
                           i == 0 ? "failed" : "succeeded");
      assert_true (json_object_get_boolean_member (run, "edited") == (i == 0));
    }
  assert_non_null (strstr (
      json_object_get_string_member (json_array_get_object_element (runs, 0), "edited_command"),
      runner));
  record_after = cmdb_test_read_file (record_path);
  assert_string_equal (record_after, record);
}

/* A newer build's record: said once, by name; left byte for byte; the
 * other runs still list; `logs` and `check` name it. */
static void
test_newer_record_left_untouched (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = g_build_filename (
      fixture->state, "runs", fixture->runs[CMDB_FIXTURE_RUN_FAILED].id, "run.json", NULL);
  g_autofree char *original = cmdb_test_read_file (path);
  g_autofree char *newer = cmdb_test_make_newer_format (original);
  g_autofree char *err = NULL;
  g_autofree char *after = NULL;
  g_autoptr (JsonNode) listing = NULL;
  JsonArray *runs;
  const char *logs_args[] = { "logs", fixture->runs[CMDB_FIXTURE_RUN_FAILED].id, NULL };
  const char *check_args[] = { "check", NULL };
  int exit_code = -1;

  g_file_set_contents (path, newer, -1, NULL);

  listing = list_runs (fixture, &err);
  runs = json_node_get_array (listing);
  assert_int_equal (json_array_get_length (runs), 2);
  assert_string_equal (
      json_object_get_string_member (json_array_get_object_element (runs, 0), "id"),
      fixture->runs[CMDB_FIXTURE_RUN_STOPPED].id);
  assert_string_equal (
      json_object_get_string_member (json_array_get_object_element (runs, 1), "id"),
      fixture->runs[CMDB_FIXTURE_RUN_SUCCEEDED].id);
  /* One line, naming the file, the version and what happens to it. */
  {
    g_auto (GStrv) lines = g_strsplit (err, "\n", -1);

    assert_int_equal (g_strv_length (lines), 2);
    assert_true (g_str_has_prefix (lines[0], "cmdbuilder: warning: "));
    assert_non_null (strstr (lines[0], path));
    assert_non_null (strstr (lines[0], "format version 99"));
    assert_non_null (strstr (lines[0], "left untouched"));
  }
  g_clear_pointer (&err, g_free);
  g_free (cmdbuilder (fixture, logs_args, &err, &exit_code));
  assert_int_equal (exit_code, 1);
  assert_non_null (strstr (err, path));
  g_clear_pointer (&err, g_free);
  g_free (cmdbuilder (fixture, check_args, &err, &exit_code));
  /* A warning: listed, and check still exits 0 (2 is for errors). */
  assert_int_equal (exit_code, 0);
  assert_non_null (strstr (err, path));
  assert_non_null (strstr (err, "warning"));

  after = cmdb_test_read_file (path);
  assert_string_equal (after, newer);
}

/* `check` on the release's history finds nothing wrong; an unreadable page
 * state is an error naming the file. */
static void
test_check_reports_unreadable_state (void **state)
{
  Fixture *fixture = *state;
  const char *args[] = { "check", NULL };
  g_autofree char *err = NULL;
  g_autofree char *page = NULL;
  int exit_code = -1;

  g_free (cmdbuilder (fixture, args, &err, &exit_code));
  if (exit_code != 0)
    fail_msg ("check on the release's history: %s", err);
  page = cmdb_test_write_file (fixture->state, "ui/pages/test.json", "{\"page\": \"test\",");
  g_clear_pointer (&err, g_free);
  g_free (cmdbuilder (fixture, args, &err, &exit_code));
  assert_int_equal (exit_code, 2); /* errors found */
  assert_non_null (strstr (err, page));
  assert_non_null (strstr (err, "error: not a readable page state"));
}

int
main (void)
{
  const struct CMUnitTest each[] = {
    cmocka_unit_test_setup_teardown (test_history_lists_and_logs_print, setup, teardown),
    cmocka_unit_test_setup_teardown (test_new_run_uses_current_workspace, setup, teardown),
    cmocka_unit_test_setup_teardown (test_rerun_uses_current_workspace, setup, teardown),
    cmocka_unit_test_setup_teardown (test_newer_record_left_untouched, setup, teardown),
    cmocka_unit_test_setup_teardown (test_check_reports_unreadable_state, setup, teardown),
  };

  return cmdb_test_run_per_state_fixture ("state-upgrade-cli", each, G_N_ELEMENTS (each));
}
