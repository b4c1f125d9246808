/* The Predict page's submission export (spec 1.5) through its page actions
 * (POST /api/pages/predict/actions/...): a submission made by the demo's
 * predict runner, started from the API, is preselected and converted by the
 * workspace's converter; an existing CSV is not overwritten without
 * confirmation; a failing conversion shows the converter's stderr. */
#define G_LOG_DOMAIN "cmdb-test"

#include "server-test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static int
setup (void **state)
{
  /* Short demo epochs keep the predict run started by each test quick. */
  g_setenv ("DEMO_EPOCH_SECONDS", "0.2", TRUE);
  return test_fixture_setup_login (state);
}

static const char checkpoint[]
    = "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/epoch_09_step_000450.ckpt";

static JsonObject *
object (JsonNode *node)
{
  return json_node_get_object (node);
}

/* Runs the Predict page's command from the API and waits for its end
 * (polling the record; the run takes a fraction of a second). Returns
 * (transfer full) the submission's path relative to the workspace. */
static char *
predict_from_api (void)
{
  g_autofree char *changes
      = g_strdup_printf ("{\"changes\": {\"checkpoint_path\": \"%s\"}}", checkpoint);
  g_autoptr (JsonNode) page = test_fixture_post_json ("/api/pages/predict", changes, 200);
  g_autoptr (JsonNode) run = test_fixture_post_json ("/api/runs", "{\"page\": \"predict\"}", 201);
  g_autofree char *path
      = g_strdup_printf ("/api/runs/%s", json_object_get_string_member (object (run), "id"));
  g_autofree char *directory
      = g_build_filename (fixture.workspace, "outputs", "ocr_prediction", "submissions", NULL);
  g_autoptr (GDir) dir = NULL;
  const char *name;
  char *found = NULL;

  for (;;)
    {
      g_autoptr (TestResponse) response = test_get (fixture.server, path);
      g_autoptr (JsonNode) record = test_response_json (response);
      const char *status = json_object_get_string_member (object (record), "status");

      if (!g_str_equal (status, "starting") && !g_str_equal (status, "running"))
        {
          assert_string_equal (status, "succeeded");
          break;
        }
      g_usleep (50 * 1000);
    }
  dir = g_dir_open (directory, 0, NULL);
  assert_non_null (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      assert_null (found); /* one prediction, one file */
      found = g_build_filename ("outputs", "ocr_prediction", "submissions", name, NULL);
    }
  assert_non_null (found);
  (void) page;
  return found;
}

static JsonNode *export(const char *json_path, const char *output, gboolean force,
                        gboolean confidence)
{
  g_autofree char *body = g_strdup_printf (
      "{\"json_path\": \"%s\", \"output\": \"%s\", \"force\": %s, \"include_confidence\": %s}",
      json_path, output, force ? "true" : "false", confidence ? "true" : "false");

  return test_fixture_post_json ("/api/pages/predict/actions/export-csv", body, 200);
}

static void
test_actions_listed (void **state)
{
  g_autoptr (TestResponse) response = test_get (fixture.server, "/api/pages/predict/actions");
  g_autoptr (JsonNode) node = test_response_json (response);
  JsonArray *actions = json_object_get_array_member (object (node), "actions");

  assert_int_equal (response->status, 200);
  assert_int_equal (json_array_get_length (actions), 2);
  assert_string_equal (json_array_get_string_element (actions, 0), "list-submissions");
  assert_string_equal (json_array_get_string_element (actions, 1), "export-csv");
}

/* The newest submission of the experiment the predict run wrote is
 * preselected; converting it writes the CSV; a second conversion asks
 * first, and overwrites only when confirmed. */
