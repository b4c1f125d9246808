#define G_LOG_DOMAIN "cmdb-state"

#include "cmdb-state-private.h"

#include <string.h>

/* Reads @path as @kind and adds a problem when it cannot be used: an error
 * for a file that cannot be read, a warning for one a newer build wrote
 * (it is fine, this build just leaves it alone). */
static void
check_file (GPtrArray *problems, CmdbStateKind kind, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = cmdb_state_file_load (kind, path, NULL, &error);
  const char *message;

  if (object != NULL || g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NOT_FOUND))
    return;
  /* The message starts with the path; the problem carries it apart. */
  message = error->message;
  if (g_str_has_prefix (message, path) && g_str_has_prefix (message + strlen (path), ": "))
    message += strlen (path) + 2;
  g_ptr_array_add (
      problems, cmdb_problem_new (g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER)
                                      ? CMDB_SEVERITY_WARNING
                                      : CMDB_SEVERITY_ERROR,
                                  path, 0, 0, NULL, "%s", message));
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* (transfer full): the names in @dir, sorted, so reports are stable. */
static GPtrArray *
sorted_names (const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return names;
}

GPtrArray *
cmdb_state_check (const char *state_dir)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  g_autofree char *runs = g_build_filename (state_dir, "runs", NULL);
  g_autofree char *pages = g_build_filename (state_dir, "ui", "pages", NULL);
  g_autofree char *server = g_build_filename (state_dir, "ui", "server.json", NULL);
  g_autoptr (GPtrArray) run_names = sorted_names (runs);
  g_autoptr (GPtrArray) page_names = sorted_names (pages);
  g_autofree char *sweeps = g_build_filename (state_dir, "sweeps", NULL);
  g_autoptr (GPtrArray) sweep_names = sorted_names (sweeps);

  for (guint i = 0; i < run_names->len; i++)
    {
      g_autofree char *path
          = g_build_filename (runs, g_ptr_array_index (run_names, i), "run.json", NULL);

      check_file (problems, CMDB_STATE_RUN_RECORD, path);
    }
  for (guint i = 0; i < page_names->len; i++)
    {
      const char *name = g_ptr_array_index (page_names, i);
      g_autofree char *path = g_build_filename (pages, name, NULL);

      if (g_str_has_suffix (name, ".json"))
        check_file (problems, CMDB_STATE_PAGE_STATE, path);
    }
  check_file (problems, CMDB_STATE_SERVER_STATE, server);
  for (guint i = 0; i < sweep_names->len; i++)
    {
      g_autofree char *path
          = g_build_filename (sweeps, g_ptr_array_index (sweep_names, i), "sweep.json", NULL);

      check_file (problems, CMDB_STATE_SWEEP_RECORD, path);
    }
  return problems;
}
