#define G_LOG_DOMAIN "cmdb-test"

/* Golden commands: one directory per case under tests/schema/golden/, run
 * through the real executable on a copy of the demo workspace:
 *   args              the page, then one extra argument per line
 *   expected-argv     the argv executed, one token per line (from --json)
 *   expected-display  the display line `cmdbuilder build` prints
 *   expected-exit     the exit status (default 0)
 *   expected-stderr   the exact stderr (optional)
 *   workspace/        files laid over the workspace copy (optional)
 *   schemas/          a schema directory passed with --schemas (optional)
 *   keep-ini          keep the demo's cmdbuilder.ini (launcher python3);
 *                     without it the default launcher `uv run python` applies
 *   original.txt      what the original app produced (quirk cases; not read)
 * @WORKSPACE@ in expected files and args stands for the workspace copy. */

#include "test-util.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  char *name;
  char *dir;
} GoldenCase;

static char *
read_optional (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

static char *
substitute (const char *text, const char *workspace)
{
  g_auto (GStrv) parts = g_strsplit (text, "@WORKSPACE@", -1);

  return g_strjoinv (workspace, parts);
}

static char *
json_argv_lines (const char *json_text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  GString *out = g_string_new (NULL);
  JsonArray *argv;

  if (!json_parser_load_from_data (parser, json_text, -1, &error))
    {
      g_printerr ("build --json printed no JSON: %s\n%s\n", error->message, json_text);
      fail ();
    }
  argv
      = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "argv");
  for (guint i = 0; i < json_array_get_length (argv); i++)
    g_string_append_printf (out, "%s\n", json_array_get_string_element (argv, i));
  return g_string_free (out, FALSE);
}

static void
run_case (void **state)
{
  GoldenCase *golden = *state;
  g_autofree char *tmp = cmdb_test_make_tempdir ();
  g_autofree char *workspace = g_build_filename (tmp, "ws", NULL);
  g_autofree char *demo = cmdb_test_source_path ("examples/ocr-workspace");
  g_autofree char *overlay = g_build_filename (golden->dir, "workspace", NULL);
  g_autofree char *schemas = g_build_filename (golden->dir, "schemas", NULL);
  g_autofree char *keep_ini = g_build_filename (golden->dir, "keep-ini", NULL);
  g_autofree char *exe = cmdb_test_cmdbuilder ();
  g_autofree char *args_text = read_optional (golden->dir, "args");
  g_autofree char *expected_argv = read_optional (golden->dir, "expected-argv");
  g_autofree char *expected_display = read_optional (golden->dir, "expected-display");
  g_autofree char *expected_exit = read_optional (golden->dir, "expected-exit");
  g_autofree char *expected_stderr = read_optional (golden->dir, "expected-stderr");
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *json_out = NULL;
  g_autofree char *json_err = NULL;
  int status = -1, json_status = -1;
  int want_status = expected_exit != NULL ? atoi (expected_exit) : 0;

  assert_non_null (args_text);
  cmdb_test_isolate_environment (tmp);
  cmdb_test_copy_tree (demo, workspace);
  if (!g_file_test (keep_ini, G_FILE_TEST_EXISTS))
    {
      g_autofree char *ini = g_build_filename (workspace, "cmdbuilder.ini", NULL);

      g_remove (ini);
    }
  if (g_file_test (overlay, G_FILE_TEST_IS_DIR))
    cmdb_test_copy_tree (overlay, workspace);

  g_ptr_array_add (argv, g_strdup (exe));
  g_ptr_array_add (argv, g_strdup ("build"));
  /* The goldens are about the command text; whether the demo's Hydra tree
   * composes each schema's overrides is tests/compose's business. */
  g_ptr_array_add (argv, g_strdup ("--no-compose-check"));
  g_ptr_array_add (argv, g_strdup ("--workspace"));
  g_ptr_array_add (argv, g_strdup (workspace));
  if (g_file_test (schemas, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (argv, g_strdup ("--schemas"));
      g_ptr_array_add (argv, g_strdup (schemas));
    }
  lines = g_strsplit (args_text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      g_ptr_array_add (argv, substitute (lines[i], workspace));
  g_ptr_array_add (argv, NULL);

  out = cmdb_test_run ((const char *const *) argv->pdata, tmp, &err, &status);
  if (status != want_status)
    {
      g_printerr ("%s: exit %d, expected %d\nstdout: %s\nstderr: %s\n", golden->name, status,
                  want_status, out, err);
      fail ();
    }
  if (expected_display != NULL)
    {
      g_autofree char *want = substitute (expected_display, workspace);

      cmdb_test_assert_text_equal (want, out, "display");
    }
  if (expected_stderr != NULL)
    {
      g_autofree char *want = substitute (expected_stderr, workspace);

      cmdb_test_assert_text_equal (want, err, "stderr");
    }

  /* The same with --json gives the argv. */
  g_ptr_array_insert (argv, argv->len - 1, g_strdup ("--json"));
  json_out = cmdb_test_run ((const char *const *) argv->pdata, tmp, &json_err, &json_status);
  assert_int_equal (json_status, want_status);
  if (expected_argv != NULL)
    {
      g_autofree char *want = substitute (expected_argv, workspace);
      g_autofree char *got = json_argv_lines (json_out);

      cmdb_test_assert_text_equal (want, got, "argv");
    }
  cmdb_test_remove_tree (tmp);
}

/* g_ptr_array_sort passes pointers to the elements. */
static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (void)
{
  g_autofree char *root = cmdb_test_source_path ("tests/schema/golden");
  g_autoptr (GDir) dir = g_dir_open (root, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree struct CMUnitTest *tests = NULL;
  g_autofree GoldenCase *cases = NULL;
  const char *name;
  int failures;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  tests = g_new0 (struct CMUnitTest, names->len);
  cases = g_new0 (GoldenCase, names->len);
  for (guint i = 0; i < names->len; i++)
    {
      cases[i].name = g_ptr_array_index (names, i);
      cases[i].dir = g_build_filename (root, cases[i].name, NULL);
      tests[i].name = cases[i].name;
      tests[i].test_func = run_case;
      tests[i].initial_state = &cases[i];
    }
  failures = _cmocka_run_group_tests ("schema-golden", tests, names->len, NULL, NULL);
  for (guint i = 0; i < names->len; i++)
    g_free (cases[i].dir);
  return failures;
}
