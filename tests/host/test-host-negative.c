/* One fixture per way a plugin can be broken; each asserts its error, and
 * in every case the host keeps serving the other plugins. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"
#include "host/cmdb-host-private.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

static char *tmp;
static char *workspace;
static char *plugin_dir;

/* Copies fixture <name>.plugin (and the built lib<module>.so, if any) into
 * <plugin_dir>/<name>/. */
static void
install_fixture (const char *name, const char *built_module)
{
  g_autofree char *fixture = g_strdup_printf ("tests/host/fixtures/bad-plugins/%s.plugin", name);
  g_autofree char *source = cmdb_test_source_path (fixture);
  g_autofree char *dir = g_build_filename (plugin_dir, name, NULL);
  g_autofree char *plugin_file = g_strdup_printf ("%s.plugin", name);
  g_autofree char *target = g_build_filename (dir, plugin_file, NULL);

  assert_int_equal (g_mkdir_with_parents (dir, 0755), 0);
  cmdb_test_copy_tree (source, target);
  if (built_module != NULL)
    {
      g_autofree char *so = g_strdup_printf ("lib%s.so", built_module);
      g_autofree char *built
          = g_build_filename (cmdb_test_build_root (), "tests", "host", so, NULL);
      g_autofree char *so_name = g_strdup_printf ("lib%s.so", name);
      g_autofree char *copy = g_build_filename (dir, so_name, NULL);
      cmdb_test_copy_tree (built, copy);
    }
}

static int
setup (void **state)
{
  tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (tmp);
  workspace = g_build_filename (tmp, "workspace", NULL);
  plugin_dir = g_build_filename (tmp, "plugins", NULL);
  g_free (cmdb_test_write_file (workspace, "pyproject.toml", ""));
  install_fixture ("no-module", NULL);
  install_fixture ("no-kind", NULL);
  install_fixture ("ghost", NULL);
  install_fixture ("noregister", "noregister");
  install_fixture ("noextension", "noextension");
  install_fixture ("clash-a", "clash-a");
  install_fixture ("clash-b", "clash-b");
  install_fixture ("needy", "noextension");
  install_fixture ("future-api", "noextension");
  return 0;
}

static int
teardown (void **state)
{
  cmdb_test_remove_tree (tmp);
  g_clear_pointer (&tmp, g_free);
  g_clear_pointer (&workspace, g_free);
  g_clear_pointer (&plugin_dir, g_free);
  return 0;
}

static CmdbTestSession *
open_session (const char *extra_config)
{
  g_autofree char *config = g_strdup_printf ("[plugins]\npath=%s\n%s", plugin_dir,
                                             extra_config != NULL ? extra_config : "");
  return cmdb_test_session_new (workspace, config);
}

/* The problem whose text contains @needle, or a test failure listing all. */
static const CmdbProblem *
find_problem (CmdbHost *host, const char *needle)
{
  GPtrArray *problems = cmdb_host_get_problems (host);

  for (guint i = 0; i < problems->len; i++)
    {
      g_autofree char *text = cmdb_problem_to_string (g_ptr_array_index (problems, i));
      if (strstr (text, needle) != NULL)
        return g_ptr_array_index (problems, i);
    }
  for (guint i = 0; i < problems->len; i++)
    {
      g_autofree char *text = cmdb_problem_to_string (g_ptr_array_index (problems, i));
      print_error ("problem: %s\n", text);
    }
  print_error ("no problem mentions '%s'\n", needle);
  fail ();
  return NULL;
}

/* The good plugins still load after any failure. */
static void
assert_others_still_work (CmdbTestSession *session)
{
  g_autoptr (GError) error = NULL;

  assert_non_null (cmdb_host_load_plugin (session->host, "train", &error));
  assert_null (error);
  assert_non_null (cmdb_host_load_plugin (session->host, "decoders", &error));
  assert_null (error);
}

