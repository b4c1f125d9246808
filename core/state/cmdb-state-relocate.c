#define G_LOG_DOMAIN "cmdb-state"

#include "cmdb-state-private.h"

#include <string.h>

/* The length of @from_root when @text starts with it as a whole path (then
 * the end, a '/', or @quote follows), else 0. */
static gsize
root_prefix_length (const char *text, const char *from_root, char quote)
{
  gsize length = strlen (from_root);

  /* "/" as the old root would move every absolute path: never a
   * workspace anyone moves. */
  while (length > 1 && from_root[length - 1] == '/')
    length--;
  if (length <= 1 || strncmp (text, from_root, length) != 0)
    return 0;
  if (text[length] == '\0' || text[length] == '/' || (quote != '\0' && text[length] == quote))
    return length;
  return 0;
}

char *
cmdb_state_relocate_word (const char *word, const char *from_root, const char *to_root)
{
  const char *equals;
  const char *value;
  char quote = '\0';
  gsize length;

  g_return_val_if_fail (word != NULL && from_root != NULL && to_root != NULL, NULL);
  if (g_str_equal (from_root, to_root))
    return NULL;
  length = root_prefix_length (word, from_root, '\0');
  if (length > 0)
    return g_strconcat (to_root, word + length, NULL);
  /* An override: key=VALUE, key="VALUE" or key='VALUE' (the builder quotes
   * values Hydra would otherwise misread). */
  equals = strchr (word, '=');
  if (equals == NULL)
    return NULL;
  value = equals + 1;
  if (*value == '"' || *value == '\'')
    quote = *value++;
  length = root_prefix_length (value, from_root, quote);
  if (length == 0)
    return NULL;
  {
    g_autofree char *head = g_strndup (word, (gsize) (value - word));

    return g_strconcat (head, to_root, value + length, NULL);
  }
}

GStrv
cmdb_state_relocate_argv (const char *const *argv, const char *from_root, const char *to_root)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; argv != NULL && argv[i] != NULL; i++)
    {
      g_autofree char *moved = cmdb_state_relocate_word (argv[i], from_root, to_root);

      g_strv_builder_add (builder, moved != NULL ? moved : argv[i]);
    }
  return g_strv_builder_end (builder);
}

char *
cmdb_state_relocate_text (const char *text, const char *from_root, const char *to_root)
{
  g_auto (GStrv) words = NULL;
  g_auto (GStrv) moved = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  if (strstr (text, from_root) == NULL || !cmdb_shell_split (text, &words, NULL))
    return g_strdup (text);
  moved = cmdb_state_relocate_argv ((const char *const *) words, from_root, to_root);
  if (g_strv_equal ((const char *const *) words, (const char *const *) moved))
    return g_strdup (text);
  return cmdb_shell_join ((const char *const *) moved);
}

void
cmdb_state_relocate_values (JsonObject *values, const char *from_root, const char *to_root)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  g_return_if_fail (values != NULL);
  json_object_iter_init (&iter, values);
  while (json_object_iter_next (&iter, &name, &member))
    {
      g_autofree char *moved = NULL;

      if (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_STRING)
        continue;
      moved = cmdb_state_relocate_word (json_node_get_string (member), from_root, to_root);
      if (moved != NULL)
        json_node_set_string (member, moved);
    }
}
