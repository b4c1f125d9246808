/* The sweeps API on a copy of the demo workspace, with real runs: preview
 * (the count and every command before anything starts), launch with a
 * concurrency, the list, one sweep's comparison (metrics from the logs,
 * the best row), the CSV download, stop, rerun of the failed members,
 * delete; and a server SIGKILLed mid-sweep together with the sweep's
 * supervisor: after a restart every member ends with the right status. */
#define G_LOG_DOMAIN "cmdb-test"

#include "server-test-util.h"

#include <signal.h>
#include <string.h>

static int
setup (void **state)
{
  g_setenv ("DEMO_EPOCH_SECONDS", "0.3", TRUE);
  return test_fixture_setup_login (state);
}

static int
setup_slow (void **state)
{
  g_setenv ("DEMO_EPOCH_SECONDS", "20", TRUE);
  return test_fixture_setup_login (state);
}

static JsonNode *
get_ok (const char *path)
{
  g_autoptr (TestResponse) response = test_get (fixture.server, path);

  return test_expect_json (response, 200, path);
}

static JsonObject *
object (JsonNode *node)
{
  return json_node_get_object (node);
}

static guint
count_status (JsonObject *sweep, const char *status)
{
  JsonArray *members = json_object_get_array_member (sweep, "members");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (members); i++)
    n += g_strcmp0 (
             json_object_get_string_member (json_array_get_object_element (members, i), "status"),
             status)
         == 0;
  return n;
}

/* (transfer full): GET /api/sweeps/ID once its status is @until (NULL:
 * any final status), within @seconds. */
static JsonNode *
wait_sweep (const char *id, const char *until, int seconds)
{
  g_autofree char *path = g_strdup_printf ("/api/sweeps/%s", id);
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  for (;;)
    {
      JsonNode *node = get_ok (path);
      const char *status = json_object_get_string_member (object (node), "status");

      if (until != NULL
              ? g_str_equal (status, until)
              : g_strv_contains ((const char *const[]){ "succeeded", "failed", "stopped", NULL },
                                 status))
        return node;
      if (g_get_monotonic_time () > deadline)
        fail_msg ("sweep %s is still %s after %d s: %s", id, status, seconds,
                  json_to_string (node, FALSE));
      json_node_unref (node);
      g_usleep (100 * 1000);
    }
}

/* Peak number of members running at once, from their start and end times. */
static guint
peak_concurrency (JsonObject *sweep)
{
  JsonArray *members = json_object_get_array_member (sweep, "members");
  guint peak = 0;

  for (guint i = 0; i < json_array_get_length (members); i++)
    {
      const char *start = json_object_get_string_member_with_default (
          json_array_get_object_element (members, i), "started_at", NULL);
      guint at_once = 0;

      for (guint j = 0; start != NULL && j < json_array_get_length (members); j++)
        {
          JsonObject *b = json_array_get_object_element (members, j);
          const char *b_start = json_object_get_string_member_with_default (b, "started_at", NULL);
          const char *b_end = json_object_get_string_member_with_default (b, "ended_at", NULL);

          at_once += b_start != NULL && b_end != NULL && g_strcmp0 (b_start, start) <= 0
                     && g_strcmp0 (start, b_end) < 0;
        }
      peak = MAX (peak, at_once);
    }
  return peak;
}

