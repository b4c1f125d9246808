#define G_LOG_DOMAIN "cmdb-test"

/* The histories earlier builds wrote (tests/fixtures/state-*), each
 * installed in a copy of the demo workspace at another path than the one it
 * was written in, served by `cmdbuilder serve`: the pages get their values
 * back, the runs list with their statuses and exit codes, reruns start the
 * current workspace's runners while the old records stay as they were, and
 * files of a newer format are left untouched while the rest still works.
 * Every test runs once per fixture. */

#include "server-test-util.h"
#include "state-fixtures.h"

#include <string.h>

static const CmdbTestStateFixture *spec;
static char *state_dir;

#define RUN_ID(which) (spec->runs[CMDB_FIXTURE_RUN_##which].id)

/* The fixture's state in the test's copy of the demo workspace, before the
 * server starts; @newer_files (NULL-terminated, nullable) are made format
 * version 99 first. */
static void
install_state (const char *const *newer_files)
{
  state_dir = cmdb_test_install_state_fixture (fixture.workspace, spec->name);
  for (guint i = 0; newer_files != NULL && newer_files[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (state_dir, newer_files[i], NULL);
      g_autofree char *text = cmdb_test_read_file (path);
      g_autofree char *newer = cmdb_test_make_newer_format (text);

      g_free (cmdb_test_write_file (state_dir, newer_files[i], newer));
    }
}

/* *@state starts as the CmdbTestStateFixture to install. */
static int
setup (void **state)
{
  spec = *state;
  g_setenv ("DEMO_EPOCH_SECONDS", "0", TRUE);
  test_fixture_setup (state);
  install_state (NULL);
  fixture.server = test_server_start (fixture.workspace, NULL);
  test_server_login (fixture.server);
  return 0;
}

static int
teardown (void **state)
{
  g_clear_pointer (&state_dir, g_free);
  return test_fixture_teardown (state);
}

static JsonNode *
get_ok (const char *path)
{
  g_autoptr (TestResponse) response = test_get (fixture.server, path);
  return test_expect_json (response, 200, path);
}

static const char *
argv_word (JsonObject *run, guint index)
{
  return json_array_get_string_element (json_object_get_array_member (run, "argv"), index);
}

/* Polls the run until it is final (a safety net of 60 s, not a timing
 * assertion). (transfer full) */
static JsonNode *
wait_final (const char *id)
{
  g_autofree char *path = g_strdup_printf ("/api/runs/%s", id);

  for (guint i = 0; i < 1200; i++)
    {
      g_autoptr (JsonNode) run = get_ok (path);
      const char *status = json_object_get_string_member (json_node_get_object (run), "status");

      if (g_str_equal (status, "succeeded") || g_str_equal (status, "failed")
          || g_str_equal (status, "stopped") || g_str_equal (status, "lost"))
        return g_steal_pointer (&run);
      g_usleep (50 * 1000);
    }
  fail_msg ("run %s did not end", id);
  return NULL;
}

static char *
read_state_file (const char *relative)
{
  g_autofree char *path = g_build_filename (state_dir, relative, NULL);

  return cmdb_test_read_file (path);
}

static void
test_pages_get_their_values_back (void **state)
{
  g_autoptr (JsonNode) train = get_ok ("/api/pages/train");
  g_autoptr (JsonNode) test = get_ok ("/api/pages/test");
  g_autofree char *runner = g_build_filename (fixture.workspace, "runners", "train.py", NULL);
  JsonObject *values;
  JsonObject *stored;
  const char *command;
  g_autofree char *written = NULL;
  g_autoptr (JsonNode) written_node = NULL;

  /* The form shows what the user had set. */
  values = json_object_get_object_member (
      json_object_get_object_member (json_node_get_object (train), "form"), "values");
  assert_string_equal (json_object_get_string_member (values, "exp_name"), "fixture_train");
  assert_int_equal (json_object_get_int_member (values, "max_epochs"), 3);
  assert_int_equal (json_object_get_int_member (values, "batch_size"), 8);
  assert_int_equal (json_object_get_int_member (values, "seed"), 7);
  assert_true (json_object_get_double_member (values, "learning_rate") == 0.0005);
  stored = json_object_get_object_member (json_node_get_object (train), "state");
  assert_string_equal (
      json_object_get_string_member (json_object_get_object_member (stored, "last_run"), "id"),
      RUN_ID (SUCCEEDED));
  /* ... and its command runs the runner where the workspace is now. */
  command = json_object_get_string_member (
      json_object_get_object_member (json_node_get_object (train), "command"), "command");
  test_assert_contains (command, runner);
  test_assert_contains (command, "trainer.max_epochs=3");
  values = json_object_get_object_member (
      json_object_get_object_member (json_node_get_object (test), "form"), "values");
  assert_string_equal (json_object_get_string_member (values, "exp_name"), "fixture_test");
  assert_string_equal (json_object_get_string_member (values, "checkpoint_path"),
                       "outputs/ocr_training-craft-craft_decoder-resnet50/checkpoints/"
                       "epoch=2-step=150.ckpt");
  /* The last page shown, in the current format of ui/server.json. */
  {
    g_autofree char *server = read_state_file ("ui/server.json");

    test_assert_contains (server, "\"version\" : 1");
    test_assert_contains (server, "\"last_page\" : \"test\"");
  }

  /* The page's state, written again, is in the current format, with the
   * workspace it was written in. */
  written = read_state_file ("ui/pages/train.json");
  written_node = json_from_string (written, NULL);
  assert_non_null (written_node);
  assert_int_equal (json_object_get_int_member (json_node_get_object (written_node), "version"), 2);
  assert_string_equal (
      json_object_get_string_member (json_node_get_object (written_node), "workspace"),
      fixture.workspace);
  assert_int_equal (json_object_get_int_member (json_object_get_object_member (
                                                    json_node_get_object (written_node), "values"),
                                                "max_epochs"),
                    3);
}

static void
test_runs_list_with_status_and_exit_code (void **state)
{
  g_autoptr (JsonNode) listing = get_ok ("/api/runs");
  JsonArray *runs = json_object_get_array_member (json_node_get_object (listing), "runs");
  const char *const ids[] = { RUN_ID (STOPPED), RUN_ID (FAILED), RUN_ID (SUCCEEDED) };
  const char *const statuses[] = { "stopped", "failed", "succeeded" };
  const gint64 exit_codes[] = { 143, 1, 0 };

  assert_int_equal (json_object_get_int_member (json_node_get_object (listing), "total"), 3);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      g_autofree char *log_path = g_strdup_printf ("/api/runs/%s/log?stream=stdout", ids[i]);
      g_autoptr (TestResponse) log = test_get (fixture.server, log_path);
      g_autofree char *expected_relative = g_build_filename ("runs", ids[i], "stdout.log", NULL);
      g_autofree char *expected = read_state_file (expected_relative);

      assert_string_equal (json_object_get_string_member (run, "id"), ids[i]);
      assert_string_equal (json_object_get_string_member (run, "status"), statuses[i]);
      assert_int_equal (json_object_get_int_member (run, "exit_code"), exit_codes[i]);
      assert_int_equal (log->status, 200);
      assert_string_equal (log->body, expected);
    }
}

