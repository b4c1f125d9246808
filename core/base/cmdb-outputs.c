#define G_LOG_DOMAIN "cmdb-base"

/* The outputs folder as a boundary: names the web UI turns into files it
 * writes or serves (an exported CSV, its download) are relative to it and
 * must stay inside, whatever the name or the symbolic links on the way say
 * (docs/web-ui.md, Predict export). */

#include "cmdbuilder.h"

#include <stdlib.h>
#include <string.h>

/* TRUE when @path lies inside @directory (both canonical, no trailing
 * separator), not @directory itself. */
static gboolean
is_inside (const char *directory, const char *path)
{
  gsize length = strlen (directory);

  if (g_str_equal (directory, "/"))
    return path[0] == '/' && path[1] != '\0';
  return strncmp (path, directory, length) == 0 && path[length] == G_DIR_SEPARATOR
         && path[length + 1] != '\0';
}

/* (transfer full) (nullable): @path (absolute, canonical) with its
 * symbolic links resolved as far as it exists: the real path of its
 * deepest existing ancestor, the rest appended as it is. */
static char *
real_path (const char *path)
{
  g_autofree char *existing = g_strdup (path);
  g_autoptr (GString) rest = g_string_new (NULL);

  for (;;)
    {
      char *resolved = realpath (existing, NULL);

      if (resolved != NULL)
        {
          char *full = g_strconcat (g_str_equal (resolved, "/") ? "" : resolved, rest->str, NULL);

          free (resolved);
          return full[0] != '\0' ? full : (g_free (full), g_strdup ("/"));
        }
      if (g_str_equal (existing, "/"))
        return NULL;
      {
        g_autofree char *base = g_path_get_basename (existing);
        g_autofree char *parent = g_path_get_dirname (existing);

        g_string_prepend (rest, base);
        g_string_prepend_c (rest, G_DIR_SEPARATOR);
        g_free (existing);
        existing = g_steal_pointer (&parent);
      }
    }
}

/* The outputs folder as the user knows it: relative to the root when inside. */
static char *
shown_outputs (CmdbContext *self)
{
  const char *root = cmdb_context_get_root (self);
  const char *outputs = cmdb_context_get_outputs_dir (self);
  gsize length = strlen (root);

  if (strncmp (outputs, root, length) == 0 && outputs[length] == G_DIR_SEPARATOR)
    return g_strconcat (outputs + length + 1, "/", NULL);
  return g_strconcat (outputs, "/", NULL);
}

char *
cmdb_context_resolve_output (CmdbContext *self, const char *name, GError **error)
{
  g_autofree char *outputs = NULL;
  g_autofree char *outputs_real = NULL;
  g_autofree char *full = NULL;
  g_autofree char *full_real = NULL;
  g_autofree char *shown = NULL;
  g_auto (GStrv) parts = NULL;
  const char *why = NULL;

  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  shown = shown_outputs (self);
  outputs = g_canonicalize_filename (cmdb_context_get_outputs_dir (self), NULL);
  parts = g_strsplit (name, G_DIR_SEPARATOR_S, -1);
  if (g_path_is_absolute (name))
    why = "is an absolute path";
  for (guint i = 0; why == NULL && parts[i] != NULL; i++)
    if (g_str_equal (parts[i], ".."))
      why = "leaves the folder (..)";
  if (why == NULL)
    {
      full = g_canonicalize_filename (name, outputs);
      outputs_real = real_path (outputs);
      full_real = real_path (full);
      if (!is_inside (outputs, full))
        why = "names no file inside it";
      else if (outputs_real == NULL || full_real == NULL || !is_inside (outputs_real, full_real))
        why = "leads out of it through a symbolic link";
    }
  if (why != NULL)
    {
      g_set_error (error, CMDB_WORKSPACE_ERROR, CMDB_WORKSPACE_ERROR_OUTSIDE,
                   "'%s' %s: files go inside %s; give a name relative to it, such as "
                   "submission.csv",
                   name, why, shown);
      return NULL;
    }
  return g_steal_pointer (&full);
}
