#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"
#include "cmdbuilder.h"

#include <unistd.h>

static char *tmp;

static int
setup (void **state)
{
  tmp = cmdb_test_make_tempdir ();
  return 0;
}

static int
teardown (void **state)
{
  cmdb_test_remove_tree (tmp);
  g_clear_pointer (&tmp, g_free);
  return 0;
}

static char *
discover_from (const char *cwd, const char *explicit_dir, GError **error)
{
  g_autofree char *saved = g_get_current_dir ();
  char *root;

  assert_int_equal (chdir (cwd), 0);
  g_setenv ("PWD", cwd, TRUE);
  root = cmdb_workspace_discover (explicit_dir, error);
  assert_int_equal (chdir (saved), 0);
  g_setenv ("PWD", saved, TRUE);
  return root;
}

/* Walks up to the first directory holding a project marker. */
static void
test_walk_up (void **state)
{
  static const char *const markers[] = { "pyproject.toml", "requirements.txt", "setup.py", ".git" };

  for (gsize i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      g_autofree char *project = g_strdup_printf ("%s/p%zu", tmp, i);
      g_autofree char *deep = g_strdup_printf ("%s/a/b/c", project);
      g_autofree char *root = NULL;

      g_free (cmdb_test_write_file (project, markers[i], ""));
      assert_int_equal (g_mkdir_with_parents (deep, 0755), 0);
      root = discover_from (deep, NULL, NULL);
      assert_string_equal (root, project);
    }
}

/* Without a marker anywhere, the working directory itself. */
static void
test_no_marker (void **state)
{
  g_autofree char *dir = g_build_filename (tmp, "plain", NULL);
  g_autofree char *root = NULL;

  assert_int_equal (g_mkdir_with_parents (dir, 0755), 0);
  root = discover_from (dir, NULL, NULL);
  /* The temp dir's ancestors might hold a marker on a developer machine;
   * the answer is then that ancestor, never a directory below it. */
  assert_true (g_str_has_prefix (dir, root));
}

/* An explicit workspace is made absolute without resolving symlinks. */
static void
test_explicit_keeps_symlink (void **state)
{
  g_autofree char *real = g_build_filename (tmp, "real-ws", NULL);
  g_autofree char *link = g_build_filename (tmp, "link-ws", NULL);
  g_autofree char *root = NULL;
  g_autofree char *relative_root = NULL;

  assert_int_equal (g_mkdir_with_parents (real, 0755), 0);
  assert_int_equal (symlink (real, link), 0);
  root = cmdb_workspace_discover (link, NULL);
  assert_string_equal (root, link);
  relative_root = discover_from (tmp, "./link-ws/../link-ws", NULL);
  assert_string_equal (relative_root, link);
}

static void
test_explicit_missing (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (tmp, "nope", NULL);
  g_autofree char *expected = g_strdup_printf ("workspace %s: not a directory", missing);

  assert_null (cmdb_workspace_discover (missing, &error));
  assert_true (g_error_matches (error, CMDB_WORKSPACE_ERROR, CMDB_WORKSPACE_ERROR_NOT_FOUND));
  assert_string_equal (error->message, expected);
}

/* [workspace] keys are relative to the root. */
static void
test_context_directories (void **state)
{
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autoptr (CmdbCache) cache = cmdb_cache_new (0);
  g_autoptr (CmdbContext) context = NULL;
  g_autofree char *configs = g_build_filename (tmp, "conf", NULL);
  g_autofree char *outputs = g_build_filename (tmp, "outputs", NULL);
  g_autofree char *state_dir = g_build_filename (tmp, ".cmdbuilder", NULL);

  assert_true (cmdb_config_set (config, "workspace", "configs", "conf", NULL));
  context = cmdb_context_new (tmp, config, cache);
  assert_string_equal (cmdb_context_get_root (context), tmp);
  assert_string_equal (cmdb_context_get_configs_dir (context), configs);
  assert_string_equal (cmdb_context_get_outputs_dir (context), outputs);
  assert_string_equal (cmdb_context_get_state_dir (context), state_dir);
  assert_true (g_str_has_suffix (cmdb_context_get_schemas_dir (context), "/schemas"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_walk_up, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_marker, setup, teardown),
    cmocka_unit_test_setup_teardown (test_explicit_keeps_symlink, setup, teardown),
    cmocka_unit_test_setup_teardown (test_explicit_missing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_context_directories, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
