/* A supervisor killed with SIGKILL leaves its command running under init:
 * the run is lost, the server and `runs --json` say its command still
 * runs, and `cmdbuilder stop RUN` ends every process of the run (found by
 * the environment marker, so a descendant that left the session is found
 * too and no unrelated process is touched). Real processes throughout. */
#define G_LOG_DOMAIN "cmdb-test"

#include "run-fixture.h"
#include "run/cmdb-run-private.h"

#include <signal.h>
#include <string.h>

/* The command: a child that leaves the session (setsid) and a grandchild
 * of it, each writing its pid, then everything sleeps. */
static const char orphan_script[] = "import os, sys, time\n"
                                    "def write(name):\n"
                                    "    with open(os.path.join(sys.argv[1], name), 'w') as f:\n"
                                    "        f.write(str(os.getpid()))\n"
                                    "if os.fork() == 0:\n"
                                    "    os.setsid()\n"
                                    "    if os.fork() == 0:\n"
                                    "        write('grandchild.pid')\n"
                                    "    else:\n"
                                    "        write('child.pid')\n"
                                    "    time.sleep(300)\n"
                                    "    sys.exit(0)\n"
                                    "write('command.pid')\n"
                                    "time.sleep(300)\n";

static GPid
read_pid (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  for (guint i = 0; i < 6000; i++)
    {
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL) && text[0] != '\0')
        return (GPid) g_ascii_strtoll (text, NULL, 10);
      g_usleep (10 * 1000);
    }
  fail_msg ("%s was never written", name);
  return 0;
}

static void
test_stop_after_supervisor_killed (void **state)
{
  RunFixture *fixture = run_fixture_new ("[run]\nstop-grace=1s\n");
  g_autofree char *script = run_fixture_write_script (fixture, "orphans.py", orphan_script);
  const char *argv[] = { "python3", script, fixture->tmp, NULL };
  g_autoptr (CmdbRun) run = run_fixture_start (fixture, "train", argv);
  g_autoptr (CmdbRun) lost = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  GPid pids[3];
  GPid supervisor;
  int status = -1;

  pids[0] = read_pid (fixture->tmp, "command.pid");
  pids[1] = read_pid (fixture->tmp, "child.pid");
  pids[2] = read_pid (fixture->tmp, "grandchild.pid");
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    run_fixture_track (fixture, pids[i]);
  {
    g_autoptr (CmdbRun) current = cmdb_run_store_load (fixture->store, cmdb_run_get_id (run), NULL);
    supervisor = (GPid) cmdb_run_get_int (current, "supervisor_pid", 0);
  }
  assert_true (supervisor > 0);
  assert_int_equal (kill (supervisor, SIGKILL), 0);
  while (run_fixture_process_alive (supervisor))
    g_usleep (10 * 1000);

  /* Lost, and said to still run. */
  lost = cmdb_run_store_load (fixture->store, cmdb_run_get_id (run), &error);
  assert_non_null (lost);
  assert_int_equal (cmdb_run_get_status (lost), CMDB_RUN_STATUS_LOST);
  listing = cmdb_test_run_cmdbuilder ((const char *const[]){ "runs", "--json", NULL },
                                      fixture->workspace, NULL, &status);
  assert_int_equal (status, 0);
  assert_non_null (strstr (listing, "its command still runs"));
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    assert_true (run_fixture_process_alive (pids[i]));

  out = cmdb_test_run_cmdbuilder ((const char *const[]){ "stop", cmdb_run_get_id (run), NULL },
                                  fixture->workspace, &err, &status);
  if (status != 0)
    fail_msg ("stop failed (%d): %s", status, err);
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    assert_false (run_fixture_process_alive (pids[i]));
  {
    g_autoptr (GArray) left = cmdb_run_find_leftovers (cmdb_run_get_id (run));
    assert_int_equal (left->len, 0);
  }

  /* Nothing left to stop now: a clear refusal. */
  g_free (err);
  g_free (out);
  out = cmdb_test_run_cmdbuilder ((const char *const[]){ "stop", cmdb_run_get_id (run), NULL },
                                  fixture->workspace, &err, &status);
  assert_int_not_equal (status, 0);
  assert_non_null (strstr (err, "no supervisor any more"));
  run_fixture_free (fixture);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_stop_after_supervisor_killed),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
