#define G_LOG_DOMAIN "cmdb-state"

#include "cmdb-state-private.h"

#include <errno.h>
#include <glib/gstdio.h>

/* Everything in the state directory is the user's local history (and, with
 * a token, a secret): none of it belongs in the project's repository, even
 * when the workspace's own .gitignore does not say so. */
static const char gitignore_text[]
    = "# Created by cmdbuilder: its state directory (runs, logs, page state)\n"
      "# is local history and stays out of git.\n"
      "*\n";

static gboolean
make_directory (const char *path, int mode, GError **error)
{
  if (g_mkdir_with_parents (path, mode) == 0)
    return TRUE;
  {
    int saved_errno = errno;

    g_set_error (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_FAILED, "cannot create %s: %s", path,
                 g_strerror (saved_errno));
  }
  return FALSE;
}

char *
cmdb_state_dir_ensure (const char *state_dir, const char *subdir, int mode, GError **error)
{
  g_autofree char *gitignore = NULL;
  g_autoptr (GError) write_error = NULL;

  g_return_val_if_fail (state_dir != NULL, NULL);
  if (!make_directory (state_dir, 0755, error))
    return NULL;
  gitignore = g_build_filename (state_dir, CMDB_STATE_GITIGNORE_NAME, NULL);
  /* Only when there is none: a user who edited it keeps their version. */
  if (!g_file_test (gitignore, G_FILE_TEST_EXISTS)
      && !g_file_set_contents_full (gitignore, gitignore_text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                    0644, &write_error))
    {
      g_set_error (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_FAILED, "%s", write_error->message);
      return NULL;
    }
  if (subdir == NULL)
    return g_strdup (state_dir);
  {
    g_autofree char *path = g_build_filename (state_dir, subdir, NULL);

    if (!make_directory (path, mode, error))
      return NULL;
    return g_steal_pointer (&path);
  }
}
