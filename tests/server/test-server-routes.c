/* The routing table: what the router answers for a path no route has
 * (404, JSON under /api/, HTML elsewhere), for a method a path's route
 * does not have (405 with Allow), and that the most specific pattern wins
 * (/api/runs/diff is not run "diff"). Through a real `cmdbuilder serve`. */
#define G_LOG_DOMAIN "cmdb-test"

#include "server-test-util.h"
#include "cmdb-server-resource-private.h"

#include <string.h>

static TestResponse *
request (const char *method, const char *path)
{
  g_autofree char *cookie = g_strdup_printf ("Cookie: %s", fixture.server->cookie);
  g_autofree char *origin = g_strdup_printf ("Origin: http://127.0.0.1:%u", fixture.server->port);
  const char *headers[] = { cookie, origin, NULL };

  return test_http (fixture.server, method, path, headers, NULL);
}

static void
test_unknown_path (void **state)
{
  g_autoptr (TestResponse) api = request ("GET", "/api/nothing-here");
  g_autoptr (TestResponse) deep = request ("GET", "/api/runs/a/b/c");
  g_autoptr (TestResponse) page = request ("GET", "/train/more");
  g_autoptr (TestResponse) no_page = request ("GET", "/no-such-page");
  g_autoptr (JsonNode) node = NULL;

  node = test_expect_json (api, 404, "an unknown API path");
  assert_string_equal (json_object_get_string_member (json_node_get_object (node), "error"),
                       "no such API");
  assert_int_equal (deep->status, 404);
  assert_int_equal (page->status, 404);
  test_assert_contains (test_response_header (page, "content-type"), "text/html");
  test_assert_contains (page->body, "There is no page at this address.");
  assert_int_equal (no_page->status, 404);
  test_assert_contains (no_page->body, "There is no page at this address.");
}

static void
test_method_not_allowed (void **state)
{
  g_autoptr (TestResponse) runs = request ("DELETE", "/api/runs");
  g_autoptr (TestResponse) diff = request ("POST", "/api/runs/diff");
  g_autoptr (TestResponse) events = request ("HEAD", "/api/events");
  g_autoptr (TestResponse) root = request ("POST", "/");
  g_autoptr (TestResponse) page = request ("PUT", "/train");
  g_autoptr (JsonNode) node = NULL;

  node = test_expect_json (runs, 405, "DELETE /api/runs");
  assert_string_equal (json_object_get_string_member (json_node_get_object (node), "error"),
                       "use GET or POST here");
  assert_string_equal (test_response_header (runs, "allow"), "GET, HEAD, POST");
  assert_int_equal (diff->status, 405);
  assert_string_equal (test_response_header (diff, "allow"), "GET, HEAD");
  /* An event stream is answered to GET only. */
  assert_int_equal (events->status, 405);
  assert_string_equal (test_response_header (events, "allow"), "GET");
  assert_int_equal (root->status, 405);
  test_assert_contains (root->body, "Use GET here.");
  assert_int_equal (page->status, 405);
  test_assert_contains (page->body, "Use GET or POST here.");
  assert_string_equal (test_response_header (page, "allow"), "GET, HEAD, POST");
  /* The refusal carries the same security headers as every answer. */
  assert_non_null (test_response_header (page, "content-security-policy"));
}

static void
test_literal_beats_parameter (void **state)
{
  /* /api/runs/diff is the comparison (400 without a and b), not a run. */
  g_autoptr (TestResponse) diff = request ("GET", "/api/runs/diff");
  g_autoptr (TestResponse) run = request ("GET", "/api/runs/no-such-run");
  g_autoptr (TestResponse) bad = request ("GET", "/api/runs/bad%20id");

  assert_int_equal (diff->status, 400);
  assert_int_equal (run->status, 404);
  assert_int_equal (bad->status, 404);
}

static void
test_parameters_reach_handlers (void **state)
{
  g_autoptr (TestResponse) form = request ("GET", "/api/executors/local/form");
  g_autoptr (TestResponse) page = request ("GET", "/api/pages/nope");
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonNode) error = NULL;

  node = test_expect_json (form, 200, "the local executor's form");
  assert_string_equal (json_object_get_string_member (json_node_get_object (node), "executor"),
                       "local");
  error = test_expect_json (page, 404, "an unknown page");
  assert_string_equal (json_object_get_string_member (json_node_get_object (error), "error"),
                       "no page nope");
}

/* Every route has at most CMDB_SERVER_MAX_PARAMS parameters and one
 * handler per method. */
static void
test_table_consistent (void **state)
{
  guint n = 0;
  const CmdbServerRoute *routes = cmdb_server_routes (&n);

  assert_true (n > 20);
  for (guint i = 0; i < n; i++)
    {
      guint params = 0;

      assert_true (routes[i].pattern[0] == '/');
      for (const char *c = routes[i].pattern; *c != '\0'; c++)
        params += *c == '{';
      assert_true (params <= CMDB_SERVER_MAX_PARAMS);
      assert_non_null (routes[i].handler);
      for (guint j = i + 1; j < n; j++)
        assert_false (g_str_equal (routes[i].pattern, routes[j].pattern)
                      && g_str_equal (routes[i].method, routes[j].method));
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_table_consistent),
    cmocka_unit_test_setup_teardown (test_unknown_path, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_method_not_allowed, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_literal_beats_parameter, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_parameters_reach_handlers, test_fixture_setup_login,
                                     test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