/* (transfer full): POST /api/runs {"rerun": @id, "mode": @mode}, 201. */
static JsonNode *
rerun (const char *id, const char *mode)
{
  /* Forced past the composition check: the fixture's failed run has
   * simulate.fail=true, the demo runner's hook, no key of its Hydra config. */
  g_autofree char *body
      = g_strdup_printf ("{\"rerun\": \"%s\", \"mode\": \"%s\", \"force\": true}", id, mode);

  return test_fixture_post_json ("/api/runs", body, 201);
}

/* "runs/<id>/run.json" of the fixture's run @which. */
static char *
record_path (guint which)
{
  return g_build_filename ("runs", spec->runs[which].id, "run.json", NULL);
}

static void
test_reruns_start_current_runners (void **state)
{
  g_autofree char *train = g_build_filename (fixture.workspace, "runners", "train.py", NULL);
  g_autofree char *test = g_build_filename (fixture.workspace, "runners", "test.py", NULL);
  g_autofree char *old_train = g_build_filename (spec->old_workspace, "runners", "train.py", NULL);
  g_autofree char *succeeded_record = record_path (CMDB_FIXTURE_RUN_SUCCEEDED);
  g_autofree char *old_record = read_state_file (succeeded_record);
  g_autofree char *old_path = g_strdup_printf ("/api/runs/%s", RUN_ID (SUCCEEDED));
  /* The stopped Test run's checkpoint, which its Train run wrote: the
   * fixture keeps no outputs, and a value no longer offered is an error
   * (never replaced by the default checkpoint). */
  g_autofree char *checkpoints = g_build_filename (
      fixture.workspace, "outputs", "fixture_train-dbnet-unet-resnet18", "checkpoints", NULL);
  g_autofree char *checkpoint = g_build_filename (checkpoints, "epoch_02_step_000069.ckpt", NULL);
  g_autoptr (JsonNode) by_argv = (g_mkdir_with_parents (checkpoints, 0755) == 0
                                  && g_file_set_contents (checkpoint, "", 0, NULL))
                                     ? rerun (RUN_ID (SUCCEEDED), "argv")
                                     : NULL;
  g_autoptr (JsonNode) edited = rerun (RUN_ID (FAILED), "argv");
  g_autoptr (JsonNode) by_values = rerun (RUN_ID (STOPPED), "values");
  g_autoptr (JsonNode) end = NULL;
  g_autoptr (JsonNode) old = NULL;
  JsonObject *run;
  g_autofree char *after = NULL;

  /* The exact argv again, from where the workspace is now. */
  assert_non_null (by_argv);
  run = json_node_get_object (by_argv);
  assert_string_equal (argv_word (run, 1), train);
  assert_true (test_run_argv_has (run, "trainer.max_epochs=3"));
  assert_string_equal (json_object_get_string_member (run, "cwd"), fixture.workspace);
  end = wait_final (json_object_get_string_member (run, "id"));
  assert_string_equal (json_object_get_string_member (json_node_get_object (end), "status"),
                       "succeeded");
  g_clear_pointer (&end, json_node_unref);

  /* An edited run stays edited, its text relocated too. */
  run = json_node_get_object (edited);
  assert_true (json_object_get_boolean_member (run, "edited"));
  assert_string_equal (argv_word (run, 1), train);
  assert_true (test_run_argv_has (run, "simulate.fail=true"));
  test_assert_contains (json_object_get_string_member (run, "edited_command"), train);
  end = wait_final (json_object_get_string_member (run, "id"));
  assert_string_equal (json_object_get_string_member (json_node_get_object (end), "status"),
                       "failed");
  assert_int_equal (json_object_get_int_member (json_node_get_object (end), "exit_code"), 1);
  g_clear_pointer (&end, json_node_unref);

  /* The form's values of the stopped Test run, through the page. */
  run = json_node_get_object (by_values);
  assert_string_equal (argv_word (run, 1), test);
  assert_true (test_run_argv_has (run, "exp_name=fixture_stop"));
  end = wait_final (json_object_get_string_member (run, "id"));
  /* Only what differs from what the form gives without it is pinned as
   * the user's: the components follow the architecture again. */
  {
    g_autoptr (JsonNode) test_page = get_ok ("/api/pages/test");
    JsonObject *pinned = json_object_get_object_member (
        json_object_get_object_member (json_node_get_object (test_page), "state"), "values");

    assert_true (json_object_has_member (pinned, "exp_name"));
    assert_true (json_object_has_member (pinned, "checkpoint_path"));
    assert_false (json_object_has_member (pinned, "decoder"));
    assert_false (json_object_has_member (pinned, "head"));
    assert_false (json_object_has_member (pinned, "preprocessing_profile"));
  }

  /* The old record keeps what ran, for the audit, and is not rewritten. */
  old = get_ok (old_path);
  assert_string_equal (argv_word (json_node_get_object (old), 1), old_train);
  assert_string_equal (
      json_array_get_string_element (
          json_object_get_array_member (
              json_object_get_object_member (json_node_get_object (old), "relocated"), "argv"),
          1),
      train);
  after = read_state_file (succeeded_record);
  assert_string_equal (after, old_record);
}