static void
test_preview_launch_compare_delete (void **state)
{
  const char *sweep = "{\"page\": \"train\", \"sweep\": {\"learning_rate\": [0.001, 0.0003, "
                      "0.0001], \"encoder\": \"resnet18,resnet34\", \"max_epochs\": [1]}";
  g_autofree char *launch = g_strdup_printf ("%s, \"parallel\": 2}", sweep);
  g_autofree char *preview_body = g_strdup_printf ("%s}", sweep);
  g_autoptr (JsonNode) preview = NULL;
  g_autoptr (JsonNode) launched = NULL;
  g_autoptr (JsonNode) listed = NULL;
  g_autoptr (JsonNode) done = NULL;
  g_autoptr (JsonNode) member_run = NULL;
  g_autofree char *member_text = NULL;
  g_autoptr (TestResponse) csv = NULL;
  g_autoptr (TestResponse) deleted = NULL;
  g_autoptr (TestResponse) gone = NULL;
  g_autoptr (TestResponse) bad = NULL;
  g_autofree char *csv_path = NULL, *delete_path = NULL, *run_path = NULL;
  g_auto (GStrv) rows = NULL;
  JsonObject *commands;
  const char *id;

  /* The count and every command first: nothing starts. */
  preview = test_fixture_post_json ("/api/sweeps/preview", preview_body, 200);
  commands = json_object_get_object_member (object (preview), "sweep");
  assert_int_equal (json_object_get_int_member (commands, "count"), 6);
  assert_int_equal (json_object_get_int_member (commands, "failed"), 0);
  test_assert_contains (
      json_object_get_string_member (
          json_array_get_object_element (json_object_get_array_member (commands, "commands"), 5),
          "command"),
      "model.optimizer.lr=0.0001");
  listed = get_ok ("/api/sweeps");
  assert_int_equal (json_array_get_length (json_node_get_array (listed)), 0);
  g_clear_pointer (&listed, json_node_unref);

  /* A value the form refuses: 422, nothing started. */
  bad = test_post_json (
      fixture.server, "/api/sweeps",
      "{\"page\": \"train\", \"sweep\": {\"encoder\": [\"resnet18\", \"nope\"]}}");
  assert_int_equal (bad->status, 422);

  launched = test_fixture_post_json ("/api/sweeps", launch, 201);
  id = json_object_get_string_member (object (launched), "id");
  assert_int_equal (json_object_get_int_member (object (launched), "count"), 6);
  assert_int_equal (json_object_get_int_member (object (launched), "parallel"), 2);

  listed = get_ok ("/api/sweeps?page=train");
  assert_int_equal (json_array_get_length (json_node_get_array (listed)), 1);

  done = wait_sweep (id, "succeeded", 90);
  assert_int_equal (count_status (object (done), "succeeded"), 6);
  assert_true (peak_concurrency (object (done)) <= 2);
  assert_true (peak_concurrency (object (done)) >= 1);
  {
    JsonObject *best = json_object_get_object_member (object (done), "best");
    JsonArray *members = json_object_get_array_member (object (done), "members");
    guint marked = 0;

    assert_string_equal (json_object_get_string_member (best, "metric"), "val_hmean");
    for (guint i = 0; i < json_array_get_length (members); i++)
      {
        JsonObject *member = json_array_get_object_element (members, i);

        assert_true (json_object_get_double_member (
                         json_object_get_object_member (member, "metrics"), "val_hmean")
                     > 0.3);
        marked += json_object_get_boolean_member (member, "best");
      }
    assert_int_equal (marked, 1);
    /* Each member is a run of the history naming its sweep. */
    run_path = g_strdup_printf (
        "/api/runs/%s",
        json_object_get_string_member (json_array_get_object_element (members, 0), "run"));
    member_run = get_ok (run_path);
    member_text = json_to_string (member_run, FALSE);
    test_assert_contains (member_text, id);
  }

  csv_path = g_strdup_printf ("/api/sweeps/%s/csv", id);
  csv = test_get (fixture.server, csv_path);
  assert_int_equal (csv->status, 200);
  test_assert_contains (test_response_header (csv, "content-disposition"), ".csv");
  rows = g_strsplit (csv->body, "\r\n", -1);
  assert_string_equal (
      rows[0], "run,learning_rate,encoder,max_epochs,status,exit,val_hmean,hmean,train_loss");
  assert_int_equal (g_strv_length (rows), 8);

  delete_path = g_strdup_printf ("/api/sweeps/%s", id);
  {
    g_autofree char *origin = g_strdup_printf ("Origin: http://127.0.0.1:%u", fixture.server->port);
    g_autofree char *cookie = g_strdup_printf ("Cookie: %s", fixture.server->cookie);

    deleted = test_http (fixture.server, "DELETE", delete_path,
                         (const char *const[]){ cookie, origin, NULL }, NULL);
  }
  assert_int_equal (deleted->status, 200);
  gone = test_get (fixture.server, delete_path);
  assert_int_equal (gone->status, 404);
}

