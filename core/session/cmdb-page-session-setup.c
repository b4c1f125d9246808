#define G_LOG_DOMAIN "cmdb-session"

/* The workspace set-up a page's runs depend on, checked before anything
 * starts: the launcher must be found (else every run fails with exit 127)
 * and the page's runner script must exist. `cmdbuilder check` reports these
 * for every page; the web UI shows them as a banner on the page they
 * affect, computed for that page only (a PATH lookup and a stat; a
 * cached value computed from them, like the rendered page, records them as
 * dependencies, so it is recomputed when they change). */

#include "session/cmdb-page-session-private.h"
#include "base/cmdb-config-private.h"

#include <string.h>

CmdbProblem *
cmdb_check_launcher (CmdbContext *context)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) launcher = cmdb_command_get_launcher (context, &error);
  CmdbCache *cache = cmdb_context_get_cache (context);
  const char *program;
  const char *origin;
  gboolean is_path;
  g_autofree char *found = NULL;

  if (launcher == NULL || launcher->len == 0)
    return NULL; /* the configuration check reports an unusable launcher */
  program = g_ptr_array_index (launcher, 0);
  is_path = strchr (program, '/') != NULL;
  if (is_path)
    found = g_file_test (program, G_FILE_TEST_IS_EXECUTABLE) ? g_strdup (program) : NULL;
  else
    found = g_find_program_in_path (program);
  /* A value computed from this (the web UI's rendered page) is recomputed
   * when the program found goes away, or, while none is found, when one
   * appears in a PATH directory. */
  if (found != NULL || is_path)
    cmdb_cache_add_dependency (cache, found != NULL ? found : program);
  else
    {
      const char *path = g_getenv ("PATH");
      g_auto (GStrv) directories
          = g_strsplit (path != NULL ? path : "", G_SEARCHPATH_SEPARATOR_S, -1);

      for (guint i = 0; directories[i] != NULL; i++)
        if (g_path_is_absolute (directories[i]))
          {
            g_autofree char *candidate = g_build_filename (directories[i], program, NULL);
            cmdb_cache_add_dependency (cache, candidate);
          }
    }
  if (found != NULL)
    return NULL;
  origin = cmdb_config_get_origin (cmdb_context_get_config (context), "command", "launcher");
  return cmdb_problem_new (CMDB_SEVERITY_ERROR,
                           origin != NULL && g_path_is_absolute (origin) ? origin : NULL, 0, 0,
                           "command.launcher",
                           "the launcher '%s' is not %s: every run would fail (exit 127); "
                           "install it or set [command] launcher%s",
                           program, is_path ? "executable" : "on PATH",
                           origin == NULL ? " (the default is \"uv run python\")" : "");
}

CmdbProblem *
cmdb_page_session_check_runner (CmdbPageSession *self, CmdbCommand *command)
{
  g_autoptr (GPtrArray) launcher = NULL;
  const char *page_id = cmdb_page_session_get_id (self);
  const char *runner;

  g_return_val_if_fail (self != NULL, NULL);

  launcher = cmdb_command_get_launcher (cmdb_page_session_get_context (self), NULL);
  if (launcher == NULL || command == NULL || command->argv->len <= launcher->len)
    return NULL;
  /* The runner is the word after the launcher. */
  runner = g_ptr_array_index (command->argv, launcher->len);
  cmdb_cache_add_dependency (cmdb_context_get_cache (cmdb_page_session_get_context (self)), runner);
  if (g_file_test (runner, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return cmdb_problem_new (CMDB_SEVERITY_ERROR, runner, 0, 0, page_id,
                           "page %s runs %s, which does not exist (the page's X-Runner in the "
                           "[command] runners directory)",
                           page_id, runner);
}

GPtrArray *
cmdb_page_session_check_setup (CmdbPageSession *self, CmdbCommand *command)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  CmdbProblem *problem;

  g_return_val_if_fail (self != NULL, problems);

  if ((problem = cmdb_check_launcher (cmdb_page_session_get_context (self))) != NULL)
    g_ptr_array_add (problems, problem);
  if ((problem = cmdb_page_session_check_runner (self, command)) != NULL)
    g_ptr_array_add (problems, problem);
  return problems;
}
