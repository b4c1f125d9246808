/* What the CLI prints cannot be rewritten by what is on disk or typed: a
 * control character in a free-text value is refused (and never printed),
 * and names from disk (file names, run ids, pages, commands) show control
 * characters, terminal escapes and bidirectional overrides as visible
 * escapes, piped or not. Real `cmdbuilder` runs on a copy of the demo. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"

#include <string.h>

/* (transfer full): stdout of `cmdbuilder ARGS... --workspace WS`. */
static char *
run_cli (CmdbTestDemo *fixture, const char *const *args, char **ret_stderr, int *ret_status)
{
  g_autofree char *program = cmdb_test_cmdbuilder ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, "--workspace");
  g_ptr_array_add (argv, fixture->workspace);
  g_ptr_array_add (argv, NULL);
  return cmdb_test_run ((const char *const *) argv->pdata, NULL, ret_stderr, ret_status);
}

static void
assert_no_raw_controls (const char *text, const char *what)
{
  for (const char *c = text; *c != '\0'; c++)
    if ((guchar) *c < 0x20 && *c != '\n' && *c != '\t')
      fail_msg ("%s holds the raw control character 0x%02X: %s", what, (guint) *c, text);
  if (strstr (text, "\xe2\x80\xae") != NULL)
    fail_msg ("%s holds a raw U+202E: %s", what, text);
}

static void
test_control_character_refused (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  out = run_cli (fixture,
                 (const char *const[]){ "build", "train", "--set", "exp_name=\x1b[2Jred", NULL },
                 &err, &status);
  assert_int_not_equal (status, 0);
  assert_null (strstr (out, "\x1b"));
  assert_non_null (strstr (err, "U+001B (a control character)"));
  assert_no_raw_controls (err, "stderr");
  g_free (out);
  g_free (err);

  out = run_cli (fixture,
                 (const char *const[]){ "build", "train", "--set",
                                        "exp_name=txt.\xe2\x80\xae"
                                        "exe",
                                        NULL },
                 &err, &status);
  assert_int_not_equal (status, 0);
  assert_non_null (strstr (err, "U+202E (a bidirectional control)"));
  assert_no_raw_controls (out, "stdout");
}

/* A dataset file whose name holds a terminal escape (setting the window
 * title) and a bell. */
static void
test_file_names_escaped (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *path = NULL;
  int status = 0;

  path = cmdb_test_write_file (fixture->workspace, "configs/data/evil\x1b]0;pwned\x07.yaml",
                               "name: evil\n");
  out = run_cli (fixture, (const char *const[]){ "options", "datasets", NULL }, &err, &status);
  assert_int_equal (status, 0);
  assert_non_null (strstr (out, "evil\\e]0;pwned\\x07"));
  assert_no_raw_controls (out, "stdout");
}

/* A run record on disk whose page and command hold an escape, a carriage
 * return and an override. */
static void
test_run_records_escaped (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *record = NULL;
  int status = 0;

  record = cmdb_test_write_file (
      fixture->workspace, ".cmdbuilder/runs/20260101-000000-train-abcd/run.json",
      "{\"id\": \"20260101-000000-train-abcd\", \"status\": \"succeeded\", \"exit_code\": 0,"
      " \"page\": \"tr\\u001b[2Jain\", \"created\": \"2026-01-01T00:00:00Z\","
      " \"command\": \"python3 train.py\\rrm -rf / \\u202eexe.txt\","
      " \"argv\": [\"python3\", \"train.py\"]}");
  /* --wide: the page and the full command are columns too. */
  out = run_cli (fixture, (const char *const[]){ "runs", "--wide", NULL }, &err, &status);
  assert_int_equal (status, 0);
  assert_non_null (strstr (out, "tr\\e[2Jain"));
  assert_non_null (strstr (out, "train.py\\rrm -rf / \\u{202E}exe.txt"));
  assert_no_raw_controls (out, "stdout");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_control_character_refused, cmdb_test_demo_setup,
                                     cmdb_test_demo_teardown),
    cmocka_unit_test_setup_teardown (test_file_names_escaped, cmdb_test_demo_setup,
                                     cmdb_test_demo_teardown),
    cmocka_unit_test_setup_teardown (test_run_records_escaped, cmdb_test_demo_setup,
                                     cmdb_test_demo_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
