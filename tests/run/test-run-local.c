#define G_LOG_DOMAIN "cmdb-test"

/* The local executor with real processes: output capture, stop, lost
 * supervisors, failures to start, bounded followers. Every test starts its
 * own processes in a temporary directory; the teardown kills by pid
 * whatever is left. */

#include "run-fixture.h"
#include "run/cmdb-run-private.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The stop grace period of these tests: short, so an ignored SIGTERM
 * costs little. */
#define SHORT_GRACE_CONFIG "[run]\nstop-grace=300ms\n"

static int
setup (void **state)
{
  *state = run_fixture_new (SHORT_GRACE_CONFIG);
  return 0;
}

static int
teardown (void **state)
{
  run_fixture_free (*state);
  return 0;
}

static char *
python3 (void)
{
  char *path = g_find_program_in_path ("python3");

  assert_non_null (path);
  return path;
}

/* What the writer below writes to @stream: numbered lines, 1 MiB. */
static GString *
expected_megabyte (const char *stream)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < 65536; i++)
    g_string_append_printf (text, "%s %08u\n", stream, i);
  return text;
}

/* 1 MiB on stdout and stderr at the same time, in alternating writes
 * bigger than a pipe buffer: a reader that waited on one pipe only would
 * deadlock. Every byte arrives, in order, in each log. */
static void
test_both_streams_no_deadlock (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *python = python3 ();
  g_autofree char *script = run_fixture_write_script (
      fixture, "both.py",
      "import os\n"
      "out = ''.join('stdout %08u\\n' % i for i in range(65536)).encode()\n"
      "err = ''.join('stderr %08u\\n' % i for i in range(65536)).encode()\n"
      "chunk = 100000\n"
      "for at in range(0, len(out), chunk):\n"
      "    for fd, data in ((1, out), (2, err)):\n"
      "        view = memoryview(data)[at:at + chunk]\n"
      "        while len(view):\n"
      "            view = view[os.write(fd, view):]\n");
  const char *argv[] = { python, script, NULL };
  g_autoptr (CmdbRun) run = run_fixture_start (fixture, "train", argv);
  g_autoptr (CmdbRun) final = run_fixture_wait (fixture, run);
  g_autoptr (GString) want_out = expected_megabyte ("stdout");
  g_autoptr (GString) want_err = expected_megabyte ("stderr");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gsize out_length = 0, err_length = 0;
  guint64 final_size = 0;
  int exit_code = -1;

  assert_int_equal (cmdb_run_get_status (final), CMDB_RUN_STATUS_SUCCEEDED);
  assert_true (cmdb_run_get_exit_code (final, &exit_code));
  assert_int_equal (exit_code, 0);
  out = run_fixture_read_log (final, CMDB_RUN_STREAM_STDOUT, &out_length);
  err = run_fixture_read_log (final, CMDB_RUN_STREAM_STDERR, &err_length);
  assert_int_equal (out_length, want_out->len);
  assert_int_equal (err_length, want_err->len);
  assert_memory_equal (out, want_out->str, want_out->len);
  assert_memory_equal (err, want_err->str, want_err->len);
  assert_true (cmdb_run_get_final_log_size (final, CMDB_RUN_STREAM_STDOUT, &final_size));
  assert_int_equal (final_size, 1048576);
  assert_true (cmdb_run_get_final_log_size (final, CMDB_RUN_STREAM_STDERR, &final_size));
  assert_int_equal (final_size, 1048576);
}

/* A runner whose descendants leave the process group (setsid), some of
 * them orphaned, one ignoring SIGTERM: stop leaves no process of the tree. */
