#define G_LOG_DOMAIN "cmdb-fuzz"

/* libFuzzer harness: the shell splitter, and joining: the words a text
 * splits into, joined and split again, are the same words. */

#include "cmdbuilder.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto (GStrv) words = NULL;
  g_auto (GStrv) again = NULL;
  g_autofree char *joined = NULL;
  g_autoptr (GError) error = NULL;

  if (!cmdb_shell_split (text, &words, NULL))
    return 0;
  if (words == NULL || words[0] == NULL)
    return 0;
  joined = cmdb_shell_join ((const char *const *) words);
  if (!cmdb_shell_split (joined, &again, &error))
    g_error ("joined words do not split: %s", error->message);
  if (g_strv_length (words) != g_strv_length (again))
    g_error ("joined words split into %u words, not %u", g_strv_length (again),
             g_strv_length (words));
  for (guint i = 0; words[i] != NULL; i++)
    if (strcmp (words[i], again[i]) != 0)
      g_error ("word %u changed through join and split", i);
  return 0;
}
