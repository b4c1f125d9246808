#define G_LOG_DOMAIN "cmdb-test"

/* The composition check in the web server (docs/compose-check.md): the
 * page view carries the verdict and marks a command Hydra would not
 * compose Invalid, with the problem at the field that owns the override or
 * with the command; POST /api/build gives the same object as
 * `cmdbuilder build --json`; POST /api/runs refuses such a command (422,
 * compose_failed) unless {"force": true}, for edited texts and reruns alike. */

#include "server-test-util.h"

#include <string.h>

static JsonObject *
command_of (JsonNode *page)
{
  return json_object_get_object_member (json_node_get_object (page), "command");
}

static void
test_page_view_marks_invalid (void **state)
{
  g_autoptr (JsonNode) page = NULL;
  g_autoptr (JsonNode) edited = NULL;
  g_autoptr (JsonNode) built = NULL;
  g_autoptr (TestResponse) html = NULL;
  JsonObject *compose;
  g_autofree char *text = NULL;

  (void) state;
  /* The demo's default command composes. */
  page = test_fixture_post_json ("/api/pages/train", "{\"changes\": {}}", 200);
  compose = json_object_get_object_member (command_of (page), "compose");
  assert_true (json_object_get_boolean_member (compose, "ok"));

  /* An edited text with a typo: the command is Invalid, the problem shown. */
  text = g_strdup_printf ("{\"command\": \"%s trainer.max_epoch=3\"}",
                          json_object_get_string_member (command_of (page), "command"));
  edited = test_fixture_post_json ("/api/pages/train", text, 200);
  compose = json_object_get_object_member (command_of (edited), "compose");
  assert_false (json_object_get_boolean_member (compose, "ok"));
  html = test_get (fixture.server, "/train");
  test_assert_contains (html->body, "data-composes=\"false\">Invalid</span>");
  test_assert_contains (html->body, "trainer.max_epoch=3: Hydra would not compose this: Could "
                                    "not override &#39;trainer.max_epoch&#39;.");

  /* /api/build: the same object as cmdbuilder build --json. */
  built = test_fixture_post_json ("/api/build/train", "{\"values\": {}}", 200);
  compose = json_object_get_object_member (json_node_get_object (built), "compose");
  assert_true (json_object_get_boolean_member (compose, "ok"));
  assert_true (json_object_has_member (compose, "resolve"));
}

static void
test_run_refused_unless_forced (void **state)
{
  g_autoptr (JsonNode) page = NULL;
  g_autoptr (TestResponse) refused = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (JsonNode) forced = NULL;
  g_autoptr (JsonNode) rerun_forced = NULL;
  g_autoptr (TestResponse) rerun_refused = NULL;
  g_autofree char *body = NULL;
  g_autofree char *forced_body = NULL;
  g_autofree char *rerun = NULL;
  g_autofree char *rerun_force = NULL;
  const char *run_id;

  (void) state;
  page = test_fixture_post_json ("/api/pages/train", "{\"changes\": {}}", 200);
  body = g_strdup_printf ("{\"page\": \"train\", \"command\": \"%s +data/nope=1 data=nope\"}",
                          json_object_get_string_member (command_of (page), "command"));
  refused = test_post_json (fixture.server, "/api/runs", body);
  answer = test_expect_json (refused, 422, "a run that does not compose");
  assert_true (json_object_get_boolean_member (json_node_get_object (answer), "compose_failed"));
  test_assert_contains (json_object_get_string_member (json_node_get_object (answer), "error"),
                        "Could not find 'data/nope'");

  forced_body = g_strdup_printf ("{\"page\": \"train\", \"command\": \"%s data=nope\", "
                                 "\"force\": true}",
                                 json_object_get_string_member (command_of (page), "command"));
  forced = test_fixture_post_json ("/api/runs", forced_body, 201);
  run_id = json_object_get_string_member (json_node_get_object (forced), "id");

  /* Rerunning its argv is refused the same way, and forced the same way. */
  rerun = g_strdup_printf ("{\"rerun\": \"%s\", \"mode\": \"argv\"}", run_id);
  rerun_refused = test_post_json (fixture.server, "/api/runs", rerun);
  g_assert_cmpuint (rerun_refused->status, ==, 422);
  rerun_force
      = g_strdup_printf ("{\"rerun\": \"%s\", \"mode\": \"argv\", \"force\": true}", run_id);
  rerun_forced = test_fixture_post_json ("/api/runs", rerun_force, 201);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_page_view_marks_invalid, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_run_refused_unless_forced, test_fixture_setup_login,
                                     test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
