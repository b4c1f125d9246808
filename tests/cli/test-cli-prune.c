/* Keeping the history manageable: `runs delete RUN` and `runs prune
 * [--older-than] [--status]` remove finished runs (record and logs) and
 * never a running one. Real runs through `cmdbuilder exec`. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"

#include <string.h>

static char *tmp;
static char *workspace;

static int
setup (void **state)
{
  workspace = cmdb_test_copy_demo_workspace (&tmp);
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

/* Runs `exec -- ARGV` in the foreground (or detached); (transfer full)
 * the run id. */
static char *
exec_run (gboolean detach, const char *program, const char *argument)
{
  int status = -1;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;

  if (detach)
    out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "exec", "--detach", "--", program,
                                       argument, NULL);
  else
    out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "exec", "--", program, argument,
                                       NULL);
  /* The id is named first on stderr: "run ID". */
  assert_non_null (strstr (err, "run "));
  return g_strndup (strstr (err, "run ") + 4, strcspn (strstr (err, "run ") + 4, "\n"));
}

static gboolean
run_exists (const char *id)
{
  g_autofree char *path = g_build_filename (workspace, ".cmdbuilder", "runs", id, NULL);

  return g_file_test (path, G_FILE_TEST_IS_DIR);
}

static void
test_delete_and_prune (void **state)
{
  g_autofree char *ok = exec_run (FALSE, "true", "x");
  g_autofree char *failed = exec_run (FALSE, "false", "x");
  g_autofree char *running = exec_run (TRUE, "sleep", "60");
  g_autofree char *err = NULL, *out = NULL, *busy_err = NULL, *busy = NULL;
  g_autofree char *prune_err = NULL, *pruned = NULL, *young_err = NULL, *young = NULL;
  g_autofree char *all_err = NULL, *all = NULL, *stop = NULL, *bad_err = NULL, *bad = NULL;
  int status = -1;

  assert_true (run_exists (ok) && run_exists (failed) && run_exists (running));

  /* A running run is refused, by name and by prune. */
  busy = cmdb_test_run_cmdbuilder_in (workspace, &status, &busy_err, "runs", "delete", running,
                                      NULL);
  assert_int_equal (status, 1);
  assert_non_null (strstr (busy_err, "stop it first"));
  assert_true (run_exists (running));

  /* Young runs stay with --older-than 1d; --status failed takes only the failed one. */
  young = cmdb_test_run_cmdbuilder_in (workspace, &status, &young_err, "runs", "prune",
                                       "--older-than", "1d", NULL);
  assert_int_equal (status, 0);
  assert_non_null (strstr (young_err, "0 runs deleted"));
  pruned = cmdb_test_run_cmdbuilder_in (workspace, &status, &prune_err, "runs", "prune", "--status",
                                        "failed", NULL);
  assert_int_equal (status, 0);
  assert_false (run_exists (failed));
  assert_true (run_exists (ok));

  /* --older-than 0s: everything that ended, never the running one. */
  all = cmdb_test_run_cmdbuilder_in (workspace, &status, &all_err, "runs", "prune", "--older-than",
                                     "0s", "--json", NULL);
  assert_int_equal (status, 0);
  assert_non_null (strstr (all, ok));
  assert_false (run_exists (ok));
  assert_true (run_exists (running));

  bad = cmdb_test_run_cmdbuilder_in (workspace, &status, &bad_err, "runs", "prune", "--older-than",
                                     "soon", NULL);
  assert_int_equal (status, 1);

  /* Stopped, it can go. */
  stop = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "stop", running, "--wait", NULL);
  assert_int_equal (status, 0);
  out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "runs", "delete", running, NULL);
  assert_int_equal (status, 0);
  assert_false (run_exists (running));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_delete_and_prune, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
