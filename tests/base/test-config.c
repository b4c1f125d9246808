#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"
#include "cmdbuilder.h"
#include "base/cmdb-config-private.h"

#include <string.h>

typedef struct
{
  char *tmp;
} Fixture;

static int
setup (void **state)
{
  Fixture *fixture = g_new0 (Fixture, 1);

  fixture->tmp = cmdb_test_make_tempdir ();
  *state = fixture;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *fixture = *state;

  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture);
  return 0;
}

static CmdbConfig *
merge (const char *tmp, const char *name, const char *text, CmdbConfig *config)
{
  g_autofree char *path = cmdb_test_write_file (tmp, name, text);
  g_autoptr (GError) error = NULL;

  if (!cmdb_config_merge_file (config, path, TRUE, &error))
    {
      print_error ("%s\n", error->message);
      fail ();
    }
  return config;
}

static gboolean
list_equals (GPtrArray *list, const char *joined)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? "," : "", (char *) g_ptr_array_index (list, i));
  if (!g_str_equal (text->str, joined))
    print_error ("list is '%s', expected '%s'\n", text->str, joined);
  return g_str_equal (text->str, joined);
}

static void
test_defaults (void **state)
{
  g_autoptr (CmdbConfig) config = cmdb_config_new ();

  assert_string_equal (cmdb_config_get_string (config, "command", "launcher"), "uv run python");
  assert_string_equal (cmdb_config_get_string (config, "workspace", "state"), ".cmdbuilder");
  assert_int_equal (cmdb_config_get_int (config, "server", "port", 0), 8501);
  assert_int_equal (cmdb_config_get_duration_ms (config, "run", "stop-grace", 0), 5000);
  assert_null (cmdb_config_get_origin (config, "command", "launcher"));
  assert_int_equal (cmdb_config_get_list (config, "plugins", "disabled")->len, 0);
}

/* Later layers win for scalars; lists merge by union, in layer order. */
static void
test_layers (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autoptr (GError) error = NULL;
  char *envp[] = { "CMDBUILDER_SERVER_PORT=9000", "CMDBUILDER_RUN_STOP_GRACE=250ms", NULL };

  merge (fixture->tmp, "system.ini",
         "[command]\nlauncher=python3\n[server]\nallowed-hosts=a.example;b.example\nport=1\n",
         config);
  merge (fixture->tmp, "user.ini",
         "[command]\nlauncher=uv run python3\n[server]\nallowed-hosts=b.example,c.example\n",
         config);
  assert_string_equal (cmdb_config_get_string (config, "command", "launcher"), "uv run python3");
  assert_true (list_equals (cmdb_config_get_list (config, "server", "allowed-hosts"),
                            "a.example,b.example,c.example"));
  assert_int_equal (cmdb_config_get_int (config, "server", "port", 0), 1);

  assert_true (cmdb_config_merge_environment (config, envp, &error));
  assert_int_equal (cmdb_config_get_int (config, "server", "port", 0), 9000);
  assert_string_equal (cmdb_config_get_origin (config, "server", "port"), "environment");
  assert_int_equal (cmdb_config_get_duration_ms (config, "run", "stop-grace", 0), 250);

  assert_true (cmdb_config_set (config, "server", "port", "9100", &error));
  assert_int_equal (cmdb_config_get_int (config, "server", "port", 0), 9100);
  assert_string_equal (cmdb_config_get_origin (config, "server", "port"), "command line");
  assert_int_equal (cmdb_config_get_files (config)->len, 2);
}

/* [plugins] disabled is replaced by a later layer, so it can be cleared. */
static void
test_disabled_replaced (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();

  merge (fixture->tmp, "a.ini", "[plugins]\ndisabled=predict;losses\n", config);
  assert_true (
      list_equals (cmdb_config_get_list (config, "plugins", "disabled"), "predict,losses"));
  merge (fixture->tmp, "b.ini", "[plugins]\ndisabled=heads\n", config);
  assert_true (list_equals (cmdb_config_get_list (config, "plugins", "disabled"), "heads"));
  merge (fixture->tmp, "c.ini", "[plugins]\ndisabled=\n", config);
  assert_true (list_equals (cmdb_config_get_list (config, "plugins", "disabled"), ""));
}

/* Relative plugin paths in a file are relative to that file. */
static void
test_plugin_path_relative (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autofree char *expected = g_build_filename (fixture->tmp, "sub", "extra-plugins", NULL);
  g_autofree char *joined = g_strconcat (expected, ",/abs/dir", NULL);

  merge (fixture->tmp, "sub/cmdbuilder.ini", "[plugins]\npath=extra-plugins;/abs/dir\n", config);
  assert_true (list_equals (cmdb_config_get_list (config, "plugins", "path"), joined));
}

static void
test_unknown_keys_are_located_warnings (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  GPtrArray *problems;
  CmdbProblem *problem;

  merge (fixture->tmp, "w.ini",
         "# comment\n[command]\nlauncher=python3\nlaunchr=x\n[colours]\na=b\n", config);
  problems = cmdb_config_get_problems (config);
  assert_int_equal (problems->len, 2);
  problem = g_ptr_array_index (problems, 0);
  assert_int_equal (problem->line, 4);
  assert_int_equal (problem->severity, CMDB_SEVERITY_WARNING);
  assert_string_equal (problem->message, "unknown key 'launchr' in group [command]");
  problem = g_ptr_array_index (problems, 1);
  assert_int_equal (problem->line, 5);
  assert_string_equal (problem->message, "unknown group [colours]");
  /* The valid key still applies. */
  assert_string_equal (cmdb_config_get_string (config, "command", "launcher"), "python3");
}

