/* Launched sweeps with real runs of the demo workspace's runners:
 * `run --sweep` in the foreground (one line per member, the queue's
 * concurrency), `sweeps`, `sweep --json/--csv` with metrics from the logs,
 * cancelling a queued member, kill -9 of the sweep supervisor and the
 * queue resuming, Ctrl-C, `stop SWEEP`, `--rerun-failed` and `runs delete
 * SWEEP`. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"

#include <signal.h>
#include <string.h>

static char *tmp;
static char *workspace;

static int
setup (void **state)
{
  workspace = cmdb_test_copy_demo_workspace (&tmp);
  g_setenv ("DEMO_EPOCH_SECONDS", "0.3", TRUE);
  return 0;
}

static int
teardown (void **state)
{
  cmdb_test_remove_tree (tmp);
  g_clear_pointer (&tmp, g_free);
  g_clear_pointer (&workspace, g_free);
  return 0;
}

/* (transfer full): `sweep ID --json`. */
static JsonNode *
sweep_report (const char *id)
{
  int status = -1;
  g_autofree char *err = NULL;
  g_autofree char *out
      = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "sweep", id, "--json", NULL);

  if (status != 0)
    fail_msg ("sweep %s --json: %s", id, err);
  return cmdb_test_parse_json (out);
}

static const char *
member_status (JsonNode *report, guint index)
{
  JsonArray *members = json_object_get_array_member (json_node_get_object (report), "members");

  return json_object_get_string_member (json_array_get_object_element (members, index), "status");
}

static guint
count_status (JsonNode *report, const char *status)
{
  JsonArray *members = json_object_get_array_member (json_node_get_object (report), "members");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (members); i++)
    n += g_strcmp0 (
             json_object_get_string_member (json_array_get_object_element (members, i), "status"),
             status)
         == 0;
  return n;
}

/* Polls the sweep until @done says so (at most @seconds); (transfer full)
 * the last report. */
static JsonNode *
wait_for (const char *id, gboolean (*done) (JsonNode *report), int seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  for (;;)
    {
      JsonNode *report = sweep_report (id);

      if (done (report))
        return report;
      if (g_get_monotonic_time () > deadline)
        fail_msg ("sweep %s: still %s after %d s", id,
                  json_object_get_string_member (json_node_get_object (report), "status"), seconds);
      json_node_unref (report);
      g_usleep (100 * 1000);
    }
}

static gboolean
is_final (JsonNode *report)
{
  const char *status = json_object_get_string_member (json_node_get_object (report), "status");

  return g_strv_contains ((const char *const[]){ "succeeded", "failed", "stopped", NULL }, status);
}

static gboolean
first_running (JsonNode *report)
{
  return count_status (report, "running") >= 1;
}

static gboolean
two_running (JsonNode *report)
{
  return count_status (report, "running") >= 2;
}

/* (transfer full): the sweep id a detached `run --sweep` printed. */
static char *
launch_detached (const char *first, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char *argument;
  va_list ap;
  int status = -1;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *cmdbuilder = cmdb_test_cmdbuilder ();

  g_ptr_array_add (args, cmdbuilder);
  va_start (ap, first);
  for (argument = first; argument != NULL; argument = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) argument);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  out = cmdb_test_run ((const char *const *) args->pdata, workspace, &err, &status);
  if (status != 0)
    fail_msg ("exit %d: %s", status, err);
  assert_true (g_str_has_prefix (out, "sweep-"));
  return g_strstrip (g_strdup (out));
}

/* Every pair of members' [started_at, ended_at] overlaps in at most
 * @parallel at a time: checked at each start. */