static void
test_stop_reaches_setsid_descendants (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *python = python3 ();
  g_autofree char *pids = g_build_filename (fixture->tmp, "pids", NULL);
  g_autofree char *script = run_fixture_write_script (
      fixture, "tree.py",
      "import os, signal, sys, time\n"
      "pids = sys.argv[1]\n"
      "def record(name):\n"
      "    with open(os.path.join(pids, name + '.tmp'), 'w') as f:\n"
      "        f.write(str(os.getpid()))\n"
      "    os.rename(os.path.join(pids, name + '.tmp'), os.path.join(pids, name + '.pid'))\n"
      "def linger():\n"
      "    time.sleep(600)\n"
      "    os._exit(0)\n"
      "record('main')\n"
      "if os.fork() == 0:\n"
      "    record('child')\n"
      "    if os.fork() == 0:\n"
      "        os.setsid()\n"
      "        record('grandchild-setsid')\n"
      "        if os.fork() == 0:\n"
      "            record('great-grandchild')\n"
      "            linger()\n"
      "        linger()\n"
      "    linger()\n"
      "if os.fork() == 0:\n"
      "    if os.fork() == 0:\n"
      "        os.setsid()\n"
      "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
      "        record('orphan-setsid')\n"
      "        linger()\n"
      "    os._exit(0)\n"
      "while len([n for n in os.listdir(pids) if n.endswith('.pid')]) < 5:\n"
      "    time.sleep(0.01)\n"
      "print('ready', flush=True)\n"
      "linger()\n");
  const char *argv[] = { python, script, pids, NULL };
  g_autoptr (CmdbRun) run = NULL;
  g_autoptr (CmdbRun) final = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbRun) stopping = NULL;
  static const char *const names[]
      = { "main", "child", "grandchild-setsid", "great-grandchild", "orphan-setsid" };
  GPid tree[G_N_ELEMENTS (names)];

  g_mkdir_with_parents (pids, 0755);
  run = run_fixture_start (fixture, "train", argv);
  run_fixture_wait_for_log (run, CMDB_RUN_STREAM_STDOUT, "ready\n");
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *name = g_strconcat (names[i], ".pid", NULL);
      g_autofree char *path = g_build_filename (pids, name, NULL);
      g_autofree char *text = cmdb_test_read_file (path);

      tree[i] = atoi (text);
      assert_true (run_fixture_process_alive (tree[i]));
    }

  assert_true (cmdb_run_store_stop (fixture->store, cmdb_run_get_id (run), &error));
  assert_null (error);
  final = run_fixture_wait (fixture, run);
  assert_int_equal (cmdb_run_get_status (final), CMDB_RUN_STATUS_STOPPED);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (run_fixture_process_alive (tree[i]))
      {
        g_printerr ("%s (%d) survived the stop\n", names[i], (int) tree[i]);
        fail ();
      }
  /* Nothing at all that mentions the test's directory: neither the
   * supervisor nor any helper. */
  assert_int_equal (run_fixture_count_survivors (fixture), 0);
  /* Stopping again is refused: the run has ended. */
  assert_false (cmdb_run_store_stop (fixture->store, cmdb_run_get_id (run), &error));
  assert_true (g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING));
  assert_true (g_str_has_suffix (error->message, "has already ended (stopped)"));
}

/* A runner that ignores SIGTERM is killed once the grace period is over:
 * the record says SIGKILL. */
static void
test_stop_kills_after_grace (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *python = python3 ();
  g_autofree char *script
      = run_fixture_write_script (fixture, "stubborn.py",
                                  "import signal, time\n"
                                  "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                  "print('ignoring SIGTERM', flush=True)\n"
                                  "while True:\n"
                                  "    time.sleep(0.05)\n");
  const char *argv[] = { python, script, NULL };
  g_autoptr (CmdbRun) run = run_fixture_start (fixture, "train", argv);
  g_autoptr (CmdbRun) final = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *data;
  int exit_code = 0;

  run_fixture_wait_for_log (run, CMDB_RUN_STREAM_STDOUT, "ignoring SIGTERM\n");
  assert_int_equal (json_object_get_int_member (cmdb_run_get_data (run), "stop_grace_ms"), 300);
  assert_true (cmdb_run_store_stop (fixture->store, cmdb_run_get_id (run), &error));
  final = run_fixture_wait (fixture, run);
  data = cmdb_run_get_data (final);
  assert_int_equal (cmdb_run_get_status (final), CMDB_RUN_STATUS_STOPPED);
  assert_int_equal (json_object_get_int_member (data, "signal"), SIGKILL);
  assert_true (cmdb_run_get_exit_code (final, &exit_code));
  assert_int_equal (exit_code, 128 + SIGKILL);
  assert_non_null (json_object_get_string_member_with_default (data, "stop_requested_at", NULL));
  assert_int_equal (run_fixture_count_survivors (fixture), 0);
}

