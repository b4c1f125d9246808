#define G_LOG_DOMAIN "cmdb-run"

/* Deleting runs from the history: one run, or every finished run older
 * than a time and/or of a status (`cmdbuilder runs delete`, `runs prune`;
 * docs/runs.md, "Keeping the history manageable"). A run that may still be
 * doing something is never touched: starting, running and stopping runs,
 * and a lost run whose command is still alive (its supervisor died, the
 * command carries the run's marker). */

#include "run/cmdb-run-private.h"

#include <errno.h>
#include <glib/gstdio.h>

/* Removes @path and everything under it; FALSE with errno's message. */
static gboolean
remove_tree (const char *path, GError **error)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        {
          if (!remove_tree (child, error))
            return FALSE;
        }
      else if (g_unlink (child) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, "%s: %s", child,
                       g_strerror (saved_errno));
          return FALSE;
        }
    }
  if (g_rmdir (path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, "%s: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
cmdb_run_is_deletable (CmdbRun *run, GError **error)
{
  CmdbRunStatus status = cmdb_run_get_status (run);

  if (!cmdb_run_status_is_final (status))
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED,
                   "run %s is %s; stop it first (cmdbuilder stop %s)", cmdb_run_get_id (run),
                   cmdb_run_status_to_string (status), cmdb_run_get_id (run));
      return FALSE;
    }
  if (status == CMDB_RUN_STATUS_LOST)
    {
      g_autoptr (GArray) leftovers = cmdb_run_find_leftovers (cmdb_run_get_id (run));

      if (leftovers != NULL && leftovers->len > 0)
        {
          g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED,
                       "run %s is lost but its command still runs; stop it first "
                       "(cmdbuilder stop %s)",
                       cmdb_run_get_id (run), cmdb_run_get_id (run));
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
cmdb_run_delete (CmdbRun *run, GError **error)
{
  if (!cmdb_run_is_deletable (run, error))
    return FALSE;
  return remove_tree (cmdb_run_get_directory (run), error);
}

gboolean
cmdb_run_is_prunable (CmdbRun *run, gint64 older_than_us, gint64 now_us, const char *status)
{
  gint64 ended = cmdb_run_get_ended_time (run);
  gint64 when = ended > 0 ? ended : cmdb_run_get_created_time (run);

  if (!cmdb_run_is_deletable (run, NULL))
    return FALSE;
  if (status != NULL
      && !g_str_equal (status, cmdb_run_status_to_string (cmdb_run_get_status (run))))
    return FALSE;
  return older_than_us <= 0 || (when > 0 && now_us - when >= older_than_us);
}