static void
assert_concurrency_at_most (JsonNode *report, guint parallel)
{
  JsonArray *members = json_object_get_array_member (json_node_get_object (report), "members");
  guint peak = 0;

  for (guint i = 0; i < json_array_get_length (members); i++)
    {
      JsonObject *a = json_array_get_object_element (members, i);
      const char *start = json_object_get_string_member_with_default (a, "started_at", NULL);
      guint at_once = 0;

      if (start == NULL)
        continue;
      for (guint j = 0; j < json_array_get_length (members); j++)
        {
          JsonObject *b = json_array_get_object_element (members, j);
          const char *b_start = json_object_get_string_member_with_default (b, "started_at", NULL);
          const char *b_end = json_object_get_string_member_with_default (b, "ended_at", NULL);

          if (b_start != NULL && b_end != NULL && g_strcmp0 (b_start, start) <= 0
              && g_strcmp0 (start, b_end) < 0)
            at_once++;
        }
      peak = MAX (peak, at_once);
    }
  assert_true (peak >= 1);
  assert_true (peak <= parallel);
}

static void
test_foreground_sweep_and_comparison (void **state)
{
  int status = -1;
  g_autofree char *err = NULL, *out = NULL, *list = NULL, *csv = NULL, *csv_err = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) rows = NULL;
  g_autoptr (JsonNode) listed = NULL;
  g_autoptr (JsonNode) report = NULL;
  JsonObject *sweep;
  JsonObject *best;

  out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "run", "train", "--sweep",
                                     "max_epochs=1,2", "--sweep", "encoder=resnet18,resnet34",
                                     "--parallel", "2", NULL);
  assert_int_equal (status, 0);
  /* One line per member as it ends. */
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  assert_int_equal (g_strv_length (lines), 4);
  for (guint i = 0; i < 4; i++)
    {
      cmdb_test_assert_contains (lines[i], "succeeded");
      cmdb_test_assert_contains (lines[i], "exit 0");
    }
  cmdb_test_assert_contains (out, "max_epochs=2 encoder=resnet34");

  list = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "sweeps", "--json", NULL);
  assert_int_equal (status, 0);
  listed = cmdb_test_parse_json (list);
  assert_int_equal (json_array_get_length (json_node_get_array (listed)), 1);
  sweep = json_array_get_object_element (json_node_get_array (listed), 0);
  assert_string_equal (json_object_get_string_member (sweep, "page"), "train");
  assert_int_equal (json_object_get_int_member (sweep, "count"), 4);
  assert_string_equal (json_object_get_string_member (sweep, "status"), "succeeded");
  assert_int_equal (json_object_get_int_member (sweep, "parallel"), 2);

  report = sweep_report (json_object_get_string_member (sweep, "id"));
  assert_concurrency_at_most (report, 2);
  best = json_object_get_object_member (json_node_get_object (report), "best");
  assert_string_equal (json_object_get_string_member (best, "metric"), "val_hmean");
  assert_non_null (json_object_get_string_member_with_default (best, "run", NULL));
  {
    /* Every member has val_hmean, a number, read from its log. */
    JsonArray *members = json_object_get_array_member (json_node_get_object (report), "members");

    for (guint i = 0; i < 4; i++)
      {
        JsonObject *metrics
            = json_object_get_object_member (json_array_get_object_element (members, i), "metrics");

        assert_true (json_object_get_double_member (metrics, "val_hmean") > 0.3);
      }
  }

  csv = cmdb_test_run_cmdbuilder_in (workspace, &status, &csv_err, "sweep", "last", "--csv", NULL);
  assert_int_equal (status, 0);
  rows = g_strsplit (csv, "\r\n", -1);
  assert_string_equal (rows[0], "run,max_epochs,encoder,status,exit,val_hmean,hmean,train_loss");
  assert_int_equal (g_strv_length (rows), 6); /* header, 4 rows, "" after the last CRLF */
  {
    g_auto (GStrv) fields = g_strsplit (rows[4], ",", -1);

    assert_string_equal (fields[1], "2");
    assert_string_equal (fields[2], "resnet34");
    assert_string_equal (fields[3], "succeeded");
    assert_string_equal (fields[4], "0");
    assert_true (g_ascii_strtod (fields[5], NULL) > 0.3);
  }
}

