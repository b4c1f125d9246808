#define G_LOG_DOMAIN "cmdb-test"

/* `cmdbuilder check` predicts failed runs (cli-check-predict.c): on a copy
 * of the demo workspace, each defect is made and check must name it, as
 * `file:line: level: message`, with the exit codes of the CLI's table
 * (0 no errors, warnings printed; 2 errors; 1 usage errors; --strict makes
 * warnings count). */

#include "compose-fixture.h"
#include "cmdbuilder.h"

#include <glib/gstdio.h>
#include <string.h>

/* Runs check; returns stdout + stderr. */
static char *
check (DemoFixture *f, const char *extra, int *ret_status)
{
  const char *argv[] = { f->cmdbuilder, "check", "--workspace", f->workspace, extra, NULL };
  g_autofree char *err = NULL;
  g_autofree char *out = cmdb_test_run (argv, NULL, &err, ret_status);

  return g_strconcat (out, err, NULL);
}

static void
assert_has (const char *text, const char *needle)
{
  if (strstr (text, needle) == NULL)
    fail_msg ("expected %s in:\n%s", needle, text);
}

static void
replace_in_file (const char *path, const char *from, const char *to)
{
  g_autofree char *text = cmdb_test_read_file (path);
  g_autoptr (GString) edited = g_string_new (text);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (strstr (text, from));
  g_string_replace (edited, from, to, 1);
  g_assert_true (g_file_set_contents (path, edited->str, -1, &error));
}

/* The composition of a command is cached (core/compose/cmdb-compose-command.c):
 * the same command again gives the same result without composing, and an
 * edit anywhere in the config tree or another command gives a new one. */
