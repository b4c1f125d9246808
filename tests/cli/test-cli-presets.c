/* Presets from the command line: save (shared in the workspace, private in
 * the state directory), list, apply with build --preset, a preset written
 * by hand whose key the page no longer has, did-you-mean, delete. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"

#include <string.h>

/* A shared preset is a YAML file in the workspace a person can read; build
 * --preset applies it, --set still wins; delete removes the file. */
static void
test_save_list_apply_delete (void **state)
{
  const char *workspace = ((CmdbTestDemo *) *state)->workspace;
  g_autofree char *path
      = g_build_filename (workspace, "configs/ui_meta/presets/train/small.yaml", NULL);
  g_autofree char *err = NULL, *out = NULL, *text = NULL, *list = NULL, *built = NULL;
  g_autofree char *both = NULL, *deleted_err = NULL, *again = NULL;
  int status = -1;

  out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "preset", "save", "train", "small",
                                     "--set", "encoder=resnet34", "--set", "learning_rate=0.0003",
                                     "--description", "Small encoder, slower", NULL);
  assert_int_equal (status, 0);
  cmdb_test_assert_contains (err, "saved shared preset 'small' of train (2 values)");
  text = cmdb_test_read_file (path);
  assert_string_equal (text, "version: 1\n"
                             "description: \"Small encoder, slower\"\n"
                             "values:\n"
                             "  encoder: \"resnet34\"\n"
                             "  learning_rate: 0.0003\n");

  list = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "presets", "train", NULL);
  assert_int_equal (status, 0);
  cmdb_test_assert_contains (list, "small");
  cmdb_test_assert_contains (list, "shared");
  cmdb_test_assert_contains (list, "Small encoder, slower");

  built = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "build", "train", "--preset",
                                       "small", NULL);
  assert_int_equal (status, 0);
  cmdb_test_assert_contains (built, "model.encoder.model_name=resnet34");
  cmdb_test_assert_contains (built, "model.optimizer.lr=0.0003");
  both = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "build", "train", "--preset",
                                      "small", "--set", "encoder=resnet50", NULL);
  assert_int_equal (status, 0);
  cmdb_test_assert_contains (both, "model.encoder.model_name=resnet50");
  cmdb_test_assert_contains (both, "model.optimizer.lr=0.0003");

  g_free (err);
  out = (g_free (out), cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "preset", "delete",
                                                    "train", "small", NULL));
  assert_int_equal (status, 0);
  assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  again = cmdb_test_run_cmdbuilder_in (workspace, &status, &deleted_err, "build", "train",
                                       "--preset", "small", NULL);
  assert_int_equal (status, 2);
  cmdb_test_assert_contains (deleted_err, "unknown preset 'small'");
}

/* A private preset lives in the state directory, not in the workspace's
 * configs; --json lists it with private: true. */
static void
test_private_preset (void **state)
{
  const char *workspace = ((CmdbTestDemo *) *state)->workspace;
  g_autofree char *private_path
      = g_build_filename (workspace, ".cmdbuilder/presets/train/mine.yaml", NULL);
  g_autofree char *shared_dir = g_build_filename (workspace, "configs/ui_meta/presets", NULL);
  g_autofree char *out = NULL, *json = NULL;
  int status = -1;

  out = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "preset", "save", "train", "mine",
                                     "--private", "--set", "max_epochs=3", NULL);
  assert_int_equal (status, 0);
  assert_true (g_file_test (private_path, G_FILE_TEST_IS_REGULAR));
  assert_false (g_file_test (shared_dir, G_FILE_TEST_EXISTS));
  json = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "presets", "train", "--json", NULL);
  assert_int_equal (status, 0);
  cmdb_test_assert_contains (json, "\"name\" : \"mine\"");
  cmdb_test_assert_contains (json, "\"private\" : true");
  cmdb_test_assert_contains (json, "\"max_epochs\" : 3");
}

/* Written by hand, with a key the schema lost: applied as far as it goes,
 * the skipped key named; a typo gets a did-you-mean; a bad name and a bad
 * --set are refused before anything is written. */
static void
test_hand_written_and_mistakes (void **state)
{
  const char *workspace = ((CmdbTestDemo *) *state)->workspace;
  g_autofree char *file = cmdb_test_write_file (
      workspace, "configs/ui_meta/presets/train/old.yaml",
      "description: from last year\nvalues:\n  encoder: resnet50\n  backbone_width: 2\n");
  g_autofree char *err = NULL, *out = NULL, *typo_err = NULL, *typo = NULL;
  g_autofree char *name_err = NULL, *bad_name = NULL, *set_err = NULL, *bad_set = NULL;
  int status = -1;

  out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "build", "train", "--preset", "old",
                                     NULL);
  assert_int_equal (status, 0);
  cmdb_test_assert_contains (out, "model.encoder.model_name=resnet50");
  cmdb_test_assert_contains (err, "preset old: skipped 'backbone_width'");

  typo = cmdb_test_run_cmdbuilder_in (workspace, &status, &typo_err, "build", "train", "--preset",
                                      "olf", NULL);
  assert_int_equal (status, 2);
  cmdb_test_assert_contains (typo_err, "did you mean 'old'?");

  bad_name = cmdb_test_run_cmdbuilder_in (workspace, &status, &name_err, "preset", "save", "train",
                                          "../escape", NULL);
  assert_int_equal (status, 1);
  cmdb_test_assert_contains (name_err, "cannot name a preset");
  bad_set = cmdb_test_run_cmdbuilder_in (workspace, &status, &set_err, "preset", "save", "train",
                                         "x", "--set", "no_such_key=1", NULL);
  assert_int_equal (status, 2);
  cmdb_test_assert_contains (set_err, "no_such_key");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_save_list_apply_delete, cmdb_test_demo_setup,
                                     cmdb_test_demo_teardown),
    cmocka_unit_test_setup_teardown (test_private_preset, cmdb_test_demo_setup,
                                     cmdb_test_demo_teardown),
    cmocka_unit_test_setup_teardown (test_hand_written_and_mistakes, cmdb_test_demo_setup,
                                     cmdb_test_demo_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