/* An edited command in a page's state: format 2 knows the workspace it was
 * written in and moves the text's paths; format 1 does not, and keeps the
 * text as it was. */
static void
test_edited_command_relocated (void **state)
{
  g_autofree char *path = g_build_filename (state_dir, "ui", "pages", "train.json", NULL);
  g_autofree char *text = cmdb_test_read_file (path);
  g_autoptr (JsonNode) stored = json_from_string (text, NULL);
  g_autofree char *old_edited
      = g_strdup_printf ("python3 %s/runners/train.py trainer.max_epochs=1", spec->old_workspace);
  g_autofree char *new_edited
      = g_strdup_printf ("python3 %s/runners/train.py trainer.max_epochs=1", fixture.workspace);
  g_autoptr (JsonNode) page = NULL;
  gboolean knows_workspace = json_object_has_member (json_node_get_object (stored), "workspace");
  JsonObject *view;

  g_clear_pointer (&fixture.server, test_server_free);
  json_object_set_string_member (json_node_get_object (stored), "edited", old_edited);
  g_free (text);
  text = json_to_string (stored, FALSE);
  assert_true (g_file_set_contents (path, text, -1, NULL));
  test_fixture_restart (NULL, TRUE);

  page = get_ok ("/api/pages/train");
  view = json_object_get_object_member (json_node_get_object (page), "state");
  assert_string_equal (json_object_get_string_member (view, "edited"),
                       knows_workspace ? new_edited : old_edited);
}

