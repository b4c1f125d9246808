#define G_LOG_DOMAIN "cmdb-test"

/* The run commands of the cmdbuilder executable, as separate processes:
 * streaming, exit codes, Ctrl-C, --detach, a CLI killed mid-run, logs
 * --follow, runs --json, stop, and a page's command end to end. */

#include "run-fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
setup (void **state)
{
  *state = run_fixture_new ("[run]\nstop-grace=300ms\n");
  return 0;
}

static int
teardown (void **state)
{
  run_fixture_free (*state);
  return 0;
}

/* Starts `cmdbuilder ARGS...` without waiting; its stdout goes to
 * *@ret_stdout_fd when non-NULL (else /dev/null), stderr to /dev/null. */
static GPid
spawn_cmdbuilder (RunFixture *fixture, const char *const *args, int *ret_stdout_fd)
{
  g_autofree char *program = cmdb_test_cmdbuilder ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL;
  GPid pid = 0;

  g_ptr_array_add (argv, program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  if (ret_stdout_fd == NULL)
    flags |= G_SPAWN_STDOUT_TO_DEV_NULL;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv->pdata, NULL, flags, NULL, NULL, &pid, NULL,
                                 ret_stdout_fd, NULL, &error))
    {
      g_printerr ("cannot start cmdbuilder: %s\n", error->message);
      fail ();
    }
  run_fixture_track (fixture, pid);
  return pid;
}

