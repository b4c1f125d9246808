/* Presets through the API of a real `cmdbuilder serve`: a preset committed
 * to the workspace while the server runs is listed at the next request
 * (the shared cache, no restart), with its applicable values, skipped keys
 * and diff against the current form; save, apply (the page's own change
 * request), delete; a private preset is saved in the state directory. */
#define G_LOG_DOMAIN "cmdb-test"

#include "server-test-util.h"

#include <string.h>

static JsonObject *
find_preset (JsonNode *answer, const char *name)
{
  JsonArray *presets = json_object_get_array_member (json_node_get_object (answer), "presets");

  for (guint i = 0; i < json_array_get_length (presets); i++)
    {
      JsonObject *preset = json_array_get_object_element (presets, i);

      if (g_str_equal (json_object_get_string_member (preset, "name"), name))
        return preset;
    }
  return NULL;
}

static TestResponse *
delete_request (const char *path)
{
  TestServer *server = fixture.server;
  g_autofree char *cookie = g_strdup_printf ("Cookie: %s", server->cookie);
  g_autofree char *origin = g_strdup_printf ("Origin: http://127.0.0.1:%u", server->port);
  const char *headers[] = { cookie, origin, NULL };

  return test_http (server, "DELETE", path, headers, NULL);
}

static void
test_committed_preset_shows_up (void **state)
{
  g_autoptr (JsonNode) before = NULL, after = NULL, page = NULL;
  g_autoptr (TestResponse) empty = test_get (fixture.server, "/api/pages/train/presets");
  g_autoptr (TestResponse) listed = NULL;
  g_autofree char *file = NULL;
  g_autofree char *changes = NULL;
  g_autofree char *applicable_text = NULL;
  JsonObject *preset;
  JsonArray *skipped, *diff;

  before = test_expect_json (empty, 200, "presets before");
  assert_int_equal (json_array_get_length (
                        json_object_get_array_member (json_node_get_object (before), "presets")),
                    0);

  /* Another user's commit, pulled while the server runs. */
  file = cmdb_test_write_file (fixture.workspace, "configs/ui_meta/presets/train/receipts.yaml",
                               "description: receipts baseline\n"
                               "values:\n  encoder: resnet34\n  batch_size: 8\n  gone_key: 1\n");
  listed = test_get (fixture.server, "/api/pages/train/presets");
  after = test_expect_json (listed, 200, "presets after a commit");
  preset = find_preset (after, "receipts");
  assert_non_null (preset);
  assert_string_equal (json_object_get_string_member (preset, "description"), "receipts baseline");
  assert_false (json_object_get_boolean_member (preset, "private"));
  skipped = json_object_get_array_member (preset, "skipped");
  assert_int_equal (json_array_get_length (skipped), 1);
  assert_string_equal (json_array_get_string_element (skipped, 0), "gone_key");
  diff = json_object_get_array_member (preset, "diff");
  assert_int_equal (json_array_get_length (diff), 2);
  assert_string_equal (
      json_object_get_string_member (json_array_get_object_element (diff, 0), "current"),
      "resnet18");

  /* Applying: the page's change request with the applicable values. */
  {
    g_autoptr (JsonNode) applicable = json_node_new (JSON_NODE_OBJECT);
    g_autoptr (TestResponse) relisted = NULL;
    g_autoptr (JsonNode) again = NULL;

    json_node_set_object (applicable, json_object_get_object_member (preset, "applicable"));
    applicable_text = json_to_string (applicable, FALSE);
    changes = g_strdup_printf ("{\"changes\": %s}", applicable_text);
    page = test_fixture_post_json ("/api/pages/train", changes, 200);
    relisted = test_get (fixture.server, "/api/pages/train/presets");
    again = test_expect_json (relisted, 200, "presets after applying");
    assert_int_equal (json_array_get_length (
                          json_object_get_array_member (find_preset (again, "receipts"), "diff")),
                      0);
  }
}

static void
test_save_and_delete (void **state)
{
  g_autofree char *shared
      = g_build_filename (fixture.workspace, "configs/ui_meta/presets/train/fast.yaml", NULL);
  g_autofree char *private_path
      = g_build_filename (fixture.workspace, ".cmdbuilder/presets/train/mine.yaml", NULL);
  g_autoptr (JsonNode) saved = NULL, from_form = NULL, bad = NULL, bad_key = NULL;
  g_autoptr (JsonNode) deleted = NULL, missing = NULL, changed = NULL;
  g_autoptr (TestResponse) gone = NULL, again = NULL;
  g_autofree char *text = NULL;

  saved = test_fixture_post_json (
      "/api/pages/train/presets",
      "{\"name\": \"fast\", \"description\": \"two epochs\", \"values\": {\"max_epochs\": 2}}",
      201);
  text = cmdb_test_read_file (shared);
  test_assert_contains (text, "max_epochs: 2");
  test_assert_contains (text, "description: \"two epochs\"");

  /* Without values: what the user set in the form, saved privately. */
  changed = test_fixture_post_json ("/api/pages/train", "{\"changes\": {\"seed\": 7}}", 200);
  from_form = test_fixture_post_json ("/api/pages/train/presets",
                                      "{\"name\": \"mine\", \"private\": true}", 201);
  assert_true (json_object_get_boolean_member (json_node_get_object (from_form), "private"));
  g_free (text);
  text = cmdb_test_read_file (private_path);
  test_assert_contains (text, "seed: 7");

  bad = test_fixture_post_json ("/api/pages/train/presets", "{\"name\": \"../x\"}", 400);
  bad_key = test_fixture_post_json ("/api/pages/train/presets",
                                    "{\"name\": \"y\", \"values\": {\"nope\": 1}}", 400);

  gone = delete_request ("/api/pages/train/presets/fast");
  deleted = test_expect_json (gone, 200, "delete");
  assert_false (g_file_test (shared, G_FILE_TEST_EXISTS));
  again = delete_request ("/api/pages/train/presets/fast");
  missing = test_expect_json (again, 404, "delete again");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_committed_preset_shows_up, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_save_and_delete, test_fixture_setup_login,
                                     test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