static void
test_convert_and_confirm_overwrite (void **state)
{
  g_autofree char *submission = predict_from_api ();
  g_autoptr (JsonNode) choices
      = test_fixture_post_json ("/api/pages/predict/actions/list-submissions", "{}", 200);
  g_autoptr (JsonNode) converted = NULL;
  g_autoptr (JsonNode) refused = NULL;
  g_autoptr (JsonNode) forced = NULL;
  g_autofree char *csv_path
      = g_build_filename (fixture.workspace, "outputs", "submission.csv", NULL);
  g_autofree char *first_csv = NULL;
  g_autofree char *unchanged = NULL;
  g_autofree char *second_csv = NULL;
  g_autoptr (TestResponse) source = test_get (fixture.server, "/api/options/submissions");

  /* The choices come from the core's option source "submissions". */
  assert_int_equal (source->status, 200);
  test_assert_contains (source->body, submission);
  assert_string_equal (json_object_get_string_member (object (choices), "experiment"),
                       "ocr_prediction");
  assert_string_equal (json_object_get_string_member (object (choices), "json_path"), submission);
  test_assert_contains (json_object_get_string_member (object (choices), "html"), "Convert to CSV");

  converted = export(submission, "submission.csv", FALSE, FALSE);
  assert_true (json_object_get_boolean_member (object (converted), "ok"));
  assert_string_equal (json_object_get_string_member (object (converted), "message"),
                       "Successfully converted to submission.csv");
  test_assert_contains (json_object_get_string_member (object (converted), "stdout"),
                        "Converted 12 images");
  first_csv = cmdb_test_read_file (csv_path);
  assert_true (g_str_has_prefix (first_csv, "filename,polygons\n"));
  /* Where it went, whole, and how big: the server may be another machine. */
  assert_string_equal (json_object_get_string_member (object (converted), "output_path"), csv_path);
  assert_int_equal (json_object_get_int_member (object (converted), "size"), strlen (first_csv));
  assert_string_equal (json_object_get_string_member (object (converted), "output_name"),
                       "submission.csv");
  test_assert_contains (json_object_get_string_member (object (converted), "html"),
                        "href=\"/api/outputs?name=submission.csv\"");

  refused = export(submission, "submission.csv", FALSE, TRUE);
  assert_false (json_object_get_boolean_member (object (refused), "ok"));
  assert_true (json_object_get_boolean_member (object (refused), "needs_confirmation"));
  assert_string_equal (json_object_get_string_member (object (refused), "message"),
                       "submission.csv already exists. Overwrite it?");
  test_assert_contains (json_object_get_string_member (object (refused), "html"), "Overwrite it");
  unchanged = cmdb_test_read_file (csv_path);
  assert_string_equal (unchanged, first_csv);

  forced = export(submission, "submission.csv", TRUE, TRUE);
  assert_true (json_object_get_boolean_member (object (forced), "ok"));
  test_assert_contains (json_object_get_string_member (object (forced), "command"), " --force");
  second_csv = cmdb_test_read_file (csv_path);
  assert_true (g_str_has_prefix (second_csv, "filename,polygons,confidence\n"));
}

/* A submission the converter rejects: its exit status and its stderr. */
static void
test_failure_shows_stderr (void **state)
{
  g_autofree char *bad = cmdb_test_write_file (
      fixture.workspace, "outputs/broken/submissions/bad.json", "{\"images\": 5}");
  g_autoptr (JsonNode) failed
      = export("outputs/broken/submissions/bad.json", "out.csv", FALSE, FALSE);
  g_autofree char *csv_path = g_build_filename (fixture.workspace, "outputs", "out.csv", NULL);
  const char *html;

  assert_false (json_object_get_boolean_member (object (failed), "ok"));
  assert_string_equal (json_object_get_string_member (object (failed), "message"),
                       "Conversion failed with return code 1");
  assert_int_equal (json_object_get_int_member (object (failed), "exit_code"), 1);
  assert_string_equal (json_object_get_string_member (object (failed), "stderr"),
                       "Error: the JSON has no 'images' object\n");
  html = json_object_get_string_member (object (failed), "html");
  test_assert_contains (html, "Error details");
  test_assert_contains (html, "Error: the JSON has no &#39;images&#39; object");
  assert_false (g_file_test (csv_path, G_FILE_TEST_EXISTS));
  (void) bad;
}