/* The exit code, or 1000 + the signal number. */
static int
wait_exit (GPid pid)
{
  int status = 0;

  assert_int_equal (waitpid (pid, &status, 0), pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 1000 + WTERMSIG (status);
}

static char *
read_to_end (int fd)
{
  GString *text = g_string_new (NULL);
  char buffer[4096];
  gssize n;

  while ((n = read (fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (text, buffer, n);
  close (fd);
  return g_string_free (text, FALSE);
}

/* Runs cmdbuilder to the end; (transfer full) stdout. */
static char *
run_cmdbuilder (const char *const *args, char **ret_stderr, int *ret_exit)
{
  return cmdb_test_run_cmdbuilder (args, NULL, ret_stderr, ret_exit);
}

/* The only run of the fixture's workspace, once it exists. (transfer full) */
static CmdbRun *
wait_for_only_run (RunFixture *fixture)
{
  for (guint i = 0; i < 6000; i++)
    {
      g_autoptr (GPtrArray) runs = cmdb_run_store_list (fixture->store, NULL, NULL, NULL);

      if (runs != NULL && runs->len == 1
          && cmdb_run_get_status (g_ptr_array_index (runs, 0)) != CMDB_RUN_STATUS_STARTING)
        return cmdb_run_ref (g_ptr_array_index (runs, 0));
      g_usleep (10 * 1000);
    }
  fail_msg ("no run appeared");
  return NULL;
}

/* A script that prints "started", waits for the file GO, then prints 3000
 * numbered lines (and one to stderr) and exits 7. */
static char *
write_gate_script (RunFixture *fixture)
{
  return run_fixture_write_script (fixture, "gate.py",
                                   "import os, sys, time\n"
                                   "print('started', flush=True)\n"
                                   "while not os.path.exists(sys.argv[1]):\n"
                                   "    time.sleep(0.01)\n"
                                   "for i in range(3000):\n"
                                   "    print('line %05d' % i)\n"
                                   "print('to stderr', file=sys.stderr)\n"
                                   "sys.exit(7)\n");
}

static char *
gate_expected_stdout (void)
{
  GString *text = g_string_new ("started\n");

  for (guint i = 0; i < 3000; i++)
    g_string_append_printf (text, "line %05u\n", i);
  return g_string_free (text, FALSE);
}

/* The CLI that started the run is SIGKILLed: the supervisor carries on,
 * the log is complete, the exit code recorded, and `runs --json` lists the
 * run correctly. */
static void
test_cli_killed_mid_run (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *script = write_gate_script (fixture);
  g_autofree char *go = g_build_filename (fixture->tmp, "go", NULL);
  const char *args[]
      = { "exec", "--workspace", fixture->workspace, "--page", "train", "--", "python3", script,
          go,     NULL };
  const char *list_args[] = { "runs", "--json", "--workspace", fixture->workspace, NULL };
  g_autofree char *expected = gate_expected_stdout ();
  g_autoptr (CmdbRun) run = NULL;
  g_autoptr (CmdbRun) final = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *listing = NULL;
  JsonArray *array;
  JsonObject *record;
  GPid cli;
  int exit_code = 0;

  cli = spawn_cmdbuilder (fixture, args, NULL);
  run = wait_for_only_run (fixture);
  run_fixture_wait_for_log (run, CMDB_RUN_STREAM_STDOUT, "started\n");
  assert_int_equal (kill (cli, SIGKILL), 0);
  assert_int_equal (wait_exit (cli), 1000 + SIGKILL);
  g_free (cmdb_test_write_file (fixture->tmp, "go", ""));

  final = run_fixture_wait (fixture, run);
  assert_int_equal (cmdb_run_get_status (final), CMDB_RUN_STATUS_FAILED);
  assert_true (cmdb_run_get_exit_code (final, &exit_code));
  assert_int_equal (exit_code, 7);
  out = run_fixture_read_log (final, CMDB_RUN_STREAM_STDOUT, NULL);
  err = run_fixture_read_log (final, CMDB_RUN_STREAM_STDERR, NULL);
  assert_string_equal (out, expected);
  assert_string_equal (err, "to stderr\n");

  listing = run_cmdbuilder (list_args, NULL, &exit_code);
  assert_int_equal (exit_code, 0);
  assert_true (json_parser_load_from_data (parser, listing, -1, &error));
  array = json_node_get_array (json_parser_get_root (parser));
  assert_int_equal (json_array_get_length (array), 1);
  record = json_array_get_object_element (array, 0);
  assert_string_equal (json_object_get_string_member (record, "id"), cmdb_run_get_id (run));
  assert_string_equal (json_object_get_string_member (record, "status"), "failed");
  assert_string_equal (json_object_get_string_member (record, "page"), "train");
  assert_int_equal (json_object_get_int_member (record, "exit_code"), 7);
  assert_int_equal (json_object_get_int_member (record, "stdout_bytes"), strlen (expected));
  assert_int_equal (run_fixture_count_survivors (fixture), 0);
}

/* `logs --follow` started while the run is going prints every byte, in
 * order, and exits when the run ends. */
static void
test_logs_follow (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *script = write_gate_script (fixture);
  g_autofree char *go = g_build_filename (fixture->tmp, "go", NULL);
  const char *argv[] = { "python3", script, go, NULL };
  g_autoptr (CmdbRun) run = run_fixture_start (fixture, "train", argv);
  const char *args[] = { "logs",   cmdb_run_get_id (run), "--follow",         "--stream",
                         "stdout", "--workspace",         fixture->workspace, NULL };
  g_autofree char *expected = gate_expected_stdout ();
  g_autofree char *followed = NULL;
  g_autoptr (CmdbRun) final = NULL;
  int stdout_fd = -1;
  GPid follower;

  run_fixture_wait_for_log (run, CMDB_RUN_STREAM_STDOUT, "started\n");
  follower = spawn_cmdbuilder (fixture, args, &stdout_fd);
  g_free (cmdb_test_write_file (fixture->tmp, "go", ""));
  followed = read_to_end (stdout_fd);
  assert_int_equal (wait_exit (follower), 0);
  assert_string_equal (followed, expected);
  final = run_fixture_wait (fixture, run);
  assert_int_equal (cmdb_run_get_status (final), CMDB_RUN_STATUS_FAILED);
}

/* A foreground run names itself first on stderr: "run ID", then how to
 * follow and stop it from another shell. Returns (transfer none) the rest
 * of @err, after checking that block and that @id_out (nullable) gets ID. */
static const char *
after_announcement (const char *err, char **ret_id)
{
  const char *rest = err;
  const char *end_of_first = strchr (err, '\n');

  if (!g_str_has_prefix (err, "run ") || end_of_first == NULL)
    {
      print_error ("stderr does not start with the run id: %s\n", err);
      fail ();
    }
  if (ret_id != NULL)
    *ret_id = g_strndup (err + 4, end_of_first - err - 4);
  for (guint line = 0; line < 3 && rest != NULL; line++)
    {
      rest = strchr (rest, '\n');
      rest = rest != NULL ? rest + 1 : NULL;
    }
  assert_non_null (rest);
  assert_non_null (strstr (err, "cmdbuilder logs "));
  assert_non_null (strstr (err, "cmdbuilder stop "));
  return rest;
}

/* Streams go to their own descriptors and the exit code passes through. */
static void
test_exec_streams_and_exit_code (void **state)
{
  RunFixture *fixture = *state;
  const char *args[] = {
    "exec", "--workspace", fixture->workspace, "--", "sh", "-c", "echo out; echo err >&2; exit 3",
    NULL
  };
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  int exit_code = 0;

  out = run_cmdbuilder (args, &err, &exit_code);
  assert_int_equal (exit_code, 3);
  assert_string_equal (out, "out\n");
  assert_string_equal (after_announcement (err, NULL), "err\n");
}

/* A missing program: a clear message, exit code 127, recorded as failed. */
static void
test_exec_missing_program (void **state)
{
  RunFixture *fixture = *state;
  const char *args[]
      = { "exec", "--workspace", fixture->workspace, "--", "no-such-program-cmdb", NULL };
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autoptr (CmdbRun) run = NULL;
  int exit_code = 0;

  out = run_cmdbuilder (args, &err, &exit_code);
  assert_int_equal (exit_code, 127);
  assert_string_equal (out, "");
  assert_string_equal (
      after_announcement (err, NULL),
      "cmdbuilder: cannot run 'no-such-program-cmdb': No such file or directory\n");
  run = wait_for_only_run (fixture);
  assert_int_equal (cmdb_run_get_status (run), CMDB_RUN_STATUS_FAILED);
}

/* Ctrl-C (SIGINT to the CLI) stops the run; the CLI exits 130. */
static void
test_interrupt_stops_run (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *script
      = run_fixture_write_script (fixture, "sleeper.sh", "echo sleeping\nexec sleep 600\n");
  const char *args[] = { "exec", "--workspace", fixture->workspace, "--", "sh", script, NULL };
  g_autoptr (CmdbRun) run = NULL;
  g_autoptr (CmdbRun) final = NULL;
  GPid cli;

  cli = spawn_cmdbuilder (fixture, args, NULL);
  run = wait_for_only_run (fixture);
  run_fixture_wait_for_log (run, CMDB_RUN_STREAM_STDOUT, "sleeping\n");
  assert_int_equal (kill (cli, SIGINT), 0);
  assert_int_equal (wait_exit (cli), 130);
  final = run_fixture_wait (fixture, run);
  assert_int_equal (cmdb_run_get_status (final), CMDB_RUN_STATUS_STOPPED);
  assert_int_equal (run_fixture_count_survivors (fixture), 0);
}

/* --detach prints the id and leaves the run going; `stop last --wait`
 * stops it. */
static void
test_detach_and_stop (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *script
      = run_fixture_write_script (fixture, "sleeper.sh", "echo sleeping\nexec sleep 600\n");
  const char *args[]
      = { "exec", "--detach", "--workspace", fixture->workspace, "--", "sh", script, NULL };
  g_autofree char *out = NULL;
  g_autofree char *stopped = NULL;
  g_autofree char *expected = NULL;
  g_autoptr (CmdbRun) run = NULL;
  g_autoptr (GError) error = NULL;
  int exit_code = -1;

  out = run_cmdbuilder (args, NULL, &exit_code);
  assert_int_equal (exit_code, 0);
  g_strchomp (out);
  run = cmdb_run_store_load (fixture->store, out, &error);
  assert_non_null (run);
  assert_int_equal (cmdb_run_get_status (run), CMDB_RUN_STATUS_RUNNING);
  {
    /* `last` is the run just started. */
    const char *stop_args[] = { "stop", "last", "--wait", "--workspace", fixture->workspace, NULL };

    stopped = run_cmdbuilder (stop_args, NULL, &exit_code);
  }
  assert_int_equal (exit_code, 0);
  expected = g_strdup_printf ("%s stopped\n", out);
  assert_string_equal (stopped, expected);
}

/* `run train` on a copy of the demo workspace builds the page's command,
 * runs the demo trainer and streams its simulated epochs. */
static void
test_run_train_page (void **state)
{
  RunFixture *fixture = *state;
  g_autofree char *source = cmdb_test_source_path ("examples/ocr-workspace");
  g_autofree char *workspace = g_build_filename (fixture->tmp, "ocr-workspace", NULL);
  const char *args[] = { "run", "train", "--workspace", workspace, "--set", "max_epochs=2", NULL };
  const char *list_args[] = { "runs", "--json", "--workspace", workspace, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *listing = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *announced_id = NULL;
  JsonObject *record;
  int exit_code = -1;

  cmdb_test_copy_tree (source, workspace);
  g_setenv ("DEMO_EPOCH_SECONDS", "0.2", TRUE);
  out = run_cmdbuilder (args, &err, &exit_code);
  g_unsetenv ("DEMO_EPOCH_SECONDS");
  if (exit_code != 0)
    g_printerr ("%s%s", out, err);
  assert_int_equal (exit_code, 0);
  assert_non_null (strstr (out, "Epoch 1/2: train_loss="));
  assert_non_null (strstr (out, "Epoch 2/2: train_loss="));
  assert_null (strstr (out, "Epoch 3/"));
  assert_non_null (strstr (out, "Training completed successfully"));

  listing = run_cmdbuilder (list_args, NULL, &exit_code);
  assert_true (json_parser_load_from_data (parser, listing, -1, &error));
  record = json_array_get_object_element (json_node_get_array (json_parser_get_root (parser)), 0);
  assert_string_equal (json_object_get_string_member (record, "page"), "train");
  assert_string_equal (json_object_get_string_member (record, "status"), "succeeded");
  assert_false (json_object_get_boolean_member (record, "edited"));
  assert_non_null (
      strstr (json_object_get_string_member (record, "command"), "trainer.max_epochs=2"));

  /* The id came first on stderr, before any output of the run. */
  after_announcement (err, &announced_id);
  assert_string_equal (announced_id, json_object_get_string_member (record, "id"));

  /* `logs last` is that run; `logs PREFIX` too, with a unique prefix. */
  {
    const char *logs_args[] = { "logs", "last", "--workspace", workspace, NULL };
    g_autofree char *prefix = g_strndup (announced_id, strlen (announced_id) - 2);
    const char *prefix_args[] = { "logs", prefix, "--workspace", workspace, NULL };
    g_autofree char *logged = run_cmdbuilder (logs_args, NULL, &exit_code);
    g_autofree char *by_prefix = NULL;

    assert_int_equal (exit_code, 0);
    assert_string_equal (logged, out);
    by_prefix = run_cmdbuilder (prefix_args, NULL, &exit_code);
    assert_int_equal (exit_code, 0);
    assert_string_equal (by_prefix, out);
  }

  /* `runs`: the columns fit 80 characters; --wide has the command. */
  {
    const char *runs_args[] = { "runs", "--workspace", workspace, NULL };
    const char *wide_args[] = { "runs", "--wide", "--workspace", workspace, NULL };
    g_autofree char *table = run_cmdbuilder (runs_args, NULL, &exit_code);
    g_autofree char *wide = NULL;
    g_auto (GStrv) rows = g_strsplit (table, "\n", -1);

    assert_int_equal (exit_code, 0);
    assert_true (g_str_has_prefix (table, "ID"));
    assert_non_null (strstr (rows[0], "EXPERIMENT"));
    assert_non_null (strstr (rows[0], "STATUS"));
    assert_non_null (strstr (rows[0], "DURATION"));
    assert_non_null (strstr (rows[0], "EXIT"));
    for (guint i = 0; rows[i] != NULL; i++)
      assert_true (strlen (rows[i]) <= 80);
    assert_non_null (strstr (rows[1], announced_id));
    assert_non_null (strstr (rows[1], "succeeded"));
    /* The experiment name as the Train page gives it (exp_name, suffixed). */
    assert_non_null (strstr (rows[1], "ocr_training-dbnet-un~"));
    wide = run_cmdbuilder (wide_args, NULL, &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (wide, "trainer.max_epochs=2"));
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_cli_killed_mid_run, setup, teardown),
    cmocka_unit_test_setup_teardown (test_logs_follow, setup, teardown),
    cmocka_unit_test_setup_teardown (test_exec_streams_and_exit_code, setup, teardown),
    cmocka_unit_test_setup_teardown (test_exec_missing_program, setup, teardown),
    cmocka_unit_test_setup_teardown (test_interrupt_stops_run, setup, teardown),
    cmocka_unit_test_setup_teardown (test_detach_and_stop, setup, teardown),
    cmocka_unit_test_setup_teardown (test_run_train_page, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
