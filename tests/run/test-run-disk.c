/* Runs on a full disk, on a real small tmpfs (mounting needs root: the
 * test is skipped, with a message, where it is not permitted). The state
 * directory lives on it:
 *   - a run whose output fills the disk still ends with its exit code; the
 *     record says the log was truncated;
 *   - a run started on a disk already full leaves no run directory. */
#define G_LOG_DOMAIN "cmdb-test"

#include "run-fixture.h"
#include "run/cmdb-run-private.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  char *mount_point;
  RunFixture *fixture;
} DiskFixture;

static int
setup (void **state)
{
  DiskFixture *disk = g_new0 (DiskFixture, 1);
  g_autofree char *config = NULL;

  disk->mount_point = g_dir_make_tmp ("cmdb-disk-XXXXXX", NULL);
  if (!cmdb_test_mount_tmpfs (disk->mount_point, "768k"))
    {
      g_rmdir (disk->mount_point);
      g_free (disk->mount_point);
      g_free (disk);
      print_message ("# skipped: mounting a small tmpfs needs root (the full-disk tests)\n");
      *state = NULL;
      return 0;
    }
  config = g_strdup_printf ("[workspace]\nstate=%s\n[run]\nstop-grace=1s\n", disk->mount_point);
  disk->fixture = run_fixture_new (config);
  *state = disk;
  return 0;
}

static int
teardown (void **state)
{
  DiskFixture *disk = *state;

  if (disk == NULL)
    return 0;
  run_fixture_free (disk->fixture);
  cmdb_test_unmount (disk->mount_point);
  g_rmdir (disk->mount_point);
  g_free (disk->mount_point);
  g_free (disk);
  return 0;
}

static void
test_run_that_fills_the_disk (void **state)
{
  DiskFixture *disk = *state;
  g_autofree char *script = NULL;
  g_autoptr (CmdbRun) run = NULL;
  g_autoptr (CmdbRun) final = NULL;
  JsonObject *data;

  if (disk == NULL)
    skip ();
  /* 4 MB of output into 768 KB, then exit 3. */
  script = run_fixture_write_script (disk->fixture, "flood.py",
                                     "import sys\n"
                                     "for i in range(40000):\n"
                                     "    print('%099d' % i)\n"
                                     "sys.exit(3)\n");
  run = run_fixture_start (disk->fixture, "train",
                           (const char *const[]){ "python3", script, NULL });
  final = run_fixture_wait (disk->fixture, run);
  data = cmdb_run_get_data (final);
  assert_int_equal (cmdb_run_get_status (final), CMDB_RUN_STATUS_FAILED);
  assert_int_equal (json_object_get_int_member (data, "exit_code"), 3);
  assert_true (json_object_get_boolean_member (data, "log_truncated"));
  assert_non_null (strstr (cmdb_run_get_message (final), "stdout.log was truncated after"));
  assert_int_equal (json_object_get_int_member (data, "stdout_bytes"), 40000 * 100);
}

static void
test_run_on_a_full_disk_leaves_nothing (void **state)
{
  DiskFixture *disk = *state;
  g_autofree char *runs_dir = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbRun) run = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *argv[] = { "true", NULL };
  guint entries = 0;

  if (disk == NULL)
    skip ();
  runs_dir = g_build_filename (disk->mount_point, "runs", NULL);
  g_mkdir_with_parents (runs_dir, 0755);
  cmdb_test_fill_disk (disk->mount_point);
  run = cmdb_run_store_create (disk->fixture->store, "train", argv, NULL, NULL, NULL, NULL, &error);
  if (run != NULL)
    {
      g_autoptr (CmdbRun) started = cmdb_run_store_start (disk->fixture->store, run, &error);
      assert_null (started);
    }
  assert_non_null (error);
  dir = g_dir_open (runs_dir, 0, NULL);
  assert_non_null (dir);
  while (g_dir_read_name (dir) != NULL)
    entries++;
  assert_int_equal (entries, 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_run_that_fills_the_disk, setup, teardown),
    cmocka_unit_test_setup_teardown (test_run_on_a_full_disk_leaves_nothing, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
