/* The routing table: what the router answers for a path no route has
 * (404, JSON under /api/, HTML elsewhere), for a method a path's route
 * does not have (405 with Allow), and that the most specific pattern wins
 * (/api/runs/diff is not run "diff"), through a real `cmdbuilder serve`;
 * and that docs/api.md's route table lists exactly the routing table. */
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

/* The rows "| METHOD | `PATTERN` | ..." of docs/api.md's "## Routes"
 * section, as "METHOD PATTERN" strings. */
static GPtrArray *
documented_routes (void)
{
  g_autofree char *path = g_build_filename (cmdb_test_source_root (), "docs", "api.md", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *routes = g_ptr_array_new_with_free_func (g_free);
  gboolean in_section = FALSE;

  if (!g_file_get_contents (path, &text, NULL, &error))
    fail_msg ("%s", error->message);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) cells = NULL;
      g_autofree char *method = NULL;
      g_autofree char *pattern = NULL;

      if (g_str_has_prefix (lines[i], "## "))
        in_section = g_str_equal (lines[i], "## Routes");
      if (!in_section || !g_str_has_prefix (lines[i], "| "))
        continue;
      cells = g_strsplit (lines[i], "|", -1);
      if (g_strv_length (cells) < 3)
        continue;
      method = g_strstrip (g_strdup (cells[1]));
      pattern = g_strstrip (g_strdup (cells[2]));
      if (g_str_equal (method, "method") || g_str_has_prefix (method, "---"))
        continue;
      if (!g_str_has_prefix (pattern, "`") || !g_str_has_suffix (pattern, "`"))
        fail_msg ("docs/api.md: the route row '%s' has no `path`", lines[i]);
      pattern[strlen (pattern) - 1] = '\0';
      g_ptr_array_add (routes, g_strdup_printf ("%s %s", method, pattern + 1));
    }
  return routes;
}

static gboolean
holds (GPtrArray *strings, const char *wanted)
{
  for (guint i = 0; i < strings->len; i++)
    if (g_str_equal (g_ptr_array_index (strings, i), wanted))
      return TRUE;
  return FALSE;
}

static void
test_routes_documented (void **state)
{
  g_autoptr (GPtrArray) documented = documented_routes ();
  g_autoptr (GPtrArray) table = g_ptr_array_new_with_free_func (g_free);
  guint n = 0;
  const CmdbServerRoute *routes = cmdb_server_routes (&n);
  guint missing = 0;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (table, g_strdup_printf ("%s %s", routes[i].method, routes[i].pattern));
  for (guint i = 0; i < table->len; i++)
    if (!holds (documented, g_ptr_array_index (table, i)))
      {
        print_error ("route %s is not in docs/api.md's table (## Routes)\n",
                     (char *) g_ptr_array_index (table, i));
        missing++;
      }
  for (guint i = 0; i < documented->len; i++)
    if (!holds (table, g_ptr_array_index (documented, i)))
      {
        print_error ("docs/api.md lists %s, which the routing table does not have\n",
                     (char *) g_ptr_array_index (documented, i));
        missing++;
      }
  assert_int_equal (missing, 0);
  assert_int_equal (documented->len, table->len);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_table_consistent),
    cmocka_unit_test (test_routes_documented),
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