static void
test_plugin_file_without_module (void **state)
{
  CmdbTestSession *session = open_session (NULL);
  g_autofree char *path = g_build_filename (plugin_dir, "no-module", "no-module.plugin", NULL);
  const CmdbProblem *problem = find_problem (session->host, "no-module.plugin");

  assert_string_equal (problem->path, path);
  assert_string_equal (problem->message, "plugin file has no 'Module' key");
  assert_int_equal (problem->severity, CMDB_SEVERITY_ERROR);
  assert_null (cmdb_host_lookup (session->host, "no-module"));
  assert_others_still_work (session);
  cmdb_test_session_free (session);
}

static void
test_plugin_file_without_kind (void **state)
{
  CmdbTestSession *session = open_session (NULL);
  const CmdbProblem *problem = find_problem (session->host, "no-kind.plugin");

  assert_string_equal (problem->message,
                       "plugin file needs X-Kind=page, registry or executor (got '')");
  assert_null (cmdb_host_lookup (session->host, "no-kind"));
  assert_others_still_work (session);
  cmdb_test_session_free (session);
}

/* A plugin written for another plugin contract is reported with its file and
 * skipped at discovery: its module is never mapped, the others work. */
static void
test_plugin_for_another_api (void **state)
{
  CmdbTestSession *session = open_session (NULL);
  g_autofree char *path = g_build_filename (plugin_dir, "future-api", "future-api.plugin", NULL);
  const CmdbProblem *problem = find_problem (session->host, "future-api.plugin");
  g_autoptr (GError) error = NULL;

  assert_string_equal (problem->path, path);
  assert_string_equal (problem->subject, "X-Cmdb-API");
  assert_string_equal (problem->message, "plugin is written for plugin API 2, this cmdbuilder "
                                         "provides API 1: the plugin is skipped");
  assert_int_equal (problem->severity, CMDB_SEVERITY_ERROR);
  assert_null (cmdb_host_lookup (session->host, "future-api"));
  assert_null (cmdb_host_load_plugin (session->host, "future-api", &error));
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND));
  assert_false (cmdb_test_module_is_mapped ("libfuture-api.so"));
  assert_others_still_work (session);
  cmdb_test_session_free (session);
}

static void
test_missing_shared_object (void **state)
{
  CmdbTestSession *session = open_session (NULL);
  g_autoptr (GError) error = NULL;

  assert_null (cmdb_host_load_plugin (session->host, "ghost", &error));
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_LOAD_FAILED));
  assert_true (g_str_has_prefix (error->message, "plugin 'ghost' failed to load: "));
  assert_non_null (strstr (error->message, "libghost.so"));
  assert_false (cmdb_host_lookup (session->host, "ghost")->loaded);
  assert_non_null (cmdb_host_lookup (session->host, "ghost")->error);
  /* A second attempt reports the same failure without retrying. */
  g_clear_error (&error);
  assert_null (cmdb_host_load_plugin (session->host, "ghost", &error));
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_LOAD_FAILED));
  assert_others_still_work (session);
  cmdb_test_session_free (session);
}

static void
test_module_without_register_types (void **state)
{
  CmdbTestSession *session = open_session (NULL);
  g_autoptr (GError) error = NULL;

  assert_null (cmdb_host_load_plugin (session->host, "noregister", &error));
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_LOAD_FAILED));
  assert_non_null (strstr (error->message, "peas_register_types"));
  assert_others_still_work (session);
  cmdb_test_session_free (session);
}

static void
test_module_without_extension (void **state)
{
  CmdbTestSession *session = open_session (NULL);
  g_autoptr (GError) error = NULL;

  assert_null (cmdb_host_load_plugin (session->host, "noextension", &error));
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NO_EXTENSION));
  assert_string_equal (error->message, "plugin 'noextension' provides no CmdbPage extension");
  assert_others_still_work (session);
  cmdb_test_session_free (session);
}

static void
test_clashing_type_names (void **state)
{
  CmdbTestSession *session = open_session (NULL);
  g_autoptr (GError) error = NULL;

  assert_non_null (cmdb_host_load_plugin (session->host, "clash-a", &error));
  assert_null (error);
  assert_null (cmdb_host_load_plugin (session->host, "clash-b", &error));
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NO_EXTENSION));
  assert_true (
      g_str_has_prefix (error->message, "plugin 'clash-b' provides no CmdbPage extension: "));
  assert_non_null (strstr (error->message, "CmdbTestClashPage"));
  assert_others_still_work (session);
  cmdb_test_session_free (session);
}

