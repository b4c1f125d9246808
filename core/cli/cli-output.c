#define G_LOG_DOMAIN "cmdb-cli"

/* How the CLI talks to the person at the terminal: errors in red, warnings
 * in yellow when stderr is a terminal (never when NO_COLOR is set, with
 * --color=never, or when stderr is piped), and notes such as the workspace
 * it found, which --quiet silences. Stdout is left alone: it holds the
 * subcommand's result (a command, JSON) for other programs. */

#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define COLOR_RED "\033[31m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_RESET "\033[0m"

static CmdbCliColor color_mode = CMDB_CLI_COLOR_AUTO;
static gboolean quiet;

gboolean
cmdb_cli_set_color (const char *mode, GError **error)
{
  if (g_str_equal (mode, "auto"))
    color_mode = CMDB_CLI_COLOR_AUTO;
  else if (g_str_equal (mode, "always"))
    color_mode = CMDB_CLI_COLOR_ALWAYS;
  else if (g_str_equal (mode, "never"))
    color_mode = CMDB_CLI_COLOR_NEVER;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--color %s: expected auto, always or never", mode);
      return FALSE;
    }
  return TRUE;
}

void
cmdb_cli_set_quiet (gboolean value)
{
  quiet = value;
}

gboolean
cmdb_cli_get_quiet (void)
{
  return quiet;
}

gboolean
cmdb_cli_stderr_has_color (void)
{
  const char *no_color;

  if (color_mode != CMDB_CLI_COLOR_AUTO)
    return color_mode == CMDB_CLI_COLOR_ALWAYS;
  /* no-color.org: present and not empty means no colour. */
  no_color = g_getenv ("NO_COLOR");
  if (no_color != NULL && no_color[0] != '\0')
    return FALSE;
  if (g_strcmp0 (g_getenv ("TERM"), "dumb") == 0)
    return FALSE;
  return isatty (STDERR_FILENO);
}

static void
print_colored (const char *color, const char *prefix, const char *format, va_list args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);
  /* Messages quote names from disk and the command line: escaped. */
  const char *safe = cmdb_cli_safe (message);

  if (cmdb_cli_stderr_has_color ())
    fprintf (stderr, "%s%s%s%s\n", prefix, color, safe, COLOR_RESET);
  else
    fprintf (stderr, "%s%s\n", prefix, safe);
}

void
cmdb_cli_error (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_colored (COLOR_RED, "cmdbuilder: ", format, args);
  va_end (args);
}

void
cmdb_cli_report (CmdbSeverity severity, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  if (severity == CMDB_SEVERITY_ERROR)
    print_colored (COLOR_RED, "error: ", format, args);
  else
    print_colored (COLOR_YELLOW, "warning: ", format, args);
  va_end (args);
}

void
cmdb_cli_note (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (quiet)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "%s\n", cmdb_cli_safe (message));
}

void
cmdb_cli_print_problems (GPtrArray *problems)
{
  gboolean color = cmdb_cli_stderr_has_color ();

  for (guint i = 0; problems != NULL && i < problems->len; i++)
    {
      CmdbProblem *problem = g_ptr_array_index (problems, i);
      g_autofree char *line = cmdb_problem_to_string (problem);

      if (color)
        fprintf (stderr, "%s%s%s\n",
                 problem->severity == CMDB_SEVERITY_ERROR ? COLOR_RED : COLOR_YELLOW,
                 cmdb_cli_safe (line), COLOR_RESET);
      else
        fprintf (stderr, "%s\n", cmdb_cli_safe (line));
    }
}
