#define G_LOG_DOMAIN "cmdb-run"

/* A queued run (a sweep member waiting for its queue) leaves the queue
 * exactly once: started by the queue, or cancelled by a user. Both sides go
 * through cmdb_run_dequeue(), which holds an exclusive flock(2) of the run
 * directory around reading and rewriting the record: run.json itself is
 * replaced by rename, so it cannot carry the lock. */

#include "cmdb-run-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

CmdbRun *
cmdb_run_dequeue (const char *directory, CmdbRunStatus status, const char *message, GError **error)
{
  g_autoptr (CmdbRun) run = NULL;
  int fd;

  g_return_val_if_fail (directory != NULL, NULL);
  g_return_val_if_fail (status == CMDB_RUN_STATUS_STARTING || status == CMDB_RUN_STATUS_STOPPED,
                        NULL);
  fd = open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CMDB_RUN_ERROR,
                   saved_errno == ENOENT ? CMDB_RUN_ERROR_NOT_FOUND : CMDB_RUN_ERROR_FAILED,
                   "cannot open %s: %s", directory, g_strerror (saved_errno));
      return NULL;
    }
  while (flock (fd, LOCK_EX) < 0 && errno == EINTR)
    ;
  run = cmdb_run_load_from_directory (directory, error);
  if (run != NULL && cmdb_run_get_status (run) != CMDB_RUN_STATUS_QUEUED)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING,
                   "run %s is no longer queued (%s)", cmdb_run_get_id (run),
                   cmdb_run_status_to_string (cmdb_run_get_status (run)));
      g_clear_pointer (&run, cmdb_run_unref);
    }
  if (run != NULL)
    {
      cmdb_run_set_status (run, status);
      if (status == CMDB_RUN_STATUS_STARTING)
        cmdb_run_set_time_now (run, "dequeued_at");
      else
        {
          cmdb_run_set_message (run, message);
          cmdb_run_set_time_now (run, "ended_at");
        }
      if (!cmdb_run_save (run, error))
        g_clear_pointer (&run, cmdb_run_unref);
    }
  close (fd); /* releases the lock */
  return g_steal_pointer (&run);
}