/* A runner that honours SIGTERM ends with it (no SIGKILL needed). */
static void
test_stop_terminates_politely (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *script
      = run_fixture_write_script (fixture, "sleeper.sh", "echo sleeping\nexec sleep 600\n");
  const char *argv[] = { "sh", script, NULL };
  g_autoptr (CmdbRun) run = run_fixture_start (fixture, "test", argv);
  g_autoptr (CmdbRun) final = NULL;
  g_autoptr (GError) error = NULL;

  assert_int_equal (cmdb_run_get_status (run), CMDB_RUN_STATUS_RUNNING);
  run_fixture_wait_for_log (run, CMDB_RUN_STREAM_STDOUT, "sleeping\n");
  assert_true (cmdb_run_store_stop (fixture->store, cmdb_run_get_id (run), &error));
  final = run_fixture_wait (fixture, run);
  assert_int_equal (cmdb_run_get_status (final), CMDB_RUN_STATUS_STOPPED);
  assert_int_equal (json_object_get_int_member (cmdb_run_get_data (final), "signal"), SIGTERM);
}

/* A program that does not exist: the run is recorded as failed, exit code
 * 127, with a message naming the program. */
static void
test_missing_program (void **state)
{
  RunFixture *fixture = *state;
  const char *argv[] = { "no-such-program-cmdb", "--flag", NULL };
  g_autoptr (CmdbRun) run = run_fixture_start (fixture, "predict", argv);
  g_autoptr (CmdbRun) loaded = NULL;
  g_autoptr (GError) error = NULL;
  int exit_code = 0;

  assert_int_equal (cmdb_run_get_status (run), CMDB_RUN_STATUS_FAILED);
  assert_string_equal (cmdb_run_get_message (run),
                       "cannot run 'no-such-program-cmdb': No such file or directory");
  assert_true (cmdb_run_get_exit_code (run, &exit_code));
  assert_int_equal (exit_code, 127);
  loaded = cmdb_run_store_load (fixture->store, cmdb_run_get_id (run), &error);
  assert_non_null (loaded);
  assert_int_equal (cmdb_run_get_status (loaded), CMDB_RUN_STATUS_FAILED);
}

/* A file that exists but cannot be executed: 126, "Permission denied". */
static void
test_not_executable (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *script = run_fixture_write_script (fixture, "plain.txt", "not a program\n");
  const char *argv[] = { script, NULL };
  g_autoptr (CmdbRun) run = NULL;
  g_autofree char *message = NULL;
  int exit_code = 0;

  chmod (script, 0644);
  run = run_fixture_start (fixture, "predict", argv);
  message = g_strdup_printf ("cannot run '%s': Permission denied", script);
  assert_int_equal (cmdb_run_get_status (run), CMDB_RUN_STATUS_FAILED);
  assert_string_equal (cmdb_run_get_message (run), message);
  assert_true (cmdb_run_get_exit_code (run, &exit_code));
  assert_int_equal (exit_code, 126);
}

/* The user's edited text runs (split without a shell), both texts are
 * recorded, and the run is marked edited; the workspace root is the
 * working directory. */
static void
test_edited_command (void **state)
{
  RunFixture *fixture = *state;
  const char *argv[] = { "echo", "page", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbRun) created = NULL;
  g_autoptr (CmdbRun) run = NULL;
  g_autoptr (CmdbRun) final = NULL;
  g_autoptr (JsonObject) values = json_object_new ();
  g_autofree char *out = NULL;
  g_autofree char *pwd_out = NULL;
  g_autofree char *real_workspace = NULL;

  json_object_set_int_member (values, "max_epochs", 2);
  created
      = cmdb_run_store_create (fixture->store, "train", argv, "echo page",
                               "sh -c 'echo \"$0\"; pwd -P' 'edited text'", values, NULL, &error);
  assert_non_null (created);
  assert_true (cmdb_run_get_edited (created));
  assert_string_equal (cmdb_run_get_command (created), "echo page");
  assert_string_equal (cmdb_run_get_edited_command (created),
                       "sh -c 'echo \"$0\"; pwd -P' 'edited text'");
  assert_string_equal (cmdb_run_get_argv (created)[3], "edited text");
  assert_int_equal (
      json_object_get_int_member (
          json_object_get_object_member (cmdb_run_get_data (created), "values"), "max_epochs"),
      2);
  run = cmdb_run_store_start (fixture->store, created, &error);
  assert_non_null (run);
  final = run_fixture_wait (fixture, run);
  out = run_fixture_read_log (final, CMDB_RUN_STREAM_STDOUT, NULL);
  real_workspace = realpath (fixture->workspace, NULL);
  pwd_out = g_strdup_printf ("edited text\n%s\n", real_workspace);
  assert_string_equal (out, pwd_out);
}