static void
test_blank_output_name (void **state)
{
  g_autofree char *bad = cmdb_test_write_file (fixture.workspace, "outputs/one/submissions/a.json",
                                               "{\"images\": {}}");
  g_autoptr (JsonNode) refused = export("outputs/one/submissions/a.json", "  ", FALSE, FALSE);

  assert_false (json_object_get_boolean_member (object (refused), "ok"));
  assert_string_equal (json_object_get_string_member (object (refused), "message"),
                       "Please provide a valid output filename");
  (void) bad;
}

static void
test_missing_json (void **state)
{
  g_autoptr (JsonNode) refused = export("outputs/none.json", "x.csv", FALSE, FALSE);

  assert_false (json_object_get_boolean_member (object (refused), "ok"));
  assert_string_equal (json_object_get_string_member (object (refused), "message"),
                       "The JSON file outputs/none.json does not exist");
}

static void
test_unknown_action (void **state)
{
  g_autoptr (JsonNode) error
      = test_fixture_post_json ("/api/pages/predict/actions/nope", "{}", 404);

  assert_string_equal (json_object_get_string_member (object (error), "error"),
                       "page predict has no action nope");
}

/* Output names are relative to outputs/ and stay inside: "..", an
 * absolute path and a symbolic link pointing out are refused with a
 * message naming the field, and nothing is written outside. */
static void
test_output_stays_in_outputs (void **state)
{
  g_autofree char *json = cmdb_test_write_file (fixture.workspace, "outputs/one/submissions/a.json",
                                                "{\"images\": {}}");
  g_autofree char *outside = g_build_filename (fixture.tmp, "outside", NULL);
  g_autofree char *link = g_build_filename (fixture.workspace, "outputs", "escape", NULL);
  g_autofree char *absolute = g_build_filename (fixture.tmp, "x.csv", NULL);
  g_autoptr (JsonNode) parent = export("outputs/one/submissions/a.json", "../x.csv", FALSE, FALSE);
  g_autoptr (JsonNode) deep = NULL, rooted = NULL, linked = NULL, nested = NULL;
  g_autofree char *nested_csv = NULL;

  assert_false (json_object_get_boolean_member (object (parent), "ok"));
  assert_string_equal (json_object_get_string_member (object (parent), "message"),
                       "Output CSV filename: '../x.csv' leaves the folder (..): files go inside "
                       "outputs/; give a name relative to it, such as submission.csv");
  assert_string_equal (json_object_get_string_member (object (parent), "field"), "output");
  test_assert_contains (json_object_get_string_member (object (parent), "html"),
                        "aria-invalid=\"true\"");
  deep = export("outputs/one/submissions/a.json", "a/../../../../x.csv", FALSE, FALSE);
  assert_false (json_object_get_boolean_member (object (deep), "ok"));
  rooted = export("outputs/one/submissions/a.json", absolute, FALSE, FALSE);
  assert_false (json_object_get_boolean_member (object (rooted), "ok"));
  test_assert_contains (json_object_get_string_member (object (rooted), "message"),
                        "is an absolute path");
  assert_int_equal (g_mkdir (outside, 0755), 0);
  assert_int_equal (symlink (outside, link), 0);
  linked = export("outputs/one/submissions/a.json", "escape/x.csv", FALSE, FALSE);
  assert_false (json_object_get_boolean_member (object (linked), "ok"));
  test_assert_contains (json_object_get_string_member (object (linked), "message"),
                        "'escape/x.csv' leads out of it through a symbolic link");
  assert_false (g_file_test (absolute, G_FILE_TEST_EXISTS));
  {
    g_autofree char *above = g_build_filename (fixture.workspace, "x.csv", NULL);
    g_autofree char *escaped = g_build_filename (outside, "x.csv", NULL);

    assert_false (g_file_test (above, G_FILE_TEST_EXISTS));
    assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
  }
  /* A folder inside outputs/ is made for it. */
  nested = export("outputs/one/submissions/a.json", "exports/week1.csv", FALSE, FALSE);
  assert_true (json_object_get_boolean_member (object (nested), "ok"));
  nested_csv = g_build_filename (fixture.workspace, "outputs", "exports", "week1.csv", NULL);
  assert_true (g_file_test (nested_csv, G_FILE_TEST_IS_REGULAR));
  (void) json;
}

