/* The cmdbuilder executable as a user runs it: version, help, and the
 * plugins listing. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"

#include <string.h>

static char *tmp;
static char *workspace;

static int
setup (void **state)
{
  tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (tmp);
  workspace = g_build_filename (tmp, "ws", NULL);
  g_free (cmdb_test_write_file (workspace, "pyproject.toml", ""));
  /* An (empty) Hydra config tree: check and build need one. */
  g_free (cmdb_test_write_file (workspace, "configs/.keep", ""));
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

static JsonObject *
find_plugin (JsonArray *array, const char *id)
{
  return cmdb_test_find_by_id (array, id, "the plugin listing");
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    {
      print_error ("not JSON (%s): %s\n", error->message, text);
      fail ();
    }
  return json_node_copy (json_parser_get_root (parser));
}

static void
test_version_and_help (void **state)
{
  int status = -1;
  g_autofree char *version
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "--version", NULL);
  g_autofree char *help = NULL;
  g_autofree char *plugins_help = NULL;
  g_autofree char *err = NULL;
  g_autofree char *unknown = NULL;

  assert_int_equal (status, 0);
  assert_true (g_str_has_prefix (version, "cmdbuilder "));
  help = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "--help", NULL);
  assert_int_equal (status, 0);
  assert_non_null (strstr (help, "  plugins "));
  plugins_help = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "plugins", "--help", NULL);
  assert_int_equal (status, 0);
  assert_non_null (strstr (plugins_help, "--json"));
  assert_non_null (strstr (plugins_help, "--workspace"));
  unknown = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "frobnicate", NULL);
  assert_int_equal (status, 1);
  assert_non_null (strstr (err, "unknown command 'frobnicate'"));
}

/* Listing maps nothing: every plugin is listed as not loaded. */
static void
test_plugins_json_lists_without_loading (void **state)
{
  int status = -1;
  g_autofree char *out = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "plugins", "--json",
                                                      "--workspace", workspace, NULL);
  g_autoptr (JsonNode) root = parse_json (out);
  JsonArray *array = json_node_get_array (root);
  static const char *const expected[][2] = {
    { "train", "page" },        { "test", "page" },         { "predict", "page" },
    { "decoders", "registry" }, { "encoders", "registry" }, { "heads", "registry" },
    { "losses", "registry" },
  };

  assert_int_equal (status, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      JsonObject *plugin = find_plugin (array, expected[i][0]);
      assert_string_equal (json_object_get_string_member (plugin, "kind"), expected[i][1]);
      assert_true (json_object_get_boolean_member (plugin, "enabled"));
      assert_false (json_object_get_boolean_member (plugin, "loaded"));
      assert_true (json_object_has_member (plugin, "load_ms"));
      assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (plugin, "load_ms")));
    }
  /* Pages come first, in sidebar order. */
  assert_string_equal (
      json_object_get_string_member (json_array_get_object_element (array, 0), "id"), "train");
}

static void
test_plugins_json_after_activation (void **state)
{
  int status = -1;
  g_autofree char *out
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "plugins", "--json", "--activate",
                                     "train", "--workspace", workspace, NULL);
  g_autoptr (JsonNode) root = parse_json (out);
  JsonArray *array = json_node_get_array (root);
  JsonObject *train = find_plugin (array, "train");
  JsonObject *predict = find_plugin (array, "predict");

  assert_int_equal (status, 0);
  assert_true (json_object_get_boolean_member (train, "loaded"));
  assert_true (json_object_get_double_member (train, "load_ms") >= 0);
  assert_string_equal (json_object_get_string_member (train, "state"), "activated");
  assert_false (json_object_get_boolean_member (predict, "loaded"));
  assert_true (json_object_get_boolean_member (find_plugin (array, "decoders"), "loaded"));
}

static void
test_disabled_from_command_line (void **state)
{
  int status = -1;
  g_autofree char *out
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "plugins", "--json", "--config",
                                     "plugins.disabled=predict", "--workspace", workspace, NULL);
  g_autoptr (JsonNode) root = parse_json (out);

  assert_int_equal (status, 0);
  assert_false (json_object_get_boolean_member (find_plugin (json_node_get_array (root), "predict"),
                                                "enabled"));
}

/* `plugins` and `check` name a plugin written for another plugin contract,
 * and every other plugin is still there. */
static void
test_plugin_for_another_api (void **state)
{
  g_autofree char *dir = g_build_filename (tmp, "plugins", NULL);
  g_autofree char *file = cmdb_test_write_file (dir, "future/future.plugin",
                                                "[Plugin]\nModule=future\nName=Future\n"
                                                "X-Kind=page\nX-Cmdb-API=2\n");
  g_autofree char *config_arg = g_strdup_printf ("plugins.path=%s", dir);
  g_autofree char *expected
      = g_strdup_printf ("%s: error: [X-Cmdb-API] plugin is written for plugin API 2, this "
                         "cmdbuilder provides API 1: the plugin is skipped\n",
                         file);
  int status = -1;
  g_autofree char *err = NULL;
  g_autofree char *check_err = NULL;
  g_autofree char *out
      = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "plugins", "--json", "--config",
                                     config_arg, "--workspace", workspace, NULL);
  g_autoptr (JsonNode) root = parse_json (out);
  JsonArray *array = json_node_get_array (root);
  g_autofree char *check_out = NULL;

  assert_int_equal (status, 0);
  if (strstr (err, expected) == NULL)
    print_error ("stderr: %s\n", err);
  assert_non_null (strstr (err, expected));
  for (guint i = 0; i < json_array_get_length (array); i++)
    assert_string_not_equal (
        json_object_get_string_member (json_array_get_object_element (array, i), "id"), "future");
  assert_non_null (find_plugin (array, "train"));
  assert_non_null (find_plugin (array, "decoders"));

  check_out = cmdb_test_run_cmdbuilder_in (workspace, &status, &check_err, "check", "--config",
                                           config_arg, "--workspace", workspace, NULL);
  assert_int_equal (status, 2); /* errors found */
  if (strstr (check_err, expected) == NULL)
    print_error ("stderr: %s\n", check_err);
  assert_non_null (strstr (check_err, expected));
}