/* The same text as the page's command is not an edit. */
static void
test_unchanged_text_is_not_edited (void **state)
{
  RunFixture *fixture = *state;
  const char *argv[] = { "echo", "page", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbRun) created = cmdb_run_store_create (fixture->store, "train", argv, "echo page",
                                                       "echo page", NULL, NULL, &error);

  assert_non_null (created);
  assert_false (cmdb_run_get_edited (created));
  assert_null (cmdb_run_get_edited_command (created));
}

/* Refusals at creation: an unbalanced edited text, a shell operator, an
 * empty command, an unknown executor. */
static void
test_create_refusals (void **state)
{
  RunFixture *fixture = *state;
  const char *argv[] = { "echo", NULL };
  const char *empty[] = { NULL };
  g_autoptr (GError) split_error = NULL;
  g_autoptr (GError) operator_error = NULL;
  g_autoptr (GError) empty_error = NULL;
  g_autoptr (GError) executor_error = NULL;

  assert_null (cmdb_run_store_create (fixture->store, "train", argv, "echo", "echo 'open", NULL,
                                      NULL, &split_error));
  assert_true (g_error_matches (split_error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_SPLIT));
  assert_true (g_str_has_prefix (split_error->message, "the edited command: "));
  /* Never through a shell: an unquoted pipe is refused, not run literally. */
  assert_null (cmdb_run_store_create (fixture->store, "train", argv, "echo", "echo a | tee b", NULL,
                                      NULL, &operator_error));
  assert_true (g_error_matches (operator_error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_SPLIT));
  assert_null (
      cmdb_run_store_create (fixture->store, "train", empty, "", NULL, NULL, NULL, &empty_error));
  assert_true (g_error_matches (empty_error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED));
  assert_string_equal (empty_error->message, "the command is empty");
  assert_null (cmdb_run_store_create (fixture->store, "train", argv, "echo", NULL, NULL, "slurm",
                                      &executor_error));
  assert_true (g_error_matches (executor_error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_UNKNOWN_EXECUTOR));
  assert_string_equal (executor_error->message, "unknown executor 'slurm'");
}

/* A supervisor that is killed leaves its run lost (never written: seen by
 * readers); stop ends what it left running, and refuses once nothing is. */
static void
test_killed_supervisor_is_lost (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *script
      = run_fixture_write_script (fixture, "long.sh", "echo up\nexec sleep 600\n");
  const char *argv[] = { "sh", script, NULL };
  g_autoptr (CmdbRun) run = run_fixture_start (fixture, "train", argv);
  g_autoptr (CmdbRun) loaded = NULL;
  g_autoptr (GError) error = NULL;
  GPid supervisor = (GPid) json_object_get_int_member (cmdb_run_get_data (run), "supervisor_pid");
  GPid group = (GPid) json_object_get_int_member (cmdb_run_get_data (run), "pgid");

  run_fixture_wait_for_log (run, CMDB_RUN_STREAM_STDOUT, "up\n");
  assert_int_equal (kill (supervisor, SIGKILL), 0);
  for (guint i = 0; i < 3000 && run_fixture_process_alive (supervisor); i++)
    g_usleep (10 * 1000);
  loaded = cmdb_run_store_load (fixture->store, cmdb_run_get_id (run), &error);
  assert_non_null (loaded);
  assert_int_equal (cmdb_run_get_status (loaded), CMDB_RUN_STATUS_LOST);
  assert_string_equal (cmdb_run_get_message (loaded),
                       "the run's supervisor is gone without recording its end");
  /* Its command still runs under init: stopping ends it (test-run-orphans.c
   * covers descendants that left the session); then there is nothing left
   * to stop. */
  assert_true (cmdb_run_store_stop (fixture->store, cmdb_run_get_id (run), &error));
  assert_false (run_fixture_process_alive (group));
  assert_false (cmdb_run_store_stop (fixture->store, cmdb_run_get_id (run), &error));
  assert_true (g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING));
  kill (-group, SIGKILL);
}