static void
test_queue_cancel_kill_and_resume (void **state)
{
  g_autofree char *id = NULL;
  g_autofree char *queued = NULL, *queued_err = NULL, *stop = NULL, *stop_err = NULL;
  g_autofree char *record_path = NULL, *record = NULL;
  g_autofree char *listing = NULL, *listing_err = NULL;
  g_autoptr (JsonNode) running = NULL;
  g_autoptr (JsonNode) parsed = NULL;
  g_autoptr (JsonNode) done = NULL;
  JsonArray *members;
  const char *last_member;
  GPid supervisor;
  int status = -1;

  g_setenv ("DEMO_EPOCH_SECONDS", "0.6", TRUE);
  id = launch_detached ("run", "train", "--sweep", "max_epochs=1,2,1,1", "--detach", NULL);
  running = wait_for (id, first_running, 20);
  /* Queued members are visible as runs. */
  queued = cmdb_test_run_cmdbuilder_in (workspace, &status, &queued_err, "runs", "--status",
                                        "queued", NULL);
  assert_int_equal (status, 0);
  members = json_object_get_array_member (json_node_get_object (running), "members");
  last_member = json_object_get_string_member (json_array_get_object_element (members, 3), "run");
  cmdb_test_assert_contains (queued, last_member);
  /* ... and cancellable: stopped before it ever ran. */
  stop = cmdb_test_run_cmdbuilder_in (workspace, &status, &stop_err, "stop", last_member, NULL);
  assert_int_equal (status, 0);

  /* kill -9 of the sweep supervisor: the running member goes on (its own
   * supervisor), the queue waits. */
  record_path = g_build_filename (workspace, ".cmdbuilder", "sweeps", id, "sweep.json", NULL);
  record = cmdb_test_read_file (record_path);
  parsed = cmdb_test_parse_json (record);
  supervisor = (GPid) json_object_get_int_member (json_node_get_object (parsed), "supervisor_pid");
  assert_true (supervisor > 0);
  assert_int_equal (kill (supervisor, SIGKILL), 0);
  g_usleep (3 * G_USEC_PER_SEC);
  /* Any command listing sweeps gives the queue a new supervisor. */
  listing = cmdb_test_run_cmdbuilder_in (workspace, &status, &listing_err, "sweeps", NULL);
  assert_int_equal (status, 0);
  done = wait_for (id, is_final, 40);
  assert_string_equal (member_status (done, 0), "succeeded");
  assert_string_equal (member_status (done, 1), "succeeded");
  assert_string_equal (member_status (done, 2), "succeeded");
  assert_string_equal (member_status (done, 3), "stopped");
  assert_string_equal (json_object_get_string_member (json_node_get_object (done), "status"),
                       "stopped");
  assert_concurrency_at_most (done, 1);
  g_setenv ("DEMO_EPOCH_SECONDS", "0.3", TRUE);
}

