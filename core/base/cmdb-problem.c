#define G_LOG_DOMAIN "cmdb-base"

#include "cmdbuilder.h"

CmdbProblem *
cmdb_problem_new (CmdbSeverity severity, const char *path, guint line, guint column,
                  const char *subject, const char *format, ...)
{
  CmdbProblem *problem = g_new0 (CmdbProblem, 1);
  va_list args;

  problem->severity = severity;
  problem->path = g_strdup (path);
  problem->line = line;
  problem->column = column;
  problem->subject = g_strdup (subject);
  va_start (args, format);
  problem->message = g_strdup_vprintf (format, args);
  va_end (args);
  return problem;
}

CmdbProblem *
cmdb_problem_new_literal (CmdbSeverity severity, const char *path, guint line, guint column,
                          const char *subject, const char *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return cmdb_problem_new (severity, path, line, column, subject, "%s", message);
}

CmdbProblem *
cmdb_problem_copy (const CmdbProblem *problem)
{
  CmdbProblem *copy;

  g_return_val_if_fail (problem != NULL, NULL);

  copy = g_new0 (CmdbProblem, 1);
  copy->severity = problem->severity;
  copy->path = g_strdup (problem->path);
  copy->line = problem->line;
  copy->column = problem->column;
  copy->subject = g_strdup (problem->subject);
  copy->message = g_strdup (problem->message);
  return copy;
}

void
cmdb_problem_free (CmdbProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->path);
  g_free (problem->subject);
  g_free (problem->message);
  g_free (problem);
}

char *
cmdb_problem_to_string (const CmdbProblem *problem)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (problem != NULL, NULL);

  if (problem->path != NULL)
    {
      g_string_append (out, problem->path);
      if (problem->line > 0)
        g_string_append_printf (out, ":%u", problem->line);
      if (problem->line > 0 && problem->column > 0)
        g_string_append_printf (out, ":%u", problem->column);
      g_string_append (out, ": ");
    }
  g_string_append (out, problem->severity == CMDB_SEVERITY_ERROR ? "error: " : "warning: ");
  if (problem->subject != NULL && problem->subject[0] != '\0')
    g_string_append_printf (out, "[%s] ", problem->subject);
  g_string_append (out, problem->message);
  return g_string_free (out, FALSE);
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbProblem, cmdb_problem, cmdb_problem_copy, cmdb_problem_free)
