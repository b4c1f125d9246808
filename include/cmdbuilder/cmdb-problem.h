/* cmdb-problem.h: located errors and warnings.
 *
 * Loading schemas and configs collects every problem instead of stopping at
 * the first, so `cmdbuilder check` can report them all and a page can still
 * render with a warning next to a field. A problem names where it is
 * (file:line:column) and what it concerns (an element key, a config key).
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  CMDB_SEVERITY_WARNING,
  CMDB_SEVERITY_ERROR,
} CmdbSeverity;

typedef struct
{
  CmdbSeverity severity;
  char *path;    /* (nullable) file the problem is in */
  guint line;    /* 1-based; 0 when unknown */
  guint column;  /* 1-based; 0 when unknown */
  char *subject; /* (nullable) element key, config key or source id */
  char *message; /* human sentence, without location */
} CmdbProblem;

#define CMDB_TYPE_PROBLEM (cmdb_problem_get_type ())
/**
 * cmdb_problem_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_problem_get_type (void) G_GNUC_CONST;

/**
 * cmdb_problem_new:
 *
 * Returns: (transfer full): a new problem; strings are copied.
 */
CMDB_AVAILABLE_IN_ALL
CmdbProblem *cmdb_problem_new (CmdbSeverity severity, const char *path, guint line, guint column,
                               const char *subject, const char *format, ...) G_GNUC_PRINTF (6, 7);
/**
 * cmdb_problem_new_literal:
 * @severity: error or warning
 * @path: (nullable): the file the problem is in
 * @line: 1-based; 0 when unknown
 * @column: 1-based; 0 when unknown
 * @subject: (nullable): the element key (shown under that field), config key or source id
 * @message: the sentence
 *
 * cmdb_problem_new() without a format, for bindings: a Python page's validate() returns these.
 *
 * Returns: (transfer full): a new problem; strings are copied.
 */
CMDB_AVAILABLE_IN_ALL
CmdbProblem *cmdb_problem_new_literal (CmdbSeverity severity, const char *path, guint line,
                                       guint column, const char *subject, const char *message);
/**
 * cmdb_problem_copy:
 * @problem: the problem
 *
 * Returns: (transfer full): a copy.
 */
CMDB_AVAILABLE_IN_ALL
CmdbProblem *cmdb_problem_copy (const CmdbProblem *problem);
/**
 * cmdb_problem_free:
 * @problem: (transfer full): what to free
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_problem_free (CmdbProblem *problem);
/**
 * cmdb_problem_to_string:
 *
 * Returns: (transfer full): "path:line:column: error: [subject] message", the form compilers use,
 *   so editors can jump to it.
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_problem_to_string (const CmdbProblem *problem);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbProblem, cmdb_problem_free)

G_END_DECLS
