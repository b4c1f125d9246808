/* The web UI's pages and JSON API through a real `cmdbuilder serve` on a
 * copy of the demo workspace: routes, lazy loading (from /api/plugins and
 * /proc/<pid>/maps), escaping of hostile strings, live evaluation, the form
 * without JavaScript, state kept across restarts, options, downloads. */
#define G_LOG_DOMAIN "cmdb-test"

#include "server-test-util.h"

#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

static void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    {
      print_error ("expected to find: %s\n", needle);
      fail ();
    }
}

static void
assert_lacks (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) != NULL)
    {
      print_error ("expected NOT to find: %s\n", needle);
      fail ();
    }
}

static TestResponse *
get_ok (const char *path)
{
  TestResponse *response = test_get (fixture.server, path);

  if (response->status != 200)
    {
      print_error ("GET %s: %u %s\n", path, response->status, response->body);
      fail ();
    }
  return response;
}

static JsonNode *
get_json (const char *path)
{
  g_autoptr (TestResponse) response = get_ok (path);

  return test_response_json (response);
}

static JsonNode *
post_json_ok (const char *path, const char *body)
{
  g_autoptr (TestResponse) response = test_post_json (fixture.server, path, body);

  if (response->status != 200)
    {
      print_error ("POST %s: %u %s\n", path, response->status, response->body);
      fail ();
    }
  return test_response_json (response);
}

static JsonObject *
plugin (JsonNode *plugins, const char *id)
{
  return cmdb_test_find_by_id (json_node_get_array (plugins), id, "the plugin listing");
}

static gboolean
loaded (JsonNode *plugins, const char *id)
{
  return json_object_get_boolean_member (plugin (plugins, id), "loaded");
}

/* Whether the server process mapped @file_name. */
static gboolean
server_maps (const char *file_name)
{
  g_autofree char *maps_path = g_strdup_printf ("/proc/%d/maps", fixture.server->pid);
  g_autofree char *maps = NULL;
  g_autofree char *needle = g_strconcat ("/", file_name, "\n", NULL);

  assert_true (g_file_get_contents (maps_path, &maps, NULL, NULL));
  return strstr (maps, needle) != NULL;
}

static JsonObject *
field (JsonNode *answer, const char *key)
{
  JsonObject *form = json_object_get_object_member (json_node_get_object (answer), "form");
  JsonArray *fields = json_object_get_array_member (form, "fields");

  for (guint i = 0; i < json_array_get_length (fields); i++)
    {
      JsonObject *object = json_array_get_object_element (fields, i);
      if (g_str_equal (json_object_get_string_member (object, "key"), key))
        return object;
    }
  print_error ("no field %s\n", key);
  fail ();
  return NULL;
}

static const char *
field_string (JsonNode *answer, const char *key)
{
  return json_object_get_string_member (field (answer, key), "value");
}

static const char *
command_text (JsonNode *answer)
{
  JsonObject *command = json_object_get_object_member (json_node_get_object (answer), "command");
  return json_object_get_string_member (command, "command");
}

static void
test_root_redirects_without_activating (void **state)
{
  g_autoptr (TestResponse) root = test_get (fixture.server, "/");
  g_autoptr (JsonNode) plugins = NULL;
  JsonArray *array;

  assert_int_equal (root->status, 302);
  assert_string_equal (test_response_header (root, "location"), "/train");
  plugins = get_json ("/api/plugins");
  array = json_node_get_array (plugins);
  assert_true (json_array_get_length (array) >= 7);
  for (guint i = 0; i < json_array_get_length (array); i++)
    assert_false (
        json_object_get_boolean_member (json_array_get_object_element (array, i), "loaded"));
  assert_false (server_maps ("libtrain-page.so"));
}

/* /api/plugins is exactly cmdb_host_plugins_to_json: before any page is
 * opened it equals `cmdbuilder plugins --json` for the same workspace. */