/* kill -9 of the server and of the sweep's supervisor mid-sweep; after a
 * restart the queue resumes and every member succeeds, one at a time. */
static void
test_kill_server_and_supervisor (void **state)
{
  g_autoptr (JsonNode) launched = test_fixture_post_json (
      "/api/sweeps",
      "{\"page\": \"train\", \"sweep\": {\"max_epochs\": [2, 1, 2, 1]}, \"parallel\": 1}", 201);
  const char *id = json_object_get_string_member (object (launched), "id");
  g_autoptr (JsonNode) running = wait_sweep (id, "running", 30);
  g_autofree char *record_path
      = g_build_filename (fixture.workspace, ".cmdbuilder", "sweeps", id, "sweep.json", NULL);
  g_autofree char *record = cmdb_test_read_file (record_path);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) done = NULL;
  GPid supervisor;

  assert_true (json_parser_load_from_data (parser, record, -1, NULL));
  supervisor = (GPid) json_object_get_int_member (
      json_node_get_object (json_parser_get_root (parser)), "supervisor_pid");
  assert_true (supervisor > 0);
  kill (fixture.server->pid, SIGKILL);
  assert_int_equal (test_server_stop (fixture.server), -1);
  assert_int_equal (kill (supervisor, SIGKILL), 0);
  g_usleep (G_USEC_PER_SEC);
  test_fixture_restart (NULL, TRUE);

  done = wait_sweep (id, NULL, 60);
  assert_string_equal (json_object_get_string_member (object (done), "status"), "succeeded");
  assert_int_equal (count_status (object (done), "succeeded"), 4);
  assert_int_equal (peak_concurrency (object (done)), 1);
}

static void
test_stop_and_rerun_failed (void **state)
{
  g_autoptr (JsonNode) launched = test_fixture_post_json (
      "/api/sweeps", "{\"page\": \"train\", \"sweep\": {\"max_epochs\": \"range(2,5)\"}}", 201);
  const char *id = json_object_get_string_member (object (launched), "id");
  g_autoptr (JsonNode) running = wait_sweep (id, "running", 30);
  g_autofree char *stop_path = g_strdup_printf ("/api/sweeps/%s/stop", id);
  g_autofree char *rerun_path = g_strdup_printf ("/api/sweeps/%s/rerun-failed", id);
  g_autoptr (JsonNode) stopping = NULL;
  g_autoptr (JsonNode) stopped = NULL;
  g_autoptr (JsonNode) rerun = NULL;
  g_autoptr (JsonNode) rerun_stopping = NULL;
  g_autofree char *rerun_stop = NULL;

  assert_int_equal (json_object_get_int_member (object (launched), "count"), 3);
  assert_int_equal (count_status (object (running), "queued"), 2);
  stopping = test_fixture_post_json (stop_path, "{}", 202);
  stopped = wait_sweep (id, "stopped", 30);
  assert_int_equal (count_status (object (stopped), "stopped"), 3);
  {
    JsonObject *first = json_array_get_object_element (
        json_object_get_array_member (object (stopped), "members"), 0);

    assert_int_equal (json_object_get_int_member (first, "exit_code"), 143);
  }

  rerun = test_fixture_post_json (rerun_path, "{}", 201);
  assert_string_equal (json_object_get_string_member (object (rerun), "rerun_of"), id);
  assert_int_equal (json_object_get_int_member (object (rerun), "count"), 3);
  rerun_stop = g_strdup_printf ("/api/sweeps/%s/stop",
                                json_object_get_string_member (object (rerun), "id"));
  rerun_stopping = test_fixture_post_json (rerun_stop, "{}", 202);
  json_node_unref (
      wait_sweep (json_object_get_string_member (object (rerun), "id"), "stopped", 30));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_preview_launch_compare_delete, setup,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_kill_server_and_supervisor, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_stop_and_rerun_failed, setup_slow, test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