static void
test_disabled_dependency (void **state)
{
  CmdbTestSession *session = open_session ("[plugins]\ndisabled=train\n");
  g_autoptr (GError) error = NULL;

  assert_null (cmdb_host_load_plugin (session->host, "needy", &error));
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_DISABLED));
  assert_string_equal (error->message, "plugin 'needy' depends on 'train', which is disabled by "
                                       "configuration");
  assert_false (cmdb_test_module_is_mapped ("libneedy.so"));
  g_clear_error (&error);
  assert_non_null (cmdb_host_load_plugin (session->host, "test", &error));
  cmdb_test_session_free (session);
}

static void
test_plugin_path_not_a_directory (void **state)
{
  g_autofree char *file = cmdb_test_write_file (tmp, "not-a-dir", "x");
  g_autofree char *config = g_strdup_printf ("[plugins]\npath=%s\n", file);
  CmdbTestSession *session = cmdb_test_session_new (workspace, config);
  const CmdbProblem *problem = find_problem (session->host, "not-a-dir");

  assert_string_equal (problem->path, file);
  assert_string_equal (problem->message, "plugin path is not a directory");
  assert_others_still_work (session);
  cmdb_test_session_free (session);
}

/* Root can read anything, so the unreadable case runs the real executable
 * without the capabilities that let root ignore permissions (setpriv). */
static void
test_unreadable_plugin_directory (void **state)
{
  g_autofree char *exe = cmdb_test_cmdbuilder ();
  g_autofree char *locked = g_build_filename (tmp, "locked", NULL);
  g_autofree char *config_arg = g_strdup_printf ("plugins.path=%s", locked);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = g_strdup_printf ("%s: error: [plugins.path] cannot read plugin "
                                               "directory: ",
                                               locked);
  int status = 0;

  if (getuid () != 0)
    {
      /* Not root: an unreadable directory is unreadable for us too. */
      const char *argv[]
          = { exe, "plugins", "--json", "--workspace", workspace, "--config", config_arg, NULL };
      assert_int_equal (g_mkdir_with_parents (locked, 0000), 0);
      out = cmdb_test_run (argv, NULL, &err, &status);
    }
  else
    {
      /* Root reads any directory through two capabilities: run it without
       * them (still as root, so the build tree and the workspace stay
       * reachable wherever the checkout is, even under a 0700 directory). */
      const char *argv[] = { "setpriv",  "--bounding-set=-dac_override,-dac_read_search",
                             exe,        "plugins",
                             "--json",   "--workspace",
                             workspace,  "--config",
                             config_arg, NULL };
      assert_int_equal (g_mkdir_with_parents (locked, 0700), 0);
      assert_int_equal (g_chmod (locked, 0000), 0);
      out = cmdb_test_run (argv, NULL, &err, &status);
    }
  if (strstr (err, expected) == NULL)
    print_error ("stderr: %s\n", err);
  assert_non_null (strstr (err, expected));
  assert_int_equal (status, 0);
  /* The built-in plugins are still listed. */
  assert_non_null (strstr (out, "\"id\" : \"train\""));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_plugin_file_without_module, setup, teardown),
    cmocka_unit_test_setup_teardown (test_plugin_file_without_kind, setup, teardown),
    cmocka_unit_test_setup_teardown (test_plugin_for_another_api, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_shared_object, setup, teardown),
    cmocka_unit_test_setup_teardown (test_module_without_register_types, setup, teardown),
    cmocka_unit_test_setup_teardown (test_module_without_extension, setup, teardown),
    cmocka_unit_test_setup_teardown (test_clashing_type_names, setup, teardown),
    cmocka_unit_test_setup_teardown (test_disabled_dependency, setup, teardown),
    cmocka_unit_test_setup_teardown (test_plugin_path_not_a_directory, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unreadable_plugin_directory, setup, teardown),
  };

  /* Loading a clashing module makes GObject log criticals; they are the
   * expected outcome here and the host reports them, so they must not abort
   * (G_DEBUG=fatal-criticals is set for the whole suite). */
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