/* The download serves a file of outputs/ as an attachment, and nothing
 * outside it. */
static void
test_download (void **state)
{
  g_autofree char *csv = cmdb_test_write_file (fixture.workspace, "outputs/exports/s.csv",
                                               "filename,polygons\nreceipt.jpg,1 2 3 4\n");
  g_autofree char *secret = cmdb_test_write_file (fixture.tmp, "secret.txt", "not yours\n");
  g_autofree char *link = g_build_filename (fixture.workspace, "outputs", "secret.csv", NULL);
  g_autoptr (TestResponse) served = test_get (fixture.server, "/api/outputs?name=exports%2Fs.csv");
  g_autoptr (TestResponse) parent = NULL, linked = NULL, missing = NULL, anonymous = NULL;

  assert_int_equal (served->status, 200);
  assert_string_equal (served->body, "filename,polygons\nreceipt.jpg,1 2 3 4\n");
  assert_string_equal (test_response_header (served, "content-disposition"),
                       "attachment; filename=\"s.csv\"");
  test_assert_contains (test_response_header (served, "content-type"), "text/csv");
  parent = test_get (fixture.server, "/api/outputs?name=..%2Fpyproject.toml");
  assert_int_equal (parent->status, 403);
  test_assert_contains (parent->body, "name: '../pyproject.toml' leaves the folder");
  assert_int_equal (symlink (secret, link), 0);
  linked = test_get (fixture.server, "/api/outputs?name=secret.csv");
  assert_int_equal (linked->status, 403);
  assert_null (strstr (linked->body, "not yours"));
  missing = test_get (fixture.server, "/api/outputs?name=nope.csv");
  assert_int_equal (missing->status, 404);
  /* The token protects it like every other address. */
  anonymous = test_http (fixture.server, "GET", "/api/outputs?name=exports%2Fs.csv", NULL, NULL);
  assert_int_equal (anonymous->status, 401);
  (void) csv;
}

/* An upload is streamed to the state directory under its own limit (here
 * 2 MiB, over the 1 MiB cap of other bodies), then converts like a
 * prediction's own JSON; a body that is not JSON is refused; one over
 * [server] max-upload is refused before it is read. */
static void
test_upload (void **state)
{
  g_autoptr (GString) big = g_string_new ("{\"images\": {\"receipt_0001.jpg\": {\"words\": {");
  g_autoptr (JsonNode) uploaded = NULL, converted = NULL;
  g_autoptr (TestResponse) not_json = NULL, too_big = NULL;
  g_autofree char *uploads = NULL;
  g_autofree char *body = NULL;
  const char *path;
  TestServer *small;
  const char *const small_args[] = { "--config", "server.max-upload=4096", NULL };

  for (guint i = 0; big->len < 2 * 1024 * 1024; i++)
    g_string_append_printf (big, "%s\"%04u\": {\"points\": [[1, 2], [3, 2], [3, 4], [1, 4]]}",
                            i > 0 ? ", " : "", i);
  g_string_append (big, "}}}}");
  uploaded = test_fixture_post_json ("/api/uploads?name=my%20pred.json", big->str, 201);
  path = json_object_get_string_member (object (uploaded), "path");
  uploads = g_build_filename (fixture.workspace, ".cmdbuilder", "uploads", NULL);
  assert_true (g_str_has_prefix (path, uploads));
  assert_true (g_str_has_suffix (path, "-my_pred.json"));
  assert_int_equal (json_object_get_int_member (object (uploaded), "size"), big->len);
  body = cmdb_test_read_file (path);
  assert_string_equal (body, big->str);
  converted = export(path, "uploaded.csv", FALSE, FALSE);
  assert_true (json_object_get_boolean_member (object (converted), "ok"));
  test_assert_contains (json_object_get_string_member (object (converted), "stdout"),
                        "Converted 1 images");

  not_json = test_post_json (fixture.server, "/api/uploads?name=x.json", "filename,polygons\n");
  assert_int_equal (not_json->status, 400);
  test_assert_contains (not_json->body, "not a prediction's JSON");

  small = test_fixture_restart (small_args, TRUE);
  too_big = test_post_json (small, "/api/uploads?name=x.json", big->str);
  assert_int_equal (too_big->status, 413);
}

