/* Checkpoint-aware Test page from the command line: a checkpoint's
 * architecture and components come from the run that wrote it (the run
 * history, through real Train runs of the demo runner), before the
 * experiment name's suffix; a resumed run leads to the checkpoint it
 * resumed from; a file older than the experiment's runs is not theirs (the
 * name decides); an architecture set by hand wins, with a warning, and
 * brings its own components. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"

#include <string.h>

static char *tmp;
static char *workspace; /* a copy of the demo workspace */

static int
setup (void **state)
{
  workspace = cmdb_test_copy_demo_workspace (&tmp);
  /* Instant epochs: each Train run lasts a fraction of a second. */
  g_setenv ("DEMO_EPOCH_SECONDS", "0", TRUE);
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

/* Runs the Train page (suffix off, so the experiment name says nothing
 * the run does not) with @first... as --set values, waits for its end, and
 * returns (transfer full) the checkpoint it wrote under @experiment,
 * relative to the workspace: the only one whose name has step 45 (one
 * epoch at batch size 4). */
static char *
train (const char *experiment, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *name = g_strdup_printf ("exp_name=%s", experiment);
  g_autofree char *directory
      = g_build_filename (workspace, "outputs", experiment, "checkpoints", NULL);
  g_autoptr (GDir) dir = NULL;
  const char *file;
  char *found = NULL;
  int status = -1;
  va_list args;

  g_ptr_array_add (argv, g_strdup ("run"));
  g_ptr_array_add (argv, g_strdup ("train"));
  g_ptr_array_add (argv, g_strdup ("--config"));
  g_ptr_array_add (argv, g_strdup ("command.suffix=false"));
  g_ptr_array_add (argv, g_strdup ("--set"));
  g_ptr_array_add (argv, g_strdup (name));
  g_ptr_array_add (argv, g_strdup ("--set"));
  g_ptr_array_add (argv, g_strdup ("max_epochs=1"));
  va_start (args, first);
  for (const char *value = first; value != NULL; value = va_arg (args, const char *))
    {
      g_ptr_array_add (argv, g_strdup ("--set"));
      g_ptr_array_add (argv, g_strdup (value));
    }
  va_end (args);
  g_ptr_array_add (argv, NULL);
  out = cmdb_test_run_cmdbuilder ((const char *const *) argv->pdata, workspace, &err, &status);
  if (status != 0)
    fail_msg ("the Train run failed (%d): %s%s", status, out, err);
  dir = g_dir_open (directory, 0, NULL);
  assert_non_null (dir);
  while ((file = g_dir_read_name (dir)) != NULL)
    if (strstr (file, "step_000045") != NULL)
      found = g_build_filename ("outputs", experiment, "checkpoints", file, NULL);
  assert_non_null (found);
  return found;
}

/* `cmdbuilder build test` for @checkpoint and the --set values after it;
 * (transfer full) the command, @ret_stderr what it said. */
static char *
build_test (const char *checkpoint, char **ret_stderr, const char *more)
{
  g_autofree char *set = g_strdup_printf ("checkpoint_path=%s", checkpoint);
  const char *argv[] = { "build", "test", "--set", set, more != NULL ? "--set" : NULL, more, NULL };
  int status = -1;
  char *out = cmdb_test_run_cmdbuilder (argv, workspace, ret_stderr, &status);

  assert_int_equal (status, 0);
  return out;
}

/* The experiment name says dbnet/unet/resnet18; the run that wrote the
 * checkpoint trained craft: the run history wins. */
static void
test_run_history_before_name (void **state)
{
  g_autofree char *checkpoint
      = train ("x-dbnet-unet-resnet18", "architecture=craft", "encoder=resnet34", NULL);
  g_autofree char *err = NULL, *err_hand = NULL;
  g_autofree char *out = build_test (checkpoint, &err, NULL);
  g_autofree char *by_hand = NULL;

  cmdb_test_assert_contains (out, "model/architectures=craft");
  cmdb_test_assert_contains (out, "model.encoder.model_name=resnet34");
  cmdb_test_assert_contains (out, "model.component_overrides.decoder.name=craft_decoder");
  cmdb_test_assert_contains (out, "model.component_overrides.head.name=craft_head");
  assert_null (strstr (err, "warning"));

  /* The user's architecture wins, with its own components and a warning. */
  by_hand = build_test (checkpoint, &err_hand, "architecture=dbnet");
  cmdb_test_assert_contains (by_hand, "model/architectures=dbnet");
  cmdb_test_assert_contains (by_hand, "model.component_overrides.decoder.name=unet");
  cmdb_test_assert_contains (
      err_hand, "warning: 'Architecture' is set by hand; the checkpoint comes from a run with "
                "'craft'.");
}

/* A resumed run records no model (the checkpoint decides it): the
 * checkpoint it resumed from is asked in turn. */
static void
test_resumed_run (void **state)
{
  g_autofree char *first = train ("first", "architecture=craft", NULL);
  g_autofree char *resume_from = g_strdup_printf ("checkpoint_path=%s", first);
  g_autofree char *second = train ("second", "resume_training=true", resume_from, NULL);
  g_autofree char *err = NULL;
  g_autofree char *out = build_test (second, &err, NULL);

  cmdb_test_assert_contains (out, "model/architectures=craft");
}

/* A file older than every run of its experiment was not written by one:
 * the committed checkpoint keeps what its name says, while the new one in
 * the same directory is the run's. */
static void
test_older_file_is_not_the_runs (void **state)
{
  const char *committed = "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/last.ckpt";
  g_autofree char *written = train ("ocr_training-dbnet-unet-resnet18", "architecture=craft", NULL);
  g_autofree char *err = NULL, *err_new = NULL;
  g_autofree char *old = build_test (committed, &err, NULL);
  g_autofree char *new = build_test (written, &err_new, NULL);

  cmdb_test_assert_contains (old, "model/architectures=dbnet");
  cmdb_test_assert_contains (new, "model/architectures=craft");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_run_history_before_name, setup, teardown),
    cmocka_unit_test_setup_teardown (test_resumed_run, setup, teardown),
    cmocka_unit_test_setup_teardown (test_older_file_is_not_the_runs, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
