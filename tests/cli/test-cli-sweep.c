/* `build --sweep`: Hydra's multirun syntax read by our parser, the
 * cartesian product (first field slowest), --json, the limit, and a member
 * the form refuses failing the whole sweep with its values named. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"

#include <string.h>

/* 3 learning rates x 2 encoders: six lines, lr varying slowest. */
static void
test_product_lines (void **state)
{
  const char *workspace = ((CmdbTestDemo *) *state)->workspace;
  int status = -1;
  g_autofree char *out = cmdb_test_run_cmdbuilder_in (
      workspace, &status, NULL, "build", "train", "-q", "--sweep",
      "learning_rate=0.001,0.0003,0.0001", "--sweep", "encoder=resnet18,resnet34", NULL);
  g_auto (GStrv) lines = NULL;

  assert_int_equal (status, 0);
  lines = g_strsplit (g_strchomp (out), "\n", -1);
  assert_int_equal (g_strv_length (lines), 6);
  cmdb_test_assert_contains (lines[0], "model.optimizer.lr=0.001 ");
  cmdb_test_assert_contains (lines[0], "model.encoder.model_name=resnet18");
  cmdb_test_assert_contains (lines[1], "model.optimizer.lr=0.001 ");
  cmdb_test_assert_contains (lines[1], "model.encoder.model_name=resnet34");
  cmdb_test_assert_contains (lines[5], "model.optimizer.lr=0.0001 ");
  cmdb_test_assert_contains (lines[5], "model.encoder.model_name=resnet34");
}

/* range() as Hydra reads it (stop excluded), as JSON. */
static void
test_range_json (void **state)
{
  const char *workspace = ((CmdbTestDemo *) *state)->workspace;
  int status = -1;
  g_autofree char *out
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "build", "train", "--sweep",
                                     "max_epochs=range(1,7,2)", "--json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *sweep;
  JsonArray *commands;

  assert_int_equal (status, 0);
  assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  sweep = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                         "sweep");
  assert_int_equal (json_object_get_int_member (sweep, "count"), 3);
  commands = json_object_get_array_member (sweep, "commands");
  assert_int_equal (json_array_get_length (commands), 3);
  cmdb_test_assert_contains (
      json_object_get_string_member (json_array_get_object_element (commands, 2), "command"),
      "trainer.max_epochs=5 ");
  assert_int_equal (
      json_object_get_int_member (
          json_object_get_object_member (json_array_get_object_element (commands, 2), "values"),
          "max_epochs"),
      5);
}

/* The limit guards against a typo'd range; [sweep] limit raises it. */
static void
test_limit (void **state)
{
  const char *workspace = ((CmdbTestDemo *) *state)->workspace;
  int status = -1;
  g_autofree char *err = NULL, *out = NULL, *raised = NULL;

  out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "build", "train", "--sweep",
                                     "max_epochs=range(1,60)", "--sweep", "seed=1,2", NULL);
  assert_int_equal (status, 2);
  assert_string_equal (out, "");
  cmdb_test_assert_contains (err, "the sweep has 118 members, more than the limit of 100");
  raised = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "build", "train", "-q",
                                        "--config", "sweep.limit=200", "--sweep",
                                        "max_epochs=range(1,60)", "--sweep", "seed=1,2", NULL);
  assert_int_equal (status, 0);
}

/* One member the form refuses: exit 2, its values named. */
static void
test_bad_member (void **state)
{
  const char *workspace = ((CmdbTestDemo *) *state)->workspace;
  int status = -1;
  g_autofree char *err = NULL;
  g_autofree char *out = cmdb_test_run_cmdbuilder_in (
      workspace, &status, &err, "build", "train", "-q", "--sweep", "encoder=resnet18,nope", NULL);
  g_autofree char *bad_err = NULL, *bad = NULL;

  assert_int_equal (status, 2);
  cmdb_test_assert_contains (err, "encoder=nope");
  bad = cmdb_test_run_cmdbuilder_in (workspace, &status, &bad_err, "build", "train", "--sweep",
                                     "lr=interval(0,1)", NULL);
  assert_int_equal (status, 2);
  cmdb_test_assert_contains (bad_err, "interval() and glob() give no list of values");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_product_lines, cmdb_test_demo_setup,
                                     cmdb_test_demo_teardown),
    cmocka_unit_test_setup_teardown (test_range_json, cmdb_test_demo_setup,
                                     cmdb_test_demo_teardown),
    cmocka_unit_test_setup_teardown (test_limit, cmdb_test_demo_setup, cmdb_test_demo_teardown),
    cmocka_unit_test_setup_teardown (test_bad_member, cmdb_test_demo_setup,
                                     cmdb_test_demo_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