/* A newer build's run record and Test page state: the record does not
 * list, the page starts from its defaults and works, neither file changes;
 * the rest of the history is there. */
static void
test_newer_files_left_untouched (void **state)
{
  g_autofree char *failed_record = record_path (CMDB_FIXTURE_RUN_FAILED);
  const char *const newer[] = { failed_record, "ui/pages/test.json", NULL };
  g_autofree char *record = NULL;
  g_autofree char *page = NULL;
  g_autoptr (JsonNode) listing = NULL;
  g_autoptr (JsonNode) train = NULL;
  g_autoptr (JsonNode) changed = NULL;
  g_autofree char *record_after = NULL;
  g_autofree char *page_after = NULL;
  JsonObject *values;

  g_clear_pointer (&fixture.server, test_server_free);
  cmdb_test_remove_tree (state_dir);
  g_clear_pointer (&state_dir, g_free);
  install_state (newer);
  record = read_state_file (newer[0]);
  page = read_state_file (newer[1]);
  test_fixture_restart (NULL, TRUE);

  listing = get_ok ("/api/runs");
  assert_int_equal (json_object_get_int_member (json_node_get_object (listing), "total"), 2);
  train = get_ok ("/api/pages/train");
  values = json_object_get_object_member (
      json_object_get_object_member (json_node_get_object (train), "form"), "values");
  assert_string_equal (json_object_get_string_member (values, "exp_name"), "fixture_train");
  changed
      = test_fixture_post_json ("/api/pages/test", "{\"changes\": {\"exp_name\": \"later\"}}", 200);
  values = json_object_get_object_member (
      json_object_get_object_member (json_node_get_object (changed), "form"), "values");
  assert_string_equal (json_object_get_string_member (values, "exp_name"), "later");

  record_after = read_state_file (newer[0]);
  page_after = read_state_file (newer[1]);
  assert_string_equal (record_after, record);
  assert_string_equal (page_after, page);
}

int
main (void)
{
  const struct CMUnitTest each[] = {
    cmocka_unit_test_setup_teardown (test_pages_get_their_values_back, setup, teardown),
    cmocka_unit_test_setup_teardown (test_runs_list_with_status_and_exit_code, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reruns_start_current_runners, setup, teardown),
    cmocka_unit_test_setup_teardown (test_edited_command_relocated, setup, teardown),
    cmocka_unit_test_setup_teardown (test_newer_files_left_untouched, setup, teardown),
  };

  return cmdb_test_run_per_state_fixture ("server-upgrade", each, G_N_ELEMENTS (each));
}
