#define G_LOG_DOMAIN "cmdb-test"

#include "compose-fixture.h"

int
demo_fixture_setup (void **state)
{
  DemoFixture *f = g_new0 (DemoFixture, 1);
  g_autofree char *source = cmdb_test_source_path ("examples/ocr-workspace");

  f->tmpdir = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (f->tmpdir);
  f->workspace = g_build_filename (f->tmpdir, "ws", NULL);
  cmdb_test_copy_tree (source, f->workspace);
  f->cmdbuilder = cmdb_test_cmdbuilder ();
  *state = f;
  return 0;
}

int
demo_fixture_teardown (void **state)
{
  DemoFixture *f = *state;

  cmdb_test_remove_tree (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->workspace);
  g_free (f->cmdbuilder);
  g_free (f);
  return 0;
}
