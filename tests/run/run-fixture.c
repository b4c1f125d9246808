#define G_LOG_DOMAIN "cmdb-test"

#include "run-fixture.h"
#include "run/cmdb-run-private.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

RunFixture *
run_fixture_new (const char *config_text)
{
  RunFixture *fixture = g_new0 (RunFixture, 1);
  g_autofree char *cmdbuilder = cmdb_test_cmdbuilder ();

  fixture->tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (fixture->tmp);
  fixture->workspace = g_build_filename (fixture->tmp, "workspace", NULL);
  g_free (cmdb_test_write_file (fixture->workspace, "pyproject.toml", ""));
  fixture->session = cmdb_test_session_new (fixture->workspace, config_text);
  fixture->store = cmdb_run_store_new (fixture->session->context);
  cmdb_run_store_set_supervisor_program (fixture->store, cmdbuilder);
  fixture->spawned = g_array_new (FALSE, FALSE, sizeof (GPid));
  return fixture;
}

static void
kill_recorded_pids (const char *tmp)
{
  g_autofree char *dir_path = g_build_filename (tmp, "pids", NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL) && atoi (text) > 1
          && run_fixture_process_alive (atoi (text)))
        kill (atoi (text), SIGKILL);
    }
}

void
run_fixture_free (RunFixture *fixture)
{
  g_autoptr (GPtrArray) runs = NULL;

  if (fixture == NULL)
    return;
  /* Supervisors first (they would restart nothing, but they reap), then
   * the process groups and the pids the helper scripts recorded. */
  runs = cmdb_run_store_list (fixture->store, NULL, NULL, NULL);
  for (guint i = 0; runs != NULL && i < runs->len; i++)
    {
      JsonObject *data = cmdb_run_get_data (g_ptr_array_index (runs, i));
      const char *needles[] = { "supervise", cmdb_run_get_id (g_ptr_array_index (runs, i)), NULL };
      gint64 supervisor = json_object_get_int_member_with_default (data, "supervisor_pid", 0);
      gint64 group = json_object_get_int_member_with_default (data, "pgid", 0);

      if (supervisor > 1 && cmdb_run_process_matches ((GPid) supervisor, needles))
        kill ((GPid) supervisor, SIGKILL);
      if (group > 1
          && !cmdb_run_status_is_final (cmdb_run_get_status (g_ptr_array_index (runs, i))))
        kill (-(GPid) group, SIGKILL);
    }
  kill_recorded_pids (fixture->tmp);
  for (guint i = 0; i < fixture->spawned->len; i++)
    {
      GPid pid = g_array_index (fixture->spawned, GPid, i);

      kill (pid, SIGKILL);
      waitpid (pid, NULL, WNOHANG);
    }
  g_array_unref (fixture->spawned);
  g_clear_object (&fixture->store);
  cmdb_test_session_free (fixture->session);
  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->workspace);
  g_free (fixture->tmp);
  g_free (fixture);
}

char *
run_fixture_write_script (RunFixture *fixture, const char *name, const char *contents)
{
  return cmdb_test_write_file (fixture->tmp, name, contents);
}

CmdbRun *
run_fixture_start (RunFixture *fixture, const char *page, const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbRun) run = NULL;
  CmdbRun *started;

  run = cmdb_run_store_create (fixture->store, page, argv, NULL, NULL, NULL, NULL, &error);
  assert_null (error);
  assert_non_null (run);
  started = cmdb_run_store_start (fixture->store, run, &error);
  if (started == NULL)
    g_printerr ("start: %s\n", error->message);
  assert_non_null (started);
  return started;
}

char *
run_fixture_read_log (CmdbRun *run, CmdbRunStream stream, gsize *ret_length)
{
  g_autofree char *path = cmdb_run_get_log_path (run, stream);
  char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    contents = g_strdup ("");
  if (ret_length != NULL)
    *ret_length = length;
  return contents;
}

void
run_fixture_wait_for_log (CmdbRun *run, CmdbRunStream stream, const char *needle)
{
  for (guint i = 0; i < 6000; i++)
    {
      g_autofree char *log = run_fixture_read_log (run, stream, NULL);

      if (strstr (log, needle) != NULL)
        return;
      g_usleep (10 * 1000);
    }
  g_printerr ("%s.log of %s never showed '%s'\n", cmdb_run_stream_to_string (stream),
              cmdb_run_get_id (run), needle);
  fail ();
}

CmdbRun *
run_fixture_wait (RunFixture *fixture, CmdbRun *run)
{
  g_autoptr (GError) error = NULL;
  CmdbRun *final = cmdb_run_store_wait (fixture->store, cmdb_run_get_id (run), 60000, &error);

  if (final == NULL)
    g_printerr ("wait: %s\n", error->message);
  assert_non_null (final);
  return final;
}

gboolean
run_fixture_process_alive (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  paren = strrchr (stat, ')');
  return paren != NULL && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static guint
count_processes_mentioning (const char *text, gboolean report)
{
  DIR *proc = opendir ("/proc");
  struct dirent *entry;
  guint count = 0;

  while (proc != NULL && (entry = readdir (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize length = 0;

      if (entry->d_name[0] < '0' || entry->d_name[0] > '9'
          || atoi (entry->d_name) == (int) getpid ())
        continue;
      path = g_strdup_printf ("/proc/%s/cmdline", entry->d_name);
      if (!g_file_get_contents (path, &cmdline, &length, NULL) || length == 0)
        continue;
      for (gsize i = 0; i + 1 < length; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';
      if (strstr (cmdline, text) != NULL && run_fixture_process_alive (atoi (entry->d_name)))
        {
          if (report)
            g_printerr ("still running: %s %s\n", entry->d_name, cmdline);
          count++;
        }
    }
  if (proc != NULL)
    closedir (proc);
  return count;
}

guint
run_fixture_count_survivors (RunFixture *fixture)
{
  /* The supervisor exits right after recording the end: give it time. */
  for (guint i = 0; i < 3000; i++)
    {
      if (count_processes_mentioning (fixture->tmp, FALSE) == 0)
        return 0;
      g_usleep (10 * 1000);
    }
  return count_processes_mentioning (fixture->tmp, TRUE);
}

void
run_fixture_track (RunFixture *fixture, GPid pid)
{
  g_array_append_val (fixture->spawned, pid);
}
