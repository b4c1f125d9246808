#define G_LOG_DOMAIN "cmdb-hydra"

/* The shell layer: display text for an argv vector and the way back.
 * Commands never run through a shell; this text is what a person copies,
 * edits, or saves as command.sh. */

#include <string.h>

#include "cmdbuilder.h"

/* Characters no POSIX shell (nor bash, in a word that is not the command
 * name) treats specially. `=` is special only in the first word, where
 * `a=b` would be an assignment; cmdb_shell_join quotes that case. */
static gboolean
is_shell_safe (const char *token)
{
  if (*token == '\0')
    return FALSE;
  for (const char *p = token; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_./+-@%:=,", *p) == NULL)
      return FALSE;
  return TRUE;
}

char *
cmdb_shell_quote (const char *token)
{
  GString *out;

  g_return_val_if_fail (token != NULL, NULL);

  if (is_shell_safe (token))
    return g_strdup (token);
  out = g_string_sized_new (strlen (token) + 2);
  g_string_append_c (out, '\'');
  for (const char *p = token; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append (out, "'\\''");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
  return g_string_free (out, FALSE);
}

/* Words that the shell reads as syntax when they come first. */
static gboolean
is_reserved_word (const char *token)
{
  static const char *const reserved[]
      = { "if",    "then",  "else", "elif", "fi", "do", "done", "case", "esac",
          "while", "until", "for",  "in",   "{",  "}",  "!",    NULL };

  return g_strv_contains (reserved, token);
}

static char *
quote_word (const char *token, gboolean first)
{
  if (first && (strchr (token, '=') != NULL || is_reserved_word (token)))
    {
      /* Single quotes make it a plain word even when it is otherwise safe. */
      g_autofree char *inner = cmdb_shell_quote (token);

      if (inner[0] != '\'')
        return g_strdup_printf ("'%s'", token);
      return g_steal_pointer (&inner);
    }
  return cmdb_shell_quote (token);
}

char *
cmdb_shell_join (const char *const *argv)
{
  GString *out;

  g_return_val_if_fail (argv != NULL, NULL);

  out = g_string_new (NULL);
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *word = quote_word (argv[i], i == 0);

      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, word);
    }
  return g_string_free (out, FALSE);
}

/* Where the splitter is in the text, for error messages. */
typedef struct
{
  const char *p;
  guint line;
  guint column;
} Cursor;

static void
cursor_advance (Cursor *cursor)
{
  if (*cursor->p == '\n')
    {
      cursor->line++;
      cursor->column = 1;
      cursor->p++;
      return;
    }
  cursor->p = g_utf8_next_char (cursor->p);
  cursor->column++;
}

/* Appends the character under the cursor (all of its UTF-8 bytes). */
static void
cursor_take (Cursor *cursor, GString *word)
{
  const char *start = cursor->p;

  cursor_advance (cursor);
  g_string_append_len (word, start, cursor->p - start);
}

gboolean
cmdb_shell_split (const char *text, char ***ret_argv, GError **error)
{
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) word = g_string_new (NULL);
  gboolean in_word = FALSE;
  Cursor cursor = { text, 1, 1 };

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (ret_argv != NULL, FALSE);

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_SPLIT,
                   "the command text is not valid UTF-8");
      return FALSE;
    }

  while (*cursor.p != '\0')
    {
      char c = *cursor.p;

      if (c == ' ' || c == '\t' || c == '\n')
        {
          if (in_word)
            {
              g_ptr_array_add (words, g_strdup (word->str));
              g_string_truncate (word, 0);
              in_word = FALSE;
            }
          cursor_advance (&cursor);
        }
      else if (c == '\\')
        {
          if (cursor.p[1] == '\n')
            {
              /* A line continuation: both characters vanish. */
              cursor_advance (&cursor);
              cursor_advance (&cursor);
              continue;
            }
          if (cursor.p[1] == '\0')
            {
              g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_SPLIT,
                           "a backslash at line %u, column %u ends the text: it escapes nothing",
                           cursor.line, cursor.column);
              return FALSE;
            }
          cursor_advance (&cursor);
          cursor_take (&cursor, word);
          in_word = TRUE;
        }
      else if (c == '\'' || c == '"')
        {
          guint line = cursor.line;
          guint column = cursor.column;

          cursor_advance (&cursor);
          while (*cursor.p != '\0' && *cursor.p != c)
            {
              /* In double quotes a backslash escapes only $ ` " \ and a
               * newline (which it removes); elsewhere it is literal. */
              if (c == '"' && cursor.p[0] == '\\' && cursor.p[1] != '\0'
                  && strchr ("$`\"\\\n", cursor.p[1]) != NULL)
                {
                  gboolean newline = cursor.p[1] == '\n';

                  cursor_advance (&cursor);
                  if (newline)
                    cursor_advance (&cursor);
                  else
                    cursor_take (&cursor, word);
                  continue;
                }
              cursor_take (&cursor, word);
            }
          if (*cursor.p == '\0')
            {
              g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_SPLIT,
                           "the %s quote at line %u, column %u is never closed",
                           c == '\'' ? "single" : "double", line, column);
              return FALSE;
            }
          cursor_advance (&cursor);
          in_word = TRUE;
        }
      else if (c == '#' && !in_word)
        {
          while (*cursor.p != '\0' && *cursor.p != '\n')
            cursor_advance (&cursor);
        }
      else if (strchr ("|&;<>()`", c) != NULL)
        {
          g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_SPLIT,
                       "the unquoted '%c' at line %u, column %u is shell syntax (a pipe, "
                       "redirection, list or substitution), which a command cannot use; "
                       "quote it to pass it as text",
                       c, cursor.line, cursor.column);
          return FALSE;
        }
      else
        {
          cursor_take (&cursor, word);
          in_word = TRUE;
        }
    }
  if (in_word)
    g_ptr_array_add (words, g_strdup (word->str));
  g_ptr_array_add (words, NULL);
  *ret_argv = (char **) g_ptr_array_free (g_steal_pointer (&words), FALSE);
  return TRUE;
}

