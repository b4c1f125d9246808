#define G_LOG_DOMAIN "cmdb-server"

/* Access that survives restarts: the server's token is kept in the state
 * directory (<state>/ui/token, mode 0600; the state directory's .gitignore
 * keeps it out of git) and reused by the next `cmdbuilder serve` of the
 * workspace, so a bookmarked page and the 30-day cookie stay valid. While
 * a server runs, <state>/ui/serving (0600) holds its process id and start
 * URL for `cmdbuilder url`. */

#include "cmdb-server-private.h"

#include "state/cmdb-state-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_FILE "token"
#define SERVING_FILE "serving"

/* A token as cmdb_server_token_new() makes them: URL-safe base64, long
 * enough to be a secret. */
static gboolean
token_is_usable (const char *token)
{
  gsize length = strlen (token);

  if (length < 32 || length > 128)
    return FALSE;
  for (const char *c = token; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_')
      return FALSE;
  return TRUE;
}

/* (transfer full) (nullable): the kept token of @path, when the file is
 * ours alone (0600, a regular file) and holds a usable token. */
static char *
read_kept_token (const char *path)
{
  g_autofree char *text = NULL;
  GStatBuf info;

  if (g_lstat (path, &info) != 0 || !S_ISREG (info.st_mode) || (info.st_mode & 0077) != 0
      || info.st_size > 4096)
    return NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  if (!token_is_usable (text))
    return NULL;
  return g_steal_pointer (&text);
}

char *
cmdb_server_access_token (const char *state_dir, gboolean renew, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *token = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (state_dir != NULL, NULL);

  dir = cmdb_state_dir_ensure (state_dir, "ui", 0700, error);
  if (dir == NULL)
    return NULL;
  path = g_build_filename (dir, TOKEN_FILE, NULL);
  if (!renew)
    {
      token = read_kept_token (path);
      if (token != NULL)
        return g_steal_pointer (&token);
    }
  token = cmdb_server_token_new ();
  text = g_strconcat (token, "\n", NULL);
  /* Written 0600 from the start (never readable by others in between). */
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return NULL;
  return g_steal_pointer (&token);
}

static char *
serving_path (const char *state_dir)
{
  return g_build_filename (state_dir, "ui", SERVING_FILE, NULL);
}

gboolean
cmdb_server_access_publish (const char *state_dir, const char *url, GError **error)
{
  g_autofree char *dir = cmdb_state_dir_ensure (state_dir, "ui", 0700, error);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  if (dir == NULL)
    return FALSE;
  path = serving_path (state_dir);
  text = g_strdup_printf ("%ld %s\n", (long) getpid (), url);
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* Reads <state>/ui/serving: its process id and URL. */
static gboolean
read_serving (const char *state_dir, long *ret_pid, char **ret_url)
{
  g_autofree char *path = serving_path (state_dir);
  g_autofree char *text = NULL;
  char *end = NULL;
  long pid;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  pid = strtol (text, &end, 10);
  if (end == text || *end != ' ' || pid <= 0)
    return FALSE;
  *ret_pid = pid;
  *ret_url = g_strdup (g_strstrip (end + 1));
  return TRUE;
}

void
cmdb_server_access_withdraw (const char *state_dir)
{
  g_autofree char *url = NULL;
  long pid = 0;

  /* Only our own: a second server of the workspace may have replaced it. */
  if (read_serving (state_dir, &pid, &url) && pid == (long) getpid ())
    {
      g_autofree char *path = serving_path (state_dir);

      g_unlink (path);
    }
}

char *
cmdb_server_access_running_url (const char *state_dir)
{
  g_autofree char *url = NULL;
  long pid = 0;

  g_return_val_if_fail (state_dir != NULL, NULL);

  if (!read_serving (state_dir, &pid, &url))
    return NULL;
  /* A server that died without removing the file (kill -9) is gone. */
  if (kill ((pid_t) pid, 0) != 0 && errno != EPERM)
    return NULL;
  return g_steal_pointer (&url);
}
