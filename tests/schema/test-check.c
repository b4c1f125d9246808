#define G_LOG_DOMAIN "cmdb-test"

/* `cmdbuilder check` over negative fixtures: one directory per failure
 * mode under tests/schema/negative/, each holding the schema file(s) that
 * replace the bundled ones (train.yaml, ...) and `expected`, the exact
 * stderr. @SCHEMAS@ stands for the schema directory and @WORKSPACE@ for
 * the workspace copy. A case with an error exits 2, one with warnings only
 * 0; the clean demo exits 0. Stdout names each page's schema file first. */

#include "test-util.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  char *name;
  char *dir;
} CheckCase;

static char *
substitute (const char *text, const char *from, const char *to)
{
  g_auto (GStrv) parts = g_strsplit (text, from, -1);

  return g_strjoinv (to, parts);
}

static void
copy_yaml_files (const char *from, const char *to)
{
  g_autoptr (GDir) dir = g_dir_open (from, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".yaml"))
      {
        g_autofree char *path = g_build_filename (from, name, NULL);
        g_autofree char *text = cmdb_test_read_file (path);
        g_autofree char *written = cmdb_test_write_file (to, name, text);
      }
}

/* Runs check on a demo copy with the bundled schemas, overlaid by @case_dir's. */
static char *
run_check (const char *case_dir, char **ret_stderr, int *ret_status, char **ret_schemas,
           char **ret_workspace, char **ret_tmp)
{
  char *tmp = cmdb_test_make_tempdir ();
  char *workspace = g_build_filename (tmp, "ws", NULL);
  char *schemas = g_build_filename (tmp, "schemas", NULL);
  g_autofree char *demo = cmdb_test_source_path ("examples/ocr-workspace");
  g_autofree char *bundled = cmdb_test_source_path ("schemas");
  g_autofree char *exe = cmdb_test_cmdbuilder ();
  const char *argv[] = { exe, "check", "--workspace", workspace, "--schemas", schemas, NULL };

  cmdb_test_isolate_environment (tmp);
  cmdb_test_copy_tree (demo, workspace);
  g_mkdir_with_parents (schemas, 0755);
  copy_yaml_files (bundled, schemas);
  if (case_dir != NULL)
    {
      g_autofree char *overlay = g_build_filename (case_dir, "workspace", NULL);

      copy_yaml_files (case_dir, schemas);
      if (g_file_test (overlay, G_FILE_TEST_IS_DIR))
        cmdb_test_copy_tree (overlay, workspace);
    }
  *ret_schemas = schemas;
  *ret_workspace = workspace;
  *ret_tmp = tmp;
  return cmdb_test_run (argv, tmp, ret_stderr, ret_status);
}

static void
test_clean_demo (void **state)
{
  g_autofree char *err = NULL, *schemas = NULL, *workspace = NULL, *tmp = NULL;
  int status = -1;
  g_autofree char *out = run_check (NULL, &err, &status, &schemas, &workspace, &tmp);

  cmdb_test_assert_text_equal ("", err, "stderr");
  g_autofree char *want = g_strdup_printf ("train: schema %s/train.yaml\n"
                                           "test: schema %s/test.yaml\n"
                                           "predict: schema %s/predict.yaml\n"
                                           "check: 3 pages, 20 option sources, no problems\n",
                                           schemas, schemas, schemas);

  assert_int_equal (status, 0);
  cmdb_test_assert_text_equal (want, out, "stdout");
  cmdb_test_remove_tree (tmp);
}

static void
run_case (void **state)
{
  CheckCase *check = *state;
  g_autofree char *err = NULL, *schemas = NULL, *workspace = NULL, *tmp = NULL;
  g_autofree char *expected_path = g_build_filename (check->dir, "expected", NULL);
  g_autofree char *expected = cmdb_test_read_file (expected_path);
  g_autofree char *with_schemas = NULL, *want = NULL;
  int status = -1;
  g_autofree char *out = run_check (check->dir, &err, &status, &schemas, &workspace, &tmp);

  with_schemas = substitute (expected, "@SCHEMAS@", schemas);
  want = substitute (with_schemas, "@WORKSPACE@", workspace);
  cmdb_test_assert_text_equal (want, err, check->name);
  assert_null (strstr (out, "no problems"));
  assert_int_equal (status, strstr (want, ": error: ") != NULL ? 2 : 0);
  cmdb_test_remove_tree (tmp);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (void)
{
  g_autofree char *root = cmdb_test_source_path ("tests/schema/negative");
  g_autoptr (GDir) dir = g_dir_open (root, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree struct CMUnitTest *tests = NULL;
  g_autofree CheckCase *cases = NULL;
  const char *name;
  int failures;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  tests = g_new0 (struct CMUnitTest, names->len + 1);
  cases = g_new0 (CheckCase, names->len);
  tests[0].name = "clean-demo";
  tests[0].test_func = test_clean_demo;
  for (guint i = 0; i < names->len; i++)
    {
      cases[i].name = g_ptr_array_index (names, i);
      cases[i].dir = g_build_filename (root, cases[i].name, NULL);
      tests[i + 1].name = cases[i].name;
      tests[i + 1].test_func = run_case;
      tests[i + 1].initial_state = &cases[i];
    }
  failures = _cmocka_run_group_tests ("schema-check", tests, names->len + 1, NULL, NULL);
  for (guint i = 0; i < names->len; i++)
    g_free (cases[i].dir);
  return failures;
}