static void
test_plugins_api_matches_cli (void **state)
{
  g_autoptr (JsonNode) from_server = get_json ("/api/plugins");
  g_autofree char *exe = cmdb_test_cmdbuilder ();
  const char *argv[] = { exe, "plugins", "--json", "--workspace", fixture.workspace, NULL };
  g_autofree char *out = cmdb_test_run (argv, fixture.workspace, NULL, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();

  assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  assert_true (json_node_equal (from_server, json_parser_get_root (parser)));
}

/* The first visit of a page loads its plugin and the registries its schema
 * needs, and nothing else. The test page's schema here uses only
 * models.decoders. */
static void
test_first_visit_loads_only_what_it_needs (void **state)
{
  g_autofree char *schemas = g_build_filename (fixture.tmp, "schemas", NULL);
  g_autofree char *bundled = cmdb_test_source_path ("schemas");
  const char *args[] = { "--schemas", schemas, NULL };
  g_autoptr (TestResponse) page = NULL;
  g_autoptr (JsonNode) plugins = NULL;

  cmdb_test_copy_tree (bundled, schemas);
  g_free (cmdb_test_write_file (schemas, "test.yaml",
                                "title: Decoders only\n"
                                "ui_elements:\n"
                                "  - key: decoder\n"
                                "    type: selectbox\n"
                                "    label: Decoder\n"
                                "    options_source: models.decoders\n"
                                "    hydra_override: model.decoder\n"));
  test_fixture_restart (args, TRUE);

  page = get_ok ("/test");
  assert_contains (page->body, "name=\"decoder\"");
  plugins = get_json ("/api/plugins");
  assert_true (loaded (plugins, "test"));
  assert_false (loaded (plugins, "train"));
  assert_false (loaded (plugins, "predict"));
  assert_true (loaded (plugins, "decoders"));
  assert_false (loaded (plugins, "encoders"));
  assert_false (loaded (plugins, "heads"));
  assert_false (loaded (plugins, "losses"));
  assert_string_equal (json_object_get_string_member (plugin (plugins, "test"), "state"), "shown");

  assert_true (server_maps ("libtest-page.so"));
  assert_true (server_maps ("libdecoders.so"));
  assert_false (server_maps ("libtrain-page.so"));
  assert_false (server_maps ("libpredict-page.so"));
  assert_false (server_maps ("libencoders.so"));
  assert_false (server_maps ("libheads.so"));
  assert_false (server_maps ("liblosses.so"));
}

static void
test_page_layout (void **state)
{
  g_autoptr (TestResponse) page = get_ok ("/train");
  g_autoptr (TestResponse) missing = test_get (fixture.server, "/nope");
  g_autoptr (TestResponse) nested = test_get (fixture.server, "/train/x");
  const char *csp;

  assert_contains (page->body,
                   "<a href=\"/train\" data-page=\"train\" aria-current=\"page\">Train</a>");
  assert_contains (page->body, "<a href=\"/test\" data-page=\"test\">Test</a>");
  assert_contains (page->body, "<a href=\"/predict\" data-page=\"predict\">Predict</a>");
  assert_contains (page->body,
                   "<form class=\"page-form\" id=\"page-form\" method=\"post\" action=\"/train\"");
  assert_contains (page->body, "<label for=\"f-exp_name\">Experiment name</label>");
  assert_contains (page->body, "name=\"exp_name\"");
  assert_contains (page->body, "Suggested setups");
  assert_contains (page->body, "id=\"command\"");
  assert_contains (page->body, "download=\"command.sh\"");
  assert_contains (page->body, "Overrides preview");
  assert_contains (page->body, "id=\"execution\"");
  /* The scripts: fetched at once, run by the inline loader (allowed by
   * its hash) without holding the parser or the first paint back. */
  assert_contains (page->body, "<link rel=\"preload\" as=\"script\" href=\"/assets/app.js?v=");
  assert_contains (page->body, "\"/assets/app.js?v=");
  assert_contains (page->body, "<link rel=\"stylesheet\" href=\"/assets/app.css?v=");
  csp = test_response_header (page, "content-security-policy");
  assert_non_null (csp);
  assert_contains (csp, "script-src 'self'");
  assert_int_equal (missing->status, 404);
  assert_int_equal (nested->status, 404);
}

static void
test_assets_embedded (void **state)
{
  static const char *const names[] = { "app.js", "app.css", "icon.svg" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_strconcat ("/assets/", names[i], NULL);
      g_autoptr (TestResponse) asset = get_ok (path);
      assert_true (strlen (asset->body) > 0);
    }
  {
    g_autoptr (TestResponse) missing = test_get (fixture.server, "/assets/none.js");
    g_autoptr (TestResponse) traversal = test_get (fixture.server, "/assets/../cmdb-server.c");
    assert_int_equal (missing->status, 404);
    assert_int_equal (traversal->status, 404);
  }
}

/* The pages link the assets with the hash of their content: those
 * addresses may be cached for good, any other one is revalidated. */
static void
test_assets_cached_by_version (void **state)
{
  g_autoptr (TestResponse) page = get_ok ("/test");
  g_autoptr (GRegex) link
      = g_regex_new ("href=\"/assets/app\\.js\\?v=([0-9a-f]{16})\"", 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  g_autofree char *version = NULL;
  g_autofree char *versioned = NULL;
  g_autofree char *stale = NULL;

  assert_true (g_regex_match (link, page->body, 0, &match));
  version = g_match_info_fetch (match, 1);
  assert_non_null (strstr (page->body, version));
  versioned = g_strdup_printf ("/assets/app.css?v=%s", version);
  stale = g_strdup_printf ("/assets/app.css?v=%s", "0000000000000000");
  {
    g_autoptr (TestResponse) cached = get_ok (versioned);
    g_autoptr (TestResponse) other = get_ok (stale);
    g_autoptr (TestResponse) plain = get_ok ("/assets/app.css");

    assert_string_equal (test_response_header (cached, "cache-control"),
                         "private, max-age=31536000, immutable");
    assert_string_equal (test_response_header (other, "cache-control"), "no-cache");
    assert_string_equal (test_response_header (plain, "cache-control"), "no-cache");
    assert_string_equal (cached->body, plain->body);

    /* Revalidating: a strong ETag (the content hash); a match is a 304
     * without a body, anything else the asset. */
    {
      g_autofree char *etag = g_strdup_printf ("\"%s\"", version);
      g_autofree char *cookie = g_strdup_printf ("Cookie: %s", fixture.server->cookie);
      g_autofree char *matching = g_strdup_printf ("If-None-Match: %s", etag);
      const char *revalidate[] = { cookie, matching, NULL };
      const char *changed[] = { cookie, "If-None-Match: \"0000000000000000\"", NULL };
      g_autoptr (TestResponse) same = NULL;
      g_autoptr (TestResponse) differs = NULL;

      assert_string_equal (test_response_header (plain, "etag"), etag);
      same = test_http (fixture.server, "GET", "/assets/app.css", revalidate, NULL);
      assert_int_equal (same->status, 304);
      assert_true (same->body == NULL || same->body[0] == '\0');
      differs = test_http (fixture.server, "GET", "/assets/app.css", changed, NULL);
      assert_int_equal (differs->status, 200);
      assert_string_equal (differs->body, plain->body);
    }
  }
}

static void
test_root_remembers_last_page (void **state)
{
  g_autoptr (TestResponse) visit = get_ok ("/predict");
  g_autoptr (TestResponse) root = NULL;

  root = test_get (fixture.server, "/");
  assert_int_equal (root->status, 302);
  assert_string_equal (test_response_header (root, "location"), "/predict");
  test_fixture_restart (NULL, TRUE);
  {
    g_autoptr (TestResponse) again = test_get (fixture.server, "/");
    assert_string_equal (test_response_header (again, "location"), "/predict");
  }
}

/* Labels, help, option names and file names come from user files: in the
 * HTML they appear only escaped. */
static void
test_hostile_strings_escaped (void **state)
{
  g_autofree char *schemas = g_build_filename (fixture.tmp, "schemas", NULL);
  g_autofree char *bundled = cmdb_test_source_path ("schemas");
  g_autofree char *dbnet = g_build_filename (fixture.workspace, "configs", "ui_meta",
                                             "architectures", "dbnet.yaml", NULL);
  g_autofree char *dbnet_text = cmdb_test_read_file (dbnet);
  g_autoptr (GRegex) notes = g_regex_new ("^  notes: .*$", G_REGEX_MULTILINE, 0, NULL);
  g_autofree char *hostile_meta = NULL;
  const char *args[] = { "--schemas", schemas, NULL };
  g_autoptr (TestResponse) page = NULL;
  g_autoptr (JsonNode) api = NULL;

  cmdb_test_copy_tree (bundled, schemas);
  g_free (cmdb_test_write_file (schemas, "test.yaml",
                                "title: \"<script>alert('title')</script>\"\n"
                                "ui_elements:\n"
                                "  - key: exp_name\n"
                                "    type: text_input\n"
                                "    label: \"<script>alert(1)</script>\"\n"
                                "    help: '\"><img src=x onerror=alert(2)>'\n"
                                "    default: '\"><img src=x onerror=alert(5)>'\n"
                                "    hydra_override: exp_name\n"
                                "  - key: flavour\n"
                                "    type: selectbox\n"
                                "    label: Flavour\n"
                                "    options: ['<b>bold</b>', '\"><svg onload=alert(6)>']\n"
                                "    hydra_override: flavour\n"
                                "  - key: checkpoint_path\n"
                                "    type: selectbox\n"
                                "    label: Checkpoint\n"
                                "    options_source: checkpoints\n"
                                "    hydra_override: checkpoint_path\n"
                                "  - key: architecture\n"
                                "    type: selectbox\n"
                                "    label: Architecture\n"
                                "    default: dbnet\n"
                                "    options_source: models.architectures\n"
                                "    metadata_help_key: notes\n"
                                "    hydra_override: model/architectures\n"));
  g_free (cmdb_test_write_file (
      fixture.workspace, "outputs/evil/checkpoints/\"><img src=x onerror=alert(3)>.ckpt", ""));
  hostile_meta = g_regex_replace_literal (notes, dbnet_text, -1, 0,
                                          "  notes: \"<script>alert(4)</script>\"", 0, NULL);
  g_free (cmdb_test_write_file (fixture.workspace, "configs/ui_meta/architectures/dbnet.yaml",
                                hostile_meta));
  test_fixture_restart (args, TRUE);

  page = get_ok ("/test");
  assert_contains (page->body, "&lt;script&gt;alert(1)&lt;/script&gt;");
  assert_contains (page->body, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;");
  assert_contains (page->body, "onerror=alert(3)&gt;.ckpt");
  assert_contains (page->body, "&lt;script&gt;alert(4)&lt;/script&gt;");
  assert_contains (page->body, "&lt;b&gt;bold&lt;/b&gt;");
  assert_lacks (page->body, "<script>alert");
  assert_lacks (page->body, "<img src=x");
  assert_lacks (page->body, "<svg onload");
  assert_lacks (page->body, "<b>bold");

  /* The JSON API carries the same strings raw: JSON is data, not markup. */
  api = get_json ("/api/pages/test");
  assert_string_equal (json_object_get_string_member (field (api, "exp_name"), "label"),
                       "<script>alert(1)</script>");
  assert_lacks (json_object_get_string_member (json_node_get_object (api), "html"),
                "<script>alert");
}

/* Changing the architecture re-evaluates choices and defaults; the user's
 * own values stay. */
static void
test_architecture_changes_choices_and_defaults (void **state)
{
  g_autoptr (JsonNode) before = get_json ("/api/pages/train");
  g_autoptr (JsonNode) craft = NULL;
  g_autoptr (JsonNode) back = NULL;
  JsonArray *options;

  assert_string_equal (field_string (before, "architecture"), "dbnet");
  assert_string_not_equal (field_string (before, "decoder"), "craft_decoder");
  craft = post_json_ok ("/api/pages/train", "{\"changes\": {\"architecture\": \"craft\"}}");
  assert_string_equal (field_string (craft, "decoder"), "craft_decoder");
  assert_string_equal (field_string (craft, "head"), "craft_head");
  options = json_object_get_array_member (field (craft, "decoder"), "options");
  assert_int_equal (json_array_get_length (options), 1);
  assert_true (json_object_get_boolean_member (field (craft, "architecture"), "user_set"));
  assert_false (json_object_get_boolean_member (field (craft, "decoder"), "user_set"));
  assert_contains (command_text (craft), "model/architectures=craft");
  assert_contains (json_object_get_string_member (json_node_get_object (craft), "html"),
                   "<option value=\"craft_decoder\" selected>");

  back = post_json_ok ("/api/pages/train", "{\"changes\": {\"architecture\": \"dbnet\"}}");
  assert_string_equal (field_string (back, "decoder"), field_string (before, "decoder"));
}

/* The defaults command (for the diff) is a cached value: a changed config
 * file must reach it without a restart. */
static void
test_defaults_diff_follows_config_change (void **state)
{
  g_autoptr (JsonNode) chosen
      = post_json_ok ("/api/pages/train", "{\"changes\": {\"encoder\": \"resnet34\"}}");
  g_autoptr (JsonNode) after = NULL;
  g_autofree char *meta = g_build_filename (fixture.workspace, "configs", "ui_meta",
                                            "architectures", "dbnet.yaml", NULL);
  g_autofree char *text = cmdb_test_read_file (meta);
  g_autoptr (GString) changed = g_string_new (text);

  assert_null (strstr (json_object_get_string_member (json_node_get_object (chosen), "html"),
                       "Same as the defaults."));
  assert_true (
      g_string_replace (changed, "default_backbone: resnet18", "default_backbone: resnet34", 1)
      == 1);
  assert_true (g_file_set_contents (meta, changed->str, -1, NULL));
  cmdb_test_touch (meta, 5);
  after = get_json ("/api/pages/train");
  assert_contains (json_object_get_string_member (json_node_get_object (after), "html"),
                   "Same as the defaults.");
}

static void
test_validation_messages (void **state)
{
  g_autoptr (JsonNode) bad
      = post_json_ok ("/api/pages/train", "{\"changes\": {\"exp_name\": \"ab\"}}");
  g_autoptr (JsonNode) good = NULL;
  JsonArray *errors = json_object_get_array_member (field (bad, "exp_name"), "errors");
  const char *html = json_object_get_string_member (json_node_get_object (bad), "html");

  assert_true (json_array_get_length (errors) > 0);
  assert_contains (html, "id=\"m-exp_name\"");
  assert_contains (html, "<p class=\"error\">");
  good = post_json_ok ("/api/pages/train", "{\"changes\": {\"exp_name\": \"abc\"}}");
  errors = json_object_get_array_member (field (good, "exp_name"), "errors");
  assert_int_equal (json_array_get_length (errors), 0);
  assert_contains (command_text (good), "exp_name=abc");
}

/* ?view=html answers what the script swaps in, without the page's data. */
static void
test_view_html_only (void **state)
{
  g_autoptr (JsonNode) full = get_json ("/api/pages/train");
  g_autoptr (JsonNode) slim = get_json ("/api/pages/train?view=html");
  g_autoptr (JsonNode) posted
      = post_json_ok ("/api/pages/train?view=html", "{\"changes\": {\"exp_name\": \"slim\"}}");
  JsonObject *object = json_node_get_object (slim);
  g_autoptr (GList) members = json_object_get_members (object);

  assert_int_equal (g_list_length (members), 4);
  assert_string_equal (json_object_get_string_member (object, "page"), "train");
  assert_string_equal (json_object_get_string_member (object, "title"), "Train");
  assert_true (json_node_is_null (json_object_get_member (object, "notice")));
  assert_string_equal (json_object_get_string_member (object, "html"),
                       json_object_get_string_member (json_node_get_object (full), "html"));
  assert_false (json_object_has_member (json_node_get_object (posted), "form"));
  assert_contains (json_object_get_string_member (json_node_get_object (posted), "html"),
                   "exp_name=slim");
}

static void
test_unknown_field_refused (void **state)
{
  g_autoptr (TestResponse) response = test_post_json (fixture.server, "/api/pages/train",
                                                      "{\"changes\": {\"no_such_key\": \"x\"}}");
  g_autoptr (TestResponse) not_json = test_post_json (fixture.server, "/api/pages/train", "{nope");

  assert_int_equal (response->status, 400);
  assert_contains (response->body, "page train has no field no_such_key");
  assert_int_equal (not_json->status, 400);
}

static char *
state_file (const char *page)
{
  g_autofree char *name = g_strconcat (page, ".json", NULL);
  return g_build_filename (fixture.workspace, ".cmdbuilder", "ui", "pages", name, NULL);
}

static ino_t
inode_of (const char *path)
{
  struct stat info;

  assert_int_equal (stat (path, &info), 0);
  return info.st_ino;
}

/* Values, the user-set marks and the edited command survive page switches
 * and restarts; the state file is replaced atomically and only on change. */
static void
test_state_kept_and_written_on_change (void **state)
{
  g_autofree char *path = state_file ("train");
  g_autoptr (JsonNode) first = NULL;
  g_autoptr (JsonNode) after_restart = NULL;
  g_autoptr (JsonNode) reset = NULL;
  ino_t inode;

  first = post_json_ok ("/api/pages/train", "{\"changes\": {\"exp_name\": \"kept_run\"}}");
  assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  inode = inode_of (path);
  json_node_unref (get_json ("/api/pages/test"));
  json_node_unref (get_json ("/api/pages/train"));
  /* Nothing changed: the file was not rewritten (a rename would give it a
   * new inode). */
  assert_true (inode == inode_of (path));

  test_fixture_restart (NULL, TRUE);
  after_restart = get_json ("/api/pages/train");
  assert_string_equal (field_string (after_restart, "exp_name"), "kept_run");
  assert_true (json_object_get_boolean_member (field (after_restart, "exp_name"), "user_set"));

  json_node_unref (post_json_ok ("/api/pages/train",
                                 "{\"command\": \"python3 runners/train.py exp_name=by_hand\"}"));
  assert_true (inode != inode_of (path));
  test_fixture_restart (NULL, TRUE);
  {
    g_autoptr (JsonNode) edited = get_json ("/api/pages/train");
    JsonObject *saved = json_object_get_object_member (json_node_get_object (edited), "state");
    assert_string_equal (json_object_get_string_member (saved, "edited"),
                         "python3 runners/train.py exp_name=by_hand");
    assert_contains (json_object_get_string_member (json_node_get_object (edited), "html"),
                     "exp_name=by_hand</textarea>");
  }

  reset = post_json_ok ("/api/pages/train", "{\"action\": \"reset\"}");
  assert_string_equal (field_string (reset, "exp_name"), "ocr_training");
  assert_false (json_object_get_boolean_member (field (reset, "exp_name"), "user_set"));
  assert_true (json_node_is_null (json_object_get_member (
      json_object_get_object_member (json_node_get_object (reset), "state"), "edited")));
}

/* (transfer full): POST @path with the url-encoded @body, as a browser
 * without JavaScript sends the page's form (cookie and Origin). */
static TestResponse *
post_form (const char *path, const char *body)
{
  g_autofree char *cookie = g_strdup_printf ("Cookie: %s", fixture.server->cookie);
  g_autofree char *origin = g_strdup_printf ("Origin: http://127.0.0.1:%u", fixture.server->port);
  const char *headers[]
      = { cookie, origin, "Content-Type: application/x-www-form-urlencoded", NULL };

  return test_http (fixture.server, "POST", path, headers, body);
}

static void
test_form_without_javascript (void **state)
{
  g_autoptr (TestResponse) before = get_ok ("/train");
  g_autoptr (TestResponse) posted = NULL;
  g_autoptr (TestResponse) after = NULL;
  g_autoptr (JsonNode) answer = NULL;

  posted = post_form (
      "/train", "exp_name=plain+form&architecture=dbnet&wandb=false&wandb=true&_action=generate");
  assert_int_equal (posted->status, 303);
  assert_string_equal (test_response_header (posted, "location"), "/train");
  after = get_ok ("/train");
  assert_contains (after->body, "value=\"plain form\"");
  assert_contains (after->body, "exp_name=&quot;plain form-dbnet");
  answer = get_json ("/api/pages/train");
  /* Only what differs from the shown form became the user's. */
  assert_true (json_object_get_boolean_member (field (answer, "exp_name"), "user_set"));
  assert_true (json_object_get_boolean_member (field (answer, "wandb"), "user_set"));
  assert_false (json_object_get_boolean_member (field (answer, "architecture"), "user_set"));

  {
    g_autoptr (TestResponse) reset = post_form ("/train", "_action=reset");
    g_autoptr (JsonNode) fresh = get_json ("/api/pages/train");
    assert_int_equal (reset->status, 303);
    assert_string_equal (field_string (fresh, "exp_name"), "ocr_training");
  }
}

/* Without JavaScript the edited command is read back like the script's
 * {command} (point 1 parity): "Use the edited text" posts it, each
 * override a field owns sets that field, the others stay as extras; a
 * field changed later (the text posted as shown) makes the text follow
 * the form, keeping the extras. */
static void
test_form_command_without_javascript (void **state)
{
  g_autoptr (JsonNode) shown = get_json ("/api/pages/train");
  g_autoptr (GString) edited = g_string_new (command_text (shown));
  g_autofree char *edited_text = NULL;
  g_autofree char *body = NULL;
  g_autofree char *escaped = NULL;
  g_autoptr (TestResponse) page = get_ok ("/train");
  g_autoptr (TestResponse) posted = NULL;
  g_autoptr (TestResponse) changed = NULL;
  g_autoptr (JsonNode) read = NULL;
  g_autoptr (JsonNode) followed = NULL;
  const char *state_edited;

  (void) state;
  /* The button is in the page (shown without JavaScript only). */
  assert_contains (page->body, "name=\"_action\" value=\"command\"");
  g_string_replace (edited, "seed=42", "seed=7", 1);
  g_string_append (edited, " +my.edit=1");
  edited_text = g_string_free (g_steal_pointer (&edited), FALSE);
  escaped = g_uri_escape_string (edited_text, NULL, FALSE);
  /* The fields post as shown (seed 42), the text says 7: the text is the
   * user's edit, and it wins, as in the script's request. */
  body = g_strdup_printf ("exp_name=ocr_training&seed=42&_command=%s&_action=command", escaped);
  posted = post_form ("/train", body);
  assert_int_equal (posted->status, 303);
  read = get_json ("/api/pages/train");
  assert_int_equal (json_object_get_int_member (field (read, "seed"), "value"), 7);
  assert_true (json_object_get_boolean_member (field (read, "seed"), "user_set"));
  state_edited = json_object_get_string_member (
      json_object_get_object_member (json_node_get_object (read), "state"), "edited");
  assert_non_null (state_edited);
  assert_contains (state_edited, "+my.edit=1");

  /* A field changed afterwards, the text posted as it was shown: the text
   * follows the form and keeps the extra. */
  g_free (body);
  g_free (escaped);
  escaped = g_uri_escape_string (state_edited, NULL, FALSE);
  body = g_strdup_printf ("seed=7&max_epochs=3&_command=%s&_action=command", escaped);
  changed = post_form ("/train", body);
  assert_int_equal (changed->status, 303);
  followed = get_json ("/api/pages/train");
  state_edited = json_object_get_string_member (
      json_object_get_object_member (json_node_get_object (followed), "state"), "edited");
  assert_non_null (state_edited);
  assert_contains (state_edited, "trainer.max_epochs=3");
  assert_contains (state_edited, "seed=7");
  assert_contains (state_edited, "+my.edit=1");
}

static void
test_apply_suggestion (void **state)
{
  g_autoptr (JsonNode) applied = post_json_ok (
      "/api/pages/train", "{\"action\": \"apply\", \"use_case\": \"receipts_fast\"}");
  JsonObject *saved = json_object_get_object_member (json_node_get_object (applied), "state");

  assert_string_equal (field_string (applied, "encoder"), "mobilenetv3_small_050");
  assert_string_equal (field_string (applied, "decoder"), "pan_decoder");
  assert_string_equal (json_object_get_string_member (saved, "active_use_case"), "receipts_fast");
  assert_contains (json_object_get_string_member (json_node_get_object (applied), "html"),
                   "card active");
}

static void
test_options_paged_and_searchable (void **state)
{
  g_autoptr (JsonNode) all = get_json ("/api/options/checkpoints");
  g_autoptr (JsonNode) page = get_json ("/api/options/checkpoints?offset=1&limit=1");
  g_autoptr (JsonNode) search = get_json ("/api/options/checkpoints?q=LAST");
  g_autoptr (JsonNode) none = get_json ("/api/options/checkpoints?q=zzzz");
  g_autoptr (TestResponse) unknown = test_get (fixture.server, "/api/options/no.such.source");
  JsonObject *object = json_node_get_object (all);
  gint64 total = json_object_get_int_member (object, "total");
  JsonArray *entries;

  assert_true (total >= 3);
  assert_int_equal (json_array_get_length (json_object_get_array_member (object, "entries")),
                    total);
  object = json_node_get_object (page);
  assert_int_equal (json_object_get_int_member (object, "total"), total);
  assert_int_equal (json_object_get_int_member (object, "offset"), 1);
  assert_int_equal (json_array_get_length (json_object_get_array_member (object, "entries")), 1);
  entries = json_object_get_array_member (json_node_get_object (search), "entries");
  assert_int_equal (json_array_get_length (entries), 1);
  assert_contains (
      json_object_get_string_member (json_array_get_object_element (entries, 0), "name"),
      "last.ckpt");
  assert_int_equal (json_object_get_int_member (json_node_get_object (none), "total"), 0);
  assert_int_equal (unknown->status, 404);
}

static void
test_download_and_build_api (void **state)
{
  g_autoptr (TestResponse) script = get_ok ("/api/pages/train/command.sh");
  g_autoptr (JsonNode) built = NULL;
  g_autoptr (JsonNode) evaluated = NULL;

  assert_contains (test_response_header (script, "content-disposition"),
                   "attachment; filename=\"command.sh\"");
  assert_true (g_str_has_prefix (script->body, "#!/bin/sh\n"));
  assert_contains (script->body, "runners/train.py");

  built = post_json_ok ("/api/build/train", "{\"values\": {\"exp_name\": \"api_run\"}}");
  assert_contains (json_object_get_string_member (json_node_get_object (built), "command"),
                   "exp_name=api_run");
  evaluated = post_json_ok ("/api/evaluate/train", "{\"values\": {\"architecture\": \"craft\"}}");
  assert_true (json_object_has_member (json_node_get_object (evaluated), "fields"));
  /* Pure: neither call changed the stored page. */
  {
    g_autofree char *path = state_file ("train");
    g_autofree char *text = NULL;
    if (g_file_get_contents (path, &text, NULL, NULL))
      assert_lacks (text, "api_run");
  }
}

static JsonObject *
suffix_of (JsonNode *answer)
{
  return json_object_get_object_member (json_node_get_object (answer), "suffix");
}

static const char *
html_of (JsonNode *answer)
{
  return json_object_get_string_member (json_node_get_object (answer), "html");
}

/* "Append architecture + encoder to experiment name": on by default on
 * Train (X-Suffix=true), the user's choice is kept in the page state
 * across page switches and restarts, and the command follows it. */
static void
test_suffix_option (void **state)
{
  g_autoptr (JsonNode) first = get_json ("/api/pages/train");
  g_autoptr (JsonNode) off = NULL;
  g_autoptr (JsonNode) after_restart = NULL;
  g_autoptr (JsonNode) back = NULL;
  g_autoptr (JsonNode) reset = NULL;
  g_autofree char *path = state_file ("train");
  g_autofree char *saved = NULL;

  assert_true (json_object_get_boolean_member (suffix_of (first), "available"));
  assert_true (json_object_get_boolean_member (suffix_of (first), "enabled"));
  assert_true (json_object_get_boolean_member (suffix_of (first), "default"));
  assert_contains (command_text (first), "exp_name=ocr_training-dbnet-");
  assert_contains (html_of (first), "<input type=\"checkbox\" id=\"append-suffix\" "
                                    "name=\"_suffix\" value=\"true\" "
                                    "aria-describedby=\"h-suffix\" checked>");
  assert_contains (html_of (first),
                   "<label for=\"append-suffix\">Append architecture + encoder to experiment "
                   "name</label>");

  off = post_json_ok ("/api/pages/train", "{\"suffix\": false}");
  assert_false (json_object_get_boolean_member (suffix_of (off), "enabled"));
  assert_contains (command_text (off), "exp_name=ocr_training ");
  assert_lacks (command_text (off), "exp_name=ocr_training-");
  assert_contains (html_of (off), "aria-describedby=\"h-suffix\"></div>");
  assert_false (json_object_get_boolean_member (
      json_object_get_object_member (json_node_get_object (off), "state"), "suffix"));
  assert_true (g_file_get_contents (path, &saved, NULL, NULL));
  assert_contains (saved, "\"suffix\":false");

  json_node_unref (get_json ("/api/pages/test"));
  test_fixture_restart (NULL, TRUE);
  after_restart = get_json ("/api/pages/train");
  assert_false (json_object_get_boolean_member (suffix_of (after_restart), "enabled"));
  assert_lacks (command_text (after_restart), "exp_name=ocr_training-");

  back = post_json_ok ("/api/pages/train", "{\"suffix\": null}");
  assert_true (json_object_get_boolean_member (suffix_of (back), "enabled"));
  assert_true (json_node_is_null (json_object_get_member (
      json_object_get_object_member (json_node_get_object (back), "state"), "suffix")));
  json_node_unref (post_json_ok ("/api/pages/train", "{\"suffix\": false}"));
  reset = post_json_ok ("/api/pages/train", "{\"action\": \"reset\"}");
  assert_true (json_object_get_boolean_member (suffix_of (reset), "enabled"));
}

/* [command] suffix gives the checkbox its default. */
static void
test_suffix_default_from_configuration (void **state)
{
  const char *args[] = { "--config", "command.suffix=false", NULL };
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (JsonNode) on = NULL;

  test_fixture_restart (args, TRUE);
  answer = get_json ("/api/pages/train");
  assert_true (json_object_get_boolean_member (suffix_of (answer), "available"));
  assert_false (json_object_get_boolean_member (suffix_of (answer), "enabled"));
  assert_false (json_object_get_boolean_member (suffix_of (answer), "default"));
  assert_lacks (command_text (answer), "exp_name=ocr_training-");
  on = post_json_ok ("/api/pages/train", "{\"suffix\": true}");
  assert_contains (command_text (on), "exp_name=ocr_training-dbnet-");
}

/* Pages whose plugin has no X-Suffix=true do not offer the option. */
static void
test_suffix_absent_elsewhere (void **state)
{
  g_autoptr (JsonNode) answer = get_json ("/api/pages/test");
  g_autoptr (TestResponse) refused
      = test_post_json (fixture.server, "/api/pages/test", "{\"suffix\": true}");
  g_autoptr (TestResponse) wrong_type
      = test_post_json (fixture.server, "/api/pages/train", "{\"suffix\": \"yes\"}");

  assert_false (json_object_get_boolean_member (suffix_of (answer), "available"));
  assert_lacks (html_of (answer), "append-suffix");
  assert_int_equal (refused->status, 400);
  assert_contains (refused->body, "page test has no experiment name suffix option");
  assert_int_equal (wrong_type->status, 400);
  assert_contains (wrong_type->body, "suffix must be true, false or null");
}

/* Without JavaScript: an unchecked box posts only the hidden "false", a
 * checked one posts "false" then "true". */
static void
test_suffix_without_javascript (void **state)
{
  g_autoptr (TestResponse) unchecked = NULL;
  g_autoptr (TestResponse) page_off = NULL;
  g_autoptr (TestResponse) checked = NULL;
  g_autoptr (TestResponse) page_on = NULL;

  unchecked = post_form ("/train", "exp_name=nojs&_suffix=false");
  assert_int_equal (unchecked->status, 303);
  page_off = get_ok ("/train");
  assert_contains (page_off->body, "exp_name=nojs ");
  assert_contains (page_off->body, "aria-describedby=\"h-suffix\"></div>");

  checked = post_form ("/train", "exp_name=nojs&_suffix=false&_suffix=true");
  assert_int_equal (checked->status, 303);
  page_on = get_ok ("/train");
  assert_contains (page_on->body, "exp_name=nojs-dbnet-");
  assert_contains (page_on->body, "aria-describedby=\"h-suffix\" checked>");
}

static gboolean
json_lists_checkpoint (JsonNode *options, const char *name)
{
  JsonArray *entries = json_object_get_array_member (json_node_get_object (options), "entries");

  for (guint i = 0; i < json_array_get_length (entries); i++)
    if (g_str_equal (
            json_object_get_string_member (json_array_get_object_element (entries, i), "name"),
            name))
      return TRUE;
  return FALSE;
}

static char *
cli_checkpoints (void)
{
  g_autofree char *exe = cmdb_test_cmdbuilder ();
  const char *argv[] = { exe, "options", "checkpoints", "--workspace", fixture.workspace, NULL };

  return cmdb_test_run (argv, fixture.workspace, NULL, NULL);
}

/* Issue 3: a checkpoint written while the server runs appears in the
 * options API, in the Train page's resume picker and in `cmdbuilder
 * options checkpoints`, with no restart. */
static void
test_new_checkpoint_seen_without_restart (void **state)
{
  const char *name = "outputs/newexp/checkpoints/epoch_01_step_000010.ckpt";
  const char *second = "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/"
                       "epoch_10_step_000500.ckpt";
  g_autofree char *option = g_strdup_printf ("<option value=\"%s\"", name);
  g_autoptr (JsonNode) resume = NULL;
  g_autoptr (JsonNode) before = NULL;
  g_autoptr (TestResponse) page_before = NULL;
  g_autofree char *cli_before = NULL;
  GPid pid = fixture.server->pid;

  resume = post_json_ok ("/api/pages/train", "{\"changes\": {\"resume_training\": true}}");
  assert_true (json_object_get_boolean_member (field (resume, "checkpoint_path"), "visible"));
  page_before = get_ok ("/train");
  assert_contains (page_before->body, "name=\"checkpoint_path\"");
  assert_lacks (page_before->body, option);
  before = get_json ("/api/options/checkpoints");
  assert_false (json_lists_checkpoint (before, name));
  cli_before = cli_checkpoints ();
  assert_lacks (cli_before, name);

  g_free (cmdb_test_write_file (fixture.workspace, name, "weights"));
  {
    g_autoptr (TestResponse) page = get_ok ("/train");
    g_autoptr (JsonNode) options = get_json ("/api/options/checkpoints");
    g_autoptr (JsonNode) answer = get_json ("/api/pages/train");
    g_autofree char *cli = cli_checkpoints ();
    JsonArray *choices
        = json_object_get_array_member (field (answer, "checkpoint_path"), "options");
    gboolean offered = FALSE;

    assert_contains (page->body, option);
    assert_true (json_lists_checkpoint (options, name));
    for (guint i = 0; i < json_array_get_length (choices); i++)
      if (g_strcmp0 (
              json_object_get_string_member (json_array_get_object_element (choices, i), "value"),
              name)
          == 0)
        offered = TRUE;
    assert_true (offered);
    assert_contains (cli, name);
  }

  /* A new file in a checkpoints directory that was already listed. */
  g_free (cmdb_test_write_file (fixture.workspace, second, "weights"));
  {
    g_autoptr (JsonNode) options = get_json ("/api/options/checkpoints");
    g_autoptr (TestResponse) page = get_ok ("/train");

    assert_true (json_lists_checkpoint (options, second));
    assert_contains (page->body, second);
  }
  /* The same server process answered all along. */
  assert_int_equal (fixture.server->pid, pid);
  assert_int_equal (kill (pid, 0), 0);
}

/* The arguments the fixture's server was started with (for a fresh one). */
static const char *const *fresh_server_args;

/* (transfer full): the answer to GET @path from a server started now:
 * nothing cached, every file read, the page evaluated and rendered from
 * its saved state. */
static JsonNode *
fresh_answer (const char *path)
{
  TestServer *server = test_server_start (fixture.workspace, fresh_server_args);
  g_autoptr (TestResponse) response = NULL;
  JsonNode *node;

  test_server_login (server);
  response = test_get (server, path);
  assert_int_equal (response->status, 200);
  node = test_response_json (response);
  test_server_free (server);
  return node;
}

/* (transfer full): the page's html as a server started now renders it. */
static char *
fresh_render (void)
{
  g_autoptr (JsonNode) node = fresh_answer ("/api/pages/train?view=html");

  return g_strdup (json_object_get_string_member (json_node_get_object (node), "html"));
}

static void
assert_members_equal (JsonNode *a, JsonNode *b, const char *member)
{
  g_autofree char *text_a
      = json_to_string (json_object_get_member (json_node_get_object (a), member), TRUE);
  g_autofree char *text_b
      = json_to_string (json_object_get_member (json_node_get_object (b), member), TRUE);

  assert_string_equal (text_a, text_b);
}

/* The html of ?view=html (served from the cached page view) and of the
 * full answer (kept in the view: asked twice) equal what a server started
 * afresh renders, and so do the full answer's form, command, suffix and
 * state. */
static char *
assert_view_matches_fresh_render (void)
{
  g_autoptr (JsonNode) slim = get_json ("/api/pages/train?view=html");
  g_autoptr (JsonNode) again = get_json ("/api/pages/train?view=html");
  g_autoptr (JsonNode) full = get_json ("/api/pages/train");
  g_autoptr (JsonNode) full_again = get_json ("/api/pages/train");
  g_autoptr (JsonNode) fresh_full = fresh_answer ("/api/pages/train");
  const char *cached = json_object_get_string_member (json_node_get_object (again), "html");
  g_autofree char *fresh = fresh_render ();

  assert_string_equal (json_object_get_string_member (json_node_get_object (slim), "html"), cached);
  assert_string_equal (cached, json_object_get_string_member (json_node_get_object (full), "html"));
  assert_string_equal (cached, fresh);
  for (const char *const *member
       = (const char *const[]){ "html", "form", "command", "suffix", "state", NULL };
       *member != NULL; member++)
    {
      assert_members_equal (full, full_again, *member);
      assert_members_equal (full, fresh_full, *member);
    }
  return g_strdup (cached);
}

/* A GET of an unchanged page is answered from a cached view (one per
 * page). It must follow the page's state both ways (a value changed and
 * changed back), the "previous command" diff, the schema file, a new file
 * in a scanned directory and the schema file appearing under the other name. */
static void
test_cached_view_follows_state_and_files (void **state)
{
  g_autofree char *schemas = g_build_filename (fixture.tmp, "schemas", NULL);
  g_autofree char *schema = g_build_filename (schemas, "train.yaml", NULL);
  g_autofree char *source = g_build_filename (cmdb_test_source_root (), "schemas", NULL);
  const char *const args[] = { "--schemas", schemas, NULL };
  g_autofree char *text = NULL;
  g_autoptr (GString) relabelled = NULL;
  g_autofree char *architecture = NULL;
  g_autofree char *html = NULL;

  g_assert_cmpint (g_mkdir_with_parents (schemas, 0755), ==, 0);
  for (const char *const *name
       = (const char *const[]){ "train.yaml", "test.yaml", "predict.yaml", NULL };
       *name != NULL; name++)
    {
      g_autofree char *from = g_build_filename (source, *name, NULL);
      g_autofree char *to = g_build_filename (schemas, *name, NULL);
      g_autofree char *contents = cmdb_test_read_file (from);
      assert_true (g_file_set_contents (to, contents, -1, NULL));
    }
  test_fixture_restart (args, TRUE);
  fresh_server_args = args;

  html = assert_view_matches_fresh_render ();
  assert_contains (html, "Experiment name");
  assert_lacks (html, "exp_name=first_value");

  /* State: a value set, set again, and back to the default. */
  json_node_unref (
      post_json_ok ("/api/pages/train", "{\"changes\": {\"exp_name\": \"first_value\"}}"));
  g_free (html);
  html = assert_view_matches_fresh_render ();
  assert_contains (html, "exp_name=first_value");
  json_node_unref (
      post_json_ok ("/api/pages/train", "{\"changes\": {\"exp_name\": \"second_value\"}}"));
  g_free (html);
  html = assert_view_matches_fresh_render ();
  assert_contains (html, "exp_name=second_value");
  assert_lacks (html, "exp_name=first_value</textarea>");
  /* The diff against the previous command names the value it replaced. */
  assert_contains (html, "first_value");
  json_node_unref (post_json_ok ("/api/pages/train", "{\"action\": \"reset\"}"));
  g_free (html);
  html = assert_view_matches_fresh_render ();
  assert_lacks (html, "exp_name=second_value</textarea>");
  /* Values changed in the store's own object (the view keeps a copy of the
   * state it was rendered for, not a reference): one set, then another
   * value of it, then one kept as typed that is not a number. */
  json_node_unref (post_json_ok ("/api/pages/train", "{\"changes\": {\"max_epochs\": 7}}"));
  g_free (html);
  html = assert_view_matches_fresh_render ();
  assert_contains (html, "max_epochs=7");
  json_node_unref (post_json_ok ("/api/pages/train", "{\"changes\": {\"max_epochs\": 8}}"));
  g_free (html);
  html = assert_view_matches_fresh_render ();
  assert_contains (html, "max_epochs=8");
  json_node_unref (post_json_ok ("/api/pages/train", "{\"changes\": {\"max_epochs\": \"eight\"}}"));
  g_free (html);
  html = assert_view_matches_fresh_render ();
  assert_contains (html, "eight");
  json_node_unref (post_json_ok ("/api/pages/train", "{\"action\": \"reset\"}"));
  g_free (html);
  html = assert_view_matches_fresh_render ();

  /* The schema file: a label edited in place. */
  text = cmdb_test_read_file (schema);
  relabelled = g_string_new (text);
  assert_true (g_string_replace (relabelled, "label: \"Experiment name\"",
                                 "label: \"Name of this experiment\"", 1)
               == 1);
  assert_true (g_file_set_contents (schema, relabelled->str, -1, NULL));
  cmdb_test_touch (schema, 5);
  g_free (html);
  html = assert_view_matches_fresh_render ();
  assert_contains (html, "Name of this experiment");

  /* A scanned directory: a new architecture becomes a choice. */
  architecture = g_build_filename (fixture.workspace, "configs", "model", "architectures",
                                   "viewcache_arch.yaml", NULL);
  assert_true (g_file_set_contents (architecture, "name: viewcache_arch\n", -1, NULL));
  g_free (html);
  html = assert_view_matches_fresh_render ();
  assert_contains (html, "viewcache_arch");

  /* Which file is the schema: train.yaml gone, the prefixed name found;
   * then train.yaml created again. */
  {
    g_autofree char *prefixed = g_build_filename (schemas, "command_builder_train.yaml", NULL);
    assert_int_equal (g_rename (schema, prefixed), 0);
    g_free (html);
    html = assert_view_matches_fresh_render ();
    assert_contains (html, "Name of this experiment");
    /* train.yaml back beside it: the plain name wins again. */
    assert_true (g_file_set_contents (schema, text, -1, NULL));
    g_free (html);
    html = assert_view_matches_fresh_render ();
    assert_contains (html, "Experiment name");
  }

  /* A fragment appearing in train.d/ adds its field; editing it changes it. */
  {
    g_autofree char *fragment = NULL;

    fragment = cmdb_test_write_file (schemas, "train.d/neck.yaml",
                                     "ui_elements:\n"
                                     "  - key: viewcache_neck\n"
                                     "    type: text_input\n"
                                     "    default: first_neck\n"
                                     "    hydra_override: +model/necks\n");
    g_free (html);
    html = assert_view_matches_fresh_render ();
    assert_contains (html, "+model/necks=first_neck");
    assert_true (g_file_set_contents (fragment,
                                      "ui_elements:\n"
                                      "  - key: viewcache_neck\n"
                                      "    type: text_input\n"
                                      "    default: second_neck\n"
                                      "    hydra_override: +model/necks\n",
                                      -1, NULL));
    cmdb_test_touch (fragment, 5);
    g_free (html);
    html = assert_view_matches_fresh_render ();
    assert_contains (html, "+model/necks=second_neck");
  }
  fresh_server_args = NULL;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_root_redirects_without_activating,
                                     test_fixture_setup_login, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_plugins_api_matches_cli, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_first_visit_loads_only_what_it_needs,
                                     test_fixture_setup_login, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_page_layout, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_assets_embedded, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_assets_cached_by_version, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_root_remembers_last_page, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_hostile_strings_escaped, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_architecture_changes_choices_and_defaults,
                                     test_fixture_setup_login, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_defaults_diff_follows_config_change,
                                     test_fixture_setup_login, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_validation_messages, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_view_html_only, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_unknown_field_refused, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_state_kept_and_written_on_change,
                                     test_fixture_setup_login, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_form_without_javascript, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_form_command_without_javascript, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_apply_suggestion, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_options_paged_and_searchable, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_download_and_build_api, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_suffix_option, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_suffix_default_from_configuration,
                                     test_fixture_setup_login, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_suffix_absent_elsewhere, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_suffix_without_javascript, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_new_checkpoint_seen_without_restart,
                                     test_fixture_setup_login, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_cached_view_follows_state_and_files,
                                     test_fixture_setup_login, test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