/* Rewrites @run's record as an editor would: its command gets a comment. */
static void
note_in_record (CmdbRun *run)
{
  g_autofree char *record = g_build_filename (cmdb_run_get_directory (run), "run.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GString) changed = NULL;

  assert_true (g_file_get_contents (record, &text, NULL, NULL));
  changed = g_string_new (text);
  assert_true (
      g_string_replace (changed, "\"command\" : \"true\"", "\"command\" : \"true # noted\"", 1)
      == 1);
  assert_true (g_file_set_contents (record, changed->str, -1, NULL));
}

/* Listings (the server lists every second per open page) parse an ended
 * run's record once while its run.json is unchanged: they return the same
 * shared record; a rewritten record is read again, and an unfinished run is
 * always read afresh. */
static void
test_list_parses_ended_runs_once (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *script
      = run_fixture_write_script (fixture, "long.sh", "echo up\nexec sleep 600\n");
  const char *quick[] = { "true", NULL };
  const char *slow[] = { "sh", script, NULL };
  g_autoptr (CmdbRun) first = run_fixture_start (fixture, "train", quick);
  g_autoptr (CmdbRun) first_final = run_fixture_wait (fixture, first);
  g_autoptr (CmdbRun) second = run_fixture_start (fixture, "train", quick);
  g_autoptr (CmdbRun) second_final = run_fixture_wait (fixture, second);
  g_autoptr (CmdbRun) running = run_fixture_start (fixture, "test", slow);
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (GPtrArray) rewritten = NULL;
  g_autoptr (GError) error = NULL;

  run_fixture_wait_for_log (running, CMDB_RUN_STREAM_STDOUT, "up");
  cmdb_cache_new_generation (fixture->session->cache);
  before = cmdb_run_store_list (fixture->store, NULL, NULL, &error);
  cmdb_cache_new_generation (fixture->session->cache);
  after = cmdb_run_store_list (fixture->store, NULL, NULL, &error);
  assert_int_equal (before->len, 3);
  assert_int_equal (after->len, 3);
  assert_int_equal (cmdb_run_get_status (g_ptr_array_index (after, 0)), CMDB_RUN_STATUS_RUNNING);
  /* Running: a new object each time. Ended: the same record, not parsed
   * again. */
  assert_ptr_not_equal (g_ptr_array_index (before, 0), g_ptr_array_index (after, 0));
  assert_ptr_equal (g_ptr_array_index (before, 1), g_ptr_array_index (after, 1));
  assert_ptr_equal (g_ptr_array_index (before, 2), g_ptr_array_index (after, 2));

  /* A rewritten record is read again: the listing shows the new text. */
  note_in_record (first_final);
  cmdb_cache_new_generation (fixture->session->cache);
  rewritten = cmdb_run_store_list (fixture->store, "train", NULL, &error);
  assert_int_equal (rewritten->len, 2);
  assert_string_equal (cmdb_run_get_command (g_ptr_array_index (rewritten, 1)), "true # noted");
  assert_ptr_not_equal (g_ptr_array_index (rewritten, 1), g_ptr_array_index (after, 2));
  assert_ptr_equal (g_ptr_array_index (rewritten, 0), g_ptr_array_index (after, 1));
  assert_true (cmdb_run_store_stop (fixture->store, cmdb_run_get_id (running), &error));
}

/* With the history kept in memory (the server): ended runs are not read
 * again while their directories are unchanged, yet a rewritten record, a
 * new run and a deleted run show in the very next listing, and
 * cmdb_run_store_changed_since() says when a listing could differ. */
static void
test_kept_history_follows_files (void **state)
{
  RunFixture *fixture = *state;
  const char *quick[] = { "true", NULL };
  g_autoptr (CmdbRun) first = run_fixture_start (fixture, "train", quick);
  g_autoptr (CmdbRun) first_final = run_fixture_wait (fixture, first);
  g_autoptr (CmdbRun) second = run_fixture_start (fixture, "train", quick);
  g_autoptr (CmdbRun) second_final = run_fixture_wait (fixture, second);
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (GPtrArray) rewritten = NULL;
  g_autoptr (GPtrArray) third_list = NULL;
  g_autoptr (GPtrArray) deleted = NULL;
  g_autoptr (GError) error = NULL;
  guint64 stamp = 0;

  cmdb_run_store_keep_history (fixture->store);
  assert_true (cmdb_run_store_changed_since (fixture->store, &stamp));
  before = cmdb_run_store_list (fixture->store, NULL, NULL, &error);
  assert_non_null (before);
  assert_int_equal (before->len, 2);
  assert_false (cmdb_run_store_changed_since (fixture->store, &stamp));
  after = cmdb_run_store_list (fixture->store, NULL, NULL, &error);
  assert_int_equal (after->len, 2);
  assert_ptr_equal (g_ptr_array_index (before, 0), g_ptr_array_index (after, 0));
  assert_ptr_equal (g_ptr_array_index (before, 1), g_ptr_array_index (after, 1));
  assert_false (cmdb_run_store_changed_since (fixture->store, &stamp));

  /* A rewritten record (in place, as an editor would). */
  note_in_record (first_final);
  assert_true (cmdb_run_store_changed_since (fixture->store, &stamp));
  rewritten = cmdb_run_store_list (fixture->store, "train", NULL, &error);
  assert_int_equal (rewritten->len, 2);
  assert_string_equal (cmdb_run_get_command (g_ptr_array_index (rewritten, 1)), "true # noted");
  assert_ptr_equal (g_ptr_array_index (rewritten, 0), g_ptr_array_index (after, 0));
  assert_false (cmdb_run_store_changed_since (fixture->store, &stamp));

  /* A new run, then a deleted one. */
  {
    g_autoptr (CmdbRun) third = run_fixture_start (fixture, "test", quick);
    g_autoptr (CmdbRun) third_final = run_fixture_wait (fixture, third);

    assert_true (cmdb_run_store_changed_since (fixture->store, &stamp));
    third_list = cmdb_run_store_list (fixture->store, NULL, NULL, &error);
    assert_int_equal (third_list->len, 3);
    assert_string_equal (cmdb_run_get_id (g_ptr_array_index (third_list, 0)),
                         cmdb_run_get_id (third_final));
    assert_false (cmdb_run_store_changed_since (fixture->store, &stamp));
    /* Gone from the disk (as `runs delete` or a person would). */
    cmdb_test_remove_tree (cmdb_run_get_directory (third_final));
  }
  assert_true (cmdb_run_store_changed_since (fixture->store, &stamp));
  deleted = cmdb_run_store_list (fixture->store, NULL, NULL, &error);
  assert_int_equal (deleted->len, 2);
}

/* Lists: unfinished runs first, then newest; filters by page and status;
 * ids resolve by unique prefix. */
static void
test_list_order_and_filters (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *script
      = run_fixture_write_script (fixture, "long.sh", "echo up\nexec sleep 600\n");
  const char *quick[] = { "true", NULL };
  const char *slow[] = { "sh", script, NULL };
  g_autoptr (CmdbRun) first = run_fixture_start (fixture, "train", quick);
  g_autoptr (CmdbRun) first_final = run_fixture_wait (fixture, first);
  g_autoptr (CmdbRun) running = run_fixture_start (fixture, "test", slow);
  g_autoptr (CmdbRun) second = run_fixture_start (fixture, "train", quick);
  g_autoptr (CmdbRun) second_final = run_fixture_wait (fixture, second);
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) trains = NULL;
  g_autoptr (GPtrArray) running_only = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) status_error = NULL;
  g_autoptr (GError) prefix_error = NULL;
  g_autoptr (CmdbRun) by_prefix = NULL;
  g_autofree char *prefix = NULL;

  all = cmdb_run_store_list (fixture->store, NULL, NULL, &error);
  assert_int_equal (all->len, 3);
  assert_string_equal (cmdb_run_get_id (g_ptr_array_index (all, 0)), cmdb_run_get_id (running));
  assert_string_equal (cmdb_run_get_id (g_ptr_array_index (all, 1)), cmdb_run_get_id (second));
  assert_string_equal (cmdb_run_get_id (g_ptr_array_index (all, 2)), cmdb_run_get_id (first));
  trains = cmdb_run_store_list (fixture->store, "train", "succeeded", &error);
  assert_int_equal (trains->len, 2);
  running_only = cmdb_run_store_list (fixture->store, NULL, "running", &error);
  assert_int_equal (running_only->len, 1);
  assert_string_equal (cmdb_run_get_page (g_ptr_array_index (running_only, 0)), "test");
  assert_null (cmdb_run_store_list (fixture->store, NULL, "finished", &status_error));
  assert_true (g_str_has_prefix (status_error->message, "unknown status 'finished'"));

  prefix = g_strndup (cmdb_run_get_id (running), strlen (cmdb_run_get_id (running)) - 2);
  /* The only run of page "test": its id without the last two characters
   * is a unique prefix. */
  by_prefix = cmdb_run_store_load (fixture->store, prefix, &error);
  assert_non_null (by_prefix);
  assert_string_equal (cmdb_run_get_id (by_prefix), cmdb_run_get_id (running));
  assert_null (cmdb_run_store_load (fixture->store, "nothing-like-this", &prefix_error));
  assert_true (g_error_matches (prefix_error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND));
  assert_string_equal (prefix_error->message, "no run 'nothing-like-this'");
  assert_true (cmdb_run_store_stop (fixture->store, cmdb_run_get_id (running), &error));
  g_clear_pointer (&first_final, cmdb_run_unref);
  first_final = run_fixture_wait (fixture, running);
}