static void
test_cached_composition_follows_config (void **state)
{
  DemoFixture *f = *state;
  g_autoptr (CmdbConfig) config = cmdb_config_new ();
  g_autoptr (CmdbCache) cache = cmdb_cache_new (0);
  g_autoptr (CmdbContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *root = cmdb_workspace_discover (f->workspace, &error);
  g_autofree char *trainer
      = g_build_filename (f->workspace, "configs", "trainer", "default.yaml", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (CmdbComposeResult) first = NULL;
  g_autoptr (CmdbComposeResult) again = NULL;
  g_autoptr (CmdbComposeResult) other = NULL;
  g_autoptr (CmdbComposeResult) edited = NULL;

  assert_non_null (root);
  context = cmdb_context_new (root, config, cache);
  g_ptr_array_add (argv, "trainer.max_epochs=3");
  cmdb_cache_new_generation (cache);
  first = cmdb_compose_argv (context, "train", argv, 0);
  assert_true (cmdb_compose_result_get_ok (first));
  cmdb_cache_new_generation (cache);
  again = cmdb_compose_argv (context, "train", argv, 0);
  assert_ptr_equal (first, again);

  g_ptr_array_index (argv, 0) = "trainer.max_epochz=3";
  cmdb_cache_new_generation (cache);
  other = cmdb_compose_argv (context, "train", argv, 0);
  assert_false (cmdb_compose_result_get_ok (other));

  g_ptr_array_index (argv, 0) = "trainer.max_epochs=3";
  replace_in_file (trainer, "max_epochs: 10", "max_epoch: 10");
  cmdb_cache_new_generation (cache);
  edited = cmdb_compose_argv (context, "train", argv, 0);
  assert_ptr_not_equal (edited, first);
  assert_false (cmdb_compose_result_get_ok (edited));
}

static void
test_demo_is_clean (void **state)
{
  DemoFixture *f = *state;
  int status = -1;
  g_autofree char *out = check (f, NULL, &status);

  /* Every page's default command and every suggested setup composes. */
  assert_int_equal (status, 0);
  assert_has (out, "no problems");
}

static void
test_missing_launcher (void **state)
{
  DemoFixture *f = *state;
  g_autofree char *ini = g_build_filename (f->workspace, "cmdbuilder.ini", NULL);
  g_autofree char *out = NULL;
  g_autofree char *expected = NULL;
  int status = -1;

  g_assert_true (g_file_set_contents (ini, "[command]\nlauncher=cmdb-no-such-launcher run python\n",
                                      -1, NULL));
  out = check (f, NULL, &status);
  assert_int_equal (status, 2);
  expected = g_strdup_printf ("%s: error: [command.launcher] the launcher "
                              "'cmdb-no-such-launcher' is not on PATH",
                              ini);
  assert_has (out, expected);
}

static void
test_default_command_does_not_compose (void **state)
{
  DemoFixture *f = *state;
  g_autofree char *trainer
      = g_build_filename (f->workspace, "configs", "trainer", "default.yaml", NULL);
  g_autofree char *train = g_build_filename (f->workspace, "configs", "train.yaml", NULL);
  g_autofree char *out = NULL;
  g_autofree char *expected = NULL;
  int status = -1;

  replace_in_file (trainer, "max_epochs: 10", "max_epoch: 10");
  out = check (f, NULL, &status);
  assert_int_equal (status, 2);
  expected = g_strdup_printf ("%s:1: error: [train] the default command of page train would not "
                              "compose in Hydra: trainer.max_epochs=10: Could not override "
                              "'trainer.max_epochs'. (did you mean 'trainer.max_epoch'?)",
                              train);
  assert_has (out, expected);
  /* Every suggested setup too, at its own line of the ui_meta file. */
  assert_has (out, "dbnet.yaml:36: error: [train] suggested setup 'receipts_balanced' of page "
                   "train would not compose");
}

static void
test_missing_runner_and_similar_directory (void **state)
{
  DemoFixture *f = *state;
  g_autofree char *runner = g_build_filename (f->workspace, "runners", "test.py", NULL);
  g_autofree char *from
      = g_build_filename (f->workspace, "configs", "preset", "models", "decoder", NULL);
  g_autofree char *to = g_build_filename (f->workspace, "configs", "model", "decoder", NULL);
  g_autofree char *out = NULL;
  g_autofree char *expected = NULL;
  int status = -1;

  g_assert_cmpint (g_remove (runner), ==, 0);
  g_assert_cmpint (g_rename (from, to), ==, 0);
  out = check (f, NULL, &status);
  assert_int_equal (status, 2);
  expected = g_strdup_printf ("%s: error: [test] page test runs %s, which does not exist", runner,
                              runner);
  assert_has (out, expected);
  assert_has (out, "directory does not exist; no preset decoders are listed; a similarly named "
                   "directory exists: configs/model/decoder");
}

static void
test_warnings_and_strict (void **state)
{
  DemoFixture *f = *state;
  g_autofree char *paths
      = g_build_filename (f->workspace, "configs", "paths", "default.yaml", NULL);
  g_autofree char *out = NULL;
  g_autofree char *strict = NULL;
  g_autofree char *usage = NULL;
  int status = -1;

  /* An interpolation to nowhere: composes, fails on first read. */
  replace_in_file (paths, "outputs/${exp_name}", "outputs/${exp_nam}");
  out = check (f, NULL, &status);
  assert_int_equal (status, 0);
  assert_has (out, "warning: [train] the default command of page train composes, but fails on "
                   "first read");
  assert_has (out, "Interpolation key 'exp_nam' not found");
  strict = check (f, "--strict", &status);
  assert_int_equal (status, 2);
  usage = check (f, "--no-such-option", &status);
  assert_int_equal (status, 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_demo_is_clean, demo_fixture_setup, demo_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_cached_composition_follows_config, demo_fixture_setup,
                                     demo_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_missing_launcher, demo_fixture_setup,
                                     demo_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_default_command_does_not_compose, demo_fixture_setup,
                                     demo_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_missing_runner_and_similar_directory, demo_fixture_setup,
                                     demo_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_warnings_and_strict, demo_fixture_setup,
                                     demo_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
