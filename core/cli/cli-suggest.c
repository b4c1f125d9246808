#define G_LOG_DOMAIN "cmdb-cli"

/* "Did you mean ...?" for names typed on the command line: subcommands,
 * pages, keys, use cases, option sources. */

#include "cli.h"
#include "schema/cmdb-schema-private.h"

#include <string.h>

/* A typo, not a different word: at most a third of the word changed (and
 * at least two edits allowed, so a swapped pair of letters qualifies), or
 * the start of a longer name. */
static gboolean
is_close (const char *word, const char *candidate, guint distance)
{
  gsize length = strlen (word);

  if (length >= 2 && g_str_has_prefix (candidate, word))
    return TRUE;
  return distance <= MAX (2, length / 3) && distance < MAX (length, strlen (candidate));
}

const char *
cmdb_cli_closest (const char *word, GPtrArray *candidates)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;

  g_return_val_if_fail (word != NULL, NULL);

  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    {
      const char *candidate = g_ptr_array_index (candidates, i);
      guint distance;

      if (candidate == NULL)
        continue;
      distance = cmdb_edit_distance (word, candidate);
      if (distance < best_distance && is_close (word, candidate, distance))
        {
          best = candidate;
          best_distance = distance;
        }
    }
  return best;
}

char *
cmdb_cli_unknown_name_message (const char *what, const char *word, GPtrArray *candidates)
{
  const char *closest = cmdb_cli_closest (word, candidates);
  g_autoptr (GString) message = g_string_new (NULL);

  g_string_append_printf (message, "unknown %s '%s'", what, word);
  if (closest != NULL)
    g_string_append_printf (message, "; did you mean '%s'?", closest);
  if (candidates != NULL && candidates->len > 0)
    {
      g_string_append (message, " (known: ");
      for (guint i = 0; i < candidates->len; i++)
        g_string_append_printf (message, "%s%s", i > 0 ? ", " : "",
                                (const char *) g_ptr_array_index (candidates, i));
      g_string_append (message, ")");
    }
  else
    g_string_append_printf (message, " (there are none)");
  return g_string_free (g_steal_pointer (&message), FALSE);
}