static gint64
peak_resident_kb (void)
{
  g_autofree char *status = cmdb_test_read_file ("/proc/self/status");
  const char *line = strstr (status, "VmHWM:");

  assert_non_null (line);
  return g_ascii_strtoll (line + 6, NULL, 10);
}

/* A 50 MB log streamed through a reader with a 4 KiB buffer and a view
 * with a 1 KiB line cap: every byte is read, the view never holds more
 * than its cap, and this process's peak memory barely moves. */
static void
test_follower_memory_is_bounded (void **state)
{
  RunFixture *fixture = *state;
  const guint64 size = 50 * 1024 * 1024;
  g_autofree char *pipeline = g_strdup_printf (
      "yes 'Epoch 3/9: 40%%|####  | loss=0.123' | tr '\\n' '\\r' | head -c %" G_GUINT64_FORMAT,
      size);
  const char *argv[] = { "sh", "-c", pipeline, NULL };
  g_autoptr (CmdbRun) run = run_fixture_start (fixture, "train", argv);
  g_autoptr (CmdbRun) final = run_fixture_wait (fixture, run);
  g_autoptr (CmdbLogReader) reader = cmdb_log_reader_new (final, CMDB_RUN_STREAM_STDOUT, 0);
  g_autoptr (CmdbLogView) view = cmdb_log_view_new (1024);
  g_autoptr (GError) error = NULL;
  guint8 buffer[4096];
  guint64 total = 0;
  guint n_lines = 0;
  gint64 peak_before;
  gssize n;

  assert_int_equal (cmdb_run_get_status (final), CMDB_RUN_STATUS_SUCCEEDED);
  peak_before = peak_resident_kb ();
  while ((n = cmdb_log_reader_read (reader, buffer, sizeof buffer, &error)) > 0)
    {
      g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

      total += (guint64) n;
      cmdb_log_view_feed (view, (const char *) buffer, (gsize) n, lines);
      n_lines += lines->len;
      assert_true (cmdb_log_view_get_buffered (view) <= 1024);
    }
  assert_int_equal (n, 0);
  assert_int_equal (total, size);
  /* One long carriage-return-separated line: no line ended, none split. */
  assert_int_equal (n_lines, 0);
  /* Resume near the end: the same bytes as a fresh read. */
  {
    g_autoptr (CmdbLogReader) tail = cmdb_log_reader_new (final, CMDB_RUN_STREAM_STDOUT, size - 10);

    assert_int_equal (cmdb_log_reader_read (tail, buffer, sizeof buffer, &error), 10);
  }
  assert_true (peak_resident_kb () - peak_before < 8 * 1024);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_both_streams_no_deadlock, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stop_reaches_setsid_descendants, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stop_kills_after_grace, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stop_terminates_politely, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_program, setup, teardown),
    cmocka_unit_test_setup_teardown (test_not_executable, setup, teardown),
    cmocka_unit_test_setup_teardown (test_edited_command, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unchanged_text_is_not_edited, setup, teardown),
    cmocka_unit_test_setup_teardown (test_create_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown (test_killed_supervisor_is_lost, setup, teardown),
    cmocka_unit_test_setup_teardown (test_list_order_and_filters, setup, teardown),
    cmocka_unit_test_setup_teardown (test_list_parses_ended_runs_once, setup, teardown),
    cmocka_unit_test_setup_teardown (test_kept_history_follows_files, setup, teardown),
    cmocka_unit_test_setup_teardown (test_follower_memory_is_bounded, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