char *
cmdb_shell_format_pretty (const char *const *argv, guint n_head)
{
  GString *out;
  guint n;
  guint head;

  g_return_val_if_fail (argv != NULL, NULL);

  n = g_strv_length ((char **) argv);
  head = MIN (MAX (n_head, 1), n);
  out = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *word = quote_word (argv[i], i == 0);

      if (i > 0 && i < head)
        g_string_append_c (out, ' ');
      else if (i >= head)
        g_string_append (out, " \\\n  ");
      g_string_append (out, word);
    }
  return g_string_free (out, FALSE);
}

char *
cmdb_shell_format_pretty_text (const char *text, guint n_head)
{
  g_auto (GStrv) argv = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *pretty = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  if (cmdb_shell_split (text, &argv, &local_error))
    return cmdb_shell_format_pretty ((const char *const *) argv, n_head);

  /* Best effort: words at blanks, each re-quoted, after a note that says
   * why (a comment, so the text still splits). */
  {
    g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
    g_auto (GStrv) pieces = g_strsplit_set (text, " \t\n", -1);

    for (guint i = 0; pieces[i] != NULL; i++)
      if (pieces[i][0] != '\0')
        g_ptr_array_add (words, g_strdup (pieces[i]));
    g_ptr_array_add (words, NULL);
    pretty = cmdb_shell_format_pretty ((const char *const *) words->pdata, n_head);
  }
  return g_strdup_printf ("# Note: best-effort formatting due to quoting error: %s\n%s",
                          local_error->message, pretty);
}

static gboolean
contains_any (const char *haystack, const char *const *needles)
{
  for (guint i = 0; needles[i] != NULL; i++)
    if (strstr (haystack, needles[i]) != NULL)
      return TRUE;
  return FALSE;
}

CmdbShellLineClass
cmdb_shell_classify_line (const char *line)
{
  static const char *const errors[] = { "error", "exception", "failed", "traceback", NULL };
  static const char *const warnings[] = { "warning", NULL };
  static const char *const successes[] = { "success", "completed", "done", NULL };
  g_autofree char *lower = NULL;
  const char *stripped;

  if (line == NULL)
    return CMDB_SHELL_LINE_PLAIN;
  lower = g_ascii_strdown (line, -1);
  stripped = lower;
  while (g_ascii_isspace (*stripped))
    stripped++;
  if (*stripped == '\0')
    return CMDB_SHELL_LINE_PLAIN;

  if (strstr (lower, "epoch") != NULL && strstr (lower, "loss") != NULL)
    return CMDB_SHELL_LINE_METRICS;
  if (contains_any (lower, errors))
    return CMDB_SHELL_LINE_ERROR;
  if (contains_any (lower, warnings))
    return CMDB_SHELL_LINE_WARNING;
  if (contains_any (lower, successes))
    return CMDB_SHELL_LINE_SUCCESS;
  if (stripped[0] == '[' && strchr (stripped, ']') != NULL)
    return CMDB_SHELL_LINE_PROGRESS;
  return CMDB_SHELL_LINE_PLAIN;
}

const char *
cmdb_shell_line_class_to_string (CmdbShellLineClass line_class)
{
  switch (line_class)
    {
      case CMDB_SHELL_LINE_METRICS:
        return "metrics";
      case CMDB_SHELL_LINE_ERROR:
        return "error";
      case CMDB_SHELL_LINE_WARNING:
        return "warning";
      case CMDB_SHELL_LINE_SUCCESS:
        return "success";
      case CMDB_SHELL_LINE_PROGRESS:
        return "progress";
      case CMDB_SHELL_LINE_PLAIN:
      default:
        return "plain";
    }
}