static void
test_invalid_values (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path
      = cmdb_test_write_file (fixture->tmp, "bad.ini", "[server]\n\nport=eighty\n");
  g_autofree char *expected = g_strdup_printf ("%s:3: [server] port: expected a whole number, got "
                                               "'eighty'",
                                               path);

  assert_false (cmdb_config_merge_file (config, path, TRUE, &error));
  assert_true (g_error_matches (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_INVALID));
  assert_string_equal (error->message, expected);
  g_clear_error (&error);

  assert_false (cmdb_config_set (config, "run", "stop-grace", "soon", &error));
  assert_non_null (strstr (error->message, "expected a duration"));
  g_clear_error (&error);
  assert_false (cmdb_config_set (config, "nope", "key", "1", &error));
  assert_string_equal (error->message, "unknown configuration key [nope] key");
}

static void
test_syntax_error_names_file (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "broken.ini", "[command\nlauncher\n");

  assert_false (cmdb_config_merge_file (config, path, TRUE, &error));
  assert_true (g_error_matches (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_PARSE));
  assert_true (g_str_has_prefix (error->message, path));
}

/* A key written twice is an error naming both lines, also across two
 * sections of the same group; the same key in other groups is fine. */
static void
test_duplicate_key (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = cmdb_test_write_file (
      fixture->tmp, "twice.ini",
      "[server]\nport=1\n[command]\nlauncher=a\n\n[server]\n# again\n port = 2\n");
  g_autofree char *expected = g_strdup_printf (
      "%s:8: duplicate key 'port' in [server] (first at line 2); keep one", path);
  g_autofree char *fine = cmdb_test_write_file (fixture->tmp, "fine.ini",
                                                "[server]\nbind=::1\n[workspace]\nstate=s\n");

  assert_false (cmdb_config_merge_file (config, path, TRUE, &error));
  assert_true (g_error_matches (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_INVALID));
  assert_string_equal (error->message, expected);
  g_clear_error (&error);
  assert_true (cmdb_config_merge_file (config, fine, TRUE, &error));
}

static void
test_missing_file (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->tmp, "absent.ini", NULL);

  assert_true (cmdb_config_merge_file (config, path, FALSE, &error));
  assert_false (cmdb_config_merge_file (config, path, TRUE, &error));
  assert_non_null (strstr (error->message, "absent.ini"));
}

/* System dirs (first listed wins among them), then the user file. */
static void
test_xdg_layers (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autoptr (GError) error = NULL;

  cmdb_test_isolate_environment (fixture->tmp);
  g_free (cmdb_test_write_file (fixture->tmp, "sys1/cmdbuilder/cmdbuilder.ini",
                                "[server]\nbind=10.0.0.1\nport=1111\n"));
  g_free (cmdb_test_write_file (fixture->tmp, "sys2/cmdbuilder/cmdbuilder.ini",
                                "[server]\nbind=10.0.0.2\nport=2222\n[run]\nexecutor=slurm\n"));
  g_autofree char *dirs = g_strconcat (fixture->tmp, "/sys1:", fixture->tmp, "/sys2", NULL);

  g_setenv ("XDG_CONFIG_DIRS", dirs, TRUE);
  g_free (cmdb_test_write_file (g_getenv ("XDG_CONFIG_HOME"), "cmdbuilder/cmdbuilder.ini",
                                "[server]\nport=3333\n"));
  /* GLib reads the XDG variables once per process: this test runs in its
   * own process (see meson.build), and nothing read them before. */
  assert_true (cmdb_config_load_user_layers (config, &error));
  assert_string_equal (cmdb_config_get_string (config, "server", "bind"), "10.0.0.1");
  assert_int_equal (cmdb_config_get_int (config, "server", "port", 0), 3333);
  assert_string_equal (cmdb_config_get_string (config, "run", "executor"), "slurm");
}

/* docs/configuration.md documents every key the code knows, in its group's
 * section. */
static void
test_every_key_documented (void **state)
{
  g_autofree char *path = cmdb_test_source_path ("docs/configuration.md");
  g_autofree char *docs = cmdb_test_read_file (path);
  const CmdbConfigKey *keys;
  guint n_keys;

  keys = cmdb_config_get_known_keys (&n_keys);
  for (guint i = 0; i < n_keys; i++)
    {
      g_autofree char *heading = g_strdup_printf ("### `[%s]`", keys[i].group);
      g_autofree char *row = g_strdup_printf ("| `%s` |", keys[i].key);
      const char *section = strstr (docs, heading);
      const char *next;
      const char *found;

      if (section == NULL)
        {
          print_error ("docs/configuration.md has no section %s\n", heading);
          fail ();
        }
      next = strstr (section + strlen (heading), "\n### ");
      found = strstr (section, row);
      if (found == NULL || (next != NULL && found > next))
        {
          print_error ("docs/configuration.md does not document [%s] %s\n", keys[i].group,
                       keys[i].key);
          fail ();
        }
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_xdg_layers, setup, teardown),
    cmocka_unit_test (test_defaults),
    cmocka_unit_test_setup_teardown (test_layers, setup, teardown),
    cmocka_unit_test_setup_teardown (test_disabled_replaced, setup, teardown),
    cmocka_unit_test_setup_teardown (test_plugin_path_relative, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unknown_keys_are_located_warnings, setup, teardown),
    cmocka_unit_test_setup_teardown (test_invalid_values, setup, teardown),
    cmocka_unit_test_setup_teardown (test_syntax_error_names_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_file, setup, teardown),
    cmocka_unit_test_setup_teardown (test_duplicate_key, setup, teardown),
    cmocka_unit_test (test_every_key_documented),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