/* While the converter runs, the server answers everything else: the
 * converter here waits until the test releases it (at most a minute, so a
 * server that waits for it fails this test instead of hanging), and pages,
 * page views and the runs list are answered before it ends. Liveness, not
 * timing. */
static void
test_export_does_not_block (void **state)
{
  g_autofree char *submission = cmdb_test_write_file (
      fixture.workspace, "outputs/slow/submissions/a.json", "{\"images\": {}}");
  g_autofree char *started = g_build_filename (fixture.tmp, "converter-started", NULL);
  g_autofree char *release = g_build_filename (fixture.tmp, "converter-release", NULL);
  g_autofree char *started_literal = g_shell_quote (started);
  g_autofree char *release_literal = g_shell_quote (release);
  g_autofree char *converter_text = g_strdup_printf (
      "import pathlib, sys, time\n"
      "pathlib.Path(%s).write_text('x')\n"
      "for _ in range(1200):\n"
      "    if pathlib.Path(%s).exists():\n"
      "        break\n"
      "    time.sleep(0.05)\n"
      "pathlib.Path(sys.argv[sys.argv.index('--output_path') + 1]).write_text('filename\\n')\n"
      "print('released')\n",
      started_literal, release_literal);
  g_autofree char *converter
      = cmdb_test_write_file (fixture.workspace, "ocr/utils/convert_submission.py", converter_text);
  TestPendingPost *post = test_post_json_in_thread (
      fixture.server, "/api/pages/predict/actions/export-csv",
      "{\"json_path\": \"outputs/slow/submissions/a.json\", \"output\": \"slow.csv\"}");
  g_autoptr (TestResponse) response = NULL;
  g_autoptr (JsonNode) exported = NULL;
  const char *const paths[] = { "/api/pages", "/api/pages/train", "/api/runs", "/train" };

  /* The converter is running (bounded: about a minute). */
  for (guint i = 0; i < 600 && !g_file_test (started, G_FILE_TEST_EXISTS); i++)
    g_usleep (100 * 1000);
  assert_true (g_file_test (started, G_FILE_TEST_EXISTS));
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (TestResponse) answer = test_get (fixture.server, paths[i]);

      if (answer->status != 200)
        fail_msg ("GET %s answered %u while the export ran", paths[i], answer->status);
    }
  /* Everything above was answered while the converter still waited. */
  assert_false (test_pending_post_answered (post));
  g_free (cmdb_test_write_file (fixture.tmp, "converter-release", ""));
  response = test_pending_post_wait (post);
  exported = test_expect_json (response, 200, "the export");
  assert_true (json_object_get_boolean_member (object (exported), "ok"));
  test_assert_contains (json_object_get_string_member (object (exported), "stdout"), "released");
  (void) converter;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_export_does_not_block, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_actions_listed, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_convert_and_confirm_overwrite, setup,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_failure_shows_stderr, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_blank_output_name, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_missing_json, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_unknown_action, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_output_stays_in_outputs, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_download, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_upload, setup, test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