static void
test_ctrl_c_stop_rerun_and_delete (void **state)
{
  g_autofree char *cmdbuilder = cmdb_test_cmdbuilder ();
  const char *argv[]
      = { cmdbuilder, "run", "train", "--sweep", "max_epochs=2,3,4", "--parallel", "2", NULL };
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (JsonNode) stopped = NULL;
  g_autoptr (JsonNode) rerun_report = NULL;
  g_autofree char *rerun_id = NULL;
  g_autofree char *busy = NULL, *busy_err = NULL, *deleted = NULL, *deleted_err = NULL;
  g_autofree char *id = NULL;
  int status = -1;

  g_setenv ("DEMO_EPOCH_SECONDS", "20", TRUE);
  g_subprocess_launcher_set_cwd (launcher, workspace);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  /* Wait for two running members, then Ctrl-C. */
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *list
          = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "sweeps", "--json", NULL);
      g_autoptr (JsonNode) node = cmdb_test_parse_json (list);
      JsonArray *array = json_node_get_array (node);

      if (json_array_get_length (array) == 1)
        {
          JsonObject *counts
              = json_object_get_object_member (json_array_get_object_element (array, 0), "counts");

          g_free (id);
          id = g_strdup (
              json_object_get_string_member (json_array_get_object_element (array, 0), "id"));
          if (json_object_get_int_member_with_default (counts, "running", 0) == 2)
            break;
        }
      g_usleep (100 * 1000);
    }
  assert_non_null (id);
  g_subprocess_send_signal (process, SIGINT);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  assert_int_equal (g_subprocess_get_exit_status (process), 130);
  report = sweep_report (id);
  assert_string_equal (json_object_get_string_member (json_node_get_object (report), "status"),
                       "stopped");
  assert_int_equal (count_status (report, "stopped"), 3);
  cmdb_test_assert_contains (out, "exit 143");

  /* Rerun the failed (here: stopped) members: a new sweep of just those. */
  g_setenv ("DEMO_EPOCH_SECONDS", "0.3", TRUE);
  rerun_id = launch_detached ("sweep", id, "--rerun-failed", "--detach", NULL);
  rerun_report = wait_for (rerun_id, is_final, 40);
  assert_string_equal (
      json_object_get_string_member (json_node_get_object (rerun_report), "rerun_of"), id);
  assert_int_equal (json_object_get_int_member (json_node_get_object (rerun_report), "count"), 3);
  assert_int_equal (count_status (rerun_report, "succeeded"), 3);

  /* stop SWEEP stops its running and queued members. */
  g_setenv ("DEMO_EPOCH_SECONDS", "20", TRUE);
  g_free (id);
  id = launch_detached ("run", "train", "--sweep", "max_epochs=2,3,4", "--detach", NULL);
  json_node_unref (wait_for (id, first_running, 20));
  busy = cmdb_test_run_cmdbuilder_in (workspace, &status, &busy_err, "runs", "delete", id, NULL);
  assert_int_equal (status, 1);
  cmdb_test_assert_contains (busy_err, "stop it first");
  g_free (out);
  out = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "stop", id, "--wait", NULL);
  assert_int_equal (status, 0);
  cmdb_test_assert_contains (out, "stopped");
  stopped = sweep_report (id);
  assert_string_equal (member_status (stopped, 0), "stopped");
  assert_string_equal (member_status (stopped, 1), "stopped");
  assert_string_equal (member_status (stopped, 2), "stopped");
  g_setenv ("DEMO_EPOCH_SECONDS", "0.3", TRUE);

  /* runs delete SWEEP: the record and every member's run. */
  deleted
      = cmdb_test_run_cmdbuilder_in (workspace, &status, &deleted_err, "runs", "delete", id, NULL);
  assert_int_equal (status, 0);
  {
    JsonArray *members = json_object_get_array_member (json_node_get_object (stopped), "members");
    g_autofree char *sweeps_dir = g_build_filename (workspace, ".cmdbuilder", "sweeps", NULL);
    g_autofree char *sweep_dir = g_build_filename (sweeps_dir, id, NULL);
    g_autoptr (GDir) left = g_dir_open (sweeps_dir, 0, NULL);

    assert_false (g_file_test (sweep_dir, G_FILE_TEST_EXISTS));
    const char *name;

    /* Nor the hidden name the directory was renamed to while its files went. */
    while (left != NULL && (name = g_dir_read_name (left)) != NULL)
      assert_false (g_str_has_prefix (name, ".deleting-"));
    for (guint i = 0; i < json_array_get_length (members); i++)
      {
        g_autofree char *run_dir = g_build_filename (
            workspace, ".cmdbuilder", "runs",
            json_object_get_string_member (json_array_get_object_element (members, i), "run"),
            NULL);

        assert_false (g_file_test (run_dir, G_FILE_TEST_EXISTS));
      }
  }
  (void) two_running;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_foreground_sweep_and_comparison, setup, teardown),
    cmocka_unit_test_setup_teardown (test_queue_cancel_kill_and_resume, setup, teardown),
    cmocka_unit_test_setup_teardown (test_ctrl_c_stop_rerun_and_delete, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
