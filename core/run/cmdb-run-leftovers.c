#define G_LOG_DOMAIN "cmdb-run"
#define _GNU_SOURCE /* syscall numbers */

/* Processes a local run left behind when its supervisor died (kill -9).
 *
 * The supervisor starts the command with CMDBUILDER_RUN=<run id> in its
 * environment, which every descendant inherits even after setsid() or a
 * double fork, and which a process reusing a dead one's PID does not have.
 * So the leftovers of a run are exactly the live processes of this user
 * whose environment holds that marker. Each is signalled through a pidfd
 * opened before its environment is checked, so the signal reaches the
 * process that was checked and never a later one with the same PID. */

#include "cmdb-run-private.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define POLL_USEC (20 * 1000)

/* TRUE when /proc/@pid is a live process (not a zombie). */
static gboolean
is_live (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  paren = strrchr (stat, ')');
  return paren != NULL && paren[1] != '\0' && paren[2] != 'Z' && paren[2] != 'X';
}

/* TRUE when @pid's environment holds @marker ("CMDBUILDER_RUN=<id>"). */
static gboolean
carries_marker (int pid, const char *marker)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/environ", pid);
  g_autofree char *environ_text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &environ_text, &length, NULL))
    return FALSE;
  for (gsize at = 0; at < length; at += strlen (environ_text + at) + 1)
    if (g_str_equal (environ_text + at, marker))
      return TRUE;
  return FALSE;
}

static char *
marker_of (const char *run_id)
{
  return g_strconcat (CMDB_RUN_ENV_MARKER, "=", run_id, NULL);
}

GArray *
cmdb_run_find_leftovers (const char *run_id)
{
  g_autofree char *marker = marker_of (run_id);
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  int self = getpid ();

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      guint64 pid;

      if (!g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &pid, NULL) || (int) pid == self)
        continue;
      if (is_live ((int) pid) && carries_marker ((int) pid, marker))
        {
          int value = (int) pid;
          g_array_append_val (pids, value);
        }
    }
  return pids;
}

gboolean
cmdb_run_process_is_leftover (GPid pid, const char *run_id)
{
  g_autofree char *marker = marker_of (run_id);

  return is_live ((int) pid) && carries_marker ((int) pid, marker);
}

/* Signals @pid with @signal_number if it still carries @marker. A pidfd
 * pins the process while it is checked; without pidfds (Linux < 5.3) the
 * check and kill() are as close together as they can be. */
static gboolean
signal_if_marked (int pid, const char *marker, int signal_number)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);

  if (pidfd >= 0)
    {
      gboolean sent = FALSE;

      if (is_live (pid) && carries_marker (pid, marker))
        sent = syscall (SYS_pidfd_send_signal, pidfd, signal_number, NULL, 0) == 0;
      close (pidfd);
      return sent;
    }
  if (errno != ENOSYS)
    return FALSE; /* gone */
#endif
  return is_live (pid) && carries_marker (pid, marker) && kill (pid, signal_number) == 0;
}

guint
cmdb_run_end_leftovers (const char *run_id, gint64 grace_ms)
{
  g_autofree char *marker = marker_of (run_id);
  g_autoptr (GArray) pids = cmdb_run_find_leftovers (run_id);
  gint64 deadline = g_get_monotonic_time () + grace_ms * 1000;
  guint ended = pids->len;

  if (pids->len == 0)
    return 0;
  for (guint i = 0; i < pids->len; i++)
    signal_if_marked (g_array_index (pids, int, i), marker, SIGTERM);
  /* New descendants may appear while the others end: look again each round. */
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (GArray) still = cmdb_run_find_leftovers (run_id);

      if (still->len == 0)
        return ended;
      g_usleep (POLL_USEC);
    }
  for (guint round = 0; round < 500; round++)
    {
      g_autoptr (GArray) still = cmdb_run_find_leftovers (run_id);

      if (still->len == 0)
        break;
      for (guint i = 0; i < still->len; i++)
        signal_if_marked (g_array_index (still, int, i), marker, SIGKILL);
      g_usleep (POLL_USEC);
    }
  return ended;
}