/* What a plugin author needs from check: every enabled plugin is loaded,
 * a missing module is an error naming the plugin and the module (exit 2);
 * a plugin id found twice on the path and a source two plugins provide are
 * warnings naming both .plugin files; plugins --json says where each
 * plugin came from, and loads nothing. */
static void
test_check_plugin_diagnostics (void **state)
{
  g_autofree char *first = g_build_filename (tmp, "p1", NULL);
  g_autofree char *second = g_build_filename (tmp, "p2", NULL);
  g_autofree char *necks = cmdb_test_write_file (first, "necks/necks.plugin",
                                                 "[Plugin]\nModule=necks\nName=Necks\n"
                                                 "X-Kind=registry\nX-Sources=models.necks\n");
  g_autofree char *again = cmdb_test_write_file (second, "necks/necks.plugin",
                                                 "[Plugin]\nModule=necks2\nName=Necks 2\n"
                                                 "X-Kind=registry\nX-Sources=models.necks\n");
  g_autofree char *heads2 = cmdb_test_write_file (second, "heads2/heads2.plugin",
                                                  "[Plugin]\nModule=heads2\nName=Heads 2\n"
                                                  "X-Kind=registry\nX-Sources=models.heads\n");
  g_autofree char *heads = g_build_filename (cmdb_test_build_root (), "plugins", "registries",
                                             "heads", "heads.plugin", NULL);
  g_autofree char *path_value = g_strdup_printf ("%s:%s", first, second);
  g_autofree char *missing = NULL, *shadowed = NULL, *shared = NULL;
  g_autofree char *err = NULL, *list_err = NULL;
  g_autofree char *out = NULL, *list = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *necks_entry;
  int status = -1;

  g_setenv ("CMDBUILDER_PLUGIN_PATH", path_value, TRUE);
  out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "check", "--workspace", workspace,
                                     NULL);
  missing = g_strdup_printf ("%s: error: [necks] plugin 'necks': its module %s/necks/libnecks.so "
                             "(Module=necks) is missing\n",
                             necks, first);
  shadowed = g_strdup_printf ("%s: warning: [necks] plugin id 'necks' is also provided by %s, "
                              "found first; %s is ignored\n",
                              again, necks, again);
  shared = g_strdup_printf ("%s: warning: [heads2] source 'models.heads' is provided by two "
                            "plugins: %s and %s; plugin 'heads' serves it\n",
                            heads2, heads, heads2);
  assert_int_equal (status, 2);
  if (strstr (err, missing) == NULL || strstr (err, shadowed) == NULL
      || strstr (err, shared) == NULL)
    {
      print_error ("check stderr:\n%s\nexpected:\n%s%s%s", err, missing, shadowed, shared);
      fail ();
    }

  list = cmdb_test_run_cmdbuilder_in (workspace, &status, &list_err, "plugins", "--json",
                                      "--workspace", workspace, NULL);
  g_unsetenv ("CMDBUILDER_PLUGIN_PATH");
  assert_int_equal (status, 0);
  root = parse_json (list);
  necks_entry = find_plugin (json_node_get_array (root), "necks");
  {
    g_autofree char *necks_dir = g_path_get_dirname (necks);

    assert_string_equal (json_object_get_string_member (necks_entry, "path"), necks_dir);
  }
  assert_false (json_object_get_boolean_member (necks_entry, "loaded"));
  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
    assert_true (json_object_has_member (
        json_array_get_object_element (json_node_get_array (root), i), "path"));
}

static void
test_bad_workspace (void **state)
{
  int status = -1;
  g_autofree char *err = NULL;
  g_autofree char *missing = g_build_filename (tmp, "missing", NULL);
  g_autofree char *out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "plugins",
                                                      "--workspace", missing, NULL);
  g_autofree char *expected
      = g_strdup_printf ("cmdbuilder: workspace %s: not a directory\n", missing);

  assert_int_equal (status, 1);
  assert_string_equal (err, expected);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_version_and_help, setup, teardown),
    cmocka_unit_test_setup_teardown (test_plugins_json_lists_without_loading, setup, teardown),
    cmocka_unit_test_setup_teardown (test_plugins_json_after_activation, setup, teardown),
    cmocka_unit_test_setup_teardown (test_disabled_from_command_line, setup, teardown),
    cmocka_unit_test_setup_teardown (test_plugin_for_another_api, setup, teardown),
    cmocka_unit_test_setup_teardown (test_check_plugin_diagnostics, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bad_workspace, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
